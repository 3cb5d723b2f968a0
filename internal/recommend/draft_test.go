package recommend

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestDraftWordsComplete: every language has every word of the English,
// taking the same arguments (formatted with the English verbs' kinds of
// values, none shows %!), and every area and status its title.
func TestDraftWordsComplete(t *testing.T) {
	verb := regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?(?:\[\d+\])?([dsfq%])`)
	for _, lang := range DraftLangs {
		m := draftWords[lang]
		if m == nil {
			t.Fatalf("no words in %s", lang)
		}
		for k, en := range draftWords["en"] {
			tr, ok := m[k]
			if !ok {
				t.Errorf("%s lacks %q", lang, k)
				continue
			}
			var args []any
			for _, v := range verb.FindAllStringSubmatch(en, -1) {
				switch v[1] {
				case "d":
					args = append(args, 7)
				case "s", "q":
					args = append(args, "X")
				case "f":
					args = append(args, 1.5)
				}
			}
			if out := fmt.Sprintf(tr, args...); strings.Contains(out, "%!") {
				t.Errorf("%s %q takes other arguments than the English: %s", lang, k, out)
			}
		}
		for k := range m {
			if _, ok := draftWords["en"][k]; !ok {
				t.Errorf("%s has %q, which English lacks", lang, k)
			}
		}
		if lang == "en" {
			continue
		}
		for _, a := range Areas {
			if draftAreas[lang][a] == "" {
				t.Errorf("%s: no title for area %s", lang, a)
			}
		}
		for _, s := range Statuses {
			if draftStatuses[lang][s] == "" {
				t.Errorf("%s: no title for status %s", lang, s)
			}
		}
	}
}

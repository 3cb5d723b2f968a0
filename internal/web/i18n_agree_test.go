package web

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestCataloguesAgree checks what TestCataloguesComplete does not: that a
// message takes the same arguments in every language (a missing %d shows
// as "%!d(MISSING)" on the page), that every language has the plural forms
// its rule asks for, and that the Kazakh catalogue is Kazakh, not English
// copied.
func TestCataloguesAgree(t *testing.T) {
	ls, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"en", "ru", "kk"} {
		if ls.byTag[tag] == nil {
			t.Fatalf("no %s catalogue", tag)
		}
	}
	// The messages as the files have them, before English fills gaps.
	raw := map[string]map[string]string{}
	files, _ := fs.Glob(i18nFS, "i18n/*.json")
	for _, f := range files {
		b, _ := fs.ReadFile(i18nFS, f)
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		tag, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(f, "i18n/"), ".json"), ".")
		if raw[tag] == nil {
			raw[tag] = map[string]string{}
		}
		for k, v := range m {
			raw[tag][k] = v
		}
	}
	verb := regexp.MustCompile(`%(?:\[(\d)\])?[sdvqf]`)
	verbs := func(s string) map[string]int {
		out := map[string]int{}
		n := 0
		for _, m := range verb.FindAllStringSubmatch(s, -1) {
			idx := m[1]
			if idx == "" {
				n++
				idx = string(rune('0' + n))
			}
			out[idx+m[0][len(m[0])-1:]]++
		}
		return out
	}
	same := func(a, b map[string]int) bool {
		if len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if b[k] != v {
				return false
			}
		}
		return true
	}
	en := raw["en"]
	for tag, m := range raw {
		for k, v := range m {
			base := k
			if pluralVariant(k) {
				base = k[:strings.LastIndex(k, ".")] + ".other"
			}
			ev, ok := en[base]
			if !ok {
				continue
			}
			if !same(verbs(ev), verbs(v)) {
				t.Errorf("%s %q takes other arguments than English: %q against %q", tag, k, v, ev)
			}
		}
	}
	forms := map[string][]string{"en": {"one", "other"}, "kk": {"one", "other"}, "ru": {"one", "few", "many"}}
	for k := range en {
		if !strings.HasSuffix(k, ".other") {
			continue
		}
		base := strings.TrimSuffix(k, ".other")
		if _, plural := en[base+".one"]; !plural {
			continue // a data key ending in "other" (the incident category)
		}
		for tag, need := range forms {
			for _, f := range need {
				if _, ok := raw[tag][base+"."+f]; !ok {
					t.Errorf("%s lacks the plural form %s.%s", tag, base, f)
				}
			}
		}
	}
	copied := 0
	for k, v := range raw["kk"] {
		if en[k] == v && strings.ContainsAny(v, "abcdefghijklmnopqrstuvwxyz") {
			copied++
		}
	}
	if copied > len(raw["kk"])/20 {
		t.Errorf("%d of %d Kazakh messages are the English text", copied, len(raw["kk"]))
	}
}

package recommend

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestFinalDraft(t *testing.T) {
	ds := demo(t)
	d, err := BuildDraft(context.Background(), ds, "kz-2023-parliamentary-eom", FinalDraft,
		Sources{Results: fakeResults{"kz-2023": {Stations: 10, WithOfficial: 10, WithFinal: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	var recs int
	var fu *Section
	for _, s := range d.Sections {
		if s.FollowUp != nil {
			fu = s
			continue
		}
		recs += len(s.Recommendations)
	}
	if recs != 32 {
		t.Errorf("the 2023 final report's %d recommendations, want 32", recs)
	}
	if fu == nil || fu.FollowUp.Summary.Counts != (Counts{Fully: 3, Mostly: 3, Partially: 24, Not: 6}) || len(fu.Recommendations) != 36 {
		t.Fatalf("follow-up annex %+v", fu)
	}
	// The demo assessed disaggregated results as partially implemented;
	// the results core says every station is published: the annex shows both.
	var found bool
	for _, r := range fu.Recommendations {
		if strings.Contains(r.Text, "disaggregated") {
			found = strings.Contains(r.Note, "vigil's evidence suggests fully implemented: official results are held for 10 of 10")
		}
	}
	if !found {
		t.Error("the annex does not show the proposal that differs from the assessment")
	}
	if len(fu.Paragraphs) != 1 || !strings.HasPrefix(fu.Paragraphs[0], "Of 36 prior recommendations, 3 were fully implemented") {
		t.Errorf("the annex's follow-up sentence: %q", fu.Paragraphs)
	}
}

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

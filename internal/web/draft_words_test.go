package web

import (
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/recommend"
)

// TestDraftIndicatorsAgree: the drafts (package recommend, which the
// command line also uses) name the observation's indicators and phases as
// the portal's statement does, in every language of both.
func TestDraftIndicatorsAgree(t *testing.T) {
	ls, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, lang := range recommend.DraftLangs {
		c := ls.byTag[lang]
		if c == nil {
			t.Fatalf("the portal has no %s catalogue, the drafts have", lang)
		}
		for key, text := range c.msgs {
			var draftKey string
			switch {
			case strings.HasPrefix(key, "indicator.overall_"):
				continue // the overall ratings are counted as assessed.<phase>
			case strings.HasPrefix(key, "indicator."):
				draftKey = "ind." + strings.TrimPrefix(key, "indicator.")
			case strings.HasPrefix(key, "stmt.phase."):
				draftKey = "phase." + strings.TrimPrefix(key, "stmt.phase.")
			case strings.HasPrefix(key, "stmt.assessed."):
				draftKey = "assessed." + strings.TrimPrefix(key, "stmt.assessed.")
			default:
				continue
			}
			checked++
			if !recommend.HasWords(draftKey) {
				t.Errorf("the drafts have no %q (the portal's %q)", draftKey, key)
				continue
			}
			if got := recommend.Say(lang, recommend.P(draftKey)); got != text {
				t.Errorf("%s %s: the draft says %q, the portal %q", lang, draftKey, got, text)
			}
		}
	}
	if checked < 3*30 {
		t.Errorf("only %d names compared", checked)
	}
}

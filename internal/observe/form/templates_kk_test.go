package form

import (
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

// TestTemplatesInKazakh checks that every label an observer reads in the
// default templates (form names, questions, hints, choices, protocol
// lines) has its Kazakh, and that In picks it.
func TestTemplatesInKazakh(t *testing.T) {
	e := &election.Election{Options: []election.Option{{Position: 0, Name: "A"}}}
	check := func(where string, l Label) {
		if l.EN != "" && l.KK == "" {
			t.Errorf("%s: %q has no Kazakh", where, l.EN)
		}
	}
	for _, f := range Templates() {
		f = BindElection(f, e)
		check(f.ID, f.Name)
		for _, q := range f.Questions {
			check(f.ID+"/"+q.ID, q.Label)
			check(f.ID+"/"+q.ID+" hint", q.Hint)
			for _, c := range q.Options() {
				check(f.ID+"/"+q.ID+"="+c.Value, c.Label)
			}
			for _, it := range q.Items {
				check(f.ID+"/"+q.ID+"."+it.ID, it.Label)
			}
		}
	}
	if got := YesNoChoices[0].Label.In("kk"); got != "Иә" {
		t.Errorf("yes in Kazakh: %q", got)
	}
	if got := (Label{EN: "x", RU: "y"}).In("kk-KZ"); got != "x" {
		t.Errorf("a label without Kazakh: %q, want the English", got)
	}
}

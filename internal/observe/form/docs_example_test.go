package form

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestDocsChecklist: docs/forms.md's worked example (its survey and
// choices tables, parsed from the document) imports, and the report shown
// there is valid.
func TestDocsChecklist(t *testing.T) {
	raw, err := os.ReadFile("../../../docs/forms.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, "### Worked example")
	if start < 0 {
		t.Fatal("no worked example in docs/forms.md")
	}
	doc = doc[start:]
	table := func(after string) [][]string {
		i := strings.Index(doc, after)
		if i < 0 {
			t.Fatalf("no %q", after)
		}
		var rows [][]string
		for _, line := range strings.Split(doc[i:], "\n")[1:] {
			line = strings.TrimSpace(line)
			if line == "" && len(rows) > 0 {
				break
			}
			if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
				continue
			}
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for k := range cells {
				cells[k] = strings.TrimSpace(cells[k])
			}
			rows = append(rows, cells)
		}
		return rows
	}
	survey, choices := table("**survey**"), table("**choices**")
	settings := [][]string{{"form_title", "form_id", "default_language", "instance_name", "phase", "sms_prefix"},
		{"Voting checklist", "odihr_voting", "English (en)", "concat(${station}, ' ', ${arrival})", "voting", "VO"}}
	f, err := FromXLSFormRows(survey, choices, settings)
	if err != nil {
		t.Fatal(err)
	}
	if q := f.Question("station"); q == nil || q.ChoiceFilter != "district = ${district}" || q.Label.KK != "Сайлау учаскесі" {
		t.Errorf("station %+v", q)
	}
	i := strings.Index(doc, "```json")
	j := strings.Index(doc[i+7:], "```")
	var a Answers
	if err := json.Unmarshal([]byte(doc[i+7:i+7+j]), &a); err != nil {
		t.Fatal(err)
	}
	if errs := Validate(f, a); len(errs) > 0 {
		t.Errorf("the documented report: %v", errs)
	}
	if f.Indicators(a)[IndBallotBoxStuffing] {
		t.Error("stuffing flagged though the report says no")
	}
}

package form

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form/formtest"
)

// The voting checklist's sheets (formtest.XLSSurvey): the workbook tests
// of package form/xlsform read the same rows.
var (
	xlsSurvey   = formtest.XLSSurvey()
	xlsChoices  = formtest.XLSChoices()
	xlsSettings = formtest.XLSSettings()
)

func TestFromXLSFormRows(t *testing.T) {
	f, err := FromXLSFormRows(xlsSurvey, xlsChoices, xlsSettings)
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != "mission_voting" || f.Version != "2026112301" || f.Name.EN != "Mission voting" || f.Phase != Voting || f.Prefix != "MV" {
		t.Errorf("form %+v", f)
	}
	var ids []string
	for _, q := range f.Questions {
		ids = append(ids, q.ID)
	}
	if strings.Join(ids, " ") != "station sealed overall problems kind share comment arrival day photo thanks voters odd" {
		t.Errorf("questions %v", ids)
	}
	st := f.Question("station")
	if st.Type != Integer || !st.Required || st.Min == nil || *st.Min != 1 || st.Max != nil || st.Constraint != "" || st.SMS != "AA" || st.Label.RU != "Участок" {
		t.Errorf("station %+v", st)
	}
	if q := f.Question("sealed"); q.Type != YesNo || q.Group != "procedures" || q.Indicator != IndBallotBoxesNotSealed || q.Flag != "no" || !q.Required {
		t.Errorf("sealed %+v", q)
	}
	if q := f.Question("overall"); q.Type != Assessment {
		t.Errorf("overall %+v", q)
	}
	if q := f.Question("problems"); q.Type != MultipleChoice || q.Group != "procedures/inner" || q.Relevant != "${sealed} = 'no'" || len(q.Choices) != 2 || q.Choices[1].Code != 2 {
		t.Errorf("problems %+v", q)
	}
	if q := f.Question("kind"); q.Type != SingleChoice || q.Group != "" || q.Choices[1].Label.RU != "Б" || q.List != "kind" {
		t.Errorf("kind %+v", q)
	}
	if q := f.Question("voters"); *q.Min != 0 || *q.Max != 4999 {
		t.Errorf("voters %+v", q)
	}
	if q := f.Question("odd"); q.Min != nil || q.Constraint != ". mod 2 = 1" {
		t.Errorf("odd %+v", q)
	}
	for id, typ := range map[string]Type{"share": Decimal, "comment": Text, "arrival": Time, "day": Date, "photo": Photo, "thanks": Note} {
		if f.Question(id).Type != typ {
			t.Errorf("%s: %s, want %s", id, f.Question(id).Type, typ)
		}
	}
	// The imported form exports, and its XForm resolves ${sealed}.
	doc, err := ExportXForm(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte(`relevant=" /data/procedures/sealed  = 'no'"`)) {
		t.Errorf("relevance not resolved:\n%s", doc)
	}
}

func TestXLSFormDefaultLanguage(t *testing.T) {
	survey := [][]string{{"type", "name", "label", "label::English"}, {"text", "q", "Вопрос", "Question"}}
	settings := [][]string{{"form_id", "default_language"}, {"ru_form", "Russian (ru)"}}
	f, err := FromXLSFormRows(survey, nil, settings)
	if err != nil {
		t.Fatal(err)
	}
	if l := f.Questions[0].Label; l.EN != "Question" || l.RU != "Вопрос" {
		t.Errorf("label %+v", l)
	}
	// Any language: one vigil does not know is kept by its name.
	settings[1][1] = "Klingon"
	f, err = FromXLSFormRows(survey, nil, settings)
	if err != nil {
		t.Fatal(err)
	}
	if l := f.Questions[0].Label; l.EN != "Question" || l.Other["Klingon"] != "Вопрос" || l.In("Klingon") != "Вопрос" {
		t.Errorf("label %+v", l)
	}
	if !slices.Equal(f.Languages, []string{"Klingon", "English"}) {
		t.Errorf("languages %q", f.Languages)
	}
}

func TestXLSFormErrors(t *testing.T) {
	settings := [][]string{{"form_id"}, {"f"}}
	cases := []struct {
		survey, choices [][]string
		want            string
	}{
		{[][]string{{"type", "name", "label"}, {"geotrace", "where", "Where"}}, nil,
			`xlsform: sheet survey, row 2, column "type": type "geotrace": lines on a map are not supported`},
		{[][]string{{"type", "name", "label"}, {"text", "a", "A"}, {"colour", "c", "C"}}, nil,
			`xlsform: sheet survey, row 3, column "type": unknown type "colour"`},
		{[][]string{{"type", "name", "label"}, {"begin repeat", "r", "R"}}, nil, `row 2, column "type": repeat "r" is never closed (end repeat missing)`},
		{[][]string{{"type", "name", "label"}, {"select_one nolist", "a", "A"}}, nil, `row 2, column "type": choice list "nolist" is not on the choices sheet`},
		{[][]string{{"type", "name", "label"}, {"select_one", "a", "A"}}, nil, `type "select_one": want the select type followed by a choice list name`},
		{[][]string{{"type", "name", "label"}, {"select_one l or_other", "a", "A"}, {"text", "a_other", "B"}}, [][]string{{"list_name", "name"}, {"l", "x"}}, `row 3, column "name": duplicate name "a_other"`},
		{[][]string{{"type", "name", "label"}, {"select_one_from_file l.csv", "a", "A"}}, nil, `type "select_one_from_file l.csv": choices from an attached file are not supported`},
		{[][]string{{"type", "name", "label"}, {"select_one_external l", "a", "A"}}, nil, `external selects are not supported`},
		{[][]string{{"type", "name", "label"}, {"calculate", "c", ""}}, nil, `row 2, column "calculation": calculate "c" has no calculation`},
		{[][]string{{"type", "name", "label", "parameters"}, {"range", "r", "R", "start=1 end=5 step=0"}}, nil, `row 2, column "parameters": range "r": range step 0 must be above zero`},
		{[][]string{{"type", "name", "label", "save_to"}, {"text", "a", "A", "x"}}, nil, `row 2, column "save_to": entities (save_to) are not supported`},
		{[][]string{{"type", "name", "label"}, {"begin repeat", "r", "R"}, {"text", "a", "A"}, {"end group"}}, nil, `row 4, column "type": end group closes the repeat "r" begun at row 2`},
		{[][]string{{"type", "name", "label", "choice_filter"}, {"text", "a", "A", "x = 1"}}, nil, `row 2, column "choice_filter": choice_filter on a text question`},
		{[][]string{{"type", "name", "label"}, {"text", "1a", "A"}}, nil, `row 2, column "name": question name "1a" is not a valid identifier`},
		{[][]string{{"type", "name", "label"}, {"text", "a", "A"}, {"text", "a", "B"}}, nil, `row 3, column "name": duplicate name "a"`},
		{[][]string{{"type", "name", "label", "required"}, {"text", "a", "A", "${b} = 1"}}, nil, `row 2, column "required": ${b} names no question or group of the form`},
		{[][]string{{"type", "name", "label::English (en)"}, {"text", "a", "Say ${nobody}"}}, nil, `row 2, column "label::English (en)": ${nobody} names no question or group`},
		{[][]string{{"type", "name", "label"}, {"text", "a", ""}}, nil, `row 2, column "label": question "a" has no label`},
		{[][]string{{"type", "name", "label"}, {"begin group", "g", "G"}, {"text", "a", "A"}}, nil, `row 2, column "type": group "g" is never closed`},
		{[][]string{{"type", "name", "label"}, {"end group"}}, nil, `row 2, column "type": end group without a beginning`},
		{[][]string{{"type", "name", "label"}, {"", "orphan"}}, nil, `row 2, column "type": question "orphan" has no type`},
		{[][]string{{"name", "label"}}, nil, `sheet survey, row 1, column "type": column missing`},
		{nil, nil, `sheet survey: sheet missing or empty`},
		{[][]string{{"type", "name", "label"}, {"text", "a", "A"}}, [][]string{{"list_name", "name"}, {"l", "x y"}}, `sheet choices, row 2, column "name": choice name "x y"`},
		{[][]string{{"type", "name", "label"}, {"text", "a", "A"}}, [][]string{{"list_name", "name"}, {"l", "x"}, {"l", "x"}}, `sheet choices, row 3, column "name": duplicate choice "x" in list l`},
		{[][]string{{"type", "name", "label", "sms"}, {"text", "a", "A", "AA"}}, nil, `text question cannot carry an SMS tag`},
	}
	for _, c := range cases {
		_, err := FromXLSFormRows(c.survey, c.choices, settings)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v\nwant …%s…", err, c.want)
		}
	}
	if _, err := FromXLSFormRows([][]string{{"type", "name", "label"}, {"text", "a", "A"}}, nil, nil); err == nil || !strings.Contains(err.Error(), "form_id missing") {
		t.Errorf("missing form_id: %v", err)
	}
}

// FuzzXLSForm fuzzes the sheet-row layer (an XLSX is a zip; fuzzing its
// bytes would mostly test the zip reader). The input is a tab/newline
// table per sheet, separated by form feeds.
func FuzzXLSForm(f *testing.F) {
	join := func(rows [][]string) string {
		var lines []string
		for _, r := range rows {
			lines = append(lines, strings.Join(r, "\t"))
		}
		return strings.Join(lines, "\n")
	}
	f.Add(join(xlsSurvey) + "\f" + join(xlsChoices) + "\f" + join(xlsSettings))
	f.Add("type\tname\tlabel\nbegin group\tg\tG\nend group\f\fform_id\nx")
	f.Add("type\tname\tlabel\tconstraint\ninteger\tn\tN\t. > 9223372036854775807\f\fform_id\nx")
	f.Add("type\tname\tlabel\nselect_multiple l\tm\tM\f list_name\tname\nl\ta\f")
	f.Fuzz(func(t *testing.T, s string) {
		parts := strings.SplitN(s, "\f", 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		var sheets [3][][]string
		for i, p := range parts {
			if p == "" {
				continue
			}
			for _, line := range strings.Split(p, "\n") {
				sheets[i] = append(sheets[i], strings.Split(line, "\t"))
			}
		}
		form, err := FromXLSFormRows(sheets[0], sheets[1], sheets[2])
		if err != nil {
			return
		}
		if err := form.Check(); err != nil {
			t.Fatalf("imported form fails Check: %v", err)
		}
		doc := XForm(form)
		// Every imported form's XForm is well-formed, and an empty
		// submission of it parses.
		if _, err := ParseSubmission(form, EncodeInstance(form, "uuid:x", nil)); err != nil {
			t.Fatalf("empty submission: %v\n%s", err, doc)
		}
		var n xmlNode
		if err := xmlUnmarshal(doc, &n); err != nil {
			t.Fatalf("XForm not well-formed: %v\n%s", err, doc)
		}
	})
}

func TestXLSFormRoundTrip(t *testing.T) {
	forms := []*Form{}
	for _, tmpl := range Templates() {
		forms = append(forms, BindElection(tmpl, testElection()))
	}
	imported, err := FromXLSFormRows(xlsSurvey, xlsChoices, xlsSettings)
	if err != nil {
		t.Fatal(err)
	}
	forms = append(forms, imported)
	for _, f := range forms {
		s, c, st := XLSFormRows(f)
		g, err := FromXLSFormRows(s, c, st)
		if err != nil {
			t.Fatalf("%s: %v", f.ID, err)
		}
		a, _ := json.Marshal(f)
		b, _ := json.Marshal(g)
		if string(a) != string(b) {
			t.Errorf("%s: round trip differs:\n%s\n%s", f.ID, a, b)
		}
	}
	// Through a real workbook: form/xlsform's TestWorkbookRoundTrip.
}

func TestXLSFormProtocolErrors(t *testing.T) {
	settings := [][]string{{"form_id"}, {"f"}}
	head := []string{"type", "name", "label", "protocol", "figure", "option", "sms"}
	cases := []struct {
		rows [][]string
		want string
	}{
		{[][]string{{"begin group", "p", "P", "yes"}, {"text", "x", "X"}, {"end group"}}, `row 3, column "type": type "text" inside the protocol block "p"`},
		{[][]string{{"begin group", "p", "P", "yes"}, {"integer", "x", "X", "", "turnout"}, {"end group"}}, `row 3, column "figure": unknown protocol figure "turnout"`},
		{[][]string{{"begin group", "p", "P", "yes"}, {"integer", "x", "X", "", "valid", "1"}, {"end group"}}, `column "option": a protocol line is a figure or an option's votes, not both`},
		{[][]string{{"begin group", "p", "P", "yes"}, {"integer", "x", "X", "", "", "0"}, {"end group"}}, `column "option": option "0"`},
		{[][]string{{"begin group", "p", "P", "yes"}, {"integer", "x", "X"}, {"end group"}}, `names neither a figure nor an option`},
		{[][]string{{"begin group", "p", "P", "yes"}, {"end group"}}, `row 3, column "type": protocol block "p" has no lines`},
		{[][]string{{"begin group", "p", "P", "yes"}, {"begin group", "q", "Q"}}, `a group inside the protocol block "p"`},
		{[][]string{{"begin group", "p", "P", "maybe"}}, `column "protocol": protocol "maybe"`},
		{[][]string{{"begin group", "p", "P", "yes"}, {"integer", "x", "X", "", "valid"}, {"integer", "x", "Y", "", "invalid"}, {"end group"}}, `row 4, column "name": duplicate protocol line "x"`},
	}
	for _, c := range cases {
		_, err := FromXLSFormRows(append([][]string{head}, c.rows...), nil, settings)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v\nwant …%s…", err, c.want)
		}
	}
	f, err := FromXLSFormRows([][]string{head, {"begin group", "res", "Results", "yes"},
		{"integer", "valid", "Valid", "", "valid", "", "pg"}, {"integer", "v1", "First", "", "", "1", "VA"}, {"end group"}}, nil, settings)
	if err != nil {
		t.Fatal(err)
	}
	q := f.Question("res")
	if q.Type != Protocol || len(q.Items) != 2 || q.Items[0].Figure != "valid" || q.Items[0].SMS != "PG" || !q.Items[1].IsVotes() || q.Items[1].Option != 0 {
		t.Errorf("protocol %+v", q)
	}
}

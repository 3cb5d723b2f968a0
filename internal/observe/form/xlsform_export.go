package form

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsSurveyHeader is the survey sheet vigil writes: XLSForm's columns and
// vigil's own (indicator, flag, sms, protocol, figure, option), which ODK
// tools ignore.
var xlsSurveyHeader = []string{
	"type", "name", "label::English (en)", "label::Russian (ru)", "hint::English (en)", "hint::Russian (ru)",
	"required", "constraint", "relevant", "indicator", "flag", "sms", "protocol", "figure", "option",
}

// XLSFormRows writes a form as the rows of XLSForm survey, choices and
// settings sheets, headers first: the inverse of FromXLSFormRows, so that a
// mission can edit a template in a spreadsheet and import it again.
// Protocol blocks are groups marked protocol=yes whose integer lines name a
// figure or an option (1 for the first on the ballot).
func XLSFormRows(f *Form) (survey, choices, settings [][]string) {
	survey = [][]string{xlsSurveyHeader}
	choices = [][]string{{"list_name", "name", "label::English (en)", "label::Russian (ru)", "sms_code"}}
	settings = [][]string{
		{"form_title", "form_title::Russian (ru)", "form_id", "version", "phase", "sms_prefix", "sms_comment"},
		{f.Name.EN, f.Name.RU, f.ID, f.Version, string(f.Phase), f.Prefix, f.SMSComment},
	}
	row := func(typ, name string, label, hint Label, rest ...string) {
		r := []string{typ, name, label.EN, label.RU, hint.EN, hint.RU}
		r = append(r, rest...)
		for len(r) < len(xlsSurveyHeader) {
			r = append(r, "")
		}
		survey = append(survey, r)
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return ""
	}
	lists := map[string][]Choice{}
	addList := func(name string, cs []Choice) {
		if _, done := lists[name]; done {
			return
		}
		lists[name] = cs
		for _, c := range cs {
			code := ""
			if c.Code != 0 {
				code = strconv.Itoa(c.Code)
			}
			choices = append(choices, []string{name, c.Value, c.Label.EN, c.Label.RU, code})
		}
	}
	var open []string
	for i := range f.Questions {
		q := &f.Questions[i]
		var want []string
		if q.Group != "" {
			want = strings.Split(q.Group, "/")
		}
		k := 0
		for k < len(open) && k < len(want) && open[k] == want[k] {
			k++
		}
		for j := len(open) - 1; j >= k; j-- {
			row("end group", "", Label{}, Label{})
		}
		for _, g := range want[k:] {
			row("begin group", g, Label{EN: g}, Label{})
		}
		open = want
		var typ string
		switch q.Type {
		case Protocol:
			row("begin group", q.ID, q.Label, q.Hint, yes(q.Required), "", q.Relevant, q.Indicator, "", "", "yes")
			for _, it := range q.Items {
				opt := ""
				if it.IsVotes() {
					opt = strconv.Itoa(it.Option + 1)
				}
				row("integer", it.ID, it.Label, Label{}, "", "", "", "", "", it.SMS, "", it.Figure, opt)
			}
			row("end group", "", Label{}, Label{})
			continue
		case YesNo:
			typ = "select_one yes_no"
			addList("yes_no", YesNoChoices)
		case Assessment:
			typ = "select_one assessment"
			addList("assessment", AssessmentChoices)
		case SingleChoice, MultipleChoice:
			list := q.List
			if list == "" {
				list = q.ID
			}
			if prev, ok := lists[list]; ok && !slices.EqualFunc(prev, q.Choices, Choice.Equal) {
				// Another question's list of the same name: keep both.
				list = q.ID + "_choices"
			}
			typ = string(q.Type) + " " + list
			addList(list, q.Choices)
		case Photo:
			typ = "image"
		default:
			typ = string(q.Type)
		}
		row(typ, q.ID, q.Label, q.Hint, yes(q.Required), xlsConstraint(q), q.Relevant, q.Indicator, q.Flag, q.SMS)
	}
	for range open {
		row("end group", "", Label{}, Label{})
	}
	return survey, choices, settings
}

func xlsConstraint(q *Question) string {
	var parts []string
	if q.Min != nil {
		parts = append(parts, ". >= "+strconv.FormatInt(*q.Min, 10))
	}
	if q.Max != nil {
		parts = append(parts, ". <= "+strconv.FormatInt(*q.Max, 10))
	}
	if q.Constraint != "" {
		if len(parts) > 0 {
			parts = append(parts, "("+q.Constraint+")")
		} else {
			parts = append(parts, q.Constraint)
		}
	}
	return strings.Join(parts, " and ")
}

// ExportXLSForm writes a form as an XLSForm workbook (.xlsx) with survey,
// choices and settings sheets; ImportXLSForm reads it back.
func ExportXLSForm(f *Form) ([]byte, error) {
	survey, choices, settings := XLSFormRows(f)
	wb := excelize.NewFile()
	defer wb.Close()
	sheets := []struct {
		name string
		rows [][]string
	}{{"survey", survey}, {"choices", choices}, {"settings", settings}}
	for i, sh := range sheets {
		if i == 0 {
			if err := wb.SetSheetName(wb.GetSheetName(0), sh.name); err != nil {
				return nil, err
			}
		} else if _, err := wb.NewSheet(sh.name); err != nil {
			return nil, err
		}
		for r, cells := range sh.rows {
			vals := make([]any, len(cells))
			for c, v := range cells {
				vals[c] = v
			}
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return nil, err
			}
			if err := wb.SetSheetRow(sh.name, cell, &vals); err != nil {
				return nil, fmt.Errorf("xlsform: sheet %s row %d: %w", sh.name, r+1, err)
			}
		}
		// Declare the used range: excelize leaves <dimension ref="A1">,
		// and pyxform (through openpyxl's read-only mode) trusts it.
		cols := 1
		for _, cells := range sh.rows {
			cols = max(cols, len(cells))
		}
		end, err := excelize.CoordinatesToCellName(cols, max(len(sh.rows), 1))
		if err != nil {
			return nil, err
		}
		if err := wb.SetSheetDimension(sh.name, "A1:"+end); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

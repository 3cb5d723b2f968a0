package form

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// LangNames returns the form's languages by their XLSForm names, default
// first: an imported form's own, else English and Russian (and Kazakh when
// any text has it), the languages of vigil's templates.
func (f *Form) LangNames() []string {
	if len(f.Languages) > 0 {
		return f.Languages
	}
	out := []string{"English (en)", "Russian (ru)"}
	if f.hasKazakh() {
		out = append(out, "Kazakh (kk)")
	}
	return out
}

func (f *Form) hasKazakh() bool {
	if f.Name.KK != "" {
		return true
	}
	for _, q := range f.Questions {
		if q.Label.KK != "" || q.Hint.KK != "" {
			return true
		}
		for _, c := range q.Choices {
			if c.Label.KK != "" {
				return true
			}
		}
		for _, it := range q.Items {
			if it.Label.KK != "" {
				return true
			}
		}
	}
	for _, g := range f.Groups {
		if g.Label.KK != "" {
			return true
		}
	}
	return false
}

// textIn returns a label's own text in a language named as XLSForm names
// it, without falling back to English ("" when it has none).
func textIn(l Label, name string) string {
	switch LangCode(name) {
	case "en":
		return l.EN
	case "ru":
		return l.RU
	case "kk":
		return l.KK
	}
	return l.Other[name]
}

// xlsSheet builds a sheet whose columns are those some row fills in, in a
// fixed order.
type xlsSheet struct {
	order []string // candidate columns, in order
	rows  []map[string]string
}

func (s *xlsSheet) add(r map[string]string) { s.rows = append(s.rows, r) }

func (s *xlsSheet) grid(always ...string) [][]string {
	var head []string
	for _, c := range s.order {
		used := slices.Contains(always, c)
		for _, r := range s.rows {
			used = used || r[c] != ""
		}
		if used {
			head = append(head, c)
		}
	}
	out := [][]string{head}
	for _, r := range s.rows {
		row := make([]string, len(head))
		for i, c := range head {
			row[i] = r[c]
		}
		out = append(out, row)
	}
	return out
}

// putText writes a label's languages into a row as field::Language columns.
func putText(r map[string]string, field string, l Label, langs []string) {
	for _, name := range langs {
		if s := textIn(l, name); s != "" {
			r[field+"::"+name] = s
		}
	}
}

func yesCell(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// XLSFormRows writes a form as the rows of XLSForm survey, choices and
// settings sheets, headers first: the inverse of FromXLSFormRows, so that a
// mission can edit a template in a spreadsheet and import it again, and a
// workbook pyxform converts to the same form. Protocol blocks are groups
// marked protocol=yes whose integer lines name a figure or an option (1
// for the first on the ballot). Only the columns some row uses are
// written.
func XLSFormRows(f *Form) (survey, choices, settings [][]string) {
	langs := f.LangNames()
	tr := func(field string) []string {
		out := make([]string, len(langs))
		for i, n := range langs {
			out[i] = field + "::" + n
		}
		return out
	}
	sv := &xlsSheet{order: slices.Concat([]string{"type", "name"}, tr("label"), tr("hint"), tr("guidance_hint"),
		[]string{"required"}, tr("required_message"), []string{"constraint"}, tr("constraint_message"),
		[]string{"relevant", "calculation", "default", "readonly", "choice_filter", "appearance", "parameters", "repeat_count"},
		tr("media::image"), []string{"indicator", "flag", "sms", "protocol", "figure", "option"})}
	ch := &xlsSheet{order: slices.Concat([]string{"list_name", "name"}, tr("label"), tr("media::image"), []string{"sms_code"})}
	extra := map[string]bool{}

	lists := map[string][]Choice{}
	addList := func(name string, cs []Choice) {
		if _, done := lists[name]; done {
			return
		}
		lists[name] = cs
		for _, c := range cs {
			r := map[string]string{"list_name": name, "name": c.Value}
			putText(r, "label", c.Label, langs)
			putText(r, "media::image", c.Image, langs)
			if c.Code != 0 {
				r["sms_code"] = strconv.Itoa(c.Code)
			}
			for k, v := range c.Extra {
				r[k] = v
				extra[k] = true
			}
			ch.add(r)
		}
	}
	groupRow := func(path string, begin bool) {
		g := f.Group(path)
		kind := "group"
		if g != nil && g.Repeat {
			kind = "repeat"
		}
		if !begin {
			sv.add(map[string]string{"type": "end " + kind})
			return
		}
		r := map[string]string{"type": "begin " + kind, "name": path[strings.LastIndex(path, "/")+1:]}
		if g != nil {
			putText(r, "label", g.Label, langs)
			r["relevant"], r["appearance"], r["repeat_count"] = g.Relevant, g.Appearance, g.RepeatCount
		}
		sv.add(r)
	}
	var open []string
	for i := range f.Questions {
		q := &f.Questions[i]
		if q.OtherOf != "" {
			continue // or_other's text, written by the select's "or_other"
		}
		var want []string
		if q.Group != "" {
			want = strings.Split(q.Group, "/")
		}
		k := 0
		for k < len(open) && k < len(want) && open[k] == want[k] {
			k++
		}
		for j := len(open) - 1; j >= k; j-- {
			groupRow(strings.Join(open[:j+1], "/"), false)
		}
		for j := k; j < len(want); j++ {
			groupRow(strings.Join(want[:j+1], "/"), true)
		}
		open = want
		r := map[string]string{"name": q.ID, "required": yesCell(q.Required), "relevant": q.Relevant,
			"indicator": q.Indicator}
		putText(r, "label", q.Label, langs)
		putText(r, "hint", q.Hint, langs)
		if q.Type == Protocol {
			// A required block is required line by line, as the XForm
			// binds it (pyxform would put "required" on the group).
			r["type"], r["protocol"], r["required"] = "begin group", "yes", ""
			sv.add(r)
			for _, it := range q.Items {
				lr := map[string]string{"type": "integer", "name": it.ID, "sms": it.SMS, "figure": it.Figure,
					"required": yesCell(q.Required), "constraint": ". >= 0"}
				putText(lr, "label", it.Label, langs)
				if it.IsVotes() {
					lr["option"] = strconv.Itoa(it.Option + 1)
				}
				sv.add(lr)
			}
			sv.add(map[string]string{"type": "end group"})
			continue
		}
		if q.RequiredIf != "" {
			r["required"] = q.RequiredIf
		}
		putText(r, "guidance_hint", q.Guidance, langs)
		putText(r, "required_message", q.RequiredMsg, langs)
		putText(r, "constraint_message", q.ConstraintMsg, langs)
		putText(r, "media::image", q.Image, langs)
		r["constraint"], r["flag"], r["sms"] = xlsConstraint(q), q.Flag, q.SMS
		r["calculation"], r["default"], r["readonly"] = q.Calculation, q.Default, yesCell(q.ReadOnly)
		r["choice_filter"], r["appearance"], r["parameters"] = q.ChoiceFilter, q.Appearance, q.Parameters
		switch q.Type {
		case YesNo:
			r["type"] = "select_one yes_no"
			addList("yes_no", YesNoChoices)
		case Assessment:
			r["type"] = "select_one assessment"
			addList("assessment", AssessmentChoices)
		case SingleChoice, MultipleChoice:
			cs := q.Choices
			if q.OrOther && len(cs) > 0 && cs[len(cs)-1].Value == "other" {
				cs = cs[:len(cs)-1] // or_other adds it again
			}
			list := q.List
			if list == "" {
				list = q.ID
			}
			if prev, ok := lists[list]; ok && !slices.EqualFunc(prev, cs, Choice.Equal) {
				// Another question's list of the same name: keep both.
				list = q.ID + "_choices"
			}
			r["type"] = string(q.Type) + " " + list
			if q.OrOther {
				r["type"] += " or_other"
			}
			addList(list, cs)
		case Photo:
			r["type"] = "image"
		default:
			r["type"] = string(q.Type)
		}
		sv.add(r)
	}
	for j := len(open) - 1; j >= 0; j-- {
		groupRow(strings.Join(open[:j+1], "/"), false)
	}
	ch.order = append(ch.order, slices.Sorted(maps.Keys(extra))...)

	// Settings: the title in the default language (pyxform reads no
	// translated form_title); vigil keeps the other languages' titles in
	// its own vigil_title[Language] columns, which pyxform ignores.
	st := &xlsSheet{order: []string{"form_title", "form_id", "version", "default_language", "instance_name",
		"allow_choice_duplicates", "phase", "sms_prefix", "sms_comment"}}
	sr := map[string]string{"form_title": textIn(f.Name, langs[0]), "form_id": f.ID, "version": f.Version,
		"instance_name": f.InstanceName, "allow_choice_duplicates": yesCell(f.AllowChoiceDuplicates),
		"phase": string(f.Phase), "sms_prefix": f.Prefix, "sms_comment": f.SMSComment}
	if sr["form_title"] == "" {
		sr["form_title"] = f.Name.EN
	}
	if len(f.Languages) > 0 {
		sr["default_language"] = f.Languages[0]
	}
	for _, n := range langs[1:] {
		st.order = append(st.order, "vigil_title["+n+"]")
		sr["vigil_title["+n+"]"] = textIn(f.Name, n)
	}
	st.add(sr)
	return sv.grid("type", "name"), ch.grid("list_name", "name"), st.grid("form_title", "form_id", "version")
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

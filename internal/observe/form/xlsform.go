package form

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// XLSFormError is a problem at one place of an XLSForm: the sheet, the row
// as the spreadsheet numbers it (the header is row 1) and the column
// (header name), when known.
type XLSFormError struct {
	Sheet  string
	Row    int
	Column string
	Msg    string
}

// Error renders the problem with its place in the workbook.
func (e *XLSFormError) Error() string {
	var b strings.Builder
	b.WriteString("xlsform: sheet ")
	b.WriteString(e.Sheet)
	if e.Row > 0 {
		fmt.Fprintf(&b, ", row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	return b.String() + ": " + e.Msg
}

// XLSFormErrors are every problem of a workbook, in sheet and row order:
// a mission fixes them all at once rather than one upload at a time.
type XLSFormErrors []*XLSFormError

// Error renders the problems one a line.
func (es XLSFormErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each problem.
func (es XLSFormErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems collects a workbook's problems.
type problems struct{ list XLSFormErrors }

func (p *problems) add(sheet string, row int, col, format string, a ...any) {
	p.list = append(p.list, &XLSFormError{Sheet: sheet, Row: row, Column: col, Msg: fmt.Sprintf(format, a...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}

// XLSForm metadata types, recognised and skipped: the server records the
// submission's own metadata, and none of these is an observation.
var xlsMetaTypes = map[string]bool{
	"start": true, "end": true, "today": true, "deviceid": true, "imei": true, "phonenumber": true,
	"username": true, "email": true, "simserial": true, "subscriberid": true, "audit": true,
	"start-geopoint": true, "uri:username": true, "uri:email": true, "uri:phonenumber": true,
	"uri:deviceid": true, "uri:simserial": true, "uri:subscriberid": true,
	// pyxform's legacy spellings of the same.
	"get start time": true, "get end time": true, "get today": true, "get sim id": true, "get phone number": true,
	"device id": true, "subscriber id": true, "sim id": true, "end time": true, "start time": true,
}

// Legacy and alternative spellings of the types vigil runs (pyxform's
// question_type_dictionary), by normType.
var xlsTypeAliases = map[string]Type{
	"integer": Integer, "int": Integer, "q int": Integer, "add integer prompt": Integer,
	"decimal": Decimal, "q decimal": Decimal, "add decimal prompt": Decimal,
	"text": Text, "string": Text, "q string": Text, "add text prompt": Text,
	"time": Time, "q time": Time, "add time prompt": Time,
	"date": Date, "q date": Date, "add date prompt": Date,
	"image": Photo, "photo": Photo, "q image": Photo, "q picture": Photo, "add image prompt": Photo, "add photo prompt": Photo,
	"note": Note, "q note": Note, "add note prompt": Note,
	"calculate": Calculate, "q calculate": Calculate, "add calculate prompt": Calculate,
	"geopoint": Geopoint, "location": Geopoint, "gps": Geopoint, "q geopoint": Geopoint, "q location": Geopoint, "add location prompt": Geopoint,
	"acknowledge": Acknowledge, "q acknowledge": Acknowledge, "add acknowledge prompt": Acknowledge,
	"range": Range,
	// pyxform's "phone number": text of digits only.
	"phone number": Text,
}

// XLSForm types vigil knows but does not run, with the reason. docs/forms.md
// has the same table.
var xlsUnsupported = map[string]string{
	"begin loop":                "loops over a choice list are not supported; use a repeat",
	"include":                   "include is not supported (pyxform itself refuses it); copy the rows in",
	"geotrace":                  "lines on a map are not supported; use geopoint",
	"geoshape":                  "shapes on a map are not supported; use geopoint",
	"barcode":                   "barcodes are not supported; use text",
	"audio":                     "audio is not supported; use image or text",
	"background-audio":          "background audio recording is not supported",
	"video":                     "video is not supported; use image or text",
	"file":                      "file uploads are not supported; use image",
	"rank":                      "rank is not supported; use select_multiple or several select_one",
	"datetime":                  "dateTime is not supported; use date and time",
	"hidden":                    "hidden is not supported; use calculate",
	"trigger":                   "trigger is not supported; use acknowledge",
	"xml-external":              "external XML data is not supported: vigil takes no data files with a form (its form media are pictures and its own station lists)",
	"csv-external":              "external CSV data is not supported: vigil takes no data files with a form (its form media are pictures and its own station lists)",
	"select_one_from_file":      "choices from an attached file are not supported: vigil takes no data files with a form (its form media are pictures and its own station lists); put the choices on the choices sheet (choice_filter for cascades)",
	"select_multiple_from_file": "choices from an attached file are not supported: vigil takes no data files with a form (its form media are pictures and its own station lists); put the choices on the choices sheet (choice_filter for cascades)",
	"select_one_external":       "external selects are not supported: their choices come from an attached CSV file and vigil takes no data files with a form (its form media are pictures and its own station lists); put the choices on the choices sheet and use choice_filter",
	"osm":                       "OpenStreetMap questions are not supported",
	"start-geopoint-audit":      "location auditing is not supported",
}

// Columns vigil does not carry, refused when a row fills them in (pyxform
// would act on them; dropping them would change the form).
var xlsUnsupportedColumns = map[string]string{
	"save_to":   "entities (save_to) are not supported: vigil stores observations, not entity lists",
	"trigger":   "trigger is not supported: recalculation on a question's change needs a client that runs it",
	"audio":     "audio media are not supported; use image",
	"video":     "video media are not supported; use image",
	"big-image": "big-image media are not supported; use image",
}

// Settings that change the meaning of every submission, refused.
var xlsUnsupportedSettings = map[string]string{
	"public_key":     "encrypted forms are not supported: vigil must read submissions to check and count them",
	"submission_url": "submission_url is not supported: submissions go to the vigil server the form came from",
}

// Translatable columns of the survey and choices sheets, by canonical name.
var xlsTranslatable = map[string]bool{
	"label": true, "hint": true, "guidance_hint": true, "image": true, "big-image": true,
	"audio": true, "video": true, "constraint_message": true, "required_message": true, "form_title": true,
}

// Column aliases (pyxform's aliases.py), lower case, to canonical names.
var xlsColumnAliases = map[string]string{
	"caption": "label", "relevance": "relevant", "read_only": "readonly",
	"constraining_message": "constraint_message", "jr:constraintmsg": "constraint_message",
	"calculate": "calculation", "requiredmsg": "required_message", "jr:requiredmsg": "required_message",
	"count": "repeat_count", "jr:count": "repeat_count", "command": "type", "tag": "name", "value": "name",
	"list name": "list_name", "set_form_title": "form_title", "set_form_id": "form_id", "id_string": "form_id",
	"title": "form_title",
}

// xlsColumn is one column of a sheet: its canonical field name and, for a
// translatable one, the language it is in ("" when the header names none).
type xlsColumn struct {
	index int
	field string
	lang  string
	head  string // as written
}

// parseHeader reads an XLSForm column header: "label", "label::English
// (en)", the legacy "label:English", "media::image::Kazakh (kk)",
// "bind::relevant", "body::appearance", aliases.
func parseHeader(h string) (field, lang string) {
	h = strings.TrimSpace(h)
	var parts []string
	if strings.Contains(h, "::") {
		parts = strings.Split(h, "::")
	} else if i := strings.Index(h, ":"); i > 0 && !strings.HasPrefix(strings.ToLower(h), "jr:") {
		parts = []string{h[:i], h[i+1:]}
	} else {
		parts = []string{h}
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	switch strings.ToLower(parts[0]) {
	case "bind", "control", "body", "media", "instance":
		if len(parts) > 1 {
			parts = parts[1:]
		}
	}
	field = strings.ToLower(parts[0])
	if a, ok := xlsColumnAliases[field]; ok {
		field = a
	}
	if len(parts) > 1 && xlsTranslatable[field] {
		lang = strings.Join(parts[1:], "::")
	} else if len(parts) > 1 {
		field = strings.ToLower(strings.Join(parts, "::"))
	}
	return field, lang
}

// xlsTable is one sheet: its columns and data rows.
type xlsTable struct {
	name string
	cols []xlsColumn
	rows [][]string
}

func newTable(name string, rows [][]string) *xlsTable {
	t := &xlsTable{name: name}
	if len(rows) == 0 {
		return t
	}
	for i, h := range rows[0] {
		if strings.TrimSpace(h) == "" {
			continue
		}
		field, lang := parseHeader(h)
		t.cols = append(t.cols, xlsColumn{index: i, field: field, lang: lang, head: strings.TrimSpace(h)})
	}
	t.rows = rows[1:]
	return t
}

// col finds an untranslated column by canonical name; nil when absent.
func (t *xlsTable) col(field string) *xlsColumn {
	for i := range t.cols {
		if t.cols[i].field == field && t.cols[i].lang == "" {
			return &t.cols[i]
		}
	}
	for i := range t.cols {
		if t.cols[i].field == field {
			return &t.cols[i]
		}
	}
	return nil
}

// head names a column for messages, its canonical name when absent.
func (t *xlsTable) head(field string) string {
	if c := t.col(field); c != nil {
		return c.head
	}
	return field
}

func (t *xlsTable) cell(row []string, field string) string {
	c := t.col(field)
	if c == nil || c.index >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[c.index])
}

// hasLangColumns reports whether a survey or choices header names a
// language ("label::English (en)").
func hasLangColumns(sheets ...[][]string) bool {
	for _, rows := range sheets {
		if len(rows) == 0 {
			continue
		}
		for _, h := range rows[0] {
			if field, lang := parseHeader(h); lang != "" && xlsTranslatable[field] {
				return true
			}
		}
	}
	return false
}

// setText puts a text into a label in the language XLSForm names so.
func setText(l *Label, name, s string) {
	if s == "" {
		return
	}
	switch LangCode(name) {
	case "en":
		l.EN = s
	case "ru":
		l.RU = s
	case "kk":
		l.KK = s
	default:
		if l.Other == nil {
			l.Other = map[string]string{}
		}
		l.Other[name] = s
	}
}

// langs are a workbook's languages: the default one (what untranslated
// columns are in) and every one a column names, in order of appearance.
type langs struct {
	def   string   // XLSForm name of the default language
	names []string // default first
}

func (l *langs) add(name string) {
	if !slices.Contains(l.names, name) {
		l.names = append(l.names, name)
	}
}

// text reads a translatable field of a row into a Label: each language's
// column into the label's language (English, Russian, Kazakh, or Other by
// its XLSForm name), an untranslated column into the default language.
// English falls back to the default language's text, then to any.
func (t *xlsTable) text(row []string, field string, ls *langs) Label {
	var l Label
	var fallback string
	for _, c := range t.cols {
		if c.field != field || c.index >= len(row) {
			continue
		}
		s := strings.TrimSpace(row[c.index])
		if s == "" {
			continue
		}
		name := c.lang
		if name == "" {
			name = ls.def
		}
		switch LangCode(name) {
		case "en":
			if l.EN == "" {
				l.EN = s
			}
		case "ru":
			if l.RU == "" {
				l.RU = s
			}
		case "kk":
			if l.KK == "" {
				l.KK = s
			}
		default:
			if l.Other == nil {
				l.Other = map[string]string{}
			}
			if _, ok := l.Other[name]; !ok {
				l.Other[name] = s
			}
		}
		if c.lang == "" || fallback == "" {
			fallback = s
		}
	}
	if l.EN == "" {
		l.EN = fallback
	}
	return l
}

var (
	boundRE   = regexp.MustCompile(`^\s*\.\s*(>=|<=|>|<)\s*(-?[0-9]+)\s*$`)
	andRE     = regexp.MustCompile(`\s+and\s+`)
	listArgRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
)

// bounds reads a constraint made only of bounds on "." ("
// . >= 0 and . <= 5000") into min and max; ok is false for anything else.
func bounds(c string) (lo, hi *int64, ok bool) {
	for _, part := range andRE.Split(c, -1) {
		m := boundRE.FindStringSubmatch(part)
		if m == nil {
			return nil, nil, false
		}
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			return nil, nil, false
		}
		switch m[1] {
		case ">":
			n++
			fallthrough
		case ">=":
			if lo == nil || n > *lo {
				lo = &n
			}
		case "<":
			n--
			fallthrough
		case "<=":
			if hi == nil || n < *hi {
				hi = &n
			}
		}
	}
	return lo, hi, true
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "no", "false", "false()", "0", "n":
		return false, true
	case "yes", "true", "true()", "1", "y":
		return true, true
	}
	return false, false
}

// FromXLSFormRows builds a form from the rows of an XLSForm's survey,
// choices and settings sheets (each with its header row first; choices and
// settings may be nil). This is the layer under the workbook reader
// (package form/xlsform, xlsform.Import), apart so that it can be tested
// and fuzzed without spreadsheets, and so that the form's types do not
// carry a spreadsheet library into every package that stores or reads
// them.
//
// It reads the XLSForm specification as pyxform implements it, as far as
// vigil runs it (docs/forms.md has the table): the question types, groups
// and repeats, relevance, constraints and requirements (conditional too)
// with their messages, calculations, defaults, choice filters, or_other,
// appearance, media::image, guidance hints, any number of languages, the
// settings form_id, version, form_title, default_language, instance_name
// and allow_choice_duplicates, and the legacy spellings of types and
// columns; and vigil's own columns indicator, flag, sms, protocol/figure/
// option and the settings phase, sms_prefix and sms_comment. What vigil
// cannot run is refused, and every problem of the workbook is returned at
// once (XLSFormErrors), each with its sheet, row and column.
func FromXLSFormRows(survey, choices, settings [][]string) (*Form, error) {
	return FromXLSFormRowsDefaultID(survey, choices, settings, "")
}

// FromXLSFormRowsDefaultID is FromXLSFormRows with the form id to take when
// the settings give none: pyxform takes the workbook file's name
// (xlsform.ImportFile passes it).
func FromXLSFormRowsDefaultID(survey, choices, settings [][]string, defaultID string) (*Form, error) {
	p := &problems{}
	f := &Form{Phase: Incident}
	ls := readXLSSettings(f, settings, p, hasLangColumns(survey, choices))
	if f.ID == "" {
		f.ID = defaultID
	}
	lists := readXLSChoices(choices, ls, f.AllowChoiceDuplicates, p)
	readXLSSurvey(f, survey, lists, ls, p)
	if f.ID == "" {
		p.add("settings", 0, "form_id", "form_id missing (vigil needs a stable form id)")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if f.Name.EN == "" {
		f.Name.EN = f.ID
	}
	// Languages are kept when they are not what a form without them has
	// (English and Russian, Kazakh when used): vigil's own forms round-trip
	// unchanged.
	if len(ls.names) > 0 && !slices.Equal(ls.names, f.LangNames()) {
		f.Languages = ls.names
	}
	if err := f.Check(); err != nil {
		return nil, fmt.Errorf("xlsform: %w", err)
	}
	f.EnsureVersion()
	return f, nil
}

// readXLSSettings reads the settings sheet into f and returns the
// workbook's languages, the default one set.
//
// Untranslated columns are in the default_language setting; without one,
// in English when no column names a language, and otherwise in the
// language pyxform calls "default", beside the named ones.
func readXLSSettings(f *Form, settings [][]string, p *problems, translated bool) *langs {
	ls := &langs{def: "English (en)"}
	if translated {
		ls.def = "default"
	}
	if len(settings) <= 1 {
		return ls
	}
	st := newTable("settings", settings)
	row := st.rows[0]
	if dl := st.cell(row, "default_language"); dl != "" {
		ls.def = dl
	}
	f.ID = st.cell(row, "form_id")
	f.Version = st.cell(row, "version")
	// The title is vigil's name of the form: English unless the default
	// language is set.
	titleLangs := &langs{def: ls.def}
	if ls.def == "default" {
		titleLangs.def = "English (en)"
	}
	f.Name = st.text(row, "form_title", titleLangs)
	f.InstanceName = st.cell(row, "instance_name")
	// vigil's own title columns for the other languages: pyxform takes no
	// translated form_title, and ignores these.
	for _, c := range st.cols {
		lang, ok := strings.CutPrefix(c.head, "vigil_title[")
		if !ok || !strings.HasSuffix(lang, "]") || c.index >= len(row) {
			continue
		}
		title := Label{}
		setText(&title, strings.TrimSuffix(lang, "]"), strings.TrimSpace(row[c.index]))
		switch {
		case title.RU != "":
			f.Name.RU = title.RU
		case title.KK != "":
			f.Name.KK = title.KK
		case title.EN != "":
			f.Name.EN = title.EN
		default:
			for k, v := range title.Other {
				if f.Name.Other == nil {
					f.Name.Other = map[string]string{}
				}
				f.Name.Other[k] = v
			}
		}
	}
	if s := st.cell(row, "allow_choice_duplicates"); s != "" {
		b, ok := parseBool(s)
		if !ok {
			p.add("settings", 2, st.head("allow_choice_duplicates"), "allow_choice_duplicates %q: want yes or no", s)
		}
		f.AllowChoiceDuplicates = b
	}
	for _, field := range slices.Sorted(maps.Keys(xlsUnsupportedSettings)) {
		why := xlsUnsupportedSettings[field]
		if st.cell(row, field) != "" {
			p.add("settings", 2, st.head(field), "%s", why)
		}
	}
	if s := st.cell(row, "phase"); s != "" {
		f.Phase = Phase(strings.ToLower(s))
		if !f.Phase.Valid() {
			p.add("settings", 2, st.head("phase"), "unknown phase %q (want opening, voting, counting, tabulation or incident)", s)
		}
	}
	f.Prefix = strings.ToUpper(st.cell(row, "sms_prefix"))
	f.SMSComment = st.cell(row, "sms_comment")
	return ls
}

// noteLanguages adds the languages of a sheet's translatable columns that
// hold any text.
func (t *xlsTable) noteLanguages(ls *langs) {
	for _, c := range t.cols {
		if !xlsTranslatable[c.field] {
			continue
		}
		for _, row := range t.rows {
			if c.index < len(row) && strings.TrimSpace(row[c.index]) != "" {
				if c.lang == "" {
					ls.add(ls.def)
				} else {
					ls.add(c.lang)
				}
				break
			}
		}
	}
	// The default language first, as pyxform marks it default.
	if i := slices.Index(ls.names, ls.def); i > 0 {
		ls.names = append([]string{ls.def}, slices.Delete(ls.names, i, i+1)...)
	}
}

// The choices sheet's columns that are not a choice's extra (filter) data.
var xlsChoiceColumns = map[string]bool{
	"list_name": true, "name": true, "label": true, "image": true, "big-image": true,
	"audio": true, "video": true, "sms_code": true,
}

// readXLSChoices reads the choices sheet: list name → choices in order.
func readXLSChoices(choices [][]string, ls *langs, allowDup bool, p *problems) map[string][]Choice {
	lists := map[string][]Choice{}
	if len(choices) == 0 {
		return lists
	}
	ct := newTable("choices", choices)
	if ct.col("list_name") == nil {
		p.add("choices", 1, "list_name", "column missing")
	}
	if ct.col("name") == nil {
		p.add("choices", 1, "name", "column missing")
	}
	if ct.col("list_name") == nil || ct.col("name") == nil {
		return lists
	}
	ct.noteLanguages(ls)
	for _, field := range slices.Sorted(maps.Keys(xlsUnsupportedColumns)) {
		why := xlsUnsupportedColumns[field]
		for _, c := range ct.cols {
			if c.field == field {
				for i, row := range ct.rows {
					if c.index < len(row) && strings.TrimSpace(row[c.index]) != "" {
						p.add("choices", i+2, c.head, "%s", why)
						break
					}
				}
			}
		}
	}
	for i, row := range ct.rows {
		list, name := ct.cell(row, "list_name"), ct.cell(row, "name")
		if list == "" && name == "" {
			continue
		}
		rowNo := i + 2
		if list == "" {
			p.add("choices", rowNo, ct.head("list_name"), "choice %q without a list name", name)
			continue
		}
		if name == "" || strings.ContainsAny(name, " \t\n") {
			p.add("choices", rowNo, ct.head("name"), "choice name %q must be non-empty without spaces", name)
			continue
		}
		if !allowDup && slices.ContainsFunc(lists[list], func(c Choice) bool { return c.Value == name }) {
			p.add("choices", rowNo, ct.head("name"), "duplicate choice %q in list %s (settings allow_choice_duplicates allows it)", name, list)
			continue
		}
		code := len(lists[list]) + 1
		if sc := ct.cell(row, "sms_code"); sc != "" {
			n, err := strconv.Atoi(sc)
			if err != nil || n < 0 {
				p.add("choices", rowNo, ct.head("sms_code"), "SMS code %q must be a whole number", sc)
			}
			code = n
		}
		c := Choice{Value: name, Label: ct.text(row, "label", ls), Code: code, Image: ct.text(row, "image", ls)}
		for _, col := range ct.cols {
			if xlsChoiceColumns[col.field] || col.index >= len(row) {
				continue
			}
			if v := strings.TrimSpace(row[col.index]); v != "" {
				if c.Extra == nil {
					c.Extra = map[string]string{}
				}
				c.Extra[col.head] = v
			}
		}
		lists[list] = append(lists[list], c)
	}
	return lists
}

// frame is a group or repeat open at the current survey row.
type frame struct {
	name   string
	kind   string // "group", "repeat" or "loop"
	row    int
	proto  *Question // a protocol block, read as one question
	nLines int
}

// ref is a ${name} reference met in a cell, checked once every name is
// known.
type ref struct {
	row  int
	col  string
	name string
}

// surveyReader reads the survey sheet row by row into a form: its columns,
// the groups open at the current row, and the problems found.
type surveyReader struct {
	f     *Form
	sv    *xlsTable
	lists map[string][]Choice
	ls    *langs
	p     *problems
	open  []frame
	names map[string]bool // question and group names, for ${} references
	meta  map[string]bool // names of the metadata rows skipped
	refs  []ref
}

// readXLSSurvey reads the survey sheet's questions into f.
func readXLSSurvey(f *Form, survey [][]string, lists map[string][]Choice, ls *langs, p *problems) {
	if len(survey) == 0 {
		p.add("survey", 0, "", "sheet missing or empty")
		return
	}
	sv := newTable("survey", survey)
	if sv.col("type") == nil {
		p.add("survey", 1, "type", "column missing")
	}
	if sv.col("name") == nil {
		p.add("survey", 1, "name", "column missing")
	}
	if sv.col("type") == nil || sv.col("name") == nil {
		return
	}
	sv.noteLanguages(ls)
	r := &surveyReader{f: f, sv: sv, lists: lists, ls: ls, p: p, names: map[string]bool{}, meta: map[string]bool{}}
	for i, row := range sv.rows {
		r.row(i+2, row)
	}
	for k := len(r.open) - 1; k >= 0; k-- {
		fr := r.open[k]
		r.errAt(fr.row, "type", "%s %q is never closed (end %s missing)", fr.kind, fr.name, fr.kind)
	}
	if len(f.Questions) == 0 && len(p.list) == 0 {
		p.add("survey", 0, "", "no questions")
	}
	for _, rf := range r.refs {
		switch {
		case r.names[rf.name]:
		case r.meta[rf.name]:
			p.add("survey", rf.row, rf.col, "${%s} refers to metadata, which vigil records with each submission itself and does not put in the form", rf.name)
		default:
			p.add("survey", rf.row, rf.col, "${%s} names no question or group of the form", rf.name)
		}
	}
}

func (r *surveyReader) errAt(rowNo int, field, format string, a ...any) {
	r.p.add("survey", rowNo, r.sv.head(field), format, a...)
}

var anyRefRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// cellRefs reads a cell and notes its ${} references for checking. A
// cell that holds an XPath expression must parse: ODK's engines refuse a
// form whose expression does not (pyxform passes it through), so vigil
// refuses it at import, with its row and column, rather than store a form
// no client can load.
func (r *surveyReader) cellRefs(rowNo int, row []string, field string) string {
	s := r.sv.cell(row, field)
	r.noteRefs(rowNo, field, s)
	if exprFields[field] && strings.TrimSpace(s) != "" {
		if _, isBool := parseBool(s); !(field == "required" && isBool) {
			if _, err := ParseExpr(s); err != nil {
				r.errAt(rowNo, field, "%s %q is not an expression ODK can evaluate: %v", field, clipText(s, 60), err)
			}
		}
	}
	return s
}

// exprFields are the survey columns that hold an XPath expression.
var exprFields = map[string]bool{"relevant": true, "constraint": true, "calculation": true, "choice_filter": true, "required": true, "repeat_count": true}

// clipText shortens a cell's text for a message.
func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func (r *surveyReader) noteRefs(rowNo int, field, s string) {
	for _, m := range anyRefRE.FindAllStringSubmatch(s, -1) {
		r.refs = append(r.refs, ref{row: rowNo, col: r.sv.head(field), name: strings.TrimSpace(m[1])})
	}
}

// textRefs reads a translatable field and notes the references of every
// language's text.
func (r *surveyReader) textRefs(rowNo int, row []string, field string) Label {
	l := r.sv.text(row, field, r.ls)
	for _, s := range []string{l.EN, l.RU, l.KK} {
		r.noteRefs(rowNo, field, s)
	}
	for _, s := range l.Other {
		r.noteRefs(rowNo, field, s)
	}
	return l
}

// normType lower-cases a type and spells "_" as a space, so that "select
// one", "select_one" and "Select_One" compare alike.
func normType(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.ToLower(s), "_", " ")), " ")
}

var xlsUnsupportedNorm = func() map[string]string {
	m := map[string]string{}
	for k, v := range xlsUnsupported {
		m[normType(k)] = v
	}
	return m
}()

func (r *surveyReader) groupPath() string {
	var parts []string
	for _, fr := range r.open {
		parts = append(parts, fr.name)
	}
	return strings.Join(parts, "/")
}

func (r *surveyReader) inProto() *frame {
	for k := len(r.open) - 1; k >= 0; k-- {
		if r.open[k].proto != nil {
			return &r.open[k]
		}
	}
	return nil
}

// row reads one survey row: a group's or repeat's beginning or end, a line
// of the protocol block, or a question.
func (r *surveyReader) row(rowNo int, row []string) {
	sv := r.sv
	typ := strings.Join(strings.Fields(sv.cell(row, "type")), " ")
	name := sv.cell(row, "name")
	if typ == "" {
		if name != "" {
			r.errAt(rowNo, "type", "question %q has no type", name)
		}
		return
	}
	for _, field := range slices.Sorted(maps.Keys(xlsUnsupportedColumns)) {
		why := xlsUnsupportedColumns[field]
		for _, c := range sv.cols {
			if c.field == field && c.index < len(row) && strings.TrimSpace(row[c.index]) != "" {
				r.p.add("survey", rowNo, c.head, "%s", why)
			}
		}
	}
	nt := normType(typ)
	if strings.HasPrefix(nt, "begin loop over ") {
		nt = "begin loop over"
	}
	switch nt {
	case "begin group":
		r.begin(rowNo, row, name, "group")
		return
	case "begin repeat", "begin looped group", "begin lgroup":
		r.begin(rowNo, row, name, "repeat")
		return
	case "begin loop", "begin loop over":
		r.errAt(rowNo, "type", "type %q: %s", typ, xlsUnsupportedNorm["begin loop"])
		r.open = append(r.open, frame{name: name, kind: "loop", row: rowNo})
		return
	case "end group", "end repeat", "end looped group", "end lgroup", "end loop":
		r.end(rowNo, typ, nt)
		return
	}
	if fr := r.inProto(); fr != nil {
		r.protocolLine(rowNo, row, fr, typ, name)
		return
	}
	if xlsMetaTypes[strings.ToLower(typ)] || xlsMetaTypes[nt] {
		r.meta[name] = true
		return
	}
	if why, ok := xlsUnsupportedNorm[nt]; ok {
		r.errAt(rowNo, "type", "type %q: %s", typ, why)
		return
	}
	r.question(rowNo, row, typ, name)
}

func (r *surveyReader) begin(rowNo int, row []string, name, kind string) {
	sv, f := r.sv, r.f
	fr := frame{name: name, kind: kind, row: rowNo}
	defer func() { r.open = append(r.open, fr) }()
	if !ValidID(name) {
		r.errAt(rowNo, "name", "%s name %q is not a valid identifier", kind, name)
		return
	}
	if r.inProto() != nil {
		r.errAt(rowNo, "type", "a %s inside the protocol block %q", kind, r.inProto().name)
		return
	}
	if r.names[name] {
		r.errAt(rowNo, "name", "duplicate name %q", name)
	}
	r.names[name] = true
	isProto, ok := parseBool(sv.cell(row, "protocol"))
	if !ok {
		r.errAt(rowNo, "protocol", "protocol %q: want yes or no", sv.cell(row, "protocol"))
	}
	label := r.textRefs(rowNo, row, "label")
	relevant := r.cellRefs(rowNo, row, "relevant")
	if isProto {
		if kind == "repeat" {
			r.errAt(rowNo, "protocol", "a protocol block cannot repeat")
		}
		// A results-protocol block: a group of integers, each a
		// protocol figure or an option's votes.
		req, ok := parseBool(sv.cell(row, "required"))
		if !ok {
			r.errAt(rowNo, "required", "required %q: want yes or no", sv.cell(row, "required"))
		}
		f.Questions = append(f.Questions, Question{ID: name, Type: Protocol, Label: label,
			Hint: r.textRefs(rowNo, row, "hint"), Group: r.groupPath(), Required: req,
			Indicator: sv.cell(row, "indicator"), Relevant: relevant})
		fr.proto = &Question{ID: name} // the block's index is found again at its end
		return
	}
	g := Group{Path: strings.Trim(r.groupPath()+"/"+name, "/"), Label: label, Relevant: relevant,
		Appearance: sv.cell(row, "appearance"), Repeat: kind == "repeat", RepeatCount: r.cellRefs(rowNo, row, "repeat_count")}
	if g.RepeatCount != "" && kind != "repeat" {
		r.errAt(rowNo, "repeat_count", "repeat_count on a group that does not repeat")
	}
	if !g.Label.IsZero() || g.Relevant != "" || g.Appearance != "" || g.Repeat {
		f.Groups = append(f.Groups, g)
	}
}

func (r *surveyReader) end(rowNo int, typ, nt string) {
	if len(r.open) == 0 {
		r.errAt(rowNo, "type", "%s without a beginning", typ)
		return
	}
	fr := r.open[len(r.open)-1]
	r.open = r.open[:len(r.open)-1]
	want := strings.TrimPrefix(nt, "end ")
	if want == "looped group" || want == "lgroup" {
		want = "repeat"
	}
	if want != fr.kind {
		r.errAt(rowNo, "type", "%s closes the %s %q begun at row %d", typ, fr.kind, fr.name, fr.row)
	}
	if fr.proto != nil && fr.nLines == 0 {
		r.errAt(rowNo, "type", "protocol block %q has no lines", fr.name)
	}
}

// protocolLine reads a line of the protocol block: an integer that is a
// protocol figure or an option's votes.
func (r *surveyReader) protocolLine(rowNo int, row []string, fr *frame, typ, name string) {
	sv := r.sv
	proto := r.f.Question(fr.name)
	if proto == nil || proto.Type != Protocol {
		return // the block's own row was refused
	}
	if lt := strings.ToLower(typ); lt != "integer" && lt != "int" {
		r.errAt(rowNo, "type", "type %q inside the protocol block %q: its lines are integers", typ, proto.ID)
		return
	}
	fr.nLines++
	if !ValidID(name) {
		r.errAt(rowNo, "name", "protocol line name %q is not a valid identifier", name)
		return
	}
	if _, dup := proto.Item(name); dup {
		r.errAt(rowNo, "name", "duplicate protocol line %q", name)
		return
	}
	// A line's own "required" makes the block required (vigil's export
	// writes it so); its constraint can only be what vigil enforces.
	if req, ok := parseBool(sv.cell(row, "required")); !ok {
		r.errAt(rowNo, "required", "required %q on a protocol line: want yes or no", sv.cell(row, "required"))
	} else if req {
		proto.Required = true
	}
	if c := strings.Join(strings.Fields(sv.cell(row, "constraint")), " "); c != "" && c != ". >= 0" {
		r.errAt(rowNo, "constraint", "constraint %q on a protocol line: its lines are counts of zero or more, nothing else", c)
	}
	it := ProtocolItem{ID: name, Label: sv.text(row, "label", r.ls), SMS: strings.ToUpper(sv.cell(row, "sms"))}
	fig, opt := sv.cell(row, "figure"), sv.cell(row, "option")
	switch {
	case fig != "" && opt != "":
		r.errAt(rowNo, "option", "a protocol line is a figure or an option's votes, not both")
		return
	case fig != "":
		if _, ok := election.ParseFigure(fig); !ok {
			r.errAt(rowNo, "figure", "unknown protocol figure %q (e.g. registered, ballots_received, ballots_issued, ballots_cancelled, ballots_in_box, invalid, valid)", fig)
			return
		}
		it.Figure = fig
	case opt != "":
		n, err := strconv.Atoi(opt)
		if err != nil || n < 1 {
			r.errAt(rowNo, "option", "option %q: want the option's number on the ballot, from 1", opt)
			return
		}
		it.Option = n - 1
	default:
		r.errAt(rowNo, "figure", "protocol line %q names neither a figure nor an option", name)
		return
	}
	if it.Label.EN == "" {
		r.errAt(rowNo, "label", "protocol line %q has no label", name)
		return
	}
	proto.Items = append(proto.Items, it)
}

// question reads an ordinary question.
func (r *surveyReader) question(rowNo int, row []string, typ, name string) {
	sv, f := r.sv, r.f
	q := Question{ID: name, Label: r.textRefs(rowNo, row, "label"), Hint: r.textRefs(rowNo, row, "hint"),
		Group: r.groupPath(), Constraint: r.cellRefs(rowNo, row, "constraint"), Relevant: r.cellRefs(rowNo, row, "relevant"),
		Indicator: sv.cell(row, "indicator"), Flag: sv.cell(row, "flag"), SMS: strings.ToUpper(sv.cell(row, "sms")),
		ConstraintMsg: r.textRefs(rowNo, row, "constraint_message"), RequiredMsg: r.textRefs(rowNo, row, "required_message"),
		Calculation: r.cellRefs(rowNo, row, "calculation"), Default: r.cellRefs(rowNo, row, "default"),
		ChoiceFilter: r.cellRefs(rowNo, row, "choice_filter"), Appearance: sv.cell(row, "appearance"),
		Guidance: r.textRefs(rowNo, row, "guidance_hint"), Image: sv.text(row, "image", r.ls),
		Parameters: sv.cell(row, "parameters")}
	ok := true
	bad := func(field, format string, a ...any) {
		r.errAt(rowNo, field, format, a...)
		ok = false
	}
	if !ValidID(name) {
		bad("name", "question name %q is not a valid identifier (letters, digits, _ . -; not starting with a digit)", name)
	} else if r.names[name] {
		bad("name", "duplicate name %q", name)
	}
	r.names[name] = true
	req := r.cellRefs(rowNo, row, "required")
	if b, isBool := parseBool(req); isBool {
		q.Required = b
	} else {
		q.RequiredIf = req // a condition, evaluated by the client
	}
	if s := sv.cell(row, "readonly"); s != "" {
		b, isBool := parseBool(s)
		if !isBool {
			bad("readonly", "readonly %q: want yes or no", s)
		}
		q.ReadOnly = b
	}
	if !r.questionType(rowNo, &q, typ) {
		return
	}
	if q.Label.EN == "" && !q.Image.IsZero() {
		q.Label.EN = "" // an image alone labels a question, as pyxform allows
	} else if q.Label.EN == "" && q.Type != Note && q.Type != Calculate {
		bad("label", "question %q has no label", name)
	} else if q.Type == Note && q.Label.EN == "" && q.Calculation == "" {
		bad("label", "note %q has no label", name)
	}
	if q.Type == Calculate && q.Calculation == "" {
		bad("calculation", "calculate %q has no calculation", name)
	}
	if q.Type == Range {
		if _, _, _, err := q.RangeParams(); err != nil {
			bad("parameters", "range %q: %v", name, err)
		}
	} else if q.Parameters != "" && q.Type != Photo {
		bad("parameters", "parameters on a %s question are not supported", q.Type)
	}
	if q.ChoiceFilter != "" && q.Type != SingleChoice && q.Type != MultipleChoice {
		bad("choice_filter", "choice_filter on a %s question, which has no choice list", typ)
	}
	if !ok {
		return
	}
	f.Questions = append(f.Questions, q)
	if q.OrOther {
		// As pyxform: the "other" text, shown when "other" is chosen.
		other := q.ID + "_other"
		if r.names[other] {
			r.errAt(rowNo, "name", "or_other adds the question %q, which the form already has", other)
			return
		}
		r.names[other] = true
		f.Questions = append(f.Questions, Question{ID: other, Type: Text, Label: Label{EN: "Specify other."},
			Group: q.Group, Relevant: "selected(${" + q.ID + "}, 'other')", OtherOf: q.ID})
	}
}

// The select types by their normalised spelling (normType), longest first,
// with whether they select several.
var xlsSelects = []struct {
	spelling string
	multi    bool
}{
	{"add select multiple prompt using", true}, {"add select one prompt using", false},
	{"select all that apply from", true}, {"select all that apply", true},
	{"select multiple using", true}, {"select multiple from", true}, {"select multiple", true},
	{"select one using", false}, {"select one from", false}, {"select one", false}, {"select1", false},
	{"q select", true},
}

// questionType sets q's type (and its choices) from the type column; false
// when the type is refused.
func (r *surveyReader) questionType(rowNo int, q *Question, typ string) bool {
	fields := strings.Fields(typ)
	for _, sel := range xlsSelects {
		for k := 1; k <= len(fields); k++ {
			if normType(strings.Join(fields[:k], " ")) == sel.spelling {
				return r.selectType(rowNo, q, typ, sel.multi, fields[k:])
			}
		}
	}
	for _, u := range []string{"select one from file", "select multiple from file", "select one external", "rank"} {
		if strings.HasPrefix(normType(typ)+" ", u+" ") {
			r.errAt(rowNo, "type", "type %q: %s", typ, xlsUnsupportedNorm[u])
			return false
		}
	}
	t, ok := xlsTypeAliases[normType(typ)]
	if !ok {
		r.errAt(rowNo, "type", "unknown type %q (docs/forms.md lists the types vigil runs)", typ)
		return false
	}
	q.Type = t
	switch {
	case t == Integer && q.Constraint != "":
		if lo, hi, ok := bounds(q.Constraint); ok && q.ConstraintMsg.IsZero() {
			q.Min, q.Max, q.Constraint = lo, hi, ""
		}
	case normType(typ) == "phone number" && q.Constraint == "":
		q.Constraint = `regex(., '^\d*$')`
	}
	return true
}

// selectType reads a select's arguments: its choice list and, optionally,
// or_other.
func (r *surveyReader) selectType(rowNo int, q *Question, typ string, multi bool, args []string) bool {
	// "or_other", and pyxform's older "or other" and "or specify other".
	if n := len(args); n >= 2 {
		tail := normType(strings.Join(args[1:], " "))
		if tail == "or other" || tail == "or specify other" {
			q.OrOther = true
			args = args[:1]
		}
	}
	if len(args) != 1 || !listArgRE.MatchString(args[0]) {
		r.errAt(rowNo, "type", "type %q: want the select type followed by a choice list name (and or_other)", typ)
		return false
	}
	list := args[0]
	cs, ok := r.lists[list]
	if !ok {
		r.errAt(rowNo, "type", "choice list %q is not on the choices sheet", list)
		return false
	}
	cs = slices.Clone(cs)
	if q.OrOther && !slices.ContainsFunc(cs, func(c Choice) bool { return c.Value == "other" }) {
		cs = append(cs, Choice{Value: "other", Label: Label{EN: "Other"}, Code: len(cs) + 1})
	}
	plain := !q.OrOther && q.ChoiceFilter == ""
	switch {
	case multi:
		q.Type = MultipleChoice
		q.List = list
		q.Choices = cs
		for k := range q.Choices {
			if q.Choices[k].Code > 9 {
				q.Choices[k].Code = 0 // an SMS carries single digits
			}
		}
	case plain && isYesNo(cs):
		q.Type = YesNo
	case plain && isAssessment(cs):
		q.Type = Assessment
	default:
		q.Type = SingleChoice
		q.List = list
		q.Choices = cs
	}
	return true
}

func isYesNo(cs []Choice) bool {
	return len(cs) == 2 && cs[0].Value == YesValue && cs[1].Value == NoValue
}

func isAssessment(cs []Choice) bool {
	if len(cs) != len(AssessmentChoices) {
		return false
	}
	for i, c := range cs {
		if c.Value != AssessmentChoices[i].Value {
			return false
		}
	}
	return true
}

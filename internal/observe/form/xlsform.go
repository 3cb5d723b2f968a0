package form

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

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

// XLSForm metadata types, recognised and skipped: the server records the
// submission's own metadata, and none of these is an observation.
var xlsMetaTypes = map[string]bool{
	"start": true, "end": true, "today": true, "deviceid": true, "phonenumber": true,
	"username": true, "email": true, "simserial": true, "subscriberid": true, "audit": true,
	"start-geopoint": true,
}

// XLSForm types vigil knows but does not support, with the reason.
var xlsUnsupported = map[string]string{
	"begin repeat": "repeats are not supported: an observation form is one record per visit",
	"end repeat":   "repeats are not supported",
	"calculate":    "calculations are not supported (they need an XPath engine)",
	"geopoint":     "locations are not supported; the station is known from the deployment",
	"geotrace":     "locations are not supported",
	"geoshape":     "locations are not supported",
	"barcode":      "barcodes are not supported",
	"audio":        "audio is not supported; use image or text",
	"video":        "video is not supported; use image or text",
	"file":         "file uploads are not supported; use image",
	"range":        "range is not supported; use integer with a constraint",
	"rank":         "rank is not supported",
	"acknowledge":  "acknowledge is not supported; use select_one yes_no",
	"dateTime":     "dateTime is not supported; use date and time",
	"hidden":       "hidden is not supported",
	"trigger":      "trigger is not supported",
}

// xlsTable is one sheet: its header (lower-cased, trimmed) and data rows.
type xlsTable struct {
	name   string
	header []string
	rows   [][]string
}

func newTable(name string, rows [][]string) *xlsTable {
	t := &xlsTable{name: name}
	if len(rows) == 0 {
		return t
	}
	for _, h := range rows[0] {
		t.header = append(t.header, strings.TrimSpace(h))
	}
	t.rows = rows[1:]
	return t
}

// col finds a column by name, case-insensitively; -1 when absent.
func (t *xlsTable) col(names ...string) int {
	for _, n := range names {
		for i, h := range t.header {
			if strings.EqualFold(h, n) {
				return i
			}
		}
	}
	return -1
}

func (t *xlsTable) cell(row []string, c int) string {
	if c < 0 || c >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[c])
}

// langColumns finds the columns of a translatable field ("label",
// "label::English (en)", "label::ru", …) and assigns them to vigil's
// languages. A plain column is in defaultLang. Other languages are ignored.
func (t *xlsTable) langColumns(field, defaultLang string) (en, ru int) {
	en, ru = -1, -1
	plainEN, plainRU, other := -1, -1, -1
	for i, h := range t.header {
		lh := strings.ToLower(h)
		switch {
		case lh == field:
			switch defaultLang {
			case "ru":
				plainRU = i
			default:
				plainEN = i
			}
		case strings.HasPrefix(lh, field+"::"):
			switch langCode(lh[len(field)+2:]) {
			case "en":
				en = i
			case "ru":
				ru = i
			default:
				if other < 0 {
					other = i
				}
			}
		}
	}
	if en < 0 {
		en = plainEN
	}
	if ru < 0 {
		ru = plainRU
	}
	if en < 0 && ru < 0 {
		en = other // a language vigil does not carry: better than nothing
	}
	return en, ru
}

// langCode reads an XLSForm language name: "English (en)", "en", "English",
// "Russian", "Русский", "ru-RU".
func langCode(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndex(s, "("); i >= 0 && strings.HasSuffix(s, ")") {
		s = strings.TrimSpace(s[i+1 : len(s)-1])
	}
	switch {
	case s == "en" || strings.HasPrefix(s, "en-") || s == "english" || s == "eng":
		return "en"
	case s == "ru" || strings.HasPrefix(s, "ru-") || s == "russian" || s == "rus" || s == "русский":
		return "ru"
	}
	return ""
}

func (t *xlsTable) label(row []string, en, ru int) Label {
	l := Label{EN: t.cell(row, en), RU: t.cell(row, ru)}
	if l.EN == "" {
		l.EN = l.RU
	}
	if l.RU == l.EN {
		l.RU = ""
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
// settings may be nil). This is the layer under ImportXLSForm, apart so that
// it can be tested and fuzzed without spreadsheets.
//
// Supported: types integer, decimal, text, select_one L, select_multiple L,
// time, date, image, note, begin group/end group (flattened into
// Question.Group); columns name, label and hint (plain, ::English,
// ::Russian, and codes), required, constraint and relevant (kept as text;
// pure bounds on an integer become Min/Max), and vigil's own columns
// indicator, flag, sms, and protocol/figure/option for results-protocol
// blocks; choices' sms_code. Settings form_id, version, form_title,
// default_language, and vigil's form_title::Russian, phase, sms_prefix and
// sms_comment. A select_one whose list is exactly yes/no becomes a yes/no
// question; one whose list is the four grades very_good, good, bad,
// very_bad an assessment. Metadata types (start, end, deviceid, …) are
// skipped. Anything else is an error naming sheet, row and column.
func FromXLSFormRows(survey, choices, settings [][]string) (*Form, error) {
	f := &Form{Phase: Incident}
	defaultLang, err := readXLSSettings(f, settings)
	if err != nil {
		return nil, err
	}
	lists, err := readXLSChoices(choices, defaultLang)
	if err != nil {
		return nil, err
	}
	if err := readXLSSurvey(f, survey, lists, defaultLang); err != nil {
		return nil, err
	}
	if f.ID == "" {
		return nil, &XLSFormError{Sheet: "settings", Column: "form_id", Msg: "form_id missing (vigil needs a stable form id)"}
	}
	if f.Name.EN == "" {
		f.Name.EN = f.ID
	}
	if err := f.Check(); err != nil {
		return nil, fmt.Errorf("xlsform: %w", err)
	}
	return f, nil
}

// readXLSSettings reads the settings sheet into f and returns the form's
// default language ("en" when the sheet does not say).
func readXLSSettings(f *Form, settings [][]string) (string, error) {
	defaultLang := "en"
	if len(settings) <= 1 {
		return defaultLang, nil
	}
	st := newTable("settings", settings)
	row := st.rows[0]
	f.ID = st.cell(row, st.col("form_id", "id_string"))
	f.Version = st.cell(row, st.col("version"))
	title := st.cell(row, st.col("form_title", "title"))
	f.Name = Label{EN: title}
	if c := st.col("default_language"); c >= 0 && st.cell(row, c) != "" {
		dl := st.cell(row, c)
		defaultLang = langCode(dl)
		if defaultLang == "" {
			return "", &XLSFormError{Sheet: "settings", Row: 2, Column: st.header[c], Msg: fmt.Sprintf("default language %q: vigil's forms are in English and Russian", dl)}
		}
	}
	if defaultLang == "ru" {
		f.Name = Label{EN: title, RU: title}
	}
	for i, h := range st.header {
		lh := strings.ToLower(h)
		if strings.HasPrefix(lh, "form_title::") && langCode(lh[len("form_title::"):]) == "ru" {
			f.Name.RU = st.cell(row, i)
		}
	}
	if f.Name.RU == f.Name.EN {
		f.Name.RU = ""
	}
	if c := st.col("phase"); c >= 0 && st.cell(row, c) != "" {
		f.Phase = Phase(strings.ToLower(st.cell(row, c)))
		if !f.Phase.Valid() {
			return "", &XLSFormError{Sheet: "settings", Row: 2, Column: st.header[c], Msg: fmt.Sprintf("unknown phase %q (want opening, voting, counting, tabulation or incident)", st.cell(row, c))}
		}
	}
	if c := st.col("sms_prefix"); c >= 0 {
		f.Prefix = strings.ToUpper(st.cell(row, c))
	}
	f.SMSComment = st.cell(row, st.col("sms_comment"))
	return defaultLang, nil
}

// readXLSChoices reads the choices sheet: list name → choices in order.
func readXLSChoices(choices [][]string, defaultLang string) (map[string][]Choice, error) {
	lists := map[string][]Choice{}
	if len(choices) == 0 {
		return lists, nil
	}
	ct := newTable("choices", choices)
	cList, cName := ct.col("list_name", "list name"), ct.col("name", "value")
	if cList < 0 {
		return nil, &XLSFormError{Sheet: "choices", Row: 1, Column: "list_name", Msg: "column missing"}
	}
	if cName < 0 {
		return nil, &XLSFormError{Sheet: "choices", Row: 1, Column: "name", Msg: "column missing"}
	}
	en, ru := ct.langColumns("label", defaultLang)
	cCode := ct.col("sms_code")
	for i, row := range ct.rows {
		list, name := ct.cell(row, cList), ct.cell(row, cName)
		if list == "" && name == "" {
			continue
		}
		rowNo := i + 2
		if list == "" {
			return nil, &XLSFormError{Sheet: "choices", Row: rowNo, Column: ct.header[cList], Msg: "choice without a list name"}
		}
		if name == "" || strings.ContainsAny(name, " \t") {
			return nil, &XLSFormError{Sheet: "choices", Row: rowNo, Column: ct.header[cName], Msg: fmt.Sprintf("choice name %q must be non-empty without spaces", name)}
		}
		for _, c := range lists[list] {
			if c.Value == name {
				return nil, &XLSFormError{Sheet: "choices", Row: rowNo, Column: ct.header[cName], Msg: fmt.Sprintf("duplicate choice %q in list %s", name, list)}
			}
		}
		code := len(lists[list]) + 1
		if sc := ct.cell(row, cCode); sc != "" {
			n, err := strconv.Atoi(sc)
			if err != nil || n < 0 {
				return nil, &XLSFormError{Sheet: "choices", Row: rowNo, Column: ct.header[cCode], Msg: fmt.Sprintf("SMS code %q must be a whole number", sc)}
			}
			code = n
		}
		lists[list] = append(lists[list], Choice{Value: name, Label: ct.label(row, en, ru), Code: code})
	}
	return lists, nil
}

// surveyReader reads the survey sheet row by row into a form: its columns,
// the groups open at the current row, and the protocol block being read.
type surveyReader struct {
	f     *Form
	sv    *xlsTable
	lists map[string][]Choice

	cType, cName             int
	lEN, lRU, hEN, hRU       int
	cReq, cCons, cRel        int
	cInd, cFlag, cSMS        int
	cProto, cFigure, cOption int
	groups                   []string
	groupRows                []int
	proto                    *Question // the protocol block being read, inside its group
}

// readXLSSurvey reads the survey sheet's questions into f.
func readXLSSurvey(f *Form, survey [][]string, lists map[string][]Choice, defaultLang string) error {
	if len(survey) == 0 {
		return &XLSFormError{Sheet: "survey", Msg: "sheet missing or empty"}
	}
	sv := newTable("survey", survey)
	r := &surveyReader{f: f, sv: sv, lists: lists, cType: sv.col("type"), cName: sv.col("name")}
	if r.cType < 0 {
		return &XLSFormError{Sheet: "survey", Row: 1, Column: "type", Msg: "column missing"}
	}
	if r.cName < 0 {
		return &XLSFormError{Sheet: "survey", Row: 1, Column: "name", Msg: "column missing"}
	}
	r.lEN, r.lRU = sv.langColumns("label", defaultLang)
	r.hEN, r.hRU = sv.langColumns("hint", defaultLang)
	r.cReq, r.cCons, r.cRel = sv.col("required"), sv.col("constraint"), sv.col("relevant")
	r.cInd, r.cFlag, r.cSMS = sv.col("indicator"), sv.col("flag"), sv.col("sms")
	r.cProto, r.cFigure, r.cOption = sv.col("protocol"), sv.col("figure"), sv.col("option")
	for i, row := range sv.rows {
		if err := r.row(i+2, row); err != nil {
			return err
		}
	}
	if len(r.groups) > 0 {
		return &XLSFormError{Sheet: "survey", Row: r.groupRows[len(r.groupRows)-1], Column: sv.header[r.cType], Msg: fmt.Sprintf("group %q is never closed (end group missing)", r.groups[len(r.groups)-1])}
	}
	if len(f.Questions) == 0 {
		return &XLSFormError{Sheet: "survey", Msg: "no questions"}
	}
	return nil
}

func (r *surveyReader) errAt(rowNo, col int, format string, a ...any) error {
	c := ""
	if col >= 0 && col < len(r.sv.header) {
		c = r.sv.header[col]
	}
	return &XLSFormError{Sheet: "survey", Row: rowNo, Column: c, Msg: fmt.Sprintf(format, a...)}
}

// row reads one survey row: a group's beginning or end, a line of the
// protocol block, or a question.
func (r *surveyReader) row(rowNo int, row []string) error {
	sv := r.sv
	typ := strings.Join(strings.Fields(sv.cell(row, r.cType)), " ")
	name := sv.cell(row, r.cName)
	if typ == "" {
		if name != "" {
			return r.errAt(rowNo, r.cType, "question %q has no type", name)
		}
		return nil
	}
	lt := strings.ToLower(typ)
	switch lt {
	case "begin group", "begin_group":
		return r.beginGroup(rowNo, row, name)
	case "end group", "end_group":
		return r.endGroup(rowNo)
	}
	if r.proto != nil {
		return r.protocolLine(rowNo, row, typ, lt, name)
	}
	if xlsMetaTypes[lt] {
		return nil
	}
	if why, ok := xlsUnsupported[typ]; ok {
		return r.errAt(rowNo, r.cType, "type %q: %s", typ, why)
	}
	if why, ok := xlsUnsupported[strings.ReplaceAll(lt, "_", " ")]; ok {
		return r.errAt(rowNo, r.cType, "type %q: %s", typ, why)
	}
	return r.question(rowNo, row, typ, name)
}

func (r *surveyReader) beginGroup(rowNo int, row []string, name string) error {
	sv, f := r.sv, r.f
	if !ValidID(name) {
		return r.errAt(rowNo, r.cName, "group name %q is not a valid identifier", name)
	}
	if r.proto != nil {
		return r.errAt(rowNo, r.cType, "a group inside the protocol block %q", r.proto.ID)
	}
	isProto, ok := parseBool(sv.cell(row, r.cProto))
	if !ok {
		return r.errAt(rowNo, r.cProto, "protocol %q: want yes or no", sv.cell(row, r.cProto))
	}
	if isProto {
		// A results-protocol block: a group of integers, each a
		// protocol figure or an option's votes.
		if f.Question(name) != nil {
			return r.errAt(rowNo, r.cName, "duplicate question name %q", name)
		}
		req, ok := parseBool(sv.cell(row, r.cReq))
		if !ok {
			return r.errAt(rowNo, r.cReq, "required %q: want yes or no", sv.cell(row, r.cReq))
		}
		f.Questions = append(f.Questions, Question{ID: name, Type: Protocol, Label: sv.label(row, r.lEN, r.lRU),
			Hint: sv.label(row, r.hEN, r.hRU), Group: strings.Join(r.groups, "/"), Required: req,
			Indicator: sv.cell(row, r.cInd), Relevant: sv.cell(row, r.cRel)})
		r.proto = &f.Questions[len(f.Questions)-1]
	}
	r.groups = append(r.groups, name)
	r.groupRows = append(r.groupRows, rowNo)
	return nil
}

func (r *surveyReader) endGroup(rowNo int) error {
	if len(r.groups) == 0 {
		return r.errAt(rowNo, r.cType, "end group without begin group")
	}
	if r.proto != nil {
		if len(r.proto.Items) == 0 {
			return r.errAt(rowNo, r.cType, "protocol block %q has no lines", r.proto.ID)
		}
		r.proto = nil
	}
	r.groups, r.groupRows = r.groups[:len(r.groups)-1], r.groupRows[:len(r.groupRows)-1]
	return nil
}

// protocolLine reads a line of the protocol block: an integer that is a
// protocol figure or an option's votes.
func (r *surveyReader) protocolLine(rowNo int, row []string, typ, lt, name string) error {
	sv, proto := r.sv, r.proto
	if lt != "integer" && lt != "int" {
		return r.errAt(rowNo, r.cType, "type %q inside the protocol block %q: its lines are integers", typ, proto.ID)
	}
	if !ValidID(name) {
		return r.errAt(rowNo, r.cName, "protocol line name %q is not a valid identifier", name)
	}
	if _, dup := proto.Item(name); dup {
		return r.errAt(rowNo, r.cName, "duplicate protocol line %q", name)
	}
	it := ProtocolItem{ID: name, Label: sv.label(row, r.lEN, r.lRU), SMS: strings.ToUpper(sv.cell(row, r.cSMS))}
	fig, opt := sv.cell(row, r.cFigure), sv.cell(row, r.cOption)
	switch {
	case fig != "" && opt != "":
		return r.errAt(rowNo, r.cOption, "a protocol line is a figure or an option's votes, not both")
	case fig != "":
		if _, ok := election.ParseFigure(fig); !ok {
			return r.errAt(rowNo, r.cFigure, "unknown protocol figure %q (e.g. registered, ballots_received, ballots_issued, ballots_cancelled, ballots_in_box, invalid, valid)", fig)
		}
		it.Figure = fig
	case opt != "":
		n, err := strconv.Atoi(opt)
		if err != nil || n < 1 {
			return r.errAt(rowNo, r.cOption, "option %q: want the option's number on the ballot, from 1", opt)
		}
		it.Option = n - 1
	default:
		return r.errAt(rowNo, r.cFigure, "protocol line %q names neither a figure nor an option", name)
	}
	if it.Label.EN == "" {
		return r.errAt(rowNo, r.lEN, "protocol line %q has no label", name)
	}
	proto.Items = append(proto.Items, it)
	return nil
}

// question reads an ordinary question.
func (r *surveyReader) question(rowNo int, row []string, typ, name string) error {
	sv, f := r.sv, r.f
	q := Question{ID: name, Label: sv.label(row, r.lEN, r.lRU), Hint: sv.label(row, r.hEN, r.hRU),
		Group: strings.Join(r.groups, "/"), Constraint: sv.cell(row, r.cCons), Relevant: sv.cell(row, r.cRel),
		Indicator: sv.cell(row, r.cInd), Flag: sv.cell(row, r.cFlag), SMS: strings.ToUpper(sv.cell(row, r.cSMS))}
	if !ValidID(name) {
		return r.errAt(rowNo, r.cName, "question name %q is not a valid identifier (letters, digits, _ . -; not starting with a digit)", name)
	}
	if f.Question(name) != nil {
		return r.errAt(rowNo, r.cName, "duplicate question name %q", name)
	}
	req, ok := parseBool(sv.cell(row, r.cReq))
	if !ok {
		return r.errAt(rowNo, r.cReq, "required %q: want yes or no (conditional requirements are not supported)", sv.cell(row, r.cReq))
	}
	q.Required = req
	if err := r.questionType(rowNo, &q, typ); err != nil {
		return err
	}
	if q.Label.EN == "" && q.Type != Note {
		return r.errAt(rowNo, r.lEN, "question %q has no label", name)
	}
	f.Questions = append(f.Questions, q)
	return nil
}

// questionType sets q's type (and its choices) from the type column.
func (r *surveyReader) questionType(rowNo int, q *Question, typ string) error {
	fields := strings.Fields(typ)
	switch strings.ToLower(fields[0]) {
	case "integer", "int":
		q.Type = Integer
		if q.Constraint != "" {
			if lo, hi, ok := bounds(q.Constraint); ok {
				q.Min, q.Max, q.Constraint = lo, hi, ""
			}
		}
	case "decimal":
		q.Type = Decimal
	case "text", "string":
		q.Type = Text
	case "time":
		q.Type = Time
	case "date":
		q.Type = Date
	case "image", "photo":
		q.Type = Photo
	case "note":
		q.Type = Note
	case "select_one", "select1", "select_multiple", "select_all_that_apply":
		multi := strings.HasPrefix(strings.ToLower(fields[0]), "select_m") || strings.HasPrefix(strings.ToLower(fields[0]), "select_a")
		if len(fields) == 3 && strings.EqualFold(fields[2], "or_other") {
			return r.errAt(rowNo, r.cType, "type %q: or_other is not supported; add an \"other\" choice and a text question", typ)
		}
		if len(fields) != 2 || !listArgRE.MatchString(fields[1]) {
			return r.errAt(rowNo, r.cType, "type %q: want %s followed by a choice list name", typ, fields[0])
		}
		cs, ok := r.lists[fields[1]]
		if !ok {
			return r.errAt(rowNo, r.cType, "choice list %q is not on the choices sheet", fields[1])
		}
		switch {
		case multi:
			q.Type = MultipleChoice
			q.List = fields[1]
			q.Choices = slices.Clone(cs)
			for k := range q.Choices {
				if q.Choices[k].Code > 9 {
					q.Choices[k].Code = 0 // an SMS carries single digits
				}
			}
		case isYesNo(cs):
			q.Type = YesNo
		case isAssessment(cs):
			q.Type = Assessment
		default:
			q.Type = SingleChoice
			q.List = fields[1]
			q.Choices = slices.Clone(cs)
		}
	default:
		return r.errAt(rowNo, r.cType, "unknown type %q (supported: integer, decimal, text, select_one, select_multiple, time, date, image, note, begin/end group)", typ)
	}
	return nil
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

// ImportXLSForm reads an XLSForm workbook (.xlsx) and builds the form; see
// FromXLSFormRows for what is supported. Sheet names are matched without
// regard to case.
func ImportXLSForm(r io.Reader) (f *Form, err error) {
	// excelize panics on some malformed worksheets; an uploaded workbook
	// must not take the server down.
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("xlsform: the workbook cannot be read (%v)", p)
		}
	}()
	wb, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("xlsform: not a readable .xlsx workbook: %w", err)
	}
	defer wb.Close()
	sheets := map[string][][]string{}
	for _, name := range wb.GetSheetList() {
		key := strings.ToLower(strings.TrimSpace(name))
		if key != "survey" && key != "choices" && key != "settings" {
			continue
		}
		rows, err := wb.GetRows(name)
		if err != nil {
			return nil, fmt.Errorf("xlsform: sheet %s: %w", name, err)
		}
		sheets[key] = rows
	}
	if _, ok := sheets["survey"]; !ok {
		return nil, &XLSFormError{Sheet: "survey", Msg: "the workbook has no survey sheet"}
	}
	return FromXLSFormRows(sheets["survey"], sheets["choices"], sheets["settings"])
}

// Package form holds observation forms as data: the checklists observers
// fill in at opening, voting, counting and tabulation, and incident reports.
// A form is versioned; its questions have stable ids ("tags") that
// submissions, SMS codes and findings refer to.
//
// The package is pure: no database and no HTTP. It reads XLSForm
// spreadsheets, writes ODK XForms and the OpenRosa form list, parses
// OpenRosa submissions, and validates answer sets. Any caller may use it.
package form

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// Phase is the part of election day (or of the process) a form observes.
type Phase string

// The phases of observation.
const (
	Opening    Phase = "opening"
	Voting     Phase = "voting"
	Counting   Phase = "counting"
	Tabulation Phase = "tabulation" // at the district (territorial) commission
	Incident   Phase = "incident"
)

// Phases lists every phase in the order of the day.
var Phases = []Phase{Opening, Voting, Counting, Tabulation, Incident}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool {
	for _, q := range Phases {
		if p == q {
			return true
		}
	}
	return false
}

// Type is the type of a question, which fixes the kind of its answer.
type Type string

// The question types.
const (
	YesNo          Type = "yes_no"          // answer: Bool
	SingleChoice   Type = "select_one"      // answer: Text, one choice value
	MultipleChoice Type = "select_multiple" // answer: List of choice values
	Integer        Type = "integer"         // answer: Int, within Min/Max when set
	Decimal        Type = "decimal"         // answer: Int or Decimal
	Text           Type = "text"            // answer: Text
	Time           Type = "time"            // answer: Text "HH:MM" or "HH:MM:SS"
	Date           Type = "date"            // answer: Text "YYYY-MM-DD"
	Assessment     Type = "assessment"      // answer: Text, one of the four grades
	Protocol       Type = "protocol"        // answer: Protocol (figures and votes)
	Photo          Type = "photo"           // answer: Text, the attachment's file name
	Note           Type = "note"            // shown only, never answered
	// The XLSForm types an imported checklist may carry besides.
	Calculate   Type = "calculate"   // answer: Text (or a number), computed by the client from Calculation
	Geopoint    Type = "geopoint"    // answer: Text "lat lon [alt [accuracy]]"
	Acknowledge Type = "acknowledge" // answer: Text "OK"
	Range       Type = "range"       // answer: Int or Decimal within Parameters' start..end
)

// Types lists every question type.
var Types = []Type{YesNo, SingleChoice, MultipleChoice, Integer, Decimal, Text, Time, Date, Assessment, Protocol, Photo, Note,
	Calculate, Geopoint, Acknowledge, Range}

// Valid reports whether t is a known type.
func (t Type) Valid() bool {
	for _, u := range Types {
		if t == u {
			return true
		}
	}
	return false
}

// The grades of the overall assessment, from best to worst. Their SMS codes
// are 1 to 4 in this order.
const (
	VeryGood = "very_good"
	Good     = "good"
	Bad      = "bad"
	VeryBad  = "very_bad"
)

// AssessmentChoices are the four grades of an Assessment question. Bad and
// very bad are negative: a statement counts them as "assessed negatively".
var AssessmentChoices = []Choice{
	{Value: VeryGood, Label: Label{EN: "Very good", RU: "Очень хорошо", KK: "Өте жақсы"}, Code: 1},
	{Value: Good, Label: Label{EN: "Good", RU: "Хорошо", KK: "Жақсы"}, Code: 2},
	{Value: Bad, Label: Label{EN: "Bad", RU: "Плохо", KK: "Нашар"}, Code: 3},
	{Value: VeryBad, Label: Label{EN: "Very bad", RU: "Очень плохо", KK: "Өте нашар"}, Code: 4},
}

// Negative reports whether an assessment grade is negative (bad or very bad).
func Negative(grade string) bool { return grade == Bad || grade == VeryBad }

// The values of a yes/no question in XForms and XLSForm exports, and their
// SMS codes (1 yes, 2 no).
const (
	YesValue = "yes"
	NoValue  = "no"
)

// YesNoChoices are the choices a yes/no question shows.
var YesNoChoices = []Choice{
	{Value: YesValue, Label: Label{EN: "Yes", RU: "Да", KK: "Иә"}, Code: 1},
	{Value: NoValue, Label: Label{EN: "No", RU: "Нет", KK: "Жоқ"}, Code: 2},
}

// Label is a text in the languages vigil's forms carry. English is required;
// Russian and Kazakh fall back to English when empty. Other holds the text
// in any further language of an imported XLSForm, by the language's XLSForm
// name ("French (fr)"): a mission's form keeps every language it was
// written in.
type Label struct {
	EN    string            `json:"en"`
	RU    string            `json:"ru,omitempty"`
	KK    string            `json:"kk,omitempty"`
	Other map[string]string `json:"other,omitempty"`
}

// In returns the label in a language: "en", "ru", "kk", another language's
// code ("fr") or XLSForm name ("French (fr)"); English when the label has
// no text in it.
func (l Label) In(lang string) string {
	code := LangCode(lang)
	switch {
	case code == "ru" && l.RU != "":
		return l.RU
	case code == "kk" && l.KK != "":
		return l.KK
	case code == "en" || code == "ru" || code == "kk":
		return l.EN
	}
	if s, ok := l.Other[lang]; ok && s != "" {
		return s
	}
	for name, s := range l.Other {
		if s != "" && code != "" && LangCode(name) == code {
			return s
		}
	}
	return l.EN
}

// IsZero reports whether the label has no text in any language.
func (l Label) IsZero() bool {
	if l.EN != "" || l.RU != "" || l.KK != "" {
		return false
	}
	for _, s := range l.Other {
		if s != "" {
			return false
		}
	}
	return true
}

// Equal reports whether two labels have the same text in every language.
func (l Label) Equal(m Label) bool {
	return l.EN == m.EN && l.RU == m.RU && l.KK == m.KK && maps.Equal(l.Other, m.Other)
}

// LangCode reads a language as XLSForm names it ("English (en)", "en",
// "English", "Russian", "Русский", "ru-RU", "Kazakh (kk)", "French (fr)")
// and returns its code: "en", "ru" and "kk" for vigil's own languages,
// the code in parentheses (or a bare two- or three-letter code) for any
// other, "" when none can be told.
func LangCode(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndex(s, "("); i >= 0 && strings.HasSuffix(s, ")") {
		s = strings.TrimSpace(s[i+1 : len(s)-1])
	}
	switch {
	case s == "en" || strings.HasPrefix(s, "en-") || s == "english" || s == "eng":
		return "en"
	case s == "ru" || strings.HasPrefix(s, "ru-") || s == "russian" || s == "rus" || s == "русский":
		return "ru"
	case s == "kk" || strings.HasPrefix(s, "kk-") || s == "kazakh" || s == "kaz" || s == "қазақша" || s == "қазақ тілі" || s == "казахский":
		return "kk"
	case langCodeRE.MatchString(s):
		return s
	}
	return ""
}

var langCodeRE = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]+)*$`)

// Choice is one answer of a single- or multiple-choice question.
type Choice struct {
	Value string `json:"value"` // what the answer stores; stable
	Label Label  `json:"label"`
	Code  int    `json:"code,omitempty"` // digit(s) that select it in an SMS; 0: not codable
	// Image is the choice's picture (XLSForm media::image), a file name
	// per language.
	Image Label `json:"image,omitzero"`
	// Extra holds the choices sheet's other columns (e.g. "region" of a
	// district), which a question's ChoiceFilter refers to.
	Extra map[string]string `json:"extra,omitempty"`
}

// Equal reports whether two choices are the same in every field.
func (c Choice) Equal(d Choice) bool {
	return c.Value == d.Value && c.Code == d.Code && c.Label.Equal(d.Label) && c.Image.Equal(d.Image) && maps.Equal(c.Extra, d.Extra)
}

// ProtocolItem is one line of a results-protocol block: either a standard
// protocol figure (Figure is an election figure name such as
// "ballots_in_box") or the votes of one ballot option (Figure empty, Option
// its position in the election's options).
type ProtocolItem struct {
	ID     string `json:"id"` // stable within the question; the XForm field name
	Figure string `json:"figure,omitempty"`
	Option int    `json:"option,omitempty"`
	Label  Label  `json:"label"`
	SMS    string `json:"sms,omitempty"`
}

// IsVotes reports whether the item holds an option's votes.
func (it ProtocolItem) IsVotes() bool { return it.Figure == "" }

// Question is one question of a form.
type Question struct {
	ID    string `json:"id"` // stable tag: submissions and findings refer to it
	Type  Type   `json:"type"`
	Label Label  `json:"label"`
	Hint  Label  `json:"hint,omitzero"`
	// Group is the flattened path of the groups the question sat in (an
	// XLSForm begin/end group), slash-separated; empty at the top.
	Group    string `json:"group,omitempty"`
	Required bool   `json:"required,omitempty"`
	// Indicator names the key indicator the question measures
	// (snake_case, e.g. "ballot_box_stuffing"); Flag is the answer value
	// that means the problem was seen ("yes" for "Was there ballot box
	// stuffing?", "no" for "Were the ballot boxes sealed?").
	Indicator string `json:"indicator,omitempty"`
	Flag      string `json:"flag,omitempty"`
	// SMS is the two-letter tag that carries the answer in a coded SMS;
	// empty when the question cannot be sent by SMS.
	SMS     string         `json:"sms,omitempty"`
	Choices []Choice       `json:"choices,omitempty"` // select_one, select_multiple
	List    string         `json:"list,omitempty"`    // XLSForm choice list name
	Min     *int64         `json:"min,omitempty"`     // integer
	Max     *int64         `json:"max,omitempty"`     // integer
	Items   []ProtocolItem `json:"items,omitempty"`   // protocol
	// Constraint and Relevant are kept as XLSForm/XPath text, not evaluated
	// here: a required question with a relevance condition is not reported
	// missing, since whether it applied cannot be decided without XPath.
	Constraint string `json:"constraint,omitempty"`
	Relevant   string `json:"relevant,omitempty"`

	// What an imported XLSForm says besides, kept so that the XForm, the
	// web form and an exported workbook say it too. Expressions are
	// XLSForm text (with ${name} references), evaluated by the client.
	//
	// RequiredIf is a conditional requirement (XLSForm "required" holding
	// an expression rather than yes); like Relevant it is not evaluated
	// on the server.
	RequiredIf    string `json:"required_if,omitempty"`
	RequiredMsg   Label  `json:"required_message,omitzero"`
	ConstraintMsg Label  `json:"constraint_message,omitzero"`
	Calculation   string `json:"calculation,omitempty"`
	Default       string `json:"default,omitempty"`
	ReadOnly      bool   `json:"read_only,omitempty"`
	// ChoiceFilter limits the choices shown (cascading selects): an
	// expression over the choices' Extra columns and earlier answers, e.g.
	// "region = ${region}".
	ChoiceFilter string `json:"choice_filter,omitempty"`
	Appearance   string `json:"appearance,omitempty"`
	Guidance     Label  `json:"guidance_hint,omitzero"`
	Image        Label  `json:"image,omitzero"` // media::image, a file name per language
	// Parameters are XLSForm's, as written: a range's "start=0 end=10
	// step=1".
	Parameters string `json:"parameters,omitempty"`
	// OrOther marks a select written "select_one L or_other": its last
	// choice "other" and the text question OtherID+"_other" that follows
	// it were added by the import, as pyxform adds them; OtherOf names,
	// on that text question, the select it specifies.
	OrOther bool   `json:"or_other,omitempty"`
	OtherOf string `json:"other_of,omitempty"`
	// Helper marks a question asked only to narrow a later choice (the
	// region and district of BindStations' cascade): its answer is not
	// stored, and a submission's value for it is dropped.
	Helper bool `json:"helper,omitempty"`
	// ItemsetFile names the CSV form media file (jr://file-csv/NAME)
	// that holds a filtered select's choices instead of the form: the
	// station list of a large election, which BindStations serves so
	// (StationsCSV writes it). Choices is then empty.
	ItemsetFile string `json:"itemset_file,omitempty"`
}

// Bounds returns an integer question's bounds: Min and Max, or those of a
// constraint made only of bounds on "." that was kept as a constraint
// because it has a message.
func (q *Question) Bounds() (lo, hi *int64) {
	if q.Min != nil || q.Max != nil {
		return q.Min, q.Max
	}
	if l, h, ok := bounds(q.Constraint); ok && q.Constraint != "" {
		return l, h
	}
	return nil, nil
}

// RangeParams reads a range question's parameters (XLSForm defaults: start
// 1, end 10, step 1).
func (q *Question) RangeParams() (start, end, step float64, err error) {
	start, end, step = 1, 10, 1
	for _, p := range strings.Fields(strings.ReplaceAll(q.Parameters, ";", " ")) {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return 0, 0, 0, fmt.Errorf("parameter %q: want name=value", p)
		}
		x, perr := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if perr != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, 0, 0, fmt.Errorf("parameter %q: want a number", p)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "start":
			start = x
		case "end":
			end = x
		case "step":
			step = x
		default:
			return 0, 0, 0, fmt.Errorf("parameter %q: a range takes start, end and step", p)
		}
	}
	if step <= 0 {
		return 0, 0, 0, fmt.Errorf("range step %v must be above zero", step)
	}
	return start, end, step, nil
}

// Options returns the question's choices, including the implicit ones of
// yes/no and assessment questions.
func (q *Question) Options() []Choice {
	switch q.Type {
	case YesNo:
		return YesNoChoices
	case Assessment:
		return AssessmentChoices
	}
	return q.Choices
}

// Choice finds a choice by value.
func (q *Question) Choice(value string) (Choice, bool) {
	for _, c := range q.Options() {
		if c.Value == value {
			return c, true
		}
	}
	return Choice{}, false
}

// Item finds a protocol item by id.
func (q *Question) Item(id string) (ProtocolItem, bool) {
	for _, it := range q.Items {
		if it.ID == id {
			return it, true
		}
	}
	return ProtocolItem{}, false
}

// Form is one version of an observation form.
type Form struct {
	ID      string `json:"id"` // the XForm form id; stable across versions
	Name    Label  `json:"name"`
	Phase   Phase  `json:"phase"`
	Version string `json:"version"` // XForms versions are strings; compare for equality
	// Prefix is the letters that start a coded SMS for this form (e.g. "OP").
	Prefix string `json:"prefix,omitempty"`
	// SMSComment names the text question that the free comment of a coded
	// SMS (after "@") answers, e.g. an incident's description.
	SMSComment string     `json:"sms_comment,omitempty"`
	Questions  []Question `json:"questions"`
	// Groups describe the groups questions sit in (by their Group path):
	// label, relevance, appearance, and whether the group repeats. A group
	// without an entry is a plain, unlabelled one.
	Groups []Group `json:"groups,omitempty"`
	// Languages are the languages of an imported XLSForm by their XLSForm
	// names ("English (en)", "Kazakh (kk)"), default first; empty for
	// vigil's own forms (English and Russian).
	Languages []string `json:"languages,omitempty"`
	// InstanceName is XLSForm's instance_name: an expression naming each
	// filled-in form on the device.
	InstanceName string `json:"instance_name,omitempty"`
	// AllowChoiceDuplicates is XLSForm's allow_choice_duplicates: a list
	// may hold the same value twice (cascading lists that repeat names
	// under different parents).
	AllowChoiceDuplicates bool `json:"allow_choice_duplicates,omitempty"`
}

// Group is a group (or repeat) of an imported XLSForm.
type Group struct {
	Path       string `json:"path"` // slash-separated names, as in Question.Group
	Label      Label  `json:"label,omitzero"`
	Relevant   string `json:"relevant,omitempty"`
	Appearance string `json:"appearance,omitempty"`
	Repeat     bool   `json:"repeat,omitempty"`
	// RepeatCount is XLSForm's repeat_count: how many times the repeat is
	// shown (a number or an expression); empty, the observer adds them.
	RepeatCount string `json:"repeat_count,omitempty"`
}

// Name is the group's own name, the last of its path: a repeat's answers
// are stored under it.
func (g *Group) Name() string { return g.Path[strings.LastIndex(g.Path, "/")+1:] }

// RepeatGroup finds a repeat by name; nil when the form has none so named.
func (f *Form) RepeatGroup(name string) *Group {
	for i := range f.Groups {
		if f.Groups[i].Repeat && f.Groups[i].Name() == name {
			return &f.Groups[i]
		}
	}
	return nil
}

// InRepeat returns the questions of a repeat, in form order.
func (f *Form) InRepeat(g *Group) []*Question {
	var out []*Question
	for i := range f.Questions {
		if f.RepeatOf(&f.Questions[i]) == g.Path {
			out = append(out, &f.Questions[i])
		}
	}
	return out
}

// Group finds the description of a group path; nil when it has none.
func (f *Form) Group(path string) *Group {
	for i := range f.Groups {
		if f.Groups[i].Path == path {
			return &f.Groups[i]
		}
	}
	return nil
}

// RepeatOf returns the path of the innermost repeat a question sits in,
// or "" when it sits in none.
func (f *Form) RepeatOf(q *Question) string {
	p := q.Group
	for p != "" {
		if g := f.Group(p); g != nil && g.Repeat {
			return p
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return ""
}

// EnsureVersion gives a form without a version one: the first twelve hex
// digits of the SHA-256 of its JSON. An XLSForm need not state a version,
// but the OpenRosa form list and download URL need one; derived from the
// content, it stays the same when the same workbook is imported again and
// changes when the form does.
func (f *Form) EnsureVersion() {
	if f.Version != "" {
		return
	}
	body, _ := json.Marshal(f) // a Form always marshals
	sum := sha256.Sum256(body)
	f.Version = hex.EncodeToString(sum[:6])
}

// Question finds a question by id.
func (f *Form) Question(id string) *Question {
	for i := range f.Questions {
		if f.Questions[i].ID == id {
			return &f.Questions[i]
		}
	}
	return nil
}

var (
	idRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	smsTagRE = regexp.MustCompile(`^[A-Z]{2}$`)
	prefixRE = regexp.MustCompile(`^[A-Z]{1,6}$`)
)

// ValidID reports whether s can name a form, question or protocol item: an
// XML element name without a namespace prefix.
func ValidID(s string) bool {
	return idRE.MatchString(s) && !strings.HasPrefix(strings.ToLower(s), "xml")
}

// Check verifies the form's own structure: ids present, valid and unique,
// known phase and types, choices where needed, SMS tags two capital letters
// and unique, protocol items named. It returns every problem found, joined.
func (f *Form) Check() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if !ValidID(f.ID) {
		bad("form id %q is not a valid identifier", f.ID)
	}
	if f.Name.EN == "" {
		bad("form %s has no name", f.ID)
	}
	if !f.Phase.Valid() {
		bad("form %s: unknown phase %q", f.ID, f.Phase)
	}
	if f.Prefix != "" && !prefixRE.MatchString(f.Prefix) {
		bad("form %s: SMS prefix %q must be 1 to 6 capital letters", f.ID, f.Prefix)
	}
	ids := map[string]bool{}
	tags := map[string]string{}
	useTag := func(tag, owner string) {
		if !smsTagRE.MatchString(tag) {
			bad("%s: SMS tag %q must be two capital letters", owner, tag)
			return
		}
		if prev, dup := tags[tag]; dup {
			bad("%s: SMS tag %s already used by %s", owner, tag, prev)
			return
		}
		tags[tag] = owner
	}
	for i := range f.Questions {
		q := &f.Questions[i]
		name := fmt.Sprintf("question %d (%s)", i+1, q.ID)
		if !ValidID(q.ID) {
			bad("%s: id is not a valid identifier", name)
		} else if ids[q.ID] {
			bad("%s: duplicate id", name)
		}
		ids[q.ID] = true
		if !q.Type.Valid() {
			bad("%s: unknown type %q", name, q.Type)
		}
		if q.Label.EN == "" && q.Image.IsZero() && q.Type != Note && q.Type != Calculate {
			bad("%s: no English label", name)
		}
		if q.Type == Calculate && q.Calculation == "" {
			bad("%s: a calculate question needs a calculation", name)
		}
		if q.Type == Range {
			if _, _, _, err := q.RangeParams(); err != nil {
				bad("%s: %v", name, err)
			}
		}
		if q.ItemsetFile != "" && (!q.Helper || q.ChoiceFilter == "" || !ValidID(strings.TrimSuffix(q.ItemsetFile, ".csv"))) {
			// Only BindStations serves a list as media: a stored form
			// naming a file would send clients after one that is not there.
			bad("%s: itemset_file %q: only the station cascade's filtered lists are served as media files", name, q.ItemsetFile)
		}
		if q.SMS != "" && f.RepeatOf(q) != "" {
			bad("%s: a question inside a repeat cannot carry an SMS tag", name)
		}
		if q.Type == Protocol && f.RepeatOf(q) != "" {
			bad("%s: a protocol block cannot sit inside a repeat", name)
		}
		if q.SMS != "" {
			switch q.Type {
			case Text, Date, Photo, Note, Protocol, Decimal, Calculate, Geopoint, Acknowledge, Range:
				bad("%s: a %s question cannot carry an SMS tag", name, q.Type)
			default:
				useTag(q.SMS, q.ID)
			}
		}
		switch q.Type {
		case SingleChoice, MultipleChoice:
			if len(q.Choices) == 0 && q.ItemsetFile == "" {
				bad("%s: no choices", name)
			}
			seen := map[string]bool{}
			codes := map[int]bool{}
			for _, c := range q.Choices {
				if c.Value == "" || strings.ContainsAny(c.Value, " \t\n") {
					bad("%s: choice value %q must be non-empty without spaces", name, c.Value)
				}
				if seen[c.Value] && !f.AllowChoiceDuplicates {
					bad("%s: duplicate choice %q", name, c.Value)
				}
				seen[c.Value] = true
				if c.Code != 0 {
					if codes[c.Code] {
						bad("%s: duplicate SMS code %d", name, c.Code)
					}
					codes[c.Code] = true
					if q.Type == MultipleChoice && (c.Code < 1 || c.Code > 9) {
						bad("%s: choice %q: SMS codes of a multiple choice must be single digits 1-9", name, c.Value)
					}
				}
			}
		case Integer:
			if q.Min != nil && q.Max != nil && *q.Min > *q.Max {
				bad("%s: min %d above max %d", name, *q.Min, *q.Max)
			}
		case Protocol:
			if len(q.Items) == 0 {
				bad("%s: protocol block without items", name)
			}
			items := map[string]bool{}
			options := map[int]bool{}
			figures := map[string]bool{}
			for _, it := range q.Items {
				iname := q.ID + "/" + it.ID
				if !ValidID(it.ID) || items[it.ID] {
					bad("%s: protocol item %q missing, invalid or duplicate", name, it.ID)
				}
				items[it.ID] = true
				switch {
				case it.IsVotes() && it.Option < 0:
					bad("%s: negative option position", iname)
				case it.IsVotes() && options[it.Option]:
					bad("%s: option %d has two lines", iname, it.Option+1)
				case it.IsVotes():
					options[it.Option] = true
				default:
					if _, ok := election.ParseFigure(it.Figure); !ok {
						bad("%s: unknown protocol figure %q", iname, it.Figure)
					} else if figures[it.Figure] {
						bad("%s: figure %s has two lines", iname, it.Figure)
					}
					figures[it.Figure] = true
				}
				if it.SMS != "" {
					useTag(it.SMS, iname)
				}
			}
		}
		if q.Flag != "" {
			if q.Indicator == "" {
				bad("%s: flag without indicator", name)
			}
			if _, ok := q.Choice(q.Flag); !ok {
				bad("%s: flag %q is not one of its answers", name, q.Flag)
			}
		}
	}
	gpaths := map[string]bool{}
	for _, g := range f.Groups {
		for _, part := range strings.Split(g.Path, "/") {
			if !ValidID(part) {
				bad("group %q: %q is not a valid identifier", g.Path, part)
				break
			}
		}
		if gpaths[g.Path] {
			bad("group %q described twice", g.Path)
		}
		if g.Repeat {
			for _, h := range f.Groups {
				if h.Repeat && strings.HasPrefix(g.Path, h.Path+"/") {
					bad("repeat %q inside the repeat %q: repeats within repeats are not supported", g.Path, h.Path)
				}
			}
			if f.Question(g.Name()) != nil {
				bad("repeat %q has the name of a question", g.Path)
			}
		}
		gpaths[g.Path] = true
	}
	if f.SMSComment != "" {
		if q := f.Question(f.SMSComment); q == nil || q.Type != Text {
			bad("form %s: the SMS comment must answer a text question, %q is none", f.ID, f.SMSComment)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("form %s: %s", f.ID, strings.Join(errs, "; "))
	}
	return nil
}

// Indicators returns, for every question of the form with a key indicator
// that was answered, whether the problem was seen. Questions without a Flag
// (an assessment, say) are left out. Callers compute findings from it.
func (f *Form) Indicators(a Answers) map[string]bool {
	out := map[string]bool{}
	for i := range f.Questions {
		q := &f.Questions[i]
		if q.Indicator == "" || q.Flag == "" {
			continue
		}
		for _, v := range answersOf(f, q, a) {
			f.indicate(out, q, v)
		}
	}
	return out
}

// answersOf returns a question's answers: its one answer, or, inside a
// repeat, its answer in each instance.
func answersOf(f *Form, q *Question, a Answers) []Value {
	if rp := f.RepeatOf(q); rp != "" {
		g := f.Group(rp)
		rows, _ := a[g.Name()].Repeat()
		var out []Value
		for _, r := range rows {
			if v, ok := r[q.ID]; ok {
				out = append(out, v)
			}
		}
		return out
	}
	if v, ok := a[q.ID]; ok {
		return []Value{v}
	}
	return nil
}

// indicate records in out whether an answer to q shows its problem.
func (f *Form) indicate(out map[string]bool, q *Question, v Value) {
	var s string
	switch q.Type {
	case YesNo:
		b, ok := v.Bool()
		if !ok {
			return
		}
		s = NoValue
		if b {
			s = YesValue
		}
	case MultipleChoice:
		l, _ := v.List()
		hit := slices.Contains(l, q.Flag)
		out[q.Indicator] = out[q.Indicator] || hit
		return
	default:
		s, _ = v.Text()
	}
	out[q.Indicator] = out[q.Indicator] || s == q.Flag
}

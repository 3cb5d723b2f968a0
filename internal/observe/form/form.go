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
	"fmt"
	"regexp"
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
)

// Types lists every question type.
var Types = []Type{YesNo, SingleChoice, MultipleChoice, Integer, Decimal, Text, Time, Date, Assessment, Protocol, Photo, Note}

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
// Russian and Kazakh fall back to English when empty.
type Label struct {
	EN string `json:"en"`
	RU string `json:"ru,omitempty"`
	KK string `json:"kk,omitempty"`
}

// In returns the label in a language ("en", "ru", "kk"; anything else is
// English).
func (l Label) In(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "ru") && l.RU != "" {
		return l.RU
	}
	if strings.HasPrefix(strings.ToLower(lang), "kk") && l.KK != "" {
		return l.KK
	}
	return l.EN
}

// Choice is one answer of a single- or multiple-choice question.
type Choice struct {
	Value string `json:"value"` // what the answer stores; stable
	Label Label  `json:"label"`
	Code  int    `json:"code,omitempty"` // digit(s) that select it in an SMS; 0: not codable
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
		if q.Label.EN == "" && q.Type != Note {
			bad("%s: no English label", name)
		}
		if q.SMS != "" {
			switch q.Type {
			case Text, Date, Photo, Note, Protocol, Decimal:
				bad("%s: a %s question cannot carry an SMS tag", name, q.Type)
			default:
				useTag(q.SMS, q.ID)
			}
		}
		switch q.Type {
		case SingleChoice, MultipleChoice:
			if len(q.Choices) == 0 {
				bad("%s: no choices", name)
			}
			seen := map[string]bool{}
			codes := map[int]bool{}
			for _, c := range q.Choices {
				if c.Value == "" || strings.ContainsAny(c.Value, " \t\n") {
					bad("%s: choice value %q must be non-empty without spaces", name, c.Value)
				}
				if seen[c.Value] {
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
		v, ok := a[q.ID]
		if !ok {
			continue
		}
		var s string
		switch q.Type {
		case YesNo:
			b, ok := v.Bool()
			if !ok {
				continue
			}
			s = NoValue
			if b {
				s = YesValue
			}
		case MultipleChoice:
			l, _ := v.List()
			hit := false
			for _, c := range l {
				hit = hit || c == q.Flag
			}
			out[q.Indicator] = out[q.Indicator] || hit
			continue
		default:
			s, _ = v.Text()
		}
		out[q.Indicator] = out[q.Indicator] || s == q.Flag
	}
	return out
}

package form

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
)

// FieldError is one problem of an answer set: which question (and, inside a
// protocol block, which item), the value given, and what was expected.
type FieldError struct {
	Question string `json:"question"`
	Item     string `json:"item,omitempty"`  // protocol item id
	Value    string `json:"value,omitempty"` // as given, rendered; empty when missing
	Message  string `json:"message"`         // what was expected, in English
}

// Error renders the problem as "question/item: \"value\": message".
func (e FieldError) Error() string {
	id := e.Question
	if e.Item != "" {
		id += "/" + e.Item
	}
	if e.Value != "" {
		return fmt.Sprintf("%s: %q: %s", id, e.Value, e.Message)
	}
	return id + ": " + e.Message
}

var (
	timeRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?([+-][0-9]{2}:[0-9]{2}|Z)?$`)
)

// ValidTime reports whether s is a time of day as forms store it: HH:MM or
// HH:MM:SS, optionally with fractions and a zone as ODK Collect sends them.
func ValidTime(s string) bool { return timeRE.MatchString(s) }

// ValidDate reports whether s is a calendar date YYYY-MM-DD.
func ValidDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// Validate checks an answer set against a form. It returns every problem,
// in the order of the form's questions, answers to unknown questions last
// (sorted by id); nil when the answers are acceptable. Required questions
// with a relevance condition are not reported missing (the condition is not
// evaluated here).
func Validate(f *Form, a Answers) []FieldError {
	var errs []FieldError
	for i := range f.Questions {
		q := &f.Questions[i]
		v, ok := a[q.ID]
		if !ok || v.Kind() == KindNone {
			if q.Required && q.Relevant == "" && q.Type != Note {
				msg := "required, no answer given"
				if q.Type == Protocol {
					msg = "required protocol block, no figures given"
				}
				errs = append(errs, FieldError{Question: q.ID, Message: msg})
			}
			continue
		}
		errs = append(errs, validateValue(q, v)...)
	}
	var unknown []string
	for id := range a {
		if f.Question(id) == nil {
			unknown = append(unknown, id)
		}
	}
	slices.Sort(unknown)
	for _, id := range unknown {
		errs = append(errs, FieldError{Question: id, Value: a[id].String(), Message: fmt.Sprintf("no such question in form %s version %s", f.ID, f.Version)})
	}
	return errs
}

func expectKind(q *Question, v Value, k Kind, what string) *FieldError {
	if v.Kind() == k {
		return nil
	}
	return &FieldError{Question: q.ID, Value: v.String(), Message: fmt.Sprintf("expected %s, got a %s answer", what, v.Kind())}
}

func choiceList(q *Question) string {
	var vals []string
	for _, c := range q.Options() {
		vals = append(vals, c.Value)
	}
	return strings.Join(vals, ", ")
}

// MaxTextBytes bounds a text answer (a note, a photo's file name, any
// free text) on every channel alike — JSON API, web form, OpenRosa, SMS —
// since Submit validates them all here: a page of notes is 3 KB, and a
// report must not carry megabytes of text into every export.
const MaxTextBytes = 10_000

func validateValue(q *Question, v Value) []FieldError {
	if s, ok := v.Text(); ok && len(s) > MaxTextBytes {
		cut := 40
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return []FieldError{{Question: q.ID, Value: s[:cut] + "…", Message: fmt.Sprintf("a text of at most %d bytes (it has %d)", MaxTextBytes, len(s))}}
	}
	one := func(e *FieldError) []FieldError {
		if e == nil {
			return nil
		}
		return []FieldError{*e}
	}
	fe := func(msg string, a ...any) []FieldError {
		return []FieldError{{Question: q.ID, Value: v.String(), Message: fmt.Sprintf(msg, a...)}}
	}
	switch q.Type {
	case Note:
		return fe("a note takes no answer")
	case YesNo:
		return one(expectKind(q, v, KindBool, "true or false"))
	case Integer:
		if e := expectKind(q, v, KindInt, "a whole number"); e != nil {
			return one(e)
		}
		n, _ := v.Int()
		switch {
		case q.Min != nil && q.Max != nil && (n < *q.Min || n > *q.Max):
			return fe("expected a whole number from %d to %d", *q.Min, *q.Max)
		case q.Min != nil && n < *q.Min:
			return fe("expected a whole number of at least %d", *q.Min)
		case q.Max != nil && n > *q.Max:
			return fe("expected a whole number of at most %d", *q.Max)
		}
	case Decimal:
		if _, ok := v.Decimal(); !ok {
			return fe("expected a number, got a %s answer", v.Kind())
		}
	case Text, Photo:
		what := "text"
		if q.Type == Photo {
			what = "the file name of the photo"
		}
		return one(expectKind(q, v, KindText, what))
	case Time:
		if e := expectKind(q, v, KindText, "a time HH:MM"); e != nil {
			return one(e)
		}
		if s, _ := v.Text(); !ValidTime(s) {
			return fe("expected a time of day HH:MM (00:00 to 23:59)")
		}
	case Date:
		if e := expectKind(q, v, KindText, "a date YYYY-MM-DD"); e != nil {
			return one(e)
		}
		if s, _ := v.Text(); !ValidDate(s) {
			return fe("expected a date YYYY-MM-DD")
		}
	case SingleChoice, Assessment:
		if e := expectKind(q, v, KindText, "one of: "+choiceList(q)); e != nil {
			return one(e)
		}
		s, _ := v.Text()
		if _, ok := q.Choice(s); !ok {
			return fe("expected one of: %s", choiceList(q))
		}
	case MultipleChoice:
		if e := expectKind(q, v, KindList, "a list of choices from: "+choiceList(q)); e != nil {
			return one(e)
		}
		l, _ := v.List()
		var errs []FieldError
		seen := map[string]bool{}
		for _, s := range l {
			if _, ok := q.Choice(s); !ok {
				errs = append(errs, FieldError{Question: q.ID, Value: s, Message: "not a choice of this question; expected any of: " + choiceList(q)})
			} else if seen[s] {
				errs = append(errs, FieldError{Question: q.ID, Value: s, Message: "choice given twice"})
			}
			seen[s] = true
		}
		return errs
	case Protocol:
		if e := expectKind(q, v, KindProtocol, "protocol figures"); e != nil {
			return one(e)
		}
		m, _ := v.Protocol()
		var errs []FieldError
		for _, it := range q.Items {
			n, ok := m[it.ID]
			switch {
			case !ok && q.Required:
				errs = append(errs, FieldError{Question: q.ID, Item: it.ID, Message: "protocol line missing"})
			case ok && n < 0:
				errs = append(errs, FieldError{Question: q.ID, Item: it.ID, Value: fmt.Sprint(n), Message: "expected a count of zero or more"})
			case ok && n > election.MaxCount:
				// Observer protocols are tallied like official ones: the
				// same bound keeps their sums from overflowing.
				errs = append(errs, FieldError{Question: q.ID, Item: it.ID, Value: fmt.Sprint(n), Message: fmt.Sprintf("expected a count of at most %d", election.MaxCount)})
			}
		}
		var extra []string
		for id := range m {
			if _, ok := q.Item(id); !ok {
				extra = append(extra, id)
			}
		}
		slices.Sort(extra)
		for _, id := range extra {
			errs = append(errs, FieldError{Question: q.ID, Item: id, Value: fmt.Sprint(m[id]), Message: "no such line in this protocol block"})
		}
		return errs
	}
	return nil
}

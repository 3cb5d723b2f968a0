package form

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
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
// (sorted by id); nil when the answers are acceptable. It checks shapes:
// required questions under a condition (relevance, or required as an
// expression) and constraints are Evaluate's.
func Validate(f *Form, a Answers) []FieldError {
	var top []*Question
	for i := range f.Questions {
		if f.RepeatOf(&f.Questions[i]) == "" {
			top = append(top, &f.Questions[i])
		}
	}
	errs := validateSet(f, top, a, "")
	known := map[string]bool{}
	for _, q := range top {
		known[q.ID] = true
	}
	for i := range f.Groups {
		g := &f.Groups[i]
		if !g.Repeat {
			continue
		}
		known[g.Name()] = true
		v, ok := a[g.Name()]
		if !ok || v.Kind() == KindNone {
			continue
		}
		if l, isList := v.List(); isList && len(l) == 0 {
			continue // [] in JSON: no instance
		}
		rows, isRepeat := v.Repeat()
		if !isRepeat {
			errs = append(errs, FieldError{Question: g.Name(), Value: v.String(), Message: fmt.Sprintf("expected a repeat: a list of answer objects, got a %s answer", v.Kind())})
			continue
		}
		if len(rows) > MaxRepeatRows {
			errs = append(errs, FieldError{Question: g.Name(), Value: v.String(), Message: fmt.Sprintf("at most %d instances of a repeat", MaxRepeatRows)})
			continue
		}
		qs := f.InRepeat(g)
		in := map[string]bool{}
		for _, q := range qs {
			in[q.ID] = true
		}
		for k, row := range rows {
			where := fmt.Sprintf("%s[%d]/", g.Name(), k+1)
			errs = append(errs, validateSet(f, qs, row, where)...)
			for _, id := range slices.Sorted(maps.Keys(row)) {
				if !in[id] {
					errs = append(errs, FieldError{Question: where + id, Value: row[id].String(), Message: fmt.Sprintf("no such question in the repeat %s", g.Name())})
				}
			}
		}
	}
	var unknown []string
	for id := range a {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	slices.Sort(unknown)
	for _, id := range unknown {
		errs = append(errs, FieldError{Question: id, Value: a[id].String(), Message: fmt.Sprintf("no such question in form %s version %s", f.ID, f.Version)})
	}
	return errs
}

// MaxRepeatRows bounds the instances of one repeat in a report: a visit
// records a handful of incidents, not thousands.
const MaxRepeatRows = 200

// conditional reports whether a question applies only under a condition
// (its own relevance or a group's, or a conditional requirement), which
// Evaluate decides.
func conditional(f *Form, q *Question) bool {
	if q.Relevant != "" || q.RequiredIf != "" {
		return true
	}
	for p := q.Group; p != ""; {
		if g := f.Group(p); g != nil && g.Relevant != "" {
			return true
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return false
}

// validateSet checks the answers to a set of questions (the form's, or a
// repeat instance's); where prefixes the question ids in messages.
func validateSet(f *Form, qs []*Question, a Answers, where string) []FieldError {
	var errs []FieldError
	for _, q := range qs {
		v, ok := a[q.ID]
		if !ok || v.Kind() == KindNone {
			if q.Required && !conditional(f, q) && q.Type != Note && q.Type != Calculate {
				msg := "required, no answer given"
				if q.Type == Protocol {
					msg = "required protocol block, no figures given"
				}
				errs = append(errs, FieldError{Question: where + q.ID, Message: msg})
			}
			continue
		}
		for _, e := range validateValue(q, v) {
			e.Question = where + e.Question
			errs = append(errs, e)
		}
	}
	return errs
}

// ValidGeopoint reports whether s is an ODK geopoint: latitude and
// longitude in degrees, then optionally altitude and accuracy in metres,
// separated by spaces.
func ValidGeopoint(s string) bool {
	parts := strings.Fields(s)
	if len(parts) < 2 || len(parts) > 4 {
		return false
	}
	var x [4]float64
	for i, p := range parts {
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return false
		}
		x[i] = n
	}
	return x[0] >= -90 && x[0] <= 90 && x[1] >= -180 && x[1] <= 180 && (len(parts) < 4 || x[3] >= 0)
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
	case Calculate:
		switch v.Kind() {
		case KindText, KindInt, KindDecimal, KindBool:
		default:
			return fe("expected a calculated value (text or a number), got a %s answer", v.Kind())
		}
	case Geopoint:
		if e := expectKind(q, v, KindText, "a location \"latitude longitude [altitude [accuracy]]\""); e != nil {
			return one(e)
		}
		if s, _ := v.Text(); !ValidGeopoint(s) {
			return fe("expected a location \"latitude longitude [altitude [accuracy]]\" (latitude -90 to 90, longitude -180 to 180)")
		}
	case Acknowledge:
		if s, ok := v.Text(); !ok || s != "OK" {
			return fe("expected OK (an acknowledgement)")
		}
	case Range:
		x, ok := v.Decimal()
		if !ok {
			return fe("expected a number, got a %s answer", v.Kind())
		}
		start, end, _, err := q.RangeParams()
		if err == nil && (x < min(start, end) || x > max(start, end)) {
			return fe("expected a number from %v to %v", start, end)
		}
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

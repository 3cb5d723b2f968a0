// Package sms reads coded observation reports sent by SMS, in the grammar
// of NDI's Apollo: a form prefix, the observer's number, tag–value pairs,
// and a free comment after "@":
//
//	VO1234AA117AB1AC2AD1 @queue outside
//
// It maps tags to the questions of an observation form (package form),
// writes localised replies that say what was wrong, and adapts the
// webhooks of SMS gateways (Twilio, Telerivet) as pure functions. It does
// no I/O; the server stores messages and sends replies.
package sms

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
)

// Code classifies a problem of a message.
type Code string

// The problem classes. Each has a reply text in every language.
const (
	ErrEmpty       Code = "empty"        // nothing but spaces and punctuation
	ErrUnknownForm Code = "unknown_form" // the prefix names no form
	ErrNoObserver  Code = "no_observer"  // no digits after the prefix
	ErrUnreadable  Code = "unreadable"   // characters that are neither tag nor value
	ErrUnknownTag  Code = "unknown_tag"  // a tag the form does not have
	ErrNoValue     Code = "no_value"     // a tag without digits where a value is needed
	ErrBadValue    Code = "bad_value"    // a value that is not one of the codes
	ErrOutOfRange  Code = "out_of_range" // a number outside the question's range
	ErrConflict    Code = "conflict"     // a tag twice with different values
	ErrMissing     Code = "missing"      // required tags absent (Tags lists them)
	ErrNoComment   Code = "no_comment"   // the form needs a description after "@"
)

// Error is one problem of a message, with what a reply needs to say it.
type Error struct {
	Code     Code     `json:"code"`
	Tag      string   `json:"tag,omitempty"`
	Value    string   `json:"value,omitempty"`
	Question string   `json:"question,omitempty"` // the question (or protocol block) id
	Item     string   `json:"item,omitempty"`     // the protocol item id
	Min      *int64   `json:"min,omitempty"`      // for out_of_range
	Max      *int64   `json:"max,omitempty"`
	Expected string   `json:"expected,omitempty"` // for bad_value: the codes accepted, e.g. "1-4"
	Tags     []string `json:"tags,omitempty"`     // for missing
}

// String renders the problem for logs (replies use the catalogue).
func (e Error) String() string {
	switch e.Code {
	case ErrMissing:
		return fmt.Sprintf("%s: %s", e.Code, strings.Join(e.Tags, ","))
	case ErrOutOfRange:
		return fmt.Sprintf("%s: %s=%s (%s)", e.Code, e.Tag, e.Value, rangeText(e.Min, e.Max))
	}
	s := string(e.Code)
	if e.Tag != "" {
		s += ": " + e.Tag
		if e.Value != "" {
			s += "=" + e.Value
		}
	} else if e.Value != "" {
		s += ": " + e.Value
	}
	if e.Expected != "" {
		s += " (want " + e.Expected + ")"
	}
	return s
}

func rangeText(lo, hi *int64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%d-%d", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf(">=%d", *lo)
	case hi != nil:
		return fmt.Sprintf("<=%d", *hi)
	}
	return ""
}

// Message is a parsed SMS. Answers hold every value that could be read,
// even when Errors is not empty: the caller decides whether to keep a
// partial report (Apollo does, and asks for the rest).
type Message struct {
	Text     string       `json:"text"`
	Form     *form.Form   `json:"-"`
	FormID   string       `json:"form_id,omitempty"`
	Version  string       `json:"version,omitempty"`  // of the form the message was read with
	Prefix   string       `json:"prefix,omitempty"`   // as read, upper case
	Observer string       `json:"observer,omitempty"` // digits, leading zeros kept
	Answers  form.Answers `json:"answers,omitempty"`
	Raw      []Pair       `json:"raw,omitempty"` // every tag and value as read, in order
	Comment  string       `json:"comment,omitempty"`
	Errors   []Error      `json:"errors,omitempty"`
}

// Pair is one tag and its value as read (confusions resolved).
type Pair struct {
	Tag   string `json:"tag"`
	Value string `json:"value"`
}

func (m *Message) setForm(prefix string, f *form.Form) {
	m.Prefix, m.Form, m.FormID, m.Version = prefix, f, f.ID, f.Version
}

// Form returns the form of a prefix, or nil.
func (p *Parser) Form(prefix string) *form.Form { return p.forms[strings.ToUpper(prefix)] }

// OK reports whether the message parsed without problems.
func (m *Message) OK() bool { return len(m.Errors) == 0 }

// Parser parses messages for a set of forms, told apart by prefix.
type Parser struct {
	forms    map[string]*form.Form
	prefixes []string // longest first
	tags     map[string]map[string]target
}

// target is what a tag fills: a question, or one item of a protocol block.
type target struct {
	q    *form.Question
	item *form.ProtocolItem
}

// NewParser indexes forms by SMS prefix. Every form needs a prefix, valid
// and unique; forms must pass Check.
func NewParser(forms ...*form.Form) (*Parser, error) {
	p := &Parser{forms: map[string]*form.Form{}, tags: map[string]map[string]target{}}
	for _, f := range forms {
		if f.Prefix == "" {
			return nil, fmt.Errorf("sms: form %s has no SMS prefix", f.ID)
		}
		if err := f.Check(); err != nil {
			return nil, fmt.Errorf("sms: %w", err)
		}
		if g, dup := p.forms[f.Prefix]; dup {
			return nil, fmt.Errorf("sms: forms %s and %s share the prefix %s", g.ID, f.ID, f.Prefix)
		}
		p.forms[f.Prefix] = f
		p.prefixes = append(p.prefixes, f.Prefix)
		tags := map[string]target{}
		for i := range f.Questions {
			q := &f.Questions[i]
			if q.SMS != "" {
				tags[q.SMS] = target{q: q}
			}
			for j := range q.Items {
				if it := &q.Items[j]; it.SMS != "" {
					tags[it.SMS] = target{q: q, item: it}
				}
			}
		}
		p.tags[f.Prefix] = tags
	}
	slices.SortFunc(p.prefixes, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	return p, nil
}

// Prefixes returns the known prefixes, sorted.
func (p *Parser) Prefixes() []string {
	out := slices.Clone(p.prefixes)
	slices.Sort(out)
	return out
}

// homoglyphs maps Cyrillic letters that look like Latin ones to those, so
// that a code typed on a Russian keyboard layout reads the same.
var homoglyphs = map[rune]rune{
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P',
	'С': 'C', 'Т': 'T', 'Х': 'X', 'У': 'Y', 'І': 'I',
	'а': 'a', 'е': 'e', 'к': 'k', 'м': 'm', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't',
	'х': 'x', 'у': 'y', 'і': 'i',
}

// keypad maps the letters mistaken for digits: o and O for 0; i, I and
// lower-case l for 1. Used only where a digit is expected.
func keypad(r rune) (byte, bool) {
	switch r {
	case 'o', 'O':
		return '0', true
	case 'i', 'I', 'l':
		return '1', true
	}
	if r >= '0' && r <= '9' {
		return byte(r), true
	}
	return 0, false
}

func isLetter(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }

func upper(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}

// MaxLength bounds the text parsed; longer input (no phone sends it as one
// report) is cut, and the cut reported as unreadable.
const MaxLength = 2000

// Parse reads one message. It never fails: problems are in Errors. It
// reads clause by clause: the characters (and the comment after "@"), the
// form's prefix, the observer's number, the tag-value pairs, their values,
// the comment, the required tags not sent.
func (p *Parser) Parse(text string) *Message {
	m := &Message{Text: text, Answers: form.Answers{}}
	rs := m.clean(text)
	if len(rs) == 0 {
		m.Errors = append(m.Errors, Error{Code: ErrEmpty})
		return m
	}
	i, ok := p.prefix(m, rs)
	if !ok {
		return m
	}
	sc := scanner{rs: rs, tags: p.tags[m.Prefix]}
	m.Observer, i = sc.digits(i)
	if m.Observer == "" {
		m.Errors = append(m.Errors, Error{Code: ErrNoObserver, Value: m.Prefix})
		return m
	}
	items, seen, conflict := sc.pairs(m, i)
	m.values(sc.tags, items, conflict)
	m.comment()
	m.missing(seen)
	return m
}

// clean bounds the text, splits off the comment (after "@") and keeps the
// letters and digits of the rest, homoglyphs read as the letters they look
// like; spaces, punctuation and symbols separate nothing (Apollo strips
// them); anything else is reported unreadable.
func (m *Message) clean(text string) []rune {
	if len(text) > MaxLength {
		text = text[:MaxLength]
		m.Errors = append(m.Errors, Error{Code: ErrUnreadable, Value: "…"})
	}
	data := text
	if i := strings.IndexByte(text, '@'); i >= 0 {
		data, m.Comment = text[:i], strings.TrimSpace(text[i+1:])
	}
	var rs []rune
	var junk []rune
	for _, r := range data {
		if g, ok := homoglyphs[r]; ok {
			r = g
		}
		switch {
		case isLetter(r) || r >= '0' && r <= '9':
			rs = append(rs, r)
		case unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) || r == '\uFEFF':
		default:
			junk = append(junk, r)
		}
	}
	if len(junk) > 0 {
		m.Errors = append(m.Errors, Error{Code: ErrUnreadable, Value: string(junk)})
	}
	return rs
}

// prefix sets the message's form: the longest known prefix followed by a
// digit (or a keypad letter), and returns where the observer's number
// starts; else the leading letters, an unknown form or a known one without
// the number, and ok false.
func (p *Parser) prefix(m *Message, rs []rune) (int, bool) {
	for _, pre := range p.prefixes {
		if len(rs) > len(pre) && strings.EqualFold(string(rs[:len(pre)]), pre) {
			if _, ok := keypad(rs[len(pre)]); ok {
				m.setForm(pre, p.forms[pre])
				return len(pre), true
			}
		}
	}
	j := 0
	for j < len(rs) && isLetter(rs[j]) {
		j++
	}
	letters := strings.ToUpper(string(rs[:j]))
	// Letters that start with a known prefix: most likely the observer
	// forgot the number ("VOAA1").
	for _, pre := range p.prefixes {
		if strings.HasPrefix(letters, pre) {
			m.setForm(pre, p.forms[pre])
			m.Errors = append(m.Errors, Error{Code: ErrNoObserver, Value: pre})
			return 0, false
		}
	}
	m.Prefix = letters
	m.Errors = append(m.Errors, Error{Code: ErrUnknownForm, Value: letters})
	return 0, false
}

// scanner reads a cleaned message with the tags of its form.
type scanner struct {
	rs   []rune
	tags map[string]target
}

// digits reads a run of digits from i, reading keypad letters as digits
// unless they start a tag of the form.
func (sc scanner) digits(i int) (string, int) {
	rs := sc.rs
	var b []byte
	for i < len(rs) {
		d, ok := keypad(rs[i])
		if !ok {
			break
		}
		if isLetter(rs[i]) && i+1 < len(rs) && isLetter(rs[i+1]) {
			if _, isTag := sc.tags[string([]rune{upper(rs[i]), upper(rs[i+1])})]; isTag {
				break
			}
		}
		b = append(b, d)
		i++
	}
	return string(b), i
}

// item is one tag and value as scanned, or an unreadable run (junk).
type item struct {
	tag, val string
	junk     bool
}

// pairs scans the tag-value pairs from i, in message order (problems are
// reported in that order: the scan keeps the place of each, unreadable
// runs and tags alike). seen holds each tag's first value; conflict the
// values of a tag sent twice with different values.
func (sc scanner) pairs(m *Message, i int) (items []item, seen, conflict map[string]string) {
	rs := sc.rs
	seen = map[string]string{}
	conflict = map[string]string{} // tag → the values sent
	for i < len(rs) {
		if !isLetter(rs[i]) || i+1 >= len(rs) || !isLetter(rs[i+1]) {
			// Not a two-letter tag: skip to the next letter pair.
			j := i + 1
			for j < len(rs) && !(isLetter(rs[j]) && j+1 < len(rs) && isLetter(rs[j+1])) {
				j++
			}
			items = append(items, item{val: strings.ToUpper(string(rs[i:j])), junk: true})
			i = j
			continue
		}
		tag := string([]rune{upper(rs[i]), upper(rs[i+1])})
		var val string
		val, i = sc.digits(i + 2)
		m.Raw = append(m.Raw, Pair{Tag: tag, Value: val})
		if prev, dup := seen[tag]; dup {
			if prev != val && conflict[tag] == "" {
				conflict[tag] = prev + "," + val
			}
			continue
		}
		seen[tag] = val
		items = append(items, item{tag: tag, val: val})
	}
	return items, seen, conflict
}

// values reads the scanned values in message order into the answers; a
// conflicted tag is left unanswered.
func (m *Message) values(tags map[string]target, items []item, conflict map[string]string) {
	protos := map[string]map[string]int64{}
	for _, it := range items {
		tag, val := it.tag, it.val
		if it.junk {
			m.Errors = append(m.Errors, Error{Code: ErrUnreadable, Value: val})
			continue
		}
		if c := conflict[tag]; c != "" {
			m.Errors = append(m.Errors, Error{Code: ErrConflict, Tag: tag, Value: c})
			continue
		}
		t, ok := tags[tag]
		if !ok {
			m.Errors = append(m.Errors, Error{Code: ErrUnknownTag, Tag: tag, Value: val})
			continue
		}
		if t.item != nil {
			if val == "" {
				m.Errors = append(m.Errors, Error{Code: ErrNoValue, Tag: tag, Question: t.q.ID, Item: t.item.ID})
				continue
			}
			// A protocol line is a count: at most election.MaxCount, the
			// bound every channel's validation holds it to.
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n > election.MaxCount {
				m.Errors = append(m.Errors, Error{Code: ErrOutOfRange, Tag: tag, Value: val, Question: t.q.ID, Item: t.item.ID, Min: ptr(0), Max: ptr(election.MaxCount)})
				continue
			}
			if protos[t.q.ID] == nil {
				protos[t.q.ID] = map[string]int64{}
			}
			protos[t.q.ID][t.item.ID] = n
			continue
		}
		v, e := value(t.q, tag, val)
		if e != nil {
			m.Errors = append(m.Errors, *e)
			continue
		}
		m.Answers[t.q.ID] = v
	}
	for id, items := range protos {
		m.Answers[id] = form.ProtocolValue(items)
	}
}

// comment answers the form's comment question, if it has one.
func (m *Message) comment() {
	id := m.Form.SMSComment
	if id == "" {
		return
	}
	if m.Comment != "" {
		m.Answers[id] = form.TextValue(m.Comment)
	} else if q := m.Form.Question(id); q != nil && q.Required {
		m.Errors = append(m.Errors, Error{Code: ErrNoComment, Question: id})
	}
}

// missing reports the required tags not sent (conflicted ones count as
// sent: the conflict is reported already).
func (m *Message) missing(seen map[string]string) {
	var missing []string
	for _, q := range m.Form.Questions {
		if !q.Required || q.Relevant != "" {
			continue
		}
		if q.SMS != "" {
			if _, ok := seen[q.SMS]; !ok {
				missing = append(missing, q.SMS)
			}
		}
		for _, it := range q.Items {
			if _, ok := seen[it.SMS]; it.SMS != "" && !ok {
				missing = append(missing, it.SMS)
			}
		}
	}
	if len(missing) > 0 {
		m.Errors = append(m.Errors, Error{Code: ErrMissing, Tags: missing})
	}
}

func ptr(n int64) *int64 { return &n }

// Expected returns what an SMS value of a question may be, in the notation
// replies use: "1=yes 2=no" is said by the catalogue, so here "1-2";
// choice codes as a range or list; "HHMM" for times; "" for numbers.
func Expected(q *form.Question) string {
	switch q.Type {
	case form.Time:
		return "HHMM"
	case form.Integer:
		return ""
	}
	var codes []int
	for _, c := range q.Options() {
		if c.Code > 0 {
			codes = append(codes, c.Code)
		}
	}
	slices.Sort(codes)
	if len(codes) == 0 {
		return ""
	}
	contiguous := true
	for k := 1; k < len(codes); k++ {
		contiguous = contiguous && codes[k] == codes[k-1]+1
	}
	if contiguous && len(codes) > 1 {
		return fmt.Sprintf("%d-%d", codes[0], codes[len(codes)-1])
	}
	var s []string
	for _, c := range codes {
		s = append(s, strconv.Itoa(c))
	}
	return strings.Join(s, ",")
}

// value reads the digits of one tag as an answer to q.
func value(q *form.Question, tag, val string) (form.Value, *Error) {
	bad := func() *Error {
		return &Error{Code: ErrBadValue, Tag: tag, Value: val, Question: q.ID, Expected: Expected(q)}
	}
	switch q.Type {
	case form.YesNo:
		switch val {
		case "", "1": // a bare tag means yes, as Apollo's checkboxes
			return form.BoolValue(true), nil
		case "2":
			return form.BoolValue(false), nil
		}
		return form.Value{}, bad()
	}
	if val == "" {
		return form.Value{}, &Error{Code: ErrNoValue, Tag: tag, Question: q.ID}
	}
	switch q.Type {
	case form.Integer:
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || q.Min != nil && n < *q.Min || q.Max != nil && n > *q.Max {
			return form.Value{}, &Error{Code: ErrOutOfRange, Tag: tag, Value: val, Question: q.ID, Min: q.Min, Max: q.Max}
		}
		return form.IntValue(n), nil
	case form.SingleChoice, form.Assessment:
		n, err := strconv.Atoi(val)
		if err == nil {
			for _, c := range q.Options() {
				if c.Code == n && n > 0 {
					return form.TextValue(c.Value), nil
				}
			}
		}
		return form.Value{}, bad()
	case form.MultipleChoice:
		var picked []string
		for _, d := range val {
			found := false
			for _, c := range q.Choices {
				if c.Code == int(d-'0') && c.Code > 0 {
					if !slices.Contains(picked, c.Value) {
						picked = append(picked, c.Value)
					}
					found = true
				}
			}
			if !found {
				return form.Value{}, bad()
			}
		}
		return form.ListValue(picked...), nil
	case form.Time:
		if len(val) == 3 {
			val = "0" + val
		}
		if len(val) != 4 {
			return form.Value{}, bad()
		}
		t := val[:2] + ":" + val[2:]
		if !form.ValidTime(t) {
			return form.Value{}, bad()
		}
		return form.TextValue(t), nil
	}
	return form.Value{}, bad()
}

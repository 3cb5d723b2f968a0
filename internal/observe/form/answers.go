package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/jsontext"
)

// Kind is the kind of an answer value.
type Kind int

// The kinds of value. A Value's zero is KindNone (no answer).
const (
	KindNone Kind = iota
	KindBool
	KindInt
	KindDecimal
	KindText
	KindList
	KindProtocol
	KindRepeat
)

var kindNames = [...]string{"none", "yes/no", "integer", "decimal", "text", "list", "protocol", "repeat"}

// String names the kind for messages.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Value is one answer. Build it with Bool, Int, Dec, Str, List or
// ProtocolAnswer; read it with the methods of the same names. In JSON it is
// the natural value: true, 12, 1.5, "text", ["a","b"], or
// {"registered": 1200, ...} for a protocol (item id to number).
type Value struct {
	kind  Kind
	b     bool
	i     int64
	f     float64
	s     string
	list  []string
	proto map[string]int64
	rows  []Answers
}

// RepeatValue returns the answers to a repeat (an XLSForm begin repeat):
// one set of answers, by question id, per time it was filled in (several
// incidents in one visit, say). In JSON it is an array of objects.
func RepeatValue(rows ...Answers) Value {
	out := make([]Answers, len(rows))
	for i, r := range rows {
		out[i] = maps.Clone(r)
	}
	return Value{kind: KindRepeat, rows: out}
}

// Repeat returns a repeat's answers, one set per instance. The slice is
// the caller's.
func (v Value) Repeat() ([]Answers, bool) {
	if v.kind != KindRepeat {
		return nil, false
	}
	out := make([]Answers, len(v.rows))
	for i, r := range v.rows {
		out[i] = maps.Clone(r)
	}
	return out, true
}

// BoolValue returns a yes/no answer.
func BoolValue(b bool) Value { return Value{kind: KindBool, b: b} }

// IntValue returns an integer answer.
func IntValue(n int64) Value { return Value{kind: KindInt, i: n} }

// DecimalValue returns a decimal answer.
func DecimalValue(x float64) Value { return Value{kind: KindDecimal, f: x} }

// TextValue returns a text answer: free text, a choice value, a time, a date,
// an assessment grade or a photo's file name.
func TextValue(s string) Value { return Value{kind: KindText, s: s} }

// ListValue returns a multiple-choice answer.
func ListValue(values ...string) Value {
	return Value{kind: KindList, list: slices.Clone(values)}
}

// ProtocolValue returns a protocol answer: numbers by protocol item id.
func ProtocolValue(items map[string]int64) Value {
	return Value{kind: KindProtocol, proto: maps.Clone(items)}
}

// ValidUTF8 reports whether every question id and every text the answers
// hold (texts, choices, protocol items, a repeat's answers) is valid
// UTF-8. Only such answers decode from their JSON encoding to answers
// that encode the same way: JSON replaces an invalid byte with U+FFFD,
// which Value's encoding writes as itself, not as the escape an invalid
// byte gets (FuzzAnswersReencode, TestAnswersReencode).
func (a Answers) ValidUTF8() bool {
	for q, v := range a {
		if !utf8.ValidString(q) || !v.validUTF8() {
			return false
		}
	}
	return true
}

func (v Value) validUTF8() bool {
	if !utf8.ValidString(v.s) {
		return false
	}
	for _, s := range v.list {
		if !utf8.ValidString(s) {
			return false
		}
	}
	for k := range v.proto {
		if !utf8.ValidString(k) {
			return false
		}
	}
	for _, r := range v.rows {
		if !r.ValidUTF8() {
			return false
		}
	}
	return true
}

// Kind returns the kind of the value.
func (v Value) Kind() Kind { return v.kind }

// Bool returns a yes/no answer.
func (v Value) Bool() (bool, bool) { return v.b, v.kind == KindBool }

// Int returns an integer answer.
func (v Value) Int() (int64, bool) { return v.i, v.kind == KindInt }

// Decimal returns a numeric answer (integer or decimal) as a float.
func (v Value) Decimal() (float64, bool) {
	switch v.kind {
	case KindInt:
		return float64(v.i), true
	case KindDecimal:
		return v.f, true
	}
	return 0, false
}

// Text returns a text answer.
func (v Value) Text() (string, bool) { return v.s, v.kind == KindText }

// List returns a multiple-choice answer. The slice is the caller's.
func (v Value) List() ([]string, bool) { return slices.Clone(v.list), v.kind == KindList }

// Protocol returns a protocol answer. The map is the caller's.
func (v Value) Protocol() (map[string]int64, bool) {
	return maps.Clone(v.proto), v.kind == KindProtocol
}

// Equal reports whether two values are the same answer.
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case KindBool:
		return v.b == w.b
	case KindInt:
		return v.i == w.i
	case KindDecimal:
		return v.f == w.f
	case KindText:
		return v.s == w.s
	case KindList:
		return slices.Equal(v.list, w.list)
	case KindProtocol:
		return maps.Equal(v.proto, w.proto)
	case KindRepeat:
		return slices.EqualFunc(v.rows, w.rows, func(a, b Answers) bool {
			return maps.EqualFunc(a, b, Value.Equal)
		})
	}
	return true
}

// String renders the value for messages: yes/no, numbers, text, a
// comma-separated list, or item=number pairs in item order.
func (v Value) String() string {
	switch v.kind {
	case KindBool:
		if v.b {
			return YesValue
		}
		return NoValue
	case KindInt:
		return strconv.FormatInt(v.i, 10)
	case KindDecimal:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case KindText:
		return v.s
	case KindList:
		return strings.Join(v.list, ",")
	case KindProtocol:
		var b strings.Builder
		for i, k := range slices.Sorted(maps.Keys(v.proto)) {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%d", k, v.proto[k])
		}
		return b.String()
	case KindRepeat:
		return fmt.Sprintf("%d repeat(s)", len(v.rows))
	}
	return ""
}

// MarshalJSON writes the natural JSON value.
func (v Value) MarshalJSON() ([]byte, error) { return v.appendJSON(nil) }

// appendJSON appends the natural JSON value, as json.Marshal writes it.
func (v Value) appendJSON(buf []byte) ([]byte, error) {
	switch v.kind {
	case KindBool:
		return strconv.AppendBool(buf, v.b), nil
	case KindInt:
		return strconv.AppendInt(buf, v.i, 10), nil
	case KindDecimal:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return nil, fmt.Errorf("form: decimal answer %v has no JSON form", v.f)
		}
		// Keep a decimal point so that the value reads back as a decimal.
		n := len(buf)
		buf = strconv.AppendFloat(buf, v.f, 'g', -1, 64)
		if !bytes.ContainsAny(buf[n:], ".e") {
			buf = append(buf, ".0"...)
		}
		return buf, nil
	case KindText:
		return jsontext.AppendString(buf, v.s), nil
	case KindList:
		if v.list == nil {
			return append(buf, "[]"...), nil
		}
		return jsontext.AppendStrings(buf, v.list), nil
	case KindProtocol:
		buf = append(buf, '{')
		for i, k := range slices.Sorted(maps.Keys(v.proto)) {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = jsontext.AppendString(buf, k)
			buf = append(buf, ':')
			buf = strconv.AppendInt(buf, v.proto[k], 10)
		}
		return append(buf, '}'), nil
	case KindRepeat:
		buf = append(buf, '[')
		for i, r := range v.rows {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = r.AppendJSON(buf); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
	return append(buf, "null"...), nil
}

// AppendJSON appends the answers as json.Marshal writes them (questions
// in order, each answer its natural value), without its reflection: the
// intake encodes every report's answers (issue 9).
func (a Answers) AppendJSON(buf []byte) ([]byte, error) {
	if a == nil {
		return append(buf, "null"...), nil
	}
	buf = append(buf, '{')
	for i, q := range slices.Sorted(maps.Keys(a)) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = jsontext.AppendString(buf, q)
		buf = append(buf, ':')
		var err error
		if buf, err = a[q].appendJSON(buf); err != nil {
			return nil, fmt.Errorf("answer to %s: %w", q, err)
		}
	}
	return append(buf, '}'), nil
}

// UnmarshalJSON reads the natural JSON value. Numbers without a fraction or
// exponent that fit in 64 bits are integers; other numbers are decimals.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*v = Value{}
	if len(b) == 0 {
		return fmt.Errorf("form: empty answer")
	}
	if fast, ok := scalarFast(b); ok {
		*v = fast
		return nil
	}
	switch b[0] {
	case '{':
		if fast, ok := protocolFast(b); ok {
			*v = fast
			return nil
		}
	case '[':
		if fast, ok := listFast(b); ok {
			*v = fast
			return nil
		}
	}
	return v.unmarshalGeneral(b)
}

// scalarFast reads the answers most forms are made of (true, false, a
// whole number, a string without escapes) without encoding/json, whose
// reflection was most of decoding a report's answers again each time its
// group is recomputed (issue 9). It takes only input that is exactly one
// such JSON value, and leaves everything else, valid or not, to the
// general path; FuzzValueScalarFast holds the two to the same answers.
func scalarFast(b []byte) (Value, bool) {
	switch b[0] {
	case 't':
		if string(b) == "true" {
			return BoolValue(true), true
		}
	case 'f':
		if string(b) == "false" {
			return BoolValue(false), true
		}
	case '"':
		if len(b) < 2 || b[len(b)-1] != '"' {
			return Value{}, false
		}
		in := b[1 : len(b)-1]
		for _, c := range in {
			// An escape, a quote or a control character: the general path
			// (which also mends invalid UTF-8 as encoding/json does).
			if c == '\\' || c == '"' || c < 0x20 {
				return Value{}, false
			}
		}
		if !utf8.Valid(in) {
			return Value{}, false
		}
		return TextValue(string(in)), true
	default:
		// A whole number as JSON writes it: an optional minus, then 0 or
		// digits not starting with 0.
		d := b
		if d[0] == '-' {
			d = d[1:]
		}
		if len(d) == 0 || len(d) > 18 || (d[0] == '0' && len(d) > 1) {
			return Value{}, false
		}
		for _, c := range d {
			if c < '0' || c > '9' {
				return Value{}, false
			}
		}
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return Value{}, false
		}
		return IntValue(n), true
	}
	return Value{}, false
}

// unmarshalGeneral reads any answer through encoding/json.
func (v *Value) unmarshalGeneral(b []byte) error {
	switch b[0] {
	case 'n':
		return json.Unmarshal(b, new(struct{}))
	case 't', 'f':
		var x bool
		if err := json.Unmarshal(b, &x); err != nil {
			return err
		}
		*v = BoolValue(x)
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = TextValue(s)
	case '[':
		if inner := bytes.TrimSpace(b[1:]); len(inner) > 0 && inner[0] == '{' {
			// A repeat: an object of answers per instance.
			var rows []Answers
			if err := json.Unmarshal(b, &rows); err != nil {
				return err
			}
			*v = RepeatValue(rows...)
			return nil
		}
		var l []string
		if err := json.Unmarshal(b, &l); err != nil {
			return &AnswerError{Want: "a list of strings, or of objects for a repeat", Got: describeJSON(b)}
		}
		*v = ListValue(l...)
	case '{':
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		m := make(map[string]int64, len(raw))
		for _, item := range slices.Sorted(maps.Keys(raw)) {
			var n int64
			if err := json.Unmarshal(raw[item], &n); err != nil {
				return &AnswerError{Item: item, Want: "a whole number", Got: describeJSON(raw[item])}
			}
			m[item] = n
		}
		*v = ProtocolValue(m)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
			*v = IntValue(i)
			return nil
		}
		f, err := n.Float64()
		if err != nil {
			return fmt.Errorf("form: number %s: %w", n, err)
		}
		*v = DecimalValue(f)
	}
	return nil
}

// Answers are one submission's answers by question id. A question without
// an entry was not answered.
type Answers map[string]Value

// UnmarshalJSON reads answers by question id, naming the question (and
// the protocol item) of an answer that is of no answer's shape: the JSON
// decoder alone would say `field "": want int64`.
func (a *Answers) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) == 0 || b[0] != '{' {
		return &AnswerError{Want: "an object of answers by question id", Got: describeJSON(b)}
	}
	if out, ok := answersFast(b); ok {
		*a = out
		return nil
	}
	out, err := answersGeneral(b)
	if err != nil {
		return err
	}
	*a = out
	return nil
}

// answersGeneral reads an object of answers with encoding/json.
func answersGeneral(b []byte) (Answers, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := make(Answers, len(raw))
	for q, r := range raw {
		var v Value
		if v.UnmarshalJSON(r) != nil {
			break // named below, in question order
		}
		out[q] = v
	}
	if len(out) == len(raw) {
		return out, nil
	}
	// A bad answer: the first in question order is the one named, so that
	// the same input always gives the same error.
	for _, q := range slices.Sorted(maps.Keys(raw)) {
		var v Value
		if err := v.UnmarshalJSON(raw[q]); err != nil {
			var ae *AnswerError
			if errors.As(err, &ae) {
				ae.Question = q
				return nil, ae
			}
			return nil, &AnswerError{Question: q, Want: "true or false, a number, a string, a list of strings or an object of protocol items", Got: describeJSON(raw[q])}
		}
		out[q] = v
	}
	return out, nil
}

// answersFast reads an object of answers (b, trimmed, begins with '{')
// without encoding/json's decoding into a map of raw values, which was
// four fifths of decoding a report's answers, and decoding was a fifth of
// the group commit's CPU under 200 submitting clients (every report of a
// touched group is decoded again, issue 9). It splits the object itself
// (eachMember) and reads each value as the general path does
// (Value.UnmarshalJSON). Anything it does not read exactly as the general
// path would, valid or not (then with the general path's error), is left
// to the general path. FuzzAnswersFast holds the two to the same answers.
func answersFast(b []byte) (Answers, bool) {
	out := make(Answers, 16)
	ok := eachMember(b, func(key, raw []byte) bool {
		var v Value
		if v.UnmarshalJSON(raw) != nil {
			return false
		}
		if _, dup := out[string(key)]; dup {
			return false // encoding/json keeps the last: the general path says so
		}
		out[string(key)] = v
		return true
	})
	return out, ok
}

// protocolFast reads a protocol answer (b, trimmed, begins with '{') whose
// items are all whole numbers that scalarFast reads, as unmarshalGeneral
// reads it; false for anything else, left to unmarshalGeneral.
func protocolFast(b []byte) (Value, bool) {
	m := make(map[string]int64, 16)
	ok := eachMember(b, func(key, raw []byte) bool {
		n, ok := scalarFast(raw)
		if !ok || n.kind != KindInt {
			return false
		}
		if _, dup := m[string(key)]; dup {
			return false
		}
		m[string(key)] = n.i
		return true
	})
	if !ok {
		return Value{}, false
	}
	return Value{kind: KindProtocol, proto: m}, true
}

// listFast reads a non-empty list of strings that scalarFast reads (b,
// trimmed, begins with '['), as unmarshalGeneral reads it; false for
// anything else.
func listFast(b []byte) (Value, bool) {
	var l []string
	i := 1
	for {
		i = skipJSONSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return Value{}, false
		}
		end, ok := jsonStringEnd(b, i)
		if !ok {
			return Value{}, false
		}
		v, ok := scalarFast(b[i:end])
		if !ok || v.kind != KindText {
			return Value{}, false
		}
		l = append(l, v.s)
		i = skipJSONSpace(b, end)
		if i >= len(b) {
			return Value{}, false
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			if skipJSONSpace(b, i+1) != len(b) {
				return Value{}, false
			}
			return Value{kind: KindList, list: l}, true
		default:
			return Value{}, false
		}
	}
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// eachMember calls fn with the key and raw value of each member of the
// JSON object b (trimmed, begins with '{'), in order, and reports whether
// b is an object it reads exactly as encoding/json would and fn accepted
// every member: keys without escapes, control characters or invalid UTF-8;
// JSON whitespace between tokens; nothing after the object. The values'
// own contents are for fn to check.
func eachMember(b []byte, fn func(key, raw []byte) bool) bool {
	i := skipJSONSpace(b, 1)
	if i < len(b) && b[i] == '}' {
		return skipJSONSpace(b, i+1) == len(b)
	}
	for {
		i = skipJSONSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return false
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if c := b[j]; c == '\\' || c < 0x20 {
				return false
			}
			j++
		}
		if j >= len(b) || !utf8.Valid(b[i+1:j]) {
			return false
		}
		key := b[i+1 : j]
		i = skipJSONSpace(b, j+1)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipJSONSpace(b, i+1)
		end, ok := jsonValueEnd(b, i)
		if !ok || !fn(key, b[i:end]) {
			return false
		}
		i = skipJSONSpace(b, end)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return skipJSONSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// jsonValueEnd returns where the JSON value that begins at b[i] ends: after
// its closing quote or bracket, or at the delimiter after a bare token. It
// checks strings' and brackets' structure only: the value itself is read
// (and checked) by Value.UnmarshalJSON.
func jsonValueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return jsonStringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch c := b[i]; c {
			case '"':
				end, ok := jsonStringEnd(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}

// jsonStringEnd returns the index after the string that begins at b[i].
func jsonStringEnd(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			i++
		case c < 0x20:
			return 0, false
		}
	}
	return 0, false
}

// AnswerError is a JSON answer of the wrong shape, with its question (and
// protocol item).
type AnswerError struct {
	Question string `json:"question"`
	Item     string `json:"item,omitempty"`
	Want     string `json:"want"`
	Got      string `json:"got"`
}

func (e *AnswerError) Error() string {
	where := "answers"
	if e.Question != "" {
		where = fmt.Sprintf("answer %q", e.Question)
	}
	if e.Item != "" {
		where += fmt.Sprintf(", protocol item %q", e.Item)
	}
	return fmt.Sprintf("%s: want %s, got %s", where, e.Want, e.Got)
}

// describeJSON names a JSON value for a message: its kind, and a short
// one's text.
func describeJSON(b []byte) string {
	b = bytes.TrimSpace(b)
	text := string(b)
	if len(text) > 40 {
		text = text[:37] + "…"
	}
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "a string " + text
	case '{':
		return "an object"
	case '[':
		return "a list " + text
	case 't', 'f':
		return text
	case 'n':
		return "null"
	}
	return "the number " + text
}

// Merge returns base with the answers of update laid over it: how a
// correction (an SMS resending two tags, an edited submission) amends a
// report. Protocol answers merge line by line. Neither argument changes.
func Merge(base, update Answers) Answers {
	out := make(Answers, len(base)+len(update))
	maps.Copy(out, base)
	for id, v := range update {
		if old, ok := out[id]; ok && old.kind == KindProtocol && v.kind == KindProtocol {
			m := maps.Clone(old.proto)
			if m == nil {
				m = map[string]int64{}
			}
			maps.Copy(m, v.proto)
			out[id] = ProtocolValue(m)
			continue
		}
		out[id] = v
	}
	return out
}

// ProtocolFigures turns the answer to a protocol question into the
// election's figures and votes by option position (the observer's copy of
// the protocol). nOptions is the number of ballot options; votes of items
// whose option is beyond it are an error, as are unknown figure names.
// Figures the observer did not report stay absent.
func ProtocolFigures(q *Question, v Value, nOptions int) (election.Figures, []int64, error) {
	var figs election.Figures
	if q.Type != Protocol {
		return figs, nil, fmt.Errorf("form: question %s is a %s question, not a protocol", q.ID, q.Type)
	}
	m, ok := v.Protocol()
	if !ok {
		return figs, nil, fmt.Errorf("form: question %s: answer is %s, not a protocol", q.ID, v.Kind())
	}
	votes := make([]int64, nOptions)
	for _, it := range q.Items {
		n, ok := m[it.ID]
		if !ok {
			continue
		}
		if it.IsVotes() {
			if it.Option >= nOptions {
				return figs, nil, fmt.Errorf("form: question %s: item %s is option %d, the election has %d", q.ID, it.ID, it.Option, nOptions)
			}
			votes[it.Option] = n
			continue
		}
		fig, ok := election.ParseFigure(it.Figure)
		if !ok {
			return figs, nil, fmt.Errorf("form: question %s: item %s: unknown protocol figure %q", q.ID, it.ID, it.Figure)
		}
		figs.Set(fig, n)
	}
	return figs, votes, nil
}

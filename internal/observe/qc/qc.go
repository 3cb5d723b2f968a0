// Package qc evaluates quality-control rules: small, safe expressions over
// a report's answers, such as
//
//	ballots_in_box > ballots_issued
//	valid + invalid != ballots_in_box and not protocol_copy
//	overall = "very_bad" and not ballot_box_stuffing
//
// A rule that evaluates to true flags (or quarantines) the report.
//
// # Language
//
// Integers (64-bit; overflow makes the result missing), the strings "…"
// (for choice answers), true and false; names of questions or protocol
// items (letters, digits, _ and .); + - * / (also × ÷; integer division,
// truncated), unary minus; comparisons = == != <> < <= > >=; and, or,
// not (also && || !); parentheses. At most 64 levels of nesting and 4096
// bytes of source.
//
// A repeat (several incidents in one visit) is read through functions:
// count(incident) is its number of instances, count(incident.kind,
// "stuffing") the number whose answer to kind is "stuffing", and
// sum(incident.people) the sum of an integer question's answers (0 for
// no instance). A question inside a repeat read by its name alone is
// missing.
//
// distance(location) is the distance in whole metres between a geopoint
// answer and the report's station where its location is known (vigil geo
// import --stations): distance(location) > 1000 flags a report sent far
// from its station. It is missing when either point is.
//
// # Answers as values
//
// A yes/no answer is true or false and, in arithmetic or against a number,
// 1 or 0; an integer is itself; a text or single choice is a string; a
// protocol block's items are reached by item id (ballots_in_box) or by
// question and item (protocol.ballots_in_box); anything else (a decimal, a
// list) is missing.
//
// # Missing values
//
// An unanswered question is missing, and missing propagates like SQL's
// NULL: arithmetic with a missing operand is missing, so is division by
// zero; a comparison with a missing side is unknown; not unknown is
// unknown; "false and unknown" is false, "true or unknown" is true,
// otherwise and/or with an unknown side are unknown. A rule fires only
// when its value is true: a report that does not give the figures a rule
// needs is never flagged by it (a separate rule can test for absence with
// the function answered(name)).
package qc

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a rule's source.
const (
	MaxLen   = 4096
	MaxDepth = 64
)

// Kind is the kind of a value.
type Kind uint8

// The kinds of value.
const (
	Missing Kind = iota
	Int
	Bool
	Str
	// Multi is the answers to one question across a repeat's instances
	// (or the instances themselves): only count() and sum() read it;
	// anywhere else it is missing.
	Multi
)

// Value is a value in an expression.
type Value struct {
	Kind Kind
	I    int64
	B    bool
	S    string
	M    []Value // Multi
}

// MultiV makes the value of a question in a repeat: one per instance.
func MultiV(vs ...Value) Value { return Value{Kind: Multi, M: vs} }

// IntV, BoolV and StrV make values; the zero Value is missing.
func IntV(n int64) Value  { return Value{Kind: Int, I: n} }
func BoolV(b bool) Value  { return Value{Kind: Bool, B: b} } //nolint
func StrV(s string) Value { return Value{Kind: Str, S: s} }
func (v Value) num() (int64, bool) {
	switch v.Kind {
	case Int:
		return v.I, true
	case Bool:
		if v.B {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Lookup returns the value of a name, or the zero (missing) Value.
type Lookup func(name string) Value

// Expr is a compiled rule.
type Expr struct {
	src      string
	root     node
	names    []string
	distance bool
}

// UsesDistance tells whether the rule calls distance(): the caller then
// has the report's station located (observe.LookupAt).
func (e *Expr) UsesDistance() bool { return e.distance }

// String returns the rule's source.
func (e *Expr) String() string { return e.src }

// Names returns the names the rule reads, in order of first use.
func (e *Expr) Names() []string { return append([]string(nil), e.names...) }

// SyntaxError says where a rule's source is wrong.
type SyntaxError struct {
	Offset int // byte offset in the source, 0-based
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at character %d: %s", e.Offset+1, e.Msg) }

// Compile parses a rule.
func Compile(src string) (*Expr, error) {
	if len(src) > MaxLen {
		return nil, &SyntaxError{MaxLen, fmt.Sprintf("rule longer than %d bytes", MaxLen)}
	}
	if !utf8.ValidString(src) {
		return nil, &SyntaxError{0, "not valid UTF-8"}
	}
	p := &parser{src: src, seen: map[string]bool{}}
	if err := p.next(); err != nil {
		return nil, err
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("unexpected %s", p.tok)}
	}
	return &Expr{src: src, root: n, names: p.names, distance: p.distance}, nil
}

// Eval evaluates the rule. The result is Bool (true, false) or Missing
// (unknown) for a condition, or Int/Str for a bare value.
func (e *Expr) Eval(look Lookup) Value { return e.root.eval(look) }

// Fires reports whether the rule is definitely true.
func (e *Expr) Fires(look Lookup) bool {
	v := e.Eval(look)
	return v.Kind == Bool && v.B
}

// --- lexer

type tkind uint8

const (
	tEOF tkind = iota
	tInt
	tStr
	tName
	tOp
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tkind
	pos  int
	text string
	n    int64
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of rule"
	case tStr:
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

type parser struct {
	src      string
	pos      int
	tok      token
	names    []string
	seen     map[string]bool
	distance bool // distance() was used
}

func (p *parser) next() error {
	for p.pos < len(p.src) {
		r, w := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			break
		}
		p.pos += w
	}
	start := p.pos
	if p.pos >= len(p.src) {
		p.tok = token{kind: tEOF, pos: start}
		return nil
	}
	c := p.src[p.pos]
	switch {
	case c >= '0' && c <= '9':
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		n, err := strconv.ParseInt(p.src[start:p.pos], 10, 64)
		if err != nil {
			return &SyntaxError{start, "number too large"}
		}
		if p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
			return &SyntaxError{p.pos, "a name cannot start with a digit"}
		}
		p.tok = token{kind: tInt, pos: start, text: p.src[start:p.pos], n: n}
	case c == '"':
		p.pos++
		var b strings.Builder
		for {
			if p.pos >= len(p.src) {
				return &SyntaxError{start, "string not closed"}
			}
			ch := p.src[p.pos]
			if ch == '"' {
				p.pos++
				break
			}
			if ch == '\\' && p.pos+1 < len(p.src) {
				p.pos++
				ch = p.src[p.pos]
			}
			b.WriteByte(ch)
			p.pos++
		}
		p.tok = token{kind: tStr, pos: start, text: b.String()}
	case isNameByte(c):
		for p.pos < len(p.src) && (isNameByte(p.src[p.pos]) || p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		p.tok = token{kind: tName, pos: start, text: p.src[start:p.pos]}
	case c == '(':
		p.pos++
		p.tok = token{kind: tLParen, pos: start, text: "("}
	case c == ')':
		p.pos++
		p.tok = token{kind: tRParen, pos: start, text: ")"}
	case c == ',':
		p.pos++
		p.tok = token{kind: tComma, pos: start, text: ","}
	default:
		for _, op := range []string{"<=", ">=", "==", "!=", "<>", "&&", "||", "<", ">", "=", "+", "-", "*", "/", "!", "×", "÷", "−"} {
			if strings.HasPrefix(p.src[p.pos:], op) {
				p.pos += len(op)
				canon := map[string]string{"==": "=", "<>": "!=", "&&": "and", "||": "or", "!": "not", "×": "*", "÷": "/", "−": "-"}[op]
				if canon == "" {
					canon = op
				}
				p.tok = token{kind: tOp, pos: start, text: canon}
				return nil
			}
		}
		r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
		return &SyntaxError{start, fmt.Sprintf("unexpected character %q", r)}
	}
	// and, or, not, true, false are words but behave as operators/literals.
	if p.tok.kind == tName {
		switch strings.ToLower(p.tok.text) {
		case "and", "or", "not":
			p.tok.kind = tOp
			p.tok.text = strings.ToLower(p.tok.text)
		}
	}
	return nil
}

func isNameByte(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (p *parser) isOp(ops ...string) bool {
	if p.tok.kind != tOp {
		return false
	}
	for _, o := range ops {
		if p.tok.text == o {
			return true
		}
	}
	return false
}

func (p *parser) deeper(depth int) error {
	if depth > MaxDepth {
		return &SyntaxError{p.tok.pos, fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
	}
	return nil
}

func (p *parser) or(d int) (node, error) {
	if err := p.deeper(d); err != nil {
		return nil, err
	}
	l, err := p.and(d)
	if err != nil {
		return nil, err
	}
	for p.isOp("or") {
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.and(d)
		if err != nil {
			return nil, err
		}
		l = logic{or: true, l: l, r: r}
	}
	return l, nil
}

func (p *parser) and(d int) (node, error) {
	l, err := p.not(d)
	if err != nil {
		return nil, err
	}
	for p.isOp("and") {
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.not(d)
		if err != nil {
			return nil, err
		}
		l = logic{l: l, r: r}
	}
	return l, nil
}

func (p *parser) not(d int) (node, error) {
	if err := p.deeper(d); err != nil {
		return nil, err
	}
	if p.isOp("not") {
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.not(d + 1)
		if err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	return p.cmp(d)
}

func (p *parser) cmp(d int) (node, error) {
	l, err := p.sum(d)
	if err != nil {
		return nil, err
	}
	if p.isOp("=", "!=", "<", "<=", ">", ">=") {
		op := p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.sum(d)
		if err != nil {
			return nil, err
		}
		if p.isOp("=", "!=", "<", "<=", ">", ">=") {
			return nil, &SyntaxError{p.tok.pos, "comparisons do not chain; join them with and"}
		}
		return cmpNode{op: op, l: l, r: r}, nil
	}
	return l, nil
}

func (p *parser) sum(d int) (node, error) {
	l, err := p.term(d)
	if err != nil {
		return nil, err
	}
	for p.isOp("+", "-") {
		op := p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.term(d)
		if err != nil {
			return nil, err
		}
		l = arith{op: op[0], l: l, r: r}
	}
	return l, nil
}

func (p *parser) term(d int) (node, error) {
	l, err := p.unary(d)
	if err != nil {
		return nil, err
	}
	for p.isOp("*", "/") {
		op := p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
		r, err := p.unary(d)
		if err != nil {
			return nil, err
		}
		l = arith{op: op[0], l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary(d int) (node, error) {
	if err := p.deeper(d); err != nil {
		return nil, err
	}
	if p.isOp("-") {
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		return arith{op: '-', l: lit{IntV(0)}, r: x}, nil
	}
	return p.primary(d)
}

func (p *parser) primary(d int) (node, error) {
	t := p.tok
	switch t.kind {
	case tInt:
		return lit{IntV(t.n)}, p.next()
	case tStr:
		return lit{StrV(t.text)}, p.next()
	case tLParen:
		if err := p.deeper(d + 1); err != nil {
			return nil, err
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		x, err := p.or(d + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("expected ) to close the ( at character %d, found %s", t.pos+1, p.tok)}
		}
		return x, p.next()
	case tName:
		switch strings.ToLower(t.text) {
		case "true":
			return lit{BoolV(true)}, p.next()
		case "false":
			return lit{BoolV(false)}, p.next()
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok.kind == tLParen && (t.text == "count" || t.text == "sum") {
			return p.aggregate(t, d)
		}
		if p.tok.kind == tLParen {
			if t.text != "answered" && t.text != "distance" {
				return nil, &SyntaxError{t.pos, fmt.Sprintf("unknown function %q (the functions are answered, count, sum and distance)", t.text)}
			}
			fn := t.text
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tName {
				return nil, &SyntaxError{p.tok.pos, fn + "( takes a question name"}
			}
			name := p.tok.text
			p.use(name)
			if err := p.next(); err != nil {
				return nil, err
			}
			if p.tok.kind != tRParen {
				return nil, &SyntaxError{p.tok.pos, "expected ) after " + fn + "(" + name}
			}
			if fn == "distance" {
				p.distance = true
				return distance{name}, p.next()
			}
			return answered{name}, p.next()
		}
		p.use(t.text)
		return ref{t.text}, nil
	case tEOF:
		return nil, &SyntaxError{t.pos, "rule ends where a value was expected"}
	}
	return nil, &SyntaxError{t.pos, fmt.Sprintf("expected a value, found %s", t)}
}

// aggregate reads count(name[, value]) or sum(name), after the name of
// the function.
func (p *parser) aggregate(fn token, d int) (node, error) {
	if err := p.deeper(d + 1); err != nil {
		return nil, err
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind != tName {
		return nil, &SyntaxError{p.tok.pos, fn.text + "( takes a repeat or a question in a repeat"}
	}
	n := aggregate{fn: fn.text, name: p.tok.text}
	p.use(n.name)
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tComma && fn.text == "count" {
		if err := p.next(); err != nil {
			return nil, err
		}
		v, err := p.or(d + 1)
		if err != nil {
			return nil, err
		}
		n.value = v
	}
	if p.tok.kind != tRParen {
		return nil, &SyntaxError{p.tok.pos, fmt.Sprintf("expected ) after %s(%s", fn.text, n.name)}
	}
	return n, p.next()
}

func (p *parser) use(name string) {
	if !p.seen[name] {
		p.seen[name] = true
		p.names = append(p.names, name)
	}
}

// --- evaluation

type node interface{ eval(Lookup) Value }

type lit struct{ v Value }

func (n lit) eval(Lookup) Value { return n.v }

type ref struct{ name string }

func (n ref) eval(l Lookup) Value {
	if v := l(n.name); v.Kind != Multi {
		return v
	}
	return Value{} // a repeat's answers are read through count() and sum()
}

// aggregate is count(name), count(name, value) or sum(name) over a
// repeat: the instances (count(incident)), those whose answer equals a
// value (count(incident.kind, "stuffing")), or the sum of an integer
// question's answers (sum(incident.people)). A repeat without instances
// counts 0 and sums 0; a single answer counts as one instance.
type aggregate struct {
	fn    string
	name  string
	value node // count's second argument; nil for none
}

func (n aggregate) eval(l Lookup) Value {
	v := l(n.name)
	var vs []Value
	switch v.Kind {
	case Multi:
		vs = v.M
	case Missing:
	default:
		vs = []Value{v}
	}
	if n.fn == "sum" {
		var s int64
		for _, x := range vs {
			k, ok := x.num()
			if !ok {
				continue
			}
			t := s + k
			if (k > 0 && t < s) || (k < 0 && t > s) {
				return Value{}
			}
			s = t
		}
		return IntV(s)
	}
	if n.value == nil {
		return IntV(int64(len(vs)))
	}
	w := n.value.eval(l)
	if w.Kind == Missing || w.Kind == Multi {
		return Value{}
	}
	c := 0
	for _, x := range vs {
		if b, known := truth(cmpNode{op: "=", l: lit{x}, r: lit{w}}.eval(l)); known && b {
			c++
		}
	}
	return IntV(int64(c))
}

// distance is distance(name): the lookup answers it under the name
// DistancePrefix+name (observe.Lookup knows the report's station).
type distance struct{ name string }

// DistancePrefix is how distance(q) asks the lookup for q's distance to
// the report's station, in whole metres.
const DistancePrefix = "distance:"

func (n distance) eval(l Lookup) Value {
	if v := l(DistancePrefix + n.name); v.Kind == Int {
		return v
	}
	return Value{}
}

type answered struct{ name string }

func (n answered) eval(l Lookup) Value { return BoolV(l(n.name).Kind != Missing) }

type arith struct {
	op   byte
	l, r node
}

func (n arith) eval(look Lookup) Value {
	a, ok1 := n.l.eval(look).num()
	b, ok2 := n.r.eval(look).num()
	if !ok1 || !ok2 {
		return Value{}
	}
	switch n.op {
	case '+':
		s := a + b
		if (s > a) != (b > 0) {
			return Value{}
		}
		return IntV(s)
	case '-':
		s := a - b
		if (s < a) != (b > 0) {
			return Value{}
		}
		return IntV(s)
	case '*':
		if a == 0 || b == 0 {
			return IntV(0)
		}
		s := a * b
		if s/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return Value{}
		}
		return IntV(s)
	case '/':
		if b == 0 || (a == math.MinInt64 && b == -1) {
			return Value{}
		}
		return IntV(a / b)
	}
	return Value{}
}

type cmpNode struct {
	op   string
	l, r node
}

func (n cmpNode) eval(look Lookup) Value {
	a, b := n.l.eval(look), n.r.eval(look)
	if a.Kind == Missing || b.Kind == Missing {
		return Value{}
	}
	var c int
	switch {
	case a.Kind == Str && b.Kind == Str:
		c = strings.Compare(a.S, b.S)
	case a.Kind == Str || b.Kind == Str:
		// A string against a number or yes/no: only (in)equality makes sense.
		switch n.op {
		case "=":
			return BoolV(false)
		case "!=":
			return BoolV(true)
		}
		return Value{}
	default:
		x, _ := a.num()
		y, _ := b.num()
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		}
	}
	switch n.op {
	case "=":
		return BoolV(c == 0)
	case "!=":
		return BoolV(c != 0)
	case "<":
		return BoolV(c < 0)
	case "<=":
		return BoolV(c <= 0)
	case ">":
		return BoolV(c > 0)
	case ">=":
		return BoolV(c >= 0)
	}
	return Value{}
}

// truth reads a value as a condition: a yes/no as itself, a number as
// non-zero, a string or missing as unknown.
func truth(v Value) (b, known bool) {
	switch v.Kind {
	case Bool:
		return v.B, true
	case Int:
		return v.I != 0, true
	}
	return false, false
}

type logic struct {
	or   bool
	l, r node
}

func (n logic) eval(look Lookup) Value {
	a, ka := truth(n.l.eval(look))
	b, kb := truth(n.r.eval(look))
	if n.or {
		if (ka && a) || (kb && b) {
			return BoolV(true)
		}
		if ka && kb {
			return BoolV(false)
		}
		return Value{}
	}
	if (ka && !a) || (kb && !b) {
		return BoolV(false)
	}
	if ka && kb {
		return BoolV(true)
	}
	return Value{}
}

type notNode struct{ x node }

func (n notNode) eval(look Lookup) Value {
	v, ok := truth(n.x.eval(look))
	if !ok {
		return Value{}
	}
	return BoolV(!v)
}

// ErrUnknownName is wrapped when a rule reads a name its form lacks.
var ErrUnknownName = errors.New("unknown name")

// CheckNames verifies that every name the rule reads is known.
func (e *Expr) CheckNames(known func(string) bool) error {
	var bad []string
	for _, n := range e.names {
		if !known(n) {
			bad = append(bad, n)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrUnknownName, strings.Join(bad, ", "))
	}
	return nil
}

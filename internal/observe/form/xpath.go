package form

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file evaluates the XPath 1.0 expressions that XLSForms carry in
// relevant, constraint, required, calculation and choice_filter: the
// subset ODK's clients evaluate in observation checklists (references,
// literals, arithmetic, comparisons, and/or, and the functions listed in
// callFunc). The web form's script (internal/web/static/observe.js) holds
// the same evaluator in JavaScript; testdata/xpath_vectors.json is the
// table both are tested against, so the server enforces what the phone
// showed. Expressions are parsed, never executed as code.

// Expr is a parsed expression.
type Expr struct {
	src  string
	root *xnode
}

// String returns the expression's text.
func (e *Expr) String() string { return e.src }

type xnode struct {
	op   string  // "num", "str", "ref", "cur", "call", "neg", or a binary operator
	num  float64 // a number; for a "ref", 1 when it is a bare name
	str  string  // literal, reference name or function name
	args []*xnode
}

type xtok struct {
	kind string // "num", "str", "ref", "name", "op", "end"
	text string
	num  float64
	pos  int
}

// MaxExprLen bounds an expression: a form's conditions are a line or two.
const MaxExprLen = 4000

// ParseExpr parses an XLSForm expression (${name} references allowed).
func ParseExpr(s string) (*Expr, error) {
	if len(s) > MaxExprLen {
		return nil, fmt.Errorf("expression of %d characters, at most %d", len(s), MaxExprLen)
	}
	toks, err := xlex(s)
	if err != nil {
		return nil, err
	}
	p := &xparser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "end" {
		return nil, fmt.Errorf("unexpected %q at character %d", t.text, t.pos+1)
	}
	return &Expr{src: s, root: n}, nil
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80
}

func isNameChar(c byte) bool {
	return isNameStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':'
}

// operand reports whether a token ends an operand: after one, "and",
// "or", "div", "mod" and "*" are operators.
func (t xtok) operand() bool {
	switch t.kind {
	case "num", "str", "ref", "name":
		return true
	case "op":
		return t.text == ")" || t.text == "." || t.text == ".."
	}
	return false
}

func xlex(s string) ([]xtok, error) {
	var out []xtok
	i := 0
	for i < len(s) {
		c := s[i]
		start := i
		prevOperand := len(out) > 0 && out[len(out)-1].operand()
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("unclosed ${ at character %d", i+1)
			}
			name := strings.TrimSpace(s[i+2 : i+j])
			if name == "" {
				return nil, fmt.Errorf("empty ${} at character %d", i+1)
			}
			out = append(out, xtok{kind: "ref", text: name, pos: start})
			i += j + 1
			continue
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unclosed string starting at character %d", i+1)
			}
			out = append(out, xtok{kind: "str", text: s[i+1 : i+1+j], pos: start})
			i += j + 2
			continue
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
				i++
			}
			n, err := strconv.ParseFloat(s[start:i], 64)
			if err != nil {
				return nil, fmt.Errorf("bad number %q at character %d", s[start:i], start+1)
			}
			out = append(out, xtok{kind: "num", text: s[start:i], num: n, pos: start})
			continue
		case isNameStart(c):
			for i < len(s) && isNameChar(s[i]) {
				i++
			}
			w := s[start:i]
			if prevOperand && (w == "and" || w == "or" || w == "div" || w == "mod") {
				out = append(out, xtok{kind: "op", text: w, pos: start})
			} else {
				out = append(out, xtok{kind: "name", text: w, pos: start})
			}
			continue
		}
		two := ""
		if i+1 < len(s) {
			two = s[i : i+2]
		}
		switch two {
		case "!=", "<=", ">=", "..", "//":
			out = append(out, xtok{kind: "op", text: two, pos: start})
			i += 2
			continue
		}
		switch c {
		case '(', ')', ',', '+', '-', '*', '=', '<', '>', '/', '.', '|':
			if c == '*' && !prevOperand {
				return nil, fmt.Errorf("wildcard * at character %d is not supported", i+1)
			}
			out = append(out, xtok{kind: "op", text: string(c), pos: start})
			i++
			continue
		}
		return nil, fmt.Errorf("unexpected %q at character %d", string(c), i+1)
	}
	return append(out, xtok{kind: "end", pos: len(s)}), nil
}

type xparser struct {
	toks  []xtok
	i     int
	depth int // parentheses and calls open: bounded, so that a hostile form cannot exhaust a stack
}

// MaxExprDepth bounds the nesting of parentheses and function calls.
const MaxExprDepth = 64

func (p *xparser) enter() error {
	p.depth++
	if p.depth > MaxExprDepth {
		return fmt.Errorf("more than %d nested parentheses or calls at character %d", MaxExprDepth, p.peek().pos+1)
	}
	return nil
}

func (p *xparser) peek() xtok { return p.toks[p.i] }
func (p *xparser) next() xtok { t := p.toks[p.i]; p.i++; return t }
func (p *xparser) isOp(ops ...string) (string, bool) {
	t := p.peek()
	if t.kind != "op" {
		return "", false
	}
	for _, o := range ops {
		if t.text == o {
			return o, true
		}
	}
	return "", false
}

func (p *xparser) binary(sub func() (*xnode, error), ops ...string) (*xnode, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.isOp(ops...)
		if !ok {
			return l, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &xnode{op: op, args: []*xnode{l, r}}
	}
}

func (p *xparser) or() (*xnode, error)  { return p.binary(p.and, "or") }
func (p *xparser) and() (*xnode, error) { return p.binary(p.eq, "and") }
func (p *xparser) eq() (*xnode, error)  { return p.binary(p.rel, "=", "!=") }
func (p *xparser) rel() (*xnode, error) { return p.binary(p.add, "<", "<=", ">", ">=") }
func (p *xparser) add() (*xnode, error) { return p.binary(p.mul, "+", "-") }
func (p *xparser) mul() (*xnode, error) { return p.binary(p.unary, "*", "div", "mod") }

func (p *xparser) unary() (*xnode, error) {
	if _, ok := p.isOp("-"); ok {
		p.next()
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &xnode{op: "neg", args: []*xnode{n}}, nil
	}
	return p.primary()
}

func (p *xparser) primary() (*xnode, error) {
	t := p.peek()
	switch t.kind {
	case "num":
		p.next()
		return &xnode{op: "num", num: t.num}, nil
	case "str":
		p.next()
		return &xnode{op: "str", str: t.text}, nil
	case "ref":
		p.next()
		return &xnode{op: "ref", str: t.text}, nil
	case "name":
		if p.toks[p.i+1].kind == "op" && p.toks[p.i+1].text == "(" {
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer func() { p.depth-- }()
			p.next()
			p.next()
			n := &xnode{op: "call", str: t.text}
			if _, ok := p.isOp(")"); ok {
				p.next()
				return n, nil
			}
			for {
				a, err := p.or()
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, a)
				if _, ok := p.isOp(","); ok {
					p.next()
					continue
				}
				if _, ok := p.isOp(")"); !ok {
					return nil, fmt.Errorf("expected , or ) at character %d", p.peek().pos+1)
				}
				p.next()
				return n, nil
			}
		}
		return p.path()
	case "op":
		switch t.text {
		case "(":
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer func() { p.depth-- }()
			p.next()
			n, err := p.or()
			if err != nil {
				return nil, err
			}
			if _, ok := p.isOp(")"); !ok {
				return nil, fmt.Errorf("expected ) at character %d", p.peek().pos+1)
			}
			p.next()
			return n, nil
		case ".", "..", "/":
			return p.path()
		}
	case "end":
		return nil, fmt.Errorf("expression ends where a value is expected")
	}
	return nil, fmt.Errorf("unexpected %q at character %d", t.text, t.pos+1)
}

// path reads a location path: ".", or steps of names, "." and ".."
// separated by "/". It refers to the question its last name names (an
// absolute /data/group/q or a relative ../q, as pyxform writes them); a
// path of "." alone is the current question's value.
func (p *xparser) path() (*xnode, error) {
	last := ""
	steps := 0
	_, abs := p.isOp("/")
	if abs {
		p.next()
	}
	for {
		t := p.peek()
		switch {
		case t.kind == "name":
			last = t.text
		case t.kind == "op" && (t.text == "." || t.text == ".."):
			if t.text == ".." {
				last = ""
			}
		default:
			if steps == 0 {
				return nil, fmt.Errorf("unexpected %q at character %d", t.text, t.pos+1)
			}
			return nil, fmt.Errorf("path ends in / at character %d", t.pos+1)
		}
		p.next()
		steps++
		if _, ok := p.isOp("/"); !ok {
			break
		}
		p.next()
	}
	if last == "" {
		if steps == 1 && p.toks[p.i-1].text == "." {
			return &xnode{op: "cur"}, nil
		}
		return nil, fmt.Errorf("path %q names no question", "..")
	}
	if steps == 1 && !abs {
		// A bare name: in a choice filter, the choice's column.
		return &xnode{op: "ref", str: last, num: 1}, nil
	}
	return &xnode{op: "ref", str: last}, nil
}

// Refs returns the names the expression refers to (${name} and paths), in
// order of appearance.
func (e *Expr) Refs() []string {
	var out []string
	var walk func(n *xnode)
	walk = func(n *xnode) {
		if n.op == "ref" {
			out = append(out, n.str)
		}
		for _, a := range n.args {
			walk(a)
		}
	}
	walk(e.root)
	return out
}

// Volatile reports whether the expression's value depends on when or
// where it is evaluated (now(), today(), once(), random(), uuid()): the
// server cannot recompute such a calculation and keeps the client's.
func (e *Expr) Volatile() bool {
	var walk func(n *xnode) bool
	walk = func(n *xnode) bool {
		if n.op == "call" {
			switch n.str {
			case "now", "today", "once", "random", "uuid":
				return true
			}
		}
		for _, a := range n.args {
			if walk(a) {
				return true
			}
		}
		return false
	}
	return walk(e.root)
}

// Env is what an expression is evaluated against.
type Env struct {
	// Lookup returns the values of the nodes a name refers to: one for a
	// question (its answer as text, "" when unanswered), one per instance
	// for a question inside a repeat read from outside it, none when the
	// name refers to nothing.
	Lookup func(name string) []string
	// Column, when set, reads a bare name (not ${name}, not a path with
	// a /) as a column of the choice a choice_filter is evaluated for;
	// ok false lets Lookup read it.
	Column func(name string) (value string, ok bool)
	// Current is the value of "." (the question being checked).
	Current string
	// Now is the time today() and now() read.
	Now time.Time
}

// nodeset is a value made of nodes' texts.
type nodeset []string

// Eval evaluates the expression: its value is a float64, a string, a bool
// or a nodeset.
func (e *Expr) Eval(env *Env) (any, error) { return env.eval(e.root) }

// EvalBool evaluates the expression as a condition.
func (e *Expr) EvalBool(env *Env) (bool, error) {
	v, err := e.Eval(env)
	if err != nil {
		return false, err
	}
	return xbool(v), nil
}

// EvalString evaluates the expression to text (a calculation's value).
func (e *Expr) EvalString(env *Env) (string, error) {
	v, err := e.Eval(env)
	if err != nil {
		return "", err
	}
	return xstring(v), nil
}

func xbool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	case nodeset:
		return len(x) > 0
	}
	return false
}

func xstring(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return formatNum(x)
	case string:
		return x
	case nodeset:
		if len(x) == 0 {
			return ""
		}
		return x[0]
	}
	return ""
}

// formatNum writes a number as XPath's string() does: integers without a
// fraction, NaN and Infinity by name.
func formatNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == math.Trunc(x) && math.Abs(x) < 1e21:
		if x == 0 {
			return "0" // and not "-0"
		}
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

var (
	xnumRE  = regexp.MustCompile(`^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	xdateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

func xnumber(v any) float64 {
	switch x := v.(type) {
	case bool:
		if x {
			return 1
		}
		return 0
	case float64:
		return x
	case nodeset:
		return strNumber(xstring(x))
	case string:
		return strNumber(x)
	}
	return math.NaN()
}

// strNumber reads text as a number as XPath's number() does; a date
// YYYY-MM-DD is its days since 1970-01-01, as ODK's engines take it, so
// that dates compare with today().
func strNumber(s string) float64 {
	s = strings.TrimSpace(s)
	if xnumRE.MatchString(s) {
		n, err := strconv.ParseFloat(s, 64)
		if err == nil {
			return n
		}
	}
	if xdateRE.MatchString(s) {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return float64(t.Unix() / 86400)
		}
	}
	return math.NaN()
}

func (env *Env) eval(n *xnode) (any, error) {
	switch n.op {
	case "num":
		return n.num, nil
	case "str":
		return n.str, nil
	case "cur":
		return nodeset{env.Current}, nil
	case "ref":
		if n.num == 1 && env.Column != nil {
			if v, ok := env.Column(n.str); ok {
				return nodeset{v}, nil
			}
		}
		if env.Lookup == nil {
			return nodeset{}, nil
		}
		return nodeset(env.Lookup(n.str)), nil
	case "neg":
		v, err := env.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		return -xnumber(v), nil
	case "call":
		return env.call(n)
	case "and", "or":
		l, err := env.eval(n.args[0])
		if err != nil {
			return nil, err
		}
		if xbool(l) == (n.op == "or") {
			return n.op == "or", nil
		}
		r, err := env.eval(n.args[1])
		if err != nil {
			return nil, err
		}
		return xbool(r), nil
	}
	l, err := env.eval(n.args[0])
	if err != nil {
		return nil, err
	}
	r, err := env.eval(n.args[1])
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "+":
		return xnumber(l) + xnumber(r), nil
	case "-":
		return xnumber(l) - xnumber(r), nil
	case "*":
		return xnumber(l) * xnumber(r), nil
	case "div":
		return xnumber(l) / xnumber(r), nil
	case "mod":
		return math.Mod(xnumber(l), xnumber(r)), nil
	case "=", "!=", "<", "<=", ">", ">=":
		return compare(n.op, l, r), nil
	}
	return nil, fmt.Errorf("operator %s is not supported", n.op)
}

// compare applies a comparison with XPath 1.0's rules: a nodeset compares
// true when any of its nodes does.
func compare(op string, l, r any) bool {
	ln, lset := l.(nodeset)
	rn, rset := r.(nodeset)
	switch {
	case lset && rset:
		for _, a := range ln {
			for _, b := range rn {
				if compare(op, a, b) {
					return true
				}
			}
		}
		return false
	case lset:
		if _, ok := r.(bool); ok {
			return compare(op, xbool(l), r)
		}
		for _, a := range ln {
			if compare(op, a, r) {
				return true
			}
		}
		return false
	case rset:
		if _, ok := l.(bool); ok {
			return compare(op, l, xbool(r))
		}
		for _, b := range rn {
			if compare(op, l, b) {
				return true
			}
		}
		return false
	}
	if op == "=" || op == "!=" {
		var eq bool
		_, lb := l.(bool)
		_, rb := r.(bool)
		_, lf := l.(float64)
		_, rf := r.(float64)
		switch {
		case lb || rb:
			eq = xbool(l) == xbool(r)
		case lf || rf:
			eq = xnumber(l) == xnumber(r)
		default:
			eq = xstring(l) == xstring(r)
		}
		return eq == (op == "=")
	}
	a, b := xnumber(l), xnumber(r)
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	}
	return a >= b
}

// selectedTokens splits a multiple choice's answer (space-separated).
func selectedTokens(v any) []string { return strings.Fields(xstring(v)) }

func roundHalfUp(x float64) float64 { return math.Floor(x + 0.5) }

func (env *Env) call(n *xnode) (any, error) {
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := env.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	want := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			if lo == hi {
				return fmt.Errorf("%s() takes %d argument(s), not %d", n.str, lo, len(args))
			}
			return fmt.Errorf("%s() takes %d to %d arguments, not %d", n.str, lo, hi, len(args))
		}
		return nil
	}
	str0 := func() string {
		if len(args) == 0 {
			return env.Current
		}
		return xstring(args[0])
	}
	switch n.str {
	case "true", "false":
		if err := want(0, 0); err != nil {
			return nil, err
		}
		return n.str == "true", nil
	case "not", "boolean":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		return xbool(args[0]) == (n.str == "boolean"), nil
	case "number":
		if err := want(0, 1); err != nil {
			return nil, err
		}
		if len(args) == 0 {
			return strNumber(env.Current), nil
		}
		return xnumber(args[0]), nil
	case "string":
		if err := want(0, 1); err != nil {
			return nil, err
		}
		return str0(), nil
	case "int":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		return math.Trunc(xnumber(args[0])), nil
	case "round":
		if err := want(1, 2); err != nil {
			return nil, err
		}
		x := xnumber(args[0])
		if len(args) == 1 {
			return roundHalfUp(x), nil
		}
		p := math.Pow(10, math.Trunc(xnumber(args[1])))
		// Half away from zero, as ODK's round(x, digits).
		return math.Copysign(roundHalfUp(math.Abs(x)*p)/p, x), nil
	case "floor", "ceiling", "abs":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		x := xnumber(args[0])
		switch n.str {
		case "floor":
			return math.Floor(x), nil
		case "ceiling":
			return math.Ceil(x), nil
		}
		return math.Abs(x), nil
	case "pow":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		return math.Pow(xnumber(args[0]), xnumber(args[1])), nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			b.WriteString(xstring(a))
		}
		return b.String(), nil
	case "string-length":
		if err := want(0, 1); err != nil {
			return nil, err
		}
		return float64(len([]rune(str0()))), nil
	case "normalize-space":
		if err := want(0, 1); err != nil {
			return nil, err
		}
		return strings.Join(strings.Fields(str0()), " "), nil
	case "contains", "starts-with", "ends-with":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		a, b := xstring(args[0]), xstring(args[1])
		switch n.str {
		case "contains":
			return strings.Contains(a, b), nil
		case "starts-with":
			return strings.HasPrefix(a, b), nil
		}
		return strings.HasSuffix(a, b), nil
	case "substr":
		// ODK's substr(s, start[, end]): zero-based, end exclusive.
		if err := want(2, 3); err != nil {
			return nil, err
		}
		rs := []rune(xstring(args[0]))
		clamp := func(x float64) int {
			if math.IsNaN(x) || x < 0 {
				return 0
			}
			if x > float64(len(rs)) {
				return len(rs)
			}
			return int(x)
		}
		from, to := clamp(xnumber(args[1])), len(rs)
		if len(args) == 3 {
			to = clamp(xnumber(args[2]))
		}
		if from >= to {
			return "", nil
		}
		return string(rs[from:to]), nil
	case "selected":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		v := strings.TrimSpace(xstring(args[1]))
		for _, t := range selectedTokens(args[0]) {
			if t == v {
				return true, nil
			}
		}
		return false, nil
	case "count-selected":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		return float64(len(selectedTokens(args[0]))), nil
	case "selected-at":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		ts := selectedTokens(args[0])
		i := xnumber(args[1])
		if math.IsNaN(i) || i < 0 || int(i) >= len(ts) {
			return "", nil
		}
		return ts[int(i)], nil
	case "count", "sum":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		ns, ok := args[0].(nodeset)
		if !ok {
			return nil, fmt.Errorf("%s() takes a reference to questions", n.str)
		}
		if n.str == "count" {
			return float64(len(ns)), nil
		}
		s := 0.0
		for _, v := range ns {
			s += strNumber(v)
		}
		return s, nil
	case "min", "max":
		if len(args) == 0 {
			return nil, fmt.Errorf("%s() takes at least one argument", n.str)
		}
		var xs []float64
		for _, a := range args {
			if ns, ok := a.(nodeset); ok {
				for _, v := range ns {
					xs = append(xs, strNumber(v))
				}
			} else {
				xs = append(xs, xnumber(a))
			}
		}
		if len(xs) == 0 {
			return math.NaN(), nil
		}
		r := xs[0]
		for _, x := range xs {
			if math.IsNaN(x) {
				return math.NaN(), nil
			}
			if (n.str == "min") == (x < r) {
				r = x
			}
		}
		return r, nil
	case "if":
		if err := want(3, 3); err != nil {
			return nil, err
		}
		if xbool(args[0]) {
			return args[1], nil
		}
		return args[2], nil
	case "coalesce":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		if s := xstring(args[0]); s != "" {
			return s, nil
		}
		return xstring(args[1]), nil
	case "join":
		if len(args) < 1 {
			return nil, fmt.Errorf("join() takes a separator and values")
		}
		var parts []string
		for _, a := range args[1:] {
			if ns, ok := a.(nodeset); ok {
				parts = append(parts, ns...)
			} else {
				parts = append(parts, xstring(a))
			}
		}
		return strings.Join(parts, xstring(args[0])), nil
	case "regex":
		if err := want(2, 2); err != nil {
			return nil, err
		}
		re, err := regexp.Compile(xstring(args[1]))
		if err != nil {
			return nil, fmt.Errorf("regex(): %w", err)
		}
		return re.MatchString(xstring(args[0])), nil
	case "today":
		if err := want(0, 0); err != nil {
			return nil, err
		}
		return env.Now.Format("2006-01-02"), nil
	case "now":
		if err := want(0, 0); err != nil {
			return nil, err
		}
		return env.Now.Format("2006-01-02T15:04:05.000-07:00"), nil
	case "once":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		if env.Current != "" {
			return env.Current, nil
		}
		return args[0], nil
	case "date":
		if err := want(1, 1); err != nil {
			return nil, err
		}
		if s, ok := args[0].(string); ok {
			return s, nil
		}
		x := xnumber(args[0])
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", nil
		}
		return time.Unix(int64(math.Floor(x))*86400, 0).UTC().Format("2006-01-02"), nil
	}
	return nil, fmt.Errorf("function %s() is not supported", n.str)
}

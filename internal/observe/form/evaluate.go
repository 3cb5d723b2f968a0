package form

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Evaluate does to a submission's answers what an ODK client does to its
// instance before sending it, so that a report over the JSON API or the
// web form holds what the form allows whatever client sent it:
//
//   - an answer to a question that is not relevant (its relevant, or a
//     group's, is false) is cleared, as ODK clears non-relevant values;
//     a repeat that is not relevant loses all its instances;
//   - a calculate question's value is recomputed from the answers and
//     stored (none when it is NaN, as ODK's engine does; unless its calculation reads the clock or chance — now(),
//     today(), once(), random(), uuid() — which only the client can
//     evaluate: the client's value is kept);
//
// and it returns what the form's conditions refuse: a conditionally
// required question (required as an expression, or required under a
// relevance condition) left unanswered, with the form's required_message,
// and an answer that breaks its constraint, with the constraint_message.
// Validate checks the answers' shapes; Evaluate the conditions. An
// expression the evaluator cannot evaluate (an unsupported function) does
// not decide: the question is taken as relevant and its constraint as met.
// The answers given are not changed.
func Evaluate(f *Form, a Answers, now time.Time) (Answers, []FieldError) {
	ev := &evaluation{f: f, out: make(Answers, len(a)), now: now, exprs: map[string]*Expr{}}
	for k, v := range a {
		ev.out[k] = v
	}
	// Twice: a relevance may read a later calculation, and a calculation
	// a later answer.
	for range 2 {
		ev.clearAndCalculate()
	}
	return ev.out, ev.check()
}

type evaluation struct {
	f     *Form
	out   Answers
	now   time.Time
	exprs map[string]*Expr
}

// expr parses an expression once; nil when it does not parse (the import
// refuses those, but a form stored before it did may hold one).
func (ev *evaluation) expr(s string) *Expr {
	if e, ok := ev.exprs[s]; ok {
		return e
	}
	e, err := ParseExpr(s)
	if err != nil {
		e = nil
	}
	ev.exprs[s] = e
	return e
}

// answerText is an answer as XPath reads it: a node's text.
func answerText(v Value) string {
	switch v.Kind() {
	case KindBool, KindInt, KindText, KindList:
		if l, ok := v.List(); ok {
			return strings.Join(l, " ")
		}
		return v.String()
	case KindDecimal:
		x, _ := v.Decimal()
		return formatNum(x)
	}
	return ""
}

// env is the evaluation context of a question: inst is the repeat
// instance it sits in (nil at the top), cur its own value.
func (ev *evaluation) env(inst Answers, cur string) *Env {
	return &Env{Now: ev.now, Current: cur, Lookup: func(name string) []string {
		if q := ev.f.Question(name); q != nil {
			if rp := ev.f.RepeatOf(q); rp != "" {
				if inst != nil {
					return []string{answerText(inst[name])}
				}
				rows, _ := ev.out[ev.f.Group(rp).Name()].Repeat()
				out := make([]string, len(rows))
				for i, r := range rows {
					out[i] = answerText(r[name])
				}
				return out
			}
			return []string{answerText(ev.out[name])}
		}
		if g := ev.f.RepeatGroup(name); g != nil {
			rows, _ := ev.out[name].Repeat()
			return make([]string, len(rows))
		}
		for i := range ev.f.Questions {
			q := &ev.f.Questions[i]
			if _, ok := q.Item(name); ok && q.Type == Protocol {
				m, _ := ev.out[q.ID].Protocol()
				if n, ok := m[name]; ok {
					return []string{strconv.FormatInt(n, 10)}
				}
				return []string{""}
			}
		}
		return nil
	}}
}

// holds evaluates a condition; true when it is empty or cannot be
// evaluated.
func (ev *evaluation) holds(src string, inst Answers, cur string) bool {
	if strings.TrimSpace(src) == "" {
		return true
	}
	e := ev.expr(src)
	if e == nil {
		return true
	}
	b, err := e.EvalBool(ev.env(inst, cur))
	return err != nil || b
}

// groupsRelevant reports whether the groups around a path (from the
// innermost out to the top, but not beyond stop) are relevant.
func (ev *evaluation) groupsRelevant(path, stop string, inst Answers) bool {
	for p := path; p != "" && p != stop; {
		if g := ev.f.Group(p); g != nil && !ev.holds(g.Relevant, inst, "") {
			return false
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return true
}

// relevant reports whether a question applies: its relevance and that of
// its groups (inside a repeat, the groups within the repeat evaluated in
// the instance).
func (ev *evaluation) relevant(q *Question, inst Answers) bool {
	rp := ev.f.RepeatOf(q)
	return ev.holds(q.Relevant, inst, answerText(inst[q.ID])) && ev.groupsRelevant(q.Group, rp, inst)
}

// settle clears or calculates one question's answer in a set (the top or
// a repeat instance).
func (ev *evaluation) settle(q *Question, set, inst Answers) {
	cur := answerText(set[q.ID])
	if !ev.holds(q.Relevant, inst, cur) || !ev.groupsRelevant(q.Group, ev.f.RepeatOf(q), inst) {
		delete(set, q.ID)
		return
	}
	if q.Type != Calculate || q.Calculation == "" {
		return
	}
	e := ev.expr(q.Calculation)
	if e == nil || e.Volatile() {
		return
	}
	s, err := calcValue(e, ev.env(inst, cur))
	switch {
	case err != nil:
	case s == "":
		delete(set, q.ID)
	case s != cur:
		set[q.ID] = TextValue(s)
	}
}

func (ev *evaluation) clearAndCalculate() {
	for i := range ev.f.Questions {
		q := &ev.f.Questions[i]
		if ev.f.RepeatOf(q) == "" {
			ev.settle(q, ev.out, nil)
		}
	}
	for i := range ev.f.Groups {
		g := &ev.f.Groups[i]
		if !g.Repeat {
			continue
		}
		v, ok := ev.out[g.Name()]
		if !ok {
			continue
		}
		if !ev.groupsRelevant(g.Path, "", nil) {
			delete(ev.out, g.Name())
			continue
		}
		rows, isRepeat := v.Repeat()
		if !isRepeat {
			continue // Validate reports it
		}
		for _, row := range rows {
			for _, q := range ev.f.InRepeat(g) {
				ev.settle(q, row, row)
			}
		}
		ev.out[g.Name()] = RepeatValue(rows...)
	}
}

// check returns the conditional requirements unmet and the constraints
// broken.
func (ev *evaluation) check() []FieldError {
	var errs []FieldError
	one := func(q *Question, set, inst Answers, where string) {
		if !ev.relevant(q, inst) {
			return
		}
		v, ok := set[q.ID]
		if !ok || v.Kind() == KindNone {
			if q.Type == Note || q.Type == Calculate || q.Type == Protocol {
				return
			}
			need := q.Required && conditional(ev.f, q)
			if q.RequiredIf != "" {
				need = ev.isTrue(q.RequiredIf, inst)
			}
			if need {
				msg := q.RequiredMsg.EN
				if msg == "" {
					msg = "required, no answer given"
				}
				errs = append(errs, FieldError{Question: where + q.ID, Message: msg})
			}
			return
		}
		if q.Constraint == "" || !v.Kind().scalar() {
			return
		}
		if !ev.holds(q.Constraint, inst, answerText(v)) {
			msg := q.ConstraintMsg.EN
			if msg == "" {
				msg = "does not meet the form's constraint " + q.Constraint
			}
			errs = append(errs, FieldError{Question: where + q.ID, Value: v.String(), Message: msg})
		}
	}
	for i := range ev.f.Questions {
		q := &ev.f.Questions[i]
		if ev.f.RepeatOf(q) == "" {
			one(q, ev.out, nil, "")
		}
	}
	for i := range ev.f.Groups {
		g := &ev.f.Groups[i]
		if !g.Repeat {
			continue
		}
		rows, _ := ev.out[g.Name()].Repeat()
		for k, row := range rows {
			for _, q := range ev.f.InRepeat(g) {
				one(q, row, row, fmt.Sprintf("%s[%d]/", g.Name(), k+1))
			}
		}
	}
	return errs
}

// isTrue reports whether a condition evaluates to true (one that cannot
// be evaluated does not make a question required).
func (ev *evaluation) isTrue(src string, inst Answers) bool {
	e := ev.expr(src)
	if e == nil {
		return false
	}
	b, err := e.EvalBool(ev.env(inst, ""))
	return err == nil && b
}

// scalar reports whether a kind of answer is one value (not a protocol
// or a repeat), which a constraint reads as ".".
func (k Kind) scalar() bool { return k != KindProtocol && k != KindRepeat && k != KindNone }

// calcValue is a calculation's value as stored: its text, except that a
// number that is not one (NaN: a calculation over an unanswered
// question) is no value, as ODK's engine (@getodk/xforms-engine) leaves it
// — TestODKEngineAgrees compares them.
func calcValue(e *Expr, env *Env) (string, error) {
	v, err := e.Eval(env)
	if err != nil {
		return "", err
	}
	if x, ok := v.(float64); ok && math.IsNaN(x) {
		return "", nil
	}
	return xstring(v), nil
}

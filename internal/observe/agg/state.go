package agg

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// State is one group's usable reports folded into what Group's rules need
// of them: for each question, the distinct answers given and by which
// reports (the conflicts); for each visit, its reports, its first report's
// form and, for each question, the answer its reports agree on (the
// observation). A report that arrives is added to the state; the others
// are not read again. The group commit used to read and decode every
// report of a touched station on every commit, so that a station's
// hundredth report cost a hundred (issue 9: two thirds of PostgreSQL's
// work under 200 submitting clients).
//
// A state depends only on the set of reports folded into it, not on their
// order (ids kept sorted, the first report the lowest id, agreement a
// property of the set), so a state kept report by report is exactly the
// one a rebuild folds at once, and its text (Encode) is canonical.
// Taking a report away, or changing one's status, is not a fold: such
// changes recompute the group from its reports.
type State struct {
	reports []int64                       // every usable report folded, in id order
	answers map[string]map[string][]int64 // question → answer (its JSON) → reports that gave it, in id order
	visits  map[string]*visitState        // by visit; a report without one is "#" + its id
	// textLen is the length of the text last encoded or decoded: the next
	// Encode's buffer starts there, not at nothing (most of a commit's
	// states gained a report or two since).
	textLen int
}

type visitState struct {
	visit   string // "" for a report that is its own visit
	first   int64
	formID  int64
	form    *form.Form // the first report's form, when the caller gave it
	reports []int64    // in id order
	agreed  map[string]string
	// gen counts the changes of what the visit's observation derives
	// from other than its reports: an agreed answer, its first report
	// (the form, the name of a visit without one). deriver.unit's memo.
	gen int
	// memo is the observation as last derived, but for its reports, and
	// what it was derived under: a fold derives the touched visits before
	// and after, and a state kept between commits (the store's) is folded
	// again and again, while a report that agrees with its visit changes
	// only the reports.
	memo *derived
}

// differ marks, in a visit's agreed answers, a question its reports
// answer differently. It is not JSON, so no answer's key can be it (a
// decimal without a JSON form has the key "").
const differ = "\x00differ"

// NewState returns the state of a group without reports.
func NewState() *State {
	return &State{answers: map[string]map[string][]int64{}, visits: map[string]*visitState{}}
}

// ForgetForms leaves the state as Decode reads it from its text: without
// the forms its reports came with (Result and Fold then look them up). A
// state kept beside its text stands for the text in any database, whose
// forms of the same ids need not be these.
func (s *State) ForgetForms() {
	for _, v := range s.visits {
		v.form = nil
	}
}

// Usable is the number of usable reports folded into the state.
func (s *State) Usable() int { return len(s.reports) }

// Has reports whether the report with that id was folded into the state.
func (s *State) Has(id int64) bool {
	_, ok := slices.BinarySearch(s.reports, id)
	return ok
}

// Add folds a report into the state. A quarantined report is not usable
// and changes nothing; a report already folded is not folded again.
func (s *State) Add(r Report) {
	if r.Status == StatusQuarantined {
		return
	}
	at, folded := slices.BinarySearch(s.reports, r.ID)
	if folded {
		return
	}
	s.reports = slices.Insert(s.reports, at, r.ID)
	key := visitKey(r)
	v := s.visits[key]
	if v == nil {
		v = &visitState{visit: r.Visit, first: r.ID, formID: r.FormID, form: r.Form, agreed: map[string]string{}}
		s.visits[key] = v
	}
	i, _ := slices.BinarySearch(v.reports, r.ID)
	v.reports = slices.Insert(v.reports, i, r.ID)
	if r.ID < v.first {
		v.first, v.formID, v.form = r.ID, r.FormID, r.Form
		v.gen++
	}
	for q, val := range r.Answers {
		k := valueKey(val)
		byValue := s.answers[q]
		if byValue == nil {
			byValue = map[string][]int64{}
			s.answers[q] = byValue
		}
		ids := byValue[k]
		j, _ := slices.BinarySearch(ids, r.ID)
		byValue[k] = slices.Insert(ids, j, r.ID)
		if old, ok := v.agreed[q]; !ok {
			v.agreed[q] = k
			v.gen++
		} else if old != k && old != differ {
			v.agreed[q] = differ
			v.gen++
		}
	}
}

// Group applies the rules to the reports of one area and phase (not the
// incident phase) and the resolutions of that area and phase by question:
//
//   - conflicts are found among the usable reports as they were sent: a
//     question two of them answer differently (one leaving it unanswered
//     is not a conflict), with the resolution beside it if there is one;
//   - a resolution replaces the answer of every report that gave one;
//   - the usable reports of one visit become one observation whose answer
//     to a question is the one they agree on (a question they answer
//     differently counts for nothing); a report without a visit is its
//     own observation;
//   - an observation counts its overall assessment (negative is a hit)
//     and each key indicator its form defines.
//
// It folds the reports into a new State and returns its Result: the rules
// live in one place whether a group is computed at once or report by
// report.
func Group(areaID int64, phase string, reports []Report, resolved map[string]json.RawMessage) Result {
	s := NewState()
	for _, r := range reports {
		s.Add(r)
	}
	res, _ := s.Result(areaID, phase, resolved, nil)
	return res
}

// Result is what the group contributes, given its resolutions by question.
// forms finds a visit's form by id when the state was read back from text
// (a state folded from reports knows their forms); nil, or a nil form,
// counts no indicators.
func (s *State) Result(areaID int64, phase string, resolved map[string]json.RawMessage, forms func(id int64) (*form.Form, error)) (Result, error) {
	res, err := part(s, areaID, phase, resolved, newDeriver(resolved, forms), s.answers, s.visits, true)
	if err != nil {
		return Result{}, err
	}
	res.Usable = len(s.reports)
	return res, nil
}

// part is what the questions and the visits named (the keys of qs and
// vs: maps, of any values) contribute: their conflicts (with their values
// only when values is set) and observations, in Result's order.
func part[Q, V any](s *State, areaID int64, phase string, resolved map[string]json.RawMessage, d *deriver, qs map[string]Q, vs map[string]V, values bool) (Result, error) {
	var res Result
	for q := range qs {
		switch byValue := s.answers[q]; {
		case len(byValue) < 2:
		case values:
			res.Conflicts = append(res.Conflicts, conflictOf(areaID, phase, q, byValue, resolved[q]))
		default:
			res.Conflicts = append(res.Conflicts, Conflict{AreaID: areaID, Phase: phase, Question: q, Resolved: resolved[q]})
		}
	}
	sort.Slice(res.Conflicts, func(i, j int) bool { return res.Conflicts[i].Question < res.Conflicts[j].Question })
	visits := make([]*visitState, 0, len(vs))
	for k := range vs {
		if v := s.visits[k]; v != nil {
			visits = append(visits, v)
		}
	}
	sort.Slice(visits, func(i, j int) bool { return visits[i].first < visits[j].first })
	for _, v := range visits {
		u, err := d.unit(v)
		if err != nil {
			return Result{}, err
		}
		res.Units = append(res.Units, u)
	}
	return res, nil
}

// Change is what folding reports into a group changed: the observations
// of the visits they joined and the conflicts of the questions they
// answered, as they were (Before) and are (After), in Result's order, and
// how many usable reports were added. Everything else the group
// contributes is as it was. A change's conflicts name their question and
// resolution but not their values: whether a question is in conflict,
// and whether it is open, is what a fold changes in the store; the
// values and their reports are the state's (State.Conflict).
type Change struct {
	Added         int
	Before, After Result
}

// Fold adds reports to the state (as Add does) and returns what that
// changed: it costs what the reports touch, not what the group holds.
func (s *State) Fold(areaID int64, phase string, reports []Report, resolved map[string]json.RawMessage, forms func(id int64) (*form.Form, error)) (Change, error) {
	visits := map[string]bool{}
	questions := map[string]bool{}
	for _, r := range reports {
		if r.Status == StatusQuarantined {
			continue
		}
		visits[visitKey(r)] = true
		for q := range r.Answers {
			questions[q] = true
		}
	}
	d := newDeriver(resolved, forms)
	touched := func() (Result, error) { return part(s, areaID, phase, resolved, d, questions, visits, false) }
	var ch Change
	var err error
	if ch.Before, err = touched(); err != nil {
		return Change{}, err
	}
	before := len(s.reports)
	for _, r := range reports {
		s.Add(r)
	}
	ch.Added = len(s.reports) - before
	if ch.After, err = touched(); err != nil {
		return Change{}, err
	}
	return ch, nil
}

func visitKey(r Report) string {
	if r.Visit == "" {
		return "#" + strconv.FormatInt(r.ID, 10)
	}
	return r.Visit
}

// Conflict is the conflict on question q among the state's reports,
// with its resolution (nil: none), as Result gives it; false when they do
// not answer q differently. The store keeps, of each conflict, only
// whether it is open, and derives the rest from the group's state when it
// is read: a report that joins a conflict changes its reports, and
// rewriting every such conflict at every report was a tenth of the
// intake's statements' time on PostgreSQL (issue 9).
func (s *State) Conflict(areaID int64, phase, q string, resolved json.RawMessage) (Conflict, bool) {
	byValue := s.answers[q]
	if len(byValue) < 2 {
		return Conflict{}, false
	}
	return conflictOf(areaID, phase, q, byValue, resolved), true
}

// conflictOf is the conflict on question q, whose answers are byValue.
func conflictOf(areaID int64, phase, q string, byValue map[string][]int64, resolved json.RawMessage) Conflict {
	c := Conflict{AreaID: areaID, Phase: phase, Question: q, Resolved: resolved}
	for k, ids := range byValue {
		c.Values = append(c.Values, ConflictValue{Value: json.RawMessage(k), Reports: slices.Clone(ids)})
	}
	sort.Slice(c.Values, func(i, j int) bool { return c.Values[i].Reports[0] < c.Values[j].Reports[0] })
	return c
}

// deriver turns visits into observations under one set of resolutions.
type deriver struct {
	resolved map[string]form.Value // the resolutions that read as answers
	// resKey is the resolutions' text (canonical): a visit's memo holds
	// under the same resolutions only.
	resKey  string
	decoded map[string]form.Value // answers by their JSON, decoded once
	forms   func(id int64) (*form.Form, error)
}

// derived is a visit's observation but for its reports, and what it was
// derived under: the visit's gen, the resolutions (deriver.resKey) and
// the form, by pointer (the store gives one pointer for a form's text
// while it keeps it decoded; another pointer for the same form only
// costs a derivation).
type derived struct {
	gen     int
	resKey  string
	form    *form.Form
	cluster string
	hits    map[string]bool // read, never changed: shared by every unit derived from it
}

// newDeriver reads the resolutions as answers: one that does not read is
// left out, as if there were none (as before State).
func newDeriver(resolved map[string]json.RawMessage, forms func(id int64) (*form.Form, error)) *deriver {
	d := &deriver{decoded: map[string]form.Value{}, forms: forms}
	var key []byte
	for _, q := range slices.Sorted(maps.Keys(resolved)) {
		key = strconv.AppendQuote(key, q)
		key = append(key, '=')
		key = strconv.AppendQuote(key, string(resolved[q]))
		key = append(key, '\n')
	}
	d.resKey = string(key)
	for q, raw := range resolved {
		var v form.Value
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		if d.resolved == nil {
			d.resolved = map[string]form.Value{}
		}
		d.resolved[q] = v
	}
	return d
}

// unit is a visit's observation: its reports merged (resolutions first),
// with the overall assessment and the indicators of its first report's
// form.
func (d *deriver) unit(v *visitState) (Unit, error) {
	f := v.form
	if f == nil && d.forms != nil && v.formID != 0 {
		var err error
		if f, err = d.forms(v.formID); err != nil {
			return Unit{}, fmt.Errorf("visit of report %d: %w", v.first, err)
		}
		v.form = f
	}
	if m := v.memo; m != nil && m.gen == v.gen && m.resKey == d.resKey && m.form == f {
		return Unit{Cluster: m.cluster, Reports: slices.Clone(v.reports), Hits: m.hits}, nil
	}
	u := Unit{Cluster: v.visit, Reports: slices.Clone(v.reports), Hits: map[string]bool{Units: false}}
	if u.Cluster == "" {
		u.Cluster = fmt.Sprintf("report:%d", v.first)
	}
	answers := make(form.Answers, len(v.agreed))
	for q, k := range v.agreed {
		if rv, ok := d.resolved[q]; ok {
			answers[q] = rv
			continue
		}
		if k == differ {
			continue
		}
		val, ok := d.decoded[k]
		if !ok {
			// Its own variable: val's address taken here would move
			// every lookup's value to the heap.
			var dec form.Value
			if json.Unmarshal([]byte(k), &dec) != nil {
				continue
			}
			d.decoded[k], val = dec, dec
		}
		answers[q] = val
	}
	if val, ok := answers[form.OverallID]; ok {
		if g, ok := val.Text(); ok {
			u.Hits[Overall] = form.Negative(g)
		}
	}
	if f != nil {
		for ind, seen := range f.Indicators(answers) {
			u.Hits[Indicator+ind] = seen
		}
	}
	v.memo = &derived{gen: v.gen, resKey: d.resKey, form: f, cluster: u.Cluster, hits: u.Hits}
	return u, nil
}

func (s *State) visitsInOrder() []*visitState {
	out := make([]*visitState, 0, len(s.visits))
	for _, v := range s.visits {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out
}

// Encode writes the state as text, canonically (questions by name, their
// answers and the visits by first report, a visit's questions by name),
// so that equal states have equal text. One line an item; strings quoted
// as Go quotes them, so that whatever a question or a visit is called
// stays on its line and PostgreSQL's text accepts it; the reports listed
// once, and named elsewhere by their position in that list, runs of
// consecutive positions as a range ("0-22": most reports of a station
// agree on most questions):
//
//	R <report> <report>…                  the usable reports, increasing
//	Q <question>                          then its answers:
//	A <answer's JSON> <positions>
//	V <form> <visit> <positions>          then its questions:
//	G <question> <answer's JSON>          the answer its reports agree on
//	D <question>                          answered differently
//
// It is not JSON: the group commit reads and writes a state for every
// touched station on every commit, and encoding/json's reflection over
// the report ids was most of that work. Encode records the text's length
// in s (the next call's buffer): like Add, it is not for use beside
// another use of s.
func (s *State) Encode() []byte {
	b := make([]byte, 0, max(512, s.textLen+s.textLen/8))
	all := s.reports
	if len(all) == 0 {
		return b
	}
	b = append(b, 'R')
	for _, id := range all {
		b = append(b, ' ')
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, '\n')
	qs := make([]string, 0, len(s.answers))
	for q := range s.answers {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	type value struct {
		key string
		ids []int64
	}
	var vs []value
	for _, q := range qs {
		b = append(b, 'Q', ' ')
		b = appendQuoted(b, q)
		b = append(b, '\n')
		vs = vs[:0]
		for k, ids := range s.answers[q] {
			vs = append(vs, value{k, ids})
		}
		slices.SortFunc(vs, func(x, y value) int { return cmp.Compare(x.ids[0], y.ids[0]) })
		for _, v := range vs {
			b = append(b, 'A', ' ')
			b = appendQuoted(b, v.key)
			b = appendPositions(b, all, v.ids)
		}
	}
	var vq []string
	for _, v := range s.visitsInOrder() {
		b = append(b, 'V', ' ')
		b = strconv.AppendInt(b, v.formID, 10)
		b = append(b, ' ')
		b = appendQuoted(b, v.visit)
		b = appendPositions(b, all, v.reports)
		vq = vq[:0]
		for q := range v.agreed {
			vq = append(vq, q)
		}
		slices.Sort(vq)
		for _, q := range vq {
			if k := v.agreed[q]; k == differ {
				b = append(b, 'D', ' ')
				b = appendQuoted(b, q)
			} else {
				b = append(b, 'G', ' ')
				b = appendQuoted(b, q)
				b = append(b, ' ')
				b = appendQuoted(b, k)
			}
			b = append(b, '\n')
		}
	}
	s.textLen = len(b)
	return b
}

// appendQuoted appends s quoted as strconv.AppendQuote quotes it, directly
// when s is printable ASCII (every question's name and most answers'
// JSON), where that quoting only escapes the quote and the backslash:
// strconv's rune by rune was a fifth of Encode's time.
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendPositions writes the positions of ids (increasing, all in all) in
// all, runs as ranges, and ends the line.
func appendPositions(b []byte, all, ids []int64) []byte {
	for i := 0; i < len(ids); {
		p, _ := slices.BinarySearch(all, ids[i])
		j := i + 1
		for j < len(ids) && p+j-i < len(all) && all[p+j-i] == ids[j] {
			j++
		}
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(p), 10)
		if j-i > 1 {
			b = append(b, '-')
			b = strconv.AppendInt(b, int64(p+j-i-1), 10)
		}
		i = j
	}
	return append(b, '\n')
}

// maxStateAnswers bounds the answers a stored state may name (a position
// range names many in a few bytes): a station's reports of one phase
// answer a few dozen questions each, and a state past this bound is not
// one vigil wrote.
const maxStateAnswers = 1 << 22

// Decode reads a state Encode wrote, checking what Add and Result rely on:
// reports in increasing order, each in exactly one visit and giving at
// most one answer to a question, answers that are JSON, forms that are
// ids. Anything else is an error naming the line, and s is left as it
// was. (Whether the forms exist, and whether the state is the group's, the
// store checks.)
func (s *State) Decode(text []byte) error {
	n := NewState()
	var all []int64
	var byValue map[string][]int64
	var question string
	expanded := 0 // answers named, over every question
	var visit *visitState
	// Positions marked with the question that named them (its number),
	// and with the visit (1): a report answers a question once and is in
	// one visit. Slices, not maps: this is on every commit's path.
	var answered, inVisit []int32
	nq := int32(0)
	for ln := 1; len(text) > 0; ln++ {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if len(line) < 2 || line[1] != ' ' {
			return fmt.Errorf("agg: group state, line %d: %q is not an item", ln, line)
		}
		kind, rest := line[0], string(line[2:])
		var err error
		switch {
		case kind == 'R':
			if ln != 1 {
				err = fmt.Errorf("the reports after line 1")
			} else if all, err = parseIDs(" " + rest); err == nil {
				answered, inVisit = make([]int32, len(all)), make([]int32, len(all))
			}
		case all == nil:
			err = fmt.Errorf("no reports on line 1")
		case kind == 'Q':
			var q string
			if q, rest, err = quoted(rest); err == nil && rest != "" {
				err = fmt.Errorf("%q after the question", rest)
			}
			if err == nil && n.answers[q] != nil {
				err = fmt.Errorf("question %q twice", q)
			}
			question, byValue = q, map[string][]int64{}
			nq++
			n.answers[q] = byValue
		case kind == 'A':
			var k string
			var ids []int64
			if byValue == nil {
				err = fmt.Errorf("an answer before any question")
			} else if k, rest, err = quoted(rest); err == nil {
				if !json.Valid([]byte(k)) {
					err = fmt.Errorf("question %q: answer %.40q is not JSON", question, k)
				} else if ids, err = parsePositions(rest, all, answered, nq); err == nil {
					if _, dup := byValue[k]; dup {
						err = fmt.Errorf("question %q: answer %s twice", question, k)
					}
					expanded += len(ids)
					byValue[k] = ids
				} else {
					err = fmt.Errorf("question %q: %w", question, err)
				}
			}
			if err == nil && expanded > maxStateAnswers {
				err = fmt.Errorf("more than %d answers", maxStateAnswers)
			}
		case kind == 'V':
			var form int64
			var name string
			var ids []int64
			f, after, _ := strings.Cut(rest, " ")
			if form, err = strconv.ParseInt(f, 10, 64); err == nil && form <= 0 {
				err = fmt.Errorf("form %d", form)
			}
			if err == nil {
				if name, rest, err = quoted(after); err == nil {
					ids, err = parsePositions(rest, all, inVisit, 1)
				}
			}
			if err == nil {
				key := name
				if key == "" {
					if len(ids) != 1 {
						err = fmt.Errorf("a report alone with %d reports", len(ids))
					}
					key = "#" + strconv.FormatInt(ids[0], 10)
				}
				if err == nil && n.visits[key] != nil {
					err = fmt.Errorf("visit %q twice", key)
				}
				visit = &visitState{visit: name, first: ids[0], formID: form, reports: ids, agreed: map[string]string{}}
				n.visits[key] = visit
			}
		case kind == 'G' || kind == 'D':
			var q, k string
			if visit == nil {
				err = fmt.Errorf("an answer before any visit")
			} else if q, rest, err = quoted(rest); err == nil {
				k = differ
				if kind == 'G' {
					if rest == "" || rest[0] != ' ' {
						err = fmt.Errorf("no answer")
					} else if k, rest, err = quoted(rest[1:]); err == nil && !json.Valid([]byte(k)) {
						err = fmt.Errorf("answer %.40q is not JSON", k)
					}
				}
				if err == nil && rest != "" {
					err = fmt.Errorf("%q after the answer", rest)
				}
				if _, dup := visit.agreed[q]; err == nil && dup {
					err = fmt.Errorf("question %q twice", q)
				}
				visit.agreed[q] = k
			}
		default:
			err = fmt.Errorf("unknown item %q", kind)
		}
		if err != nil {
			return fmt.Errorf("agg: group state, line %d: %w", ln, err)
		}
	}
	for p, v := range inVisit {
		if v == 0 {
			return fmt.Errorf("agg: group state: report %d in no visit", all[p])
		}
	}
	n.reports = all
	n.textLen = len(text)
	*s = *n
	return nil
}

// quoted reads a Go-quoted string at the start of s and what follows it.
func quoted(s string) (string, string, error) {
	p, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", fmt.Errorf("%.40q: not a quoted string", s)
	}
	u, err := strconv.Unquote(p)
	return u, s[len(p):], err
}

// parseIDs reads " <id> <id>…", at least one, positive and increasing.
func parseIDs(s string) ([]int64, error) {
	var ids []int64
	for s != "" {
		f, err := field(&s)
		if err != nil {
			return nil, err
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%.40q: not a report id", f)
		}
		if len(ids) > 0 && id <= ids[len(ids)-1] {
			return nil, fmt.Errorf("report ids not in increasing order")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no reports")
	}
	return ids, nil
}

// parsePositions reads " <position> <first>-<last>…", at least one,
// increasing, into all, as the reports at those positions; each position
// is marked with tag in mark, and one already so marked is refused (a
// report twice in one question, or in two visits).
func parsePositions(s string, all []int64, mark []int32, tag int32) ([]int64, error) {
	var ids []int64
	next := 0 // the lowest position allowed
	for s != "" {
		f, err := field(&s)
		if err != nil {
			return nil, err
		}
		a, b, isRange := strings.Cut(f, "-")
		lo, err := strconv.Atoi(a)
		hi := lo
		if err == nil && isRange {
			if hi, err = strconv.Atoi(b); err == nil && hi <= lo {
				err = fmt.Errorf("empty")
			}
		}
		if err != nil || lo < next || hi >= len(all) {
			return nil, fmt.Errorf("%.40q: not positions among %d reports, increasing", f, len(all))
		}
		for p := lo; p <= hi; p++ {
			if mark[p] == tag {
				return nil, fmt.Errorf("report %d named twice", all[p])
			}
			mark[p] = tag
		}
		ids = append(ids, all[lo:hi+1]...)
		next = hi + 1
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no reports")
	}
	return ids, nil
}

// field cuts " <field>" from the start of *s.
func field(s *string) (string, error) {
	if (*s)[0] != ' ' {
		return "", fmt.Errorf("%.40q: not a list", *s)
	}
	f := (*s)[1:]
	if i := strings.IndexByte(f, ' '); i >= 0 {
		f, *s = f[:i], f[i:]
	} else {
		*s = ""
	}
	return f, nil
}

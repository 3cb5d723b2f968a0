package agg

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// randomGroup draws a group's reports in id order: visits that meet,
// reports alone, quarantined ones, two forms, answers of several kinds
// that agree and differ; and resolutions, one of which may not read as an
// answer.
func randomGroup(rng *rand.Rand, forms map[int64]*form.Form) ([]Report, map[string]json.RawMessage) {
	pool := []form.Value{form.BoolValue(true), form.BoolValue(false), form.TextValue("yes"), form.TextValue("no"),
		form.TextValue(form.Bad), form.TextValue("good"), form.TextValue(form.VeryBad), form.IntValue(0), form.IntValue(2),
		form.DecimalValue(1.5), form.DecimalValue(2), form.ListValue("a", "<b>"), form.ListValue(),
		form.ProtocolValue(map[string]int64{"valid": 3}), form.TextValue(`"q" & <x>`)}
	var qs []string
	for _, f := range forms {
		for _, q := range f.Questions {
			qs = append(qs, q.ID)
		}
	}
	sort.Strings(qs)
	qs = qs[:min(len(qs), 6+rng.IntN(10))]
	qs = append(qs, form.OverallID)
	n := 1 + rng.IntN(12)
	var rs []Report
	id := int64(rng.IntN(50))
	for range n {
		id += 1 + int64(rng.IntN(5))
		r := Report{ID: id, Visit: []string{"", "team:1", "team:2", "observer:7", "user:3"}[rng.IntN(5)], Answers: form.Answers{}}
		if rng.IntN(6) == 0 {
			r.Status = StatusQuarantined
		}
		r.FormID = int64(1 + rng.IntN(len(forms)))
		r.Form = forms[r.FormID]
		for _, q := range qs {
			if rng.IntN(3) == 0 {
				continue
			}
			r.Answers[q] = pool[rng.IntN(3)+rng.IntN(len(pool)-2)]
		}
		rs = append(rs, r)
	}
	resolved := map[string]json.RawMessage{}
	for range rng.IntN(3) {
		v, _ := json.Marshal(pool[rng.IntN(len(pool))])
		if rng.IntN(5) == 0 {
			v = json.RawMessage(`{"not": "an answer"`)
		}
		resolved[qs[rng.IntN(len(qs))]] = v
	}
	if len(resolved) == 0 && rng.IntN(2) == 0 {
		resolved = nil
	}
	return rs, resolved
}

func testForms() map[int64]*form.Form {
	return map[int64]*form.Form{1: form.VotingTemplate(), 2: form.OpeningTemplate()}
}

// A group folded into a State gives what the computation from all its
// reports gave (groupScratch, the rules before State), on random groups.
func TestStateIsGroupFromScratch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	forms := testForms()
	for i := range 3000 {
		rs, resolved := randomGroup(rng, forms)
		got := Group(42, "voting", rs, resolved)
		want := groupScratch(42, "voting", rs, resolved)
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Fatalf("group %d (%d reports, resolutions %s):\n got %s\nwant %s", i, len(rs), resolvedString(resolved), gj, wj)
		}
	}
}

func resolvedString(r map[string]json.RawMessage) string {
	var parts []string
	for q, v := range r {
		parts = append(parts, q+"="+string(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// A state does not depend on the order its reports came in, nor on
// whether it was written out and read back between two of them: folded
// report by report in any order, through its text at any point, it is
// the state folded at once, with the same text and the same result.
func TestStateOrderFreeAndThroughText(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 11))
	forms := testForms()
	lookup := func(id int64) (*form.Form, error) {
		if f, ok := forms[id]; ok {
			return f, nil
		}
		return nil, fmt.Errorf("no form %d", id)
	}
	for i := range 2000 {
		rs, resolved := randomGroup(rng, forms)
		whole := NewState()
		for _, r := range rs {
			whole.Add(r)
		}
		wantText := whole.Encode()
		want, err := whole.Result(42, "voting", resolved, nil)
		if err != nil {
			t.Fatal(err)
		}
		perm := rng.Perm(len(rs))
		cut := rng.IntN(len(rs) + 1)
		s := NewState()
		for k, p := range perm {
			if k == cut {
				b := s.Encode()
				s = &State{}
				if err := s.Decode(b); err != nil {
					t.Fatalf("group %d: reading back %s: %v", i, b, err)
				}
			}
			s.Add(rs[p])
			if rng.IntN(4) == 0 {
				s.Add(rs[p]) // a report folded twice counts once
			}
		}
		if gotText := s.Encode(); string(gotText) != string(wantText) {
			t.Fatalf("group %d, order %v, through its text before %d:\n got %s\nwant %s", i, perm, cut, gotText, wantText)
		}
		got, err := s.Result(42, "voting", resolved, lookup)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Fatalf("group %d, order %v, through its text before %d: result\n got %s\nwant %s", i, perm, cut, gj, wj)
		}
		for _, r := range rs {
			if s.Has(r.ID) != (r.Status != StatusQuarantined) {
				t.Fatalf("group %d: Has(%d) = %v for a report of status %q", i, r.ID, s.Has(r.ID), r.Status)
			}
		}
	}
}

// Fold's change is all that changed: folding a batch of reports into a
// state, every observation and conflict of the whole result after is the
// one Change.After gives for it, or else the one the result before had;
// every one Change.Before names is the result before's; and the usable
// reports grew by Change.Added.
func TestStateFoldIsTheChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 13))
	forms := testForms()
	lookup := func(id int64) (*form.Form, error) { return forms[id], nil }
	for i := range 2000 {
		rs, resolved := randomGroup(rng, forms)
		rng.Shuffle(len(rs), func(a, b int) { rs[a], rs[b] = rs[b], rs[a] })
		s := NewState()
		cut := rng.IntN(len(rs))
		for _, r := range rs[:cut] {
			s.Add(r)
		}
		// Through text, as the store reads it, for the forms' lookup too.
		text := s.Encode()
		s = NewState()
		if err := s.Decode(text); err != nil {
			t.Fatal(err)
		}
		before, err := s.Result(7, "voting", resolved, lookup)
		if err != nil {
			t.Fatal(err)
		}
		batch := rs[cut:]
		if rng.IntN(5) == 0 {
			batch = append(batch, rs[:cut]...) // already folded: no change from them
		}
		ch, err := s.Fold(7, "voting", batch, resolved, lookup)
		if err != nil {
			t.Fatal(err)
		}
		after, err := s.Result(7, "voting", resolved, lookup)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Added != after.Usable-before.Usable {
			t.Fatalf("group %d: added %d, usable %d → %d", i, ch.Added, before.Usable, after.Usable)
		}
		units := func(us []Unit) map[int64]Unit {
			m := map[int64]Unit{}
			for _, u := range us {
				m[u.Reports[0]] = u
			}
			return m
		}
		conflicts := func(cs []Conflict) map[string]Conflict {
			m := map[string]Conflict{}
			for _, c := range cs {
				m[c.Question] = c
			}
			return m
		}
		ub, ua, cb, ca := units(before.Units), units(after.Units), conflicts(before.Conflicts), conflicts(after.Conflicts)
		chb, cha, ccb, cca := units(ch.Before.Units), units(ch.After.Units), conflicts(ch.Before.Conflicts), conflicts(ch.After.Conflicts)
		for first, u := range ua {
			want, ok := cha[first]
			if !ok {
				want, ok = ub[first]
			}
			if !ok || !reflect.DeepEqual(u, want) {
				t.Fatalf("group %d: the observation of report %d after, %+v, is neither the change's nor as before (%+v)", i, first, u, want)
			}
		}
		for first, u := range chb {
			if !reflect.DeepEqual(u, ub[first]) {
				t.Fatalf("group %d: the change's observation of report %d before, %+v, is not the one before, %+v", i, first, u, ub[first])
			}
		}
		for first := range ub {
			if _, changed := chb[first]; !changed && !reflect.DeepEqual(ub[first], ua[first]) {
				t.Fatalf("group %d: the observation of report %d changed, %+v → %+v, and the change does not say so", i, first, ub[first], ua[first])
			}
		}
		// A change's conflicts carry no values (the store derives them
		// from the state: State.Conflict, which must give Result's).
		bare := func(c Conflict) Conflict {
			c.Values = nil
			return c
		}
		for q, c := range ca {
			if want, ok := cca[q]; ok {
				if !reflect.DeepEqual(bare(c), want) {
					t.Fatalf("group %d: the conflict on %s after, %+v, is not the change's, %+v", i, q, bare(c), want)
				}
			} else if want, ok := cb[q]; !ok || !reflect.DeepEqual(c, want) {
				t.Fatalf("group %d: the conflict on %s after is neither the change's nor as before", i, q)
			}
			if got, ok := s.Conflict(7, "voting", q, resolved[q]); !ok || !reflect.DeepEqual(got, c) {
				t.Fatalf("group %d: the state's conflict on %s, %+v (%v), is not the result's, %+v", i, q, got, ok, c)
			}
		}
		for q, c := range ccb {
			if !reflect.DeepEqual(c, bare(cb[q])) {
				t.Fatalf("group %d: the change's conflict on %s before is not the one before", i, q)
			}
		}
		for q := range s.answers {
			if _, ok := ca[q]; !ok {
				if got, ok := s.Conflict(7, "voting", q, resolved[q]); ok {
					t.Fatalf("group %d: the state finds a conflict on %s, %+v, the result does not", i, q, got)
				}
			}
		}
		for q := range cb {
			if _, changed := ccb[q]; !changed && !reflect.DeepEqual(cb[q], ca[q]) {
				t.Fatalf("group %d: the conflict on %s changed and the change does not say so", i, q)
			}
		}
		if len(ch.After.Conflicts)-len(ch.Before.Conflicts) != len(after.Conflicts)-len(before.Conflicts) {
			t.Fatalf("group %d: conflicts %d → %d, the change says %d → %d", i, len(before.Conflicts), len(after.Conflicts), len(ch.Before.Conflicts), len(ch.After.Conflicts))
		}
	}
}

// A stored state that is not one Encode could write is refused, so that
// the store computes the group from its reports instead of folding into
// it.
func TestStateDecodeRefuses(t *testing.T) {
	good := "R 3 5 8\nQ \"a\"\nA \"1\" 0 2\nA \"2\" 1\nV 1 \"team:1\" 0-2\nD \"a\"\n"
	var s State
	if err := s.Decode([]byte(good)); err != nil {
		t.Fatalf("%q: %v", good, err)
	}
	if string(s.Encode()) != good {
		t.Fatalf("%q written back as %q", good, s.Encode())
	}
	if s.Usable() != 3 || !s.Has(8) || len(s.answers["a"]["1"]) != 2 {
		t.Fatalf("%q read as %+v", good, s)
	}
	for _, bad := range []string{
		"{",
		"U 2\n",                                            // not an item of this format
		"R 3 5\nV 1 \"\" 0\n",                              // a report in no visit
		"R 5 3\nV 1 \"team:1\" 0-1\n",                      // reports out of order
		"R 3 5\nV 1 \"team:1\" 1 0\n",                      // positions out of order
		"R 3 5\nV 1 \"team:1\" 0-0 1\n",                    // an empty range
		"R 3 5\nV 1 \"team:1\" 0-2\n",                      // past the reports
		"R 3 5\nV 1 \"\" 0-1\n",                            // two reports alone
		"R 3\nV 1 \"team:1\" 0\nV 1 \"team:2\" 0\n",        // one report, two visits
		"R 3\nQ \"a\"\nA \"1\" 1\nV 1 \"\" 0\n",            // an answer of no report
		"R 3\nQ \"a\"\nA \"1\" 0\nA \"1\" 0\nV 1 \"\" 0\n", // an answer twice
		"R 3\nV 1 \"team:1\"\n",                            // a visit without reports
		"R 3\nA \"1\" 0\nV 1 \"\" 0\n",                     // an answer before its question
		"R 3\nV 1 \"\" 0\nG \"a\"\n",                       // agreed on nothing
		"R 3\nV 1 \"\" 0\nG \"a\" \"1\" x\n",               // more after it
		"R 3\nV x \"\" 0\n",                                // a form that is no id
		"R -3\nV 1 \"\" 0\n",                               // a report that is no id
		"R 3\nV 1 \"\" 0\nZ \"a\"\n",                       // an unknown item
		"Q \"a\"\nR 3\nV 1 \"\" 0\n",                       // the reports not first
	} {
		s := State{reports: []int64{42}}
		if err := s.Decode([]byte(bad)); err == nil {
			t.Errorf("%q: read without error", bad)
		} else if !slices.Equal(s.reports, []int64{42}) {
			t.Errorf("%q: refused (%v) but the state changed", bad, err)
		}
	}
}

// A few bytes of ranges could name billions of answers: a state naming
// more than any station's reports could is refused before it is expanded
// much further.
func TestStateDecodeBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("R")
	for id := 1; id <= 1000; id++ {
		fmt.Fprintf(&b, " %d", id)
	}
	b.WriteString("\n")
	for q := range 5000 {
		fmt.Fprintf(&b, "Q \"q%d\"\nA \"1\" 0-999\n", q)
	}
	b.WriteString("V 1 \"team:1\" 0-999\n")
	var s State
	err := s.Decode([]byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "answers") {
		t.Fatalf("%d bytes naming 5,000,000 answers: %v", b.Len(), err)
	}
}

// FuzzStateDecode: whatever is stored, reading it never panics, and a
// state read back writes itself back the same.
func FuzzStateDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	forms := testForms()
	for range 8 {
		rs, _ := randomGroup(rng, forms)
		s := NewState()
		for _, r := range rs {
			s.Add(r)
		}
		f.Add(s.Encode())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s State
		if s.Decode(b) != nil {
			return
		}
		once := s.Encode()
		var again State
		if err := again.Decode(once); err != nil {
			t.Fatalf("%q read, written as %q, not read back: %v", b, once, err)
		}
		if twice := again.Encode(); string(once) != string(twice) {
			t.Fatalf("written twice differently:\n%q\n%q", once, twice)
		}
		if _, err := s.Result(1, "voting", nil, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// groupScratch is how Group computed a group before State: every report
// of the group, given in id order, read again. It stays here as the
// reference a State must agree with:
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
func groupScratch(areaID int64, phase string, reports []Report, resolved map[string]json.RawMessage) Result {
	var usable []Report
	for _, r := range reports {
		if r.Status != StatusQuarantined {
			usable = append(usable, r)
		}
	}
	res := Result{Usable: len(usable)}
	res.Conflicts = conflicts(areaID, phase, usable, resolved)
	// Resolutions first, then visits merged.
	type visit struct {
		first   Report
		reports []Report
	}
	var order []*visit
	byVisit := map[string]*visit{}
	for _, r := range usable {
		r.Answers = resolve(r.Answers, resolved)
		if r.Visit == "" {
			order = append(order, &visit{first: r, reports: []Report{r}})
			continue
		}
		v := byVisit[r.Visit]
		if v == nil {
			v = &visit{first: r}
			byVisit[r.Visit] = v
			order = append(order, v)
		}
		v.reports = append(v.reports, r)
	}
	for _, v := range order {
		u := Unit{Cluster: v.first.Visit, Hits: map[string]bool{Units: false}}
		if u.Cluster == "" {
			u.Cluster = fmt.Sprintf("report:%d", v.first.ID)
		}
		answers := v.first.Answers
		if len(v.reports) > 1 {
			answers = merge(v.reports)
		}
		for _, r := range v.reports {
			u.Reports = append(u.Reports, r.ID)
		}
		if val, ok := answers[form.OverallID]; ok {
			if g, ok := val.Text(); ok {
				u.Hits[Overall] = form.Negative(g)
			}
		}
		if v.first.Form != nil {
			for ind, seen := range v.first.Form.Indicators(answers) {
				u.Hits[Indicator+ind] = seen
			}
		}
		res.Units = append(res.Units, u)
	}
	return res
}

func resolve(a form.Answers, resolved map[string]json.RawMessage) form.Answers {
	if len(resolved) == 0 {
		return a
	}
	var out form.Answers
	for q := range a {
		raw, ok := resolved[q]
		if !ok {
			continue
		}
		var v form.Value
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		if out == nil {
			out = form.Answers{}
			for k, x := range a {
				out[k] = x
			}
		}
		out[q] = v
	}
	if out == nil {
		return a
	}
	return out
}

// merge keeps the answers the reports of one visit agree on.
func merge(rs []Report) form.Answers {
	values := map[string]map[string]form.Value{}
	for _, r := range rs {
		for q, v := range r.Answers {
			if values[q] == nil {
				values[q] = map[string]form.Value{}
			}
			values[q][valueKey(v)] = v
		}
	}
	out := form.Answers{}
	for q, vs := range values {
		if len(vs) == 1 {
			for _, v := range vs {
				out[q] = v
			}
		}
	}
	return out
}

func conflicts(areaID int64, phase string, usable []Report, resolved map[string]json.RawMessage) []Conflict {
	if len(usable) < 2 {
		return nil
	}
	qs := map[string]bool{}
	for _, r := range usable {
		for q := range r.Answers {
			qs[q] = true
		}
	}
	var out []Conflict
	for q := range qs {
		vals := map[string][]int64{}
		for _, r := range usable {
			if v, ok := r.Answers[q]; ok {
				k := valueKey(v)
				vals[k] = append(vals[k], r.ID)
			}
		}
		if len(vals) < 2 {
			continue
		}
		c := Conflict{AreaID: areaID, Phase: phase, Question: q, Resolved: resolved[q]}
		for v, ids := range vals {
			c.Values = append(c.Values, ConflictValue{Value: json.RawMessage(v), Reports: ids})
		}
		sort.Slice(c.Values, func(i, j int) bool { return c.Values[i].Reports[0] < c.Values[j].Reports[0] })
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Question < out[j].Question })
	return out
}

// BenchmarkStateDecode reads the state of a station with 40 reports of
// one visit answering 13 questions, three of which they disagree on (the
// load test's stations at the end of a run).
func BenchmarkStateDecode(b *testing.B) {
	s := NewState()
	for i := range 40 {
		a := form.Answers{"overall": form.TextValue([]string{"good", "bad"}[i%2]), "voters": form.IntValue(int64(i % 9)), "stuffing": form.BoolValue(i%17 == 0)}
		for q := range 10 {
			a[fmt.Sprintf("q%02d", q)] = form.BoolValue(true)
		}
		s.Add(Report{ID: int64(1000 + 2000*i), Visit: "user:1", Answers: a, FormID: 1})
	}
	text := s.Encode()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		var d State
		if err := d.Decode(text); err != nil {
			b.Fatal(err)
		}
	}
}

// A report with a lower id joining a visit becomes its first report, and
// the visit's observation takes that report's form's indicators, even when
// it agrees with every answer (the deriver's memo of the observation
// before the fold must not stand).
func TestStateFoldNewFirstReport(t *testing.T) {
	forms := testForms()
	lookup := func(id int64) (*form.Form, error) { return forms[id], nil }
	// The same answer: the agreed answers do not change, the indicators
	// do (only the opening form asks whether the station opened on time).
	answers := form.Answers{"opened_on_time": form.BoolValue(false)}
	later := Report{ID: 10, Visit: "team:1", FormID: 2, Form: forms[2], Answers: answers}
	earlier := Report{ID: 5, Visit: "team:1", FormID: 1, Form: forms[1], Answers: answers}
	s := NewState()
	s.Add(later)
	ch, err := s.Fold(7, "voting", []Report{earlier}, nil, lookup)
	if err != nil {
		t.Fatal(err)
	}
	want, err := func() (Result, error) {
		w := NewState()
		w.Add(earlier)
		w.Add(later)
		return w.Result(7, "voting", nil, lookup)
	}()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ch.After.Units, want.Units) {
		t.Fatalf("after the fold: %+v\nfrom scratch: %+v", ch.After.Units, want.Units)
	}
	if reflect.DeepEqual(ch.Before.Units[0].Hits, want.Units[0].Hits) {
		t.Fatal("the two forms give the same hits: the test shows nothing")
	}
}

// ForgetForms leaves a state as its text decodes: its observations'
// indicators come from the forms the caller looks up, not from those its
// reports came with.
func TestStateForgetForms(t *testing.T) {
	forms := testForms()
	s := NewState()
	s.Add(Report{ID: 1, Visit: "team:1", FormID: 2, Form: forms[2], Answers: form.Answers{"opened_on_time": form.BoolValue(false)}})
	hits := func(lookup func(int64) (*form.Form, error)) map[string]bool {
		res, err := s.Result(7, "opening", nil, lookup)
		if err != nil {
			t.Fatal(err)
		}
		return res.Units[0].Hits
	}
	if !hits(nil)[Indicator+form.IndOpeningLate] {
		t.Fatal("the report's own form counts no late opening: the test shows nothing")
	}
	s.ForgetForms()
	if hits(nil)[Indicator+form.IndOpeningLate] {
		t.Error("the report's form still counted after ForgetForms")
	}
	decoded := &State{}
	if err := decoded.Decode(s.Encode()); err != nil {
		t.Fatal(err)
	}
	lookup := func(id int64) (*form.Form, error) { return forms[id], nil }
	forgotten := hits(lookup)
	s = decoded
	if got := hits(lookup); !reflect.DeepEqual(forgotten, got) {
		t.Errorf("forgotten %v, decoded %v", forgotten, got)
	}
}

// fromScratch is the result of a state built at once from reports, its
// forms looked up as a state read from its text looks them up.
func fromScratch(t *testing.T, area int64, phase string, reports []Report, resolved map[string]json.RawMessage, lookup func(int64) (*form.Form, error)) Result {
	t.Helper()
	w := NewState()
	for _, r := range reports {
		w.Add(r)
	}
	w.ForgetForms()
	res, err := w.Result(area, phase, resolved, lookup)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A visit's observation is kept with its state between folds (the store
// folds a kept state commit after commit), and holds only under what it
// was derived under: the same resolutions, the same form.
func TestStateMemoAcrossFolds(t *testing.T) {
	forms := testForms()
	lookup := func(id int64) (*form.Form, error) { return forms[id], nil }
	late := form.Answers{"opened_on_time": form.BoolValue(false)}
	reports := []Report{{ID: 1, Visit: "team:1", FormID: 2, Form: forms[2], Answers: late}}
	s := NewState()
	s.Add(reports[0])
	fold := func(r Report, resolved map[string]json.RawMessage, lookup func(int64) (*form.Form, error)) Unit {
		t.Helper()
		reports = append(reports, r)
		ch, err := s.Fold(7, "opening", []Report{r}, resolved, lookup)
		if err != nil {
			t.Fatal(err)
		}
		want := fromScratch(t, 7, "opening", reports, resolved, lookup)
		if !reflect.DeepEqual(ch.After.Units, want.Units) {
			t.Fatalf("after folding report %d: %+v\nfrom scratch: %+v", r.ID, ch.After.Units, want.Units)
		}
		return ch.After.Units[0]
	}
	first := fold(Report{ID: 2, Visit: "team:1", FormID: 2, Form: forms[2], Answers: late}, nil, lookup)
	if !first.Hits[Indicator+form.IndOpeningLate] {
		t.Fatal("no late opening counted: the test shows nothing")
	}
	// Kept: a report that agrees with its visit derives nothing again.
	again := fold(Report{ID: 3, Visit: "team:1", FormID: 2, Form: forms[2], Answers: late}, nil, lookup)
	if reflect.ValueOf(again.Hits).Pointer() != reflect.ValueOf(first.Hits).Pointer() {
		t.Error("the visit's observation was derived again, not kept")
	}
	// A report that disagrees: the question counts for nothing.
	onTime := form.Answers{"opened_on_time": form.BoolValue(true)}
	if u := fold(Report{ID: 4, Visit: "team:1", FormID: 2, Form: forms[2], Answers: onTime}, nil, lookup); u.Hits[Indicator+form.IndOpeningLate] {
		t.Error("the disagreement did not count: the observation kept from before it")
	}
	// Another resolution: derived again.
	resolvedLate := map[string]json.RawMessage{"opened_on_time": json.RawMessage("false")}
	if u := fold(Report{ID: 5, Visit: "team:1", FormID: 2, Form: forms[2], Answers: late}, resolvedLate, lookup); !u.Hits[Indicator+form.IndOpeningLate] {
		t.Error("the resolution did not count: the observation kept from before it")
	}
	// Another form of the same id (the state kept beside its text, read
	// in another database): derived again.
	s.ForgetForms()
	other := func(id int64) (*form.Form, error) { return forms[1], nil }
	if u := fold(Report{ID: 6, Visit: "team:1", FormID: 2, Answers: late}, resolvedLate, other); u.Hits[Indicator+form.IndOpeningLate] {
		t.Error("the other form did not count: the observation kept from the first")
	}
}

// Random folds into one state, as the store makes them commit after
// commit: ids out of order, resolutions that change, the forms forgotten
// and looked up under other mappings (one without the form), the state
// read back from its text. After each fold the state's whole result, and
// the units the fold reports before and after it, are what states built
// from scratch give: a visit's kept observation never outlives what it
// was derived under.
func TestStateMemoRandomFolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 1))
	formsA := testForms()
	mappings := []map[int64]*form.Form{formsA, {1: formsA[2], 2: formsA[1]}, {1: formsA[1], 2: nil}}
	contains := func(us []Unit, u Unit) bool {
		return slices.ContainsFunc(us, func(w Unit) bool { return reflect.DeepEqual(w, u) })
	}
	for g := range 150 {
		cur := 0
		lookup := func(id int64) (*form.Form, error) { return mappings[cur][id], nil }
		s := NewState()
		var all []Report
		used := map[int64]bool{}
		for step := range 30 {
			switch rng.IntN(6) {
			case 0:
				cur = rng.IntN(len(mappings))
				s.ForgetForms()
			case 1:
				d := &State{}
				if err := d.Decode(s.Encode()); err == nil {
					s = d
				}
			}
			rs, resolved := randomGroup(rng, formsA)
			var batch []Report
			for _, r := range rs[:1+rng.IntN(min(3, len(rs)))] {
				r.ID = 1 + int64(rng.IntN(200))
				if used[r.ID] {
					continue
				}
				used[r.ID] = true
				r.Form = mappings[cur][r.FormID]
				batch = append(batch, r)
			}
			scratch := func(reports []Report) Result { return fromScratch(t, 5, "voting", reports, resolved, lookup) }
			before := scratch(all)
			all = append(all, batch...)
			ch, err := s.Fold(5, "voting", batch, resolved, lookup)
			if err != nil {
				t.Fatal(err)
			}
			want := scratch(all)
			got, err := s.Result(5, "voting", resolved, lookup)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Units)+len(want.Units) > 0 && !reflect.DeepEqual(got.Units, want.Units) {
				t.Fatalf("group %d, fold %d: the state's units\n%+v\nfrom scratch\n%+v", g, step, got.Units, want.Units)
			}
			for _, u := range ch.Before.Units {
				if !contains(before.Units, u) {
					t.Fatalf("group %d, fold %d: unit before the fold %+v, not among those from scratch %+v", g, step, u, before.Units)
				}
			}
			for _, u := range ch.After.Units {
				if !contains(want.Units, u) {
					t.Fatalf("group %d, fold %d: unit after the fold %+v, not among those from scratch %+v", g, step, u, want.Units)
				}
			}
		}
	}
}

// BenchmarkStateEncode writes the state of a station as vigil-load leaves
// it after 80,000 reports on 2,000 stations: 40 reports of one visit
// (one coordinator's), answering 14 questions, one of them (the voters so
// far) differently in every report. The group commit writes such a text
// for every station a commit touches.
func BenchmarkStateEncode(b *testing.B) {
	s := NewState()
	for i := range 40 {
		a := form.Answers{"overall": form.TextValue("good"), "voters_so_far": form.IntValue(int64(i * 23)), "ballot_box_stuffing": form.BoolValue(i%17 == 0),
			"arrival_time": form.TextValue("10:15")}
		for q := range 10 {
			a[fmt.Sprintf("question_%02d", q)] = form.BoolValue(q%3 == 0)
		}
		s.Add(Report{ID: int64(1000 + 2000*i), Visit: "user:7", Answers: a, FormID: 1})
	}
	b.SetBytes(int64(len(s.Encode())))
	b.ReportAllocs()
	for b.Loop() {
		s.Encode()
	}
}

// appendQuoted's direct path must quote as strconv does, or a state's text
// would change with the path its strings took (Encode is canonical).
func TestAppendQuotedAsStrconv(t *testing.T) {
	for _, s := range []string{"", "overall", `"good"`, `a\b`, `"\"quoted\" \\ both"`, "10:15", "tab\there", "new\nline",
		"é", "\x7f", "\x00", "\x1f", "\u00a0", "~ !#$%&'()*+,-./0123456789:;<=>?@[]^_`{|}", "\xff", "日本", `{"a":[1,2]}`} {
		if got, want := string(appendQuoted([]byte("x"), s)), "x"+strconv.Quote(s); got != want {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	}
	// Every byte alone, and beside a printable one: the direct path's
	// bounds, both edges.
	for c := range 256 {
		for _, s := range []string{string([]byte{byte(c)}), "a" + string([]byte{byte(c)}) + "b"} {
			if got, want := string(appendQuoted(nil, s)), strconv.Quote(s); got != want {
				t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
			}
		}
	}
}

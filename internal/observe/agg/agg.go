// Package agg holds the rules by which one station's reports of one phase
// become observations, conflicts and counts: the pure core of the
// observation aggregates that the store maintains as reports, decisions
// and resolutions are committed (docs/observation.md, "Aggregates").
//
// Everything findings count is a function of one group — an
// organisation's usable reports of one area and phase, with the
// coordinators' resolutions of that area and phase — except incidents,
// which are counted report by report. So a change to a report or a
// resolution recomputes its group alone (a handful of reports), and the
// difference between the group's old and new contribution is added to
// the running sums of every area above it. observe.Dataset.Findings, the
// computation from scratch, is the reference these rules must agree with
// (the store's tests compare the two).
package agg

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// Report statuses that matter here (the store's constants, repeated: this
// package imports no storage).
const (
	StatusQuarantined = "quarantined"
)

// Items counted per observation. Overall is the overall assessment (a hit
// is a negative one); Units counts every observation (a hit never); an
// indicator is Indicator+name.
const (
	Overall   = "overall"
	Units     = "*"
	Indicator = "ind:"
)

// Report is one report of a group as the rules see it.
type Report struct {
	ID      int64
	Visit   string // who visited: "team:7", "observer:3", "user:2"; "" alone
	Status  string
	Answers form.Answers
	Form    *form.Form
}

// Unit is one observation: the reports of one visit merged, with what it
// counts. Hits maps each item the observation answered to whether it
// counts as a hit there.
type Unit struct {
	Cluster string  // the team (visit) or "report:ID": the cluster of the interval
	Reports []int64 // in id order
	Hits    map[string]bool
}

// Conflict is one question on which the usable reports of one station and
// phase disagree.
type Conflict struct {
	AreaID   int64           `json:"area_id"`
	Phase    string          `json:"phase"`
	Question string          `json:"question"`
	Values   []ConflictValue `json:"values"`
	Resolved json.RawMessage `json:"resolved,omitempty"`
}

// ConflictValue is one of the values given, and who gave it.
type ConflictValue struct {
	Value   json.RawMessage `json:"value"`
	Reports []int64         `json:"reports"`
}

// Result is what one group contributes.
type Result struct {
	Usable    int // reports not quarantined
	Units     []Unit
	Conflicts []Conflict
}

// Open counts the conflicts no coordinator has resolved.
func (r Result) Open() int {
	n := 0
	for _, c := range r.Conflicts {
		if c.Resolved == nil {
			n++
		}
	}
	return n
}

// Group applies the rules to the reports of one area and phase (not the
// incident phase), given in id order, and the resolutions of that area
// and phase by question:
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
func Group(areaID int64, phase string, reports []Report, resolved map[string]json.RawMessage) Result {
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

// valueKey is an answer's JSON, by which answers are compared (and shown
// in a conflict). Value's own MarshalJSON writes compact, HTML-escaped
// JSON, what json.Marshal would return for it; calling it directly skips
// json.Marshal's reflection and its second pass over the output, which
// were most of recomputing a group with many reports (issue 9: the
// group commit's CPU on every report).
func valueKey(v form.Value) string {
	b, _ := v.MarshalJSON()
	return string(b)
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

// Stats are the sufficient statistics of a share whose units come in
// clusters: N units, X hits, C clusters with a unit, and the sums over
// clusters of x_c², x_c·n_c and n_c². They add up across clusters, and a
// cluster's change from (n, x) to (n', x') changes them by a difference,
// so they are kept as running sums; the cluster-robust interval needs
// nothing else (observe.ClusterStats).
type Stats struct{ N, X, C, Sxx, Sxn, Snn int64 }

// Move returns the change to Stats when one cluster goes from (n, x) to
// (n2, x2).
func Move(n, x, n2, x2 int64) Stats {
	var c int64
	if n2 > 0 {
		c++
	}
	if n > 0 {
		c--
	}
	return Stats{N: n2 - n, X: x2 - x, C: c, Sxx: x2*x2 - x*x, Sxn: x2*n2 - x*n, Snn: n2*n2 - n*n}
}

// Add adds d to s.
func (s *Stats) Add(d Stats) {
	s.N += d.N
	s.X += d.X
	s.C += d.C
	s.Sxx += d.Sxx
	s.Sxn += d.Sxn
	s.Snn += d.Snn
}

// Zero reports whether every sum is 0.
func (s Stats) Zero() bool { return s == Stats{} }

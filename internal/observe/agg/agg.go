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
	FormID  int64      // the form's id, which a State keeps
	Form    *form.Form // the form itself, when known
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

package tally

import (
	"encoding/json"

	"github.com/vigil-elections/vigil/internal/election"
)

// Selector says which protocol of a station counts. Sources are tried in
// order: a station's protocol is the latest version of the first source
// that has one for it. The default (nil Sources) is official-final alone:
// a station without a final protocol is not counted, and falling back to
// official-preliminary happens only when asked for, with
// Sources = {official-final, official-preliminary}. "Latest" is the highest
// Version; equal versions (which the store never produces) are decided by
// the later Received time, then the higher ID, so the choice does not
// depend on the order of the input.
//
// Only protocols of stations are tabulated; summary protocols of higher
// areas, and protocols of areas not in the index, are ignored (Result
// counts them).
type Selector struct {
	Sources []election.Source
}

// DefaultSources is what a zero Selector uses.
var DefaultSources = []election.Source{election.OfficialFinal}

func (s Selector) sources() []election.Source {
	if len(s.Sources) == 0 {
		return DefaultSources
	}
	return s.Sources
}

// rank of a source in the selector, -1 if not selected. Sources are few,
// so a linear scan beats a map.
func rank(srcs []election.Source, s election.Source) int {
	for i, x := range srcs {
		if x == s {
			return i
		}
	}
	return -1
}

// better reports whether protocol p (of rank rp) beats q (of rank rq).
func better(p *election.Protocol, rp int, q *election.Protocol, rq int) bool {
	if rp != rq {
		return rp < rq
	}
	if p.Version != q.Version {
		return p.Version > q.Version
	}
	if !p.Received.Equal(q.Received) {
		return p.Received.After(q.Received)
	}
	return p.ID > q.ID
}

// Choose picks, for every station of ix, its protocol under sel: the
// result is indexed like ix and nil where a station (or a non-station
// area) has none. ignored counts the protocols that belong to no station of
// ix.
func Choose(ix *Index, protocols []*election.Protocol, sel Selector) (chosen []*election.Protocol, ignored int) {
	srcs := sel.sources()
	chosen = make([]*election.Protocol, ix.Len())
	ranks := make([]int8, ix.Len())
	for _, p := range protocols {
		i, ok := ix.Lookup(p.AreaID)
		if !ok || !ix.areas[i].Station {
			ignored++
			continue
		}
		r := rank(srcs, p.Source)
		if r < 0 {
			continue
		}
		if q := chosen[i]; q == nil || better(p, r, q, int(ranks[i])) {
			chosen[i], ranks[i] = p, int8(r)
		}
	}
	return chosen, ignored
}

// Result is a tabulation: the sums of figures and votes at every area of an
// index, computed in one bottom-up pass. Read it by area index, or as a tree
// of Nodes.
type Result struct {
	Election *election.Election
	Index    *Index
	// Ignored counts the protocols that belong to no station of the index.
	Ignored int
	nOpt    int
	figs    []election.Figures // per area
	votes   []int64            // per area, nOpt each
	count   []int32            // stations counted, per area
	// cover[i*NumFigures+f] = stations under area i that state figure f.
	cover []int32
}

// Tabulate selects each station's protocol under sel and adds figures and
// votes up the hierarchy. A figure is summed over the stations that state
// it (see Result.Coverage for how many did); ballots issued is taken as
// the protocol states it or, failing that, as the sum of its parts. Votes
// beyond the election's options are ignored; missing ones count as absent
// for that station only.
func Tabulate(e *election.Election, ix *Index, protocols []*election.Protocol, sel Selector) *Result {
	chosen, ignored := Choose(ix, protocols, sel)
	return TabulateChosen(e, ix, chosen, ignored)
}

// TabulateChosen tabulates protocols already chosen per area (as Choose
// returns them, indexed like ix).
func TabulateChosen(e *election.Election, ix *Index, chosen []*election.Protocol, ignored int) *Result {
	n := ix.Len()
	nOpt := len(e.Options)
	r := &Result{
		Election: e, Index: ix, Ignored: ignored, nOpt: nOpt,
		figs:  make([]election.Figures, n),
		votes: make([]int64, n*nOpt),
		count: make([]int32, n),
		cover: make([]int32, n*int(election.NumFigures)),
	}
	const nf = int(election.NumFigures)
	// Leaves: the chosen protocols.
	for i, p := range chosen {
		if p == nil {
			continue
		}
		f := p.Figures
		if !f.Has(election.BallotsIssued) {
			if v, ok := f.Get(election.BallotsIssued); ok {
				f.Set(election.BallotsIssued, v)
			}
		}
		r.figs[i] = f
		r.count[i] = 1
		c := r.cover[i*nf : i*nf+nf]
		for fig := range nf {
			if f.Has(election.Figure(fig)) {
				c[fig] = 1
			}
		}
		copy(r.votes[i*nOpt:i*nOpt+nOpt], p.Votes)
	}
	// One pass bottom-up: every child is added into its parent before the
	// parent is added into its own.
	for _, i := range ix.up {
		p := ix.parent[i]
		if p < 0 || r.count[i] == 0 {
			continue
		}
		r.figs[p].AddFigures(r.figs[i])
		r.count[p] += r.count[i]
		ci, cp := r.cover[int(i)*nf:int(i)*nf+nf], r.cover[int(p)*nf:int(p)*nf+nf]
		for k := range cp {
			cp[k] += ci[k]
		}
		vi, vp := r.votes[int(i)*nOpt:int(i)*nOpt+nOpt], r.votes[int(p)*nOpt:int(p)*nOpt+nOpt]
		for k := range vp {
			vp[k] += vi[k]
		}
	}
	return r
}

// Figures returns the summed figures of area i.
func (r *Result) Figures(i int) election.Figures { return r.figs[i] }

// Votes returns the summed votes of area i, by option position. The slice
// aliases the result; do not modify it.
func (r *Result) Votes(i int) []int64 { return r.votes[i*r.nOpt : (i+1)*r.nOpt] }

// Stations returns how many stations were counted under area i.
func (r *Result) Stations(i int) int { return int(r.count[i]) }

// Coverage returns how many of the counted stations under area i state
// figure f. Where it is below Stations(i), the figure's sum is partial.
func (r *Result) Coverage(i int, f election.Figure) int {
	return int(r.cover[i*int(election.NumFigures)+int(f)])
}

// Node is one area of a tabulation tree. Its JSON is
// {"area": name, "stations": n, "figures": {...}, "options": {...}, "children": [...]}.
type Node struct {
	Area     *election.Area
	Stations int              // stations counted under this area
	Figures  election.Figures // summed figures
	Options  map[string]int64 // votes by option name
	Votes    []int64          // the same votes, by option position
	Children []*Node          // empty at a station or at the depth limit
	election *election.Election
}

// MarshalJSON writes the node in the shape documented on Node.
func (n *Node) MarshalJSON() ([]byte, error) {
	children := n.Children
	if children == nil {
		children = []*Node{}
	}
	return json.Marshal(struct {
		Area     string           `json:"area"`
		Stations int              `json:"stations"`
		Figures  election.Figures `json:"figures"`
		Options  map[string]int64 `json:"options"`
		Children []*Node          `json:"children"`
	}{n.Area.Name, n.Stations, n.Figures, n.Options, children})
}

// Node returns area i as a tree down to level maxLevel (Area.Level; a
// negative maxLevel means every level).
func (r *Result) Node(i int, maxLevel int) *Node {
	// Nodes and children pointers come from two slabs, sized by a first
	// walk, so that a tree of every level costs a few allocations plus
	// one map per node.
	var count func(j int) int
	count = func(j int) int {
		c := 1
		if maxLevel < 0 || r.Index.areas[j].Level < maxLevel {
			for _, k := range r.Index.Children(j) {
				c += count(int(k))
			}
		}
		return c
	}
	n := count(i)
	b := &treeBuilder{r: r, max: maxLevel, nodes: make([]Node, 0, n), ptrs: make([]*Node, 0, n)}
	return b.node(i)
}

type treeBuilder struct {
	r     *Result
	max   int
	nodes []Node
	ptrs  []*Node
}

func (b *treeBuilder) node(i int) *Node {
	r := b.r
	a := r.Index.Area(i)
	votes := r.Votes(i)
	b.nodes = append(b.nodes, Node{
		Area: a, Stations: r.Stations(i), Figures: r.figs[i],
		Options: make(map[string]int64, r.nOpt), Votes: votes, election: r.Election,
	})
	n := &b.nodes[len(b.nodes)-1]
	for _, o := range r.Election.Options {
		if o.Position >= 0 && o.Position < r.nOpt {
			n.Options[o.Name] = votes[o.Position]
		}
	}
	if b.max < 0 || a.Level < b.max {
		kids := r.Index.Children(i)
		start := len(b.ptrs)
		b.ptrs = append(b.ptrs, make([]*Node, len(kids))...)
		n.Children = b.ptrs[start : start+len(kids) : start+len(kids)]
		for k, c := range kids {
			n.Children[k] = b.node(int(c))
		}
	}
	return n
}

// Tree returns the whole tabulation from the root down to level maxLevel
// (negative: every level). With several roots it returns a node for an
// unnamed area holding them all as children.
func (r *Result) Tree(maxLevel int) *Node {
	roots := r.Index.Roots()
	if len(roots) == 1 {
		return r.Node(int(roots[0]), maxLevel)
	}
	top := &Node{Area: &election.Area{Name: r.Election.Name, Level: -1}, Options: map[string]int64{}, Votes: make([]int64, r.nOpt), election: r.Election}
	for _, i := range roots {
		c := r.Node(int(i), maxLevel)
		top.Children = append(top.Children, c)
		top.Stations += c.Stations
		top.Figures.AddFigures(c.Figures)
		for k, v := range c.Votes {
			top.Votes[k] += v
		}
	}
	for _, o := range r.Election.Options {
		if o.Position >= 0 && o.Position < r.nOpt {
			top.Options[o.Name] = top.Votes[o.Position]
		}
	}
	return top
}

// Turnout returns the node's turnout (see the function Turnout).
func (n *Node) Turnout() (float64, bool) { return Turnout(n.Figures) }

// Shares returns each option's share of the node's valid votes (see the
// function Shares), by option name.
func (n *Node) Shares() map[string]float64 {
	sh := Shares(n.Votes, n.Figures)
	m := make(map[string]float64, len(sh))
	for _, o := range n.election.Options {
		if o.Position >= 0 && o.Position < len(sh) {
			m[o.Name] = sh[o.Position]
		}
	}
	return m
}

// Turnout is ballots issued over registered voters (plus supplementary
// lists where published separately), as a fraction. Where ballots issued
// are not published it uses the ballots counted (valid + invalid, else
// ballots in the box). It reports false when either side is unknown or
// no voter is registered.
func Turnout(f election.Figures) (float64, bool) {
	reg, ok := f.Get(election.Registered)
	if !ok {
		return 0, false
	}
	reg += f.Value(election.RegisteredSupplementary)
	voted, ok := f.Get(election.BallotsIssued)
	if !ok {
		voted, ok = f.Ballots()
	}
	if !ok || reg <= 0 {
		return 0, false
	}
	return float64(voted) / float64(reg), true
}

// Shares returns each option's votes as a fraction of the valid votes: the
// valid figure where stated, else the sum of the votes. All zero when there
// is no valid vote. Some commissions publish shares of every ballot counted
// instead (Russia's CEC: valid + invalid); use SharesOf with f.Ballots()
// to reproduce those.
func Shares(votes []int64, f election.Figures) []float64 {
	base, ok := f.Get(election.Valid)
	if !ok {
		for _, v := range votes {
			base += v
		}
	}
	return SharesOf(votes, base)
}

// SharesOf returns each option's votes as a fraction of base (all zero when
// base ≤ 0).
func SharesOf(votes []int64, base int64) []float64 {
	out := make([]float64, len(votes))
	if base <= 0 {
		return out
	}
	for i, v := range votes {
		out[i] = float64(v) / float64(base)
	}
	return out
}

// AreaSums is one area's sums computed elsewhere (the store's maintained
// results aggregates): the stations counted under it, the summed figures
// (a figure known when some station states it) and the votes by option
// position.
type AreaSums struct {
	Area     election.Area
	Stations int
	Figures  election.Figures
	Votes    []int64
}

// TreeOf builds the tree of nodes of rows, the first row its root and every
// other row below a row before it (rows in the order of store.ResultTree):
// the same nodes as Result.Node gives for a tabulation of the same
// protocols, without the protocols.
func TreeOf(e *election.Election, rows []AreaSums) *Node {
	if len(rows) == 0 {
		return nil
	}
	nOpt := len(e.Options)
	nodes := make([]Node, len(rows))
	votes := make([]int64, len(rows)*nOpt)
	byID := make(map[int64]*Node, len(rows))
	for i := range rows {
		r := &rows[i]
		n := &nodes[i]
		v := votes[i*nOpt : (i+1)*nOpt : (i+1)*nOpt]
		copy(v, r.Votes)
		*n = Node{Area: &r.Area, Stations: r.Stations, Figures: r.Figures, Options: make(map[string]int64, nOpt), Votes: v, election: e}
		for _, o := range e.Options {
			if o.Position >= 0 && o.Position < nOpt {
				n.Options[o.Name] = v[o.Position]
			}
		}
		byID[r.Area.ID] = n
		if i == 0 {
			continue
		}
		if p := byID[r.Area.ParentID]; p != nil {
			p.Children = append(p.Children, n)
		}
	}
	return &nodes[0]
}

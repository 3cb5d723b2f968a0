package tally

import (
	"encoding/json"

	"github.com/vigil-elections/vigil/internal/election"
)

// Diff is one figure or option compared between two sources over the
// same stations.
type Diff struct {
	Item string `json:"item"` // figure name, or option name
	A    int64  `json:"a"`
	B    int64  `json:"b"`
	// Difference is A − B.
	Difference int64 `json:"difference"`
	// Stations is how many stations entered this item: those that have
	// both protocols and state the figure in both.
	Stations int `json:"stations"`
}

// DiffNode compares two sources at one area. Only stations with a protocol
// from both sources count; OnlyA and OnlyB say how many had only one.
type DiffNode struct {
	Area     *election.Area `json:"-"`
	Stations int            `json:"stations"` // stations with both protocols
	OnlyA    int            `json:"only_a"`
	OnlyB    int            `json:"only_b"`
	Figures  []Diff         `json:"figures"`
	Options  []Diff         `json:"options"`
	Children []*DiffNode    `json:"children"`
}

// MarshalJSON adds the area's name as "area".
func (d *DiffNode) MarshalJSON() ([]byte, error) {
	type plain DiffNode
	children := d.Children
	if children == nil {
		children = []*DiffNode{}
	}
	p := plain(*d)
	p.Children = children
	return json.Marshal(struct {
		Area string `json:"area"`
		plain
	}{d.Area.Name, p})
}

// Differences returns the items whose values differ.
func (d *DiffNode) Differences() []Diff {
	var out []Diff
	for _, x := range append(append([]Diff(nil), d.Figures...), d.Options...) {
		if x.Difference != 0 {
			out = append(out, x)
		}
	}
	return out
}

// Comparison holds two sources summed over the stations that have both,
// at every area of an index.
type Comparison struct {
	Election *election.Election
	Index    *Index
	nOpt     int
	a, b     []int64 // per area: NumFigures figures then nOpt votes
	cover    []int32 // per area: stations per figure, then stations with votes
	both     []int32
	onlyA    []int32
	onlyB    []int32
}

// Compare selects each station's protocol under selector a and under
// selector b (say official-final against observer) and sums both over the
// stations that have the two, at every level. A figure enters the sums of
// a station only when both of its protocols state it, and votes only when
// both give every option, so the two sides always cover the same ballots.
func Compare(e *election.Election, ix *Index, protocols []*election.Protocol, a, b Selector) *Comparison {
	ca, _ := Choose(ix, protocols, a)
	cb, _ := Choose(ix, protocols, b)
	nOpt := len(e.Options)
	nf := int(election.NumFigures)
	w := nf + nOpt
	n := ix.Len()
	c := &Comparison{
		Election: e, Index: ix, nOpt: nOpt,
		a: make([]int64, n*w), b: make([]int64, n*w), cover: make([]int32, n*(nf+1)),
		both: make([]int32, n), onlyA: make([]int32, n), onlyB: make([]int32, n),
	}
	for i := range n {
		pa, pb := ca[i], cb[i]
		switch {
		case pa == nil && pb == nil:
			continue
		case pb == nil:
			c.onlyA[i] = 1
			continue
		case pa == nil:
			c.onlyB[i] = 1
			continue
		}
		c.both[i] = 1
		ra, rb, cv := c.a[i*w:(i+1)*w], c.b[i*w:(i+1)*w], c.cover[i*(nf+1):(i+1)*(nf+1)]
		for f := range nf {
			va, oka := pa.Figures.Get(election.Figure(f))
			vb, okb := pb.Figures.Get(election.Figure(f))
			if oka && okb {
				ra[f], rb[f], cv[f] = va, vb, 1
			}
		}
		if nOpt > 0 && len(pa.Votes) >= nOpt && len(pb.Votes) >= nOpt {
			copy(ra[nf:], pa.Votes[:nOpt])
			copy(rb[nf:], pb.Votes[:nOpt])
			cv[nf] = 1
		}
	}
	for _, i := range ix.up {
		p := ix.parent[i]
		if p < 0 {
			continue
		}
		c.both[p] += c.both[i]
		c.onlyA[p] += c.onlyA[i]
		c.onlyB[p] += c.onlyB[i]
		if c.both[i] == 0 {
			continue
		}
		addInto(c.a[int(p)*w:int(p+1)*w], c.a[int(i)*w:int(i+1)*w])
		addInto(c.b[int(p)*w:int(p+1)*w], c.b[int(i)*w:int(i+1)*w])
		ci, cp := c.cover[int(i)*(nf+1):int(i+1)*(nf+1)], c.cover[int(p)*(nf+1):int(p+1)*(nf+1)]
		for k := range cp {
			cp[k] += ci[k]
		}
	}
	return c
}

func addInto(dst, src []int64) {
	for k := range dst {
		dst[k] += src[k]
	}
}

// Node returns area i's comparison, down to level maxLevel (negative:
// every level).
func (c *Comparison) Node(i int, maxLevel int) *DiffNode {
	nf := int(election.NumFigures)
	w := nf + c.nOpt
	a := c.Index.Area(i)
	d := &DiffNode{Area: a, Stations: int(c.both[i]), OnlyA: int(c.onlyA[i]), OnlyB: int(c.onlyB[i]), Figures: []Diff{}, Options: []Diff{}}
	ra, rb, cv := c.a[i*w:(i+1)*w], c.b[i*w:(i+1)*w], c.cover[i*(nf+1):(i+1)*(nf+1)]
	for f := range nf {
		if cv[f] > 0 {
			d.Figures = append(d.Figures, Diff{election.Figure(f).String(), ra[f], rb[f], ra[f] - rb[f], int(cv[f])})
		}
	}
	if cv[nf] > 0 {
		for _, o := range c.Election.Options {
			k := nf + o.Position
			if o.Position >= 0 && o.Position < c.nOpt {
				d.Options = append(d.Options, Diff{o.Name, ra[k], rb[k], ra[k] - rb[k], int(cv[nf])})
			}
		}
	}
	if maxLevel < 0 || a.Level < maxLevel {
		for _, k := range c.Index.Children(i) {
			d.Children = append(d.Children, c.Node(int(k), maxLevel))
		}
	}
	return d
}

// Tree returns the comparison from the root down to level maxLevel
// (negative: every level). With several roots (or none) it returns a node
// for an unnamed area holding them all, with the sums of their counts and
// items.
func (c *Comparison) Tree(maxLevel int) *DiffNode {
	roots := c.Index.Roots()
	if len(roots) == 1 {
		return c.Node(int(roots[0]), maxLevel)
	}
	top := &DiffNode{Area: &election.Area{Name: c.Election.Name, Level: -1}, Figures: []Diff{}, Options: []Diff{}}
	for _, r := range roots {
		n := c.Node(int(r), maxLevel)
		top.Children = append(top.Children, n)
		top.Stations += n.Stations
		top.OnlyA += n.OnlyA
		top.OnlyB += n.OnlyB
		top.Figures = mergeDiffs(top.Figures, n.Figures)
		top.Options = mergeDiffs(top.Options, n.Options)
	}
	return top
}

// mergeDiffs adds the items of more into sum, by item name, keeping the
// order in which items first appear.
func mergeDiffs(sum, more []Diff) []Diff {
next:
	for _, d := range more {
		for k := range sum {
			if sum[k].Item == d.Item {
				sum[k].A += d.A
				sum[k].B += d.B
				sum[k].Difference += d.Difference
				sum[k].Stations += d.Stations
				continue next
			}
		}
		sum = append(sum, d)
	}
	return sum
}

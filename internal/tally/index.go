// Package tally aggregates polling-station protocols up an election's area
// hierarchy, compares two sources of protocols level by level, and computes
// outcomes: seats, majorities, runoffs, and the margins that would change
// them. Everything here is a pure function of its arguments: no database,
// no HTTP.
package tally

import (
	"fmt"

	"github.com/vigil-elections/vigil/internal/election"
)

// Index is an election's area hierarchy laid out in slices for fast
// repeated tabulation: areas by dense index, their parents, and an order
// that visits every child before its parent. Build it once per election
// with NewIndex; it is read-only afterwards and safe for concurrent use.
type Index struct {
	areas  []election.Area
	parent []int32 // index of the parent, -1 at a root
	depth  []int32 // 0 at a root
	up     []int32 // every area, deepest first (children before parents)
	roots  []int32
	// children in CSR form: the children of i are kids[kidStart[i]:kidStart[i+1]].
	kidStart []int32
	kids     []int32
	// id → index: a dense slice when ids are compact, else a map.
	byID    []int32
	minID   int64
	byIDMap map[int64]int32
}

// NewIndex indexes areas. It returns an error for a duplicate id, a parent
// id that is not among areas, or a cycle. Areas whose ParentID is 0 are
// roots; an election normally has one root (level 0).
func NewIndex(areas []election.Area) (*Index, error) {
	n := len(areas)
	ix := &Index{areas: append([]election.Area(nil), areas...), parent: make([]int32, n), depth: make([]int32, n)}
	if n == 0 {
		ix.kidStart = []int32{0}
		return ix, nil
	}
	lo, hi := areas[0].ID, areas[0].ID
	for _, a := range areas {
		lo, hi = min(lo, a.ID), max(hi, a.ID)
	}
	if hi-lo < int64(4*n+1024) {
		ix.minID = lo
		ix.byID = make([]int32, hi-lo+1)
		for i := range ix.byID {
			ix.byID[i] = -1
		}
		for i, a := range areas {
			if ix.byID[a.ID-lo] >= 0 {
				return nil, fmt.Errorf("tally: duplicate area id %d", a.ID)
			}
			ix.byID[a.ID-lo] = int32(i)
		}
	} else {
		ix.byIDMap = make(map[int64]int32, n)
		for i, a := range areas {
			if _, dup := ix.byIDMap[a.ID]; dup {
				return nil, fmt.Errorf("tally: duplicate area id %d", a.ID)
			}
			ix.byIDMap[a.ID] = int32(i)
		}
	}
	nkids := make([]int32, n+1)
	for i, a := range areas {
		if a.ParentID == 0 {
			ix.parent[i] = -1
			ix.roots = append(ix.roots, int32(i))
			continue
		}
		p, ok := ix.Lookup(a.ParentID)
		if !ok {
			return nil, fmt.Errorf("tally: area %d (%s) has unknown parent %d", a.ID, a.Name, a.ParentID)
		}
		ix.parent[i] = int32(p)
		nkids[p]++
	}
	// Depths, following parents with memoisation; a walk longer than n is
	// a cycle.
	for i := range ix.depth {
		ix.depth[i] = -1
	}
	var maxDepth int32
	stack := make([]int32, 0, 16)
	for i := range areas {
		j := int32(i)
		stack = stack[:0]
		for ix.depth[j] < 0 {
			if ix.parent[j] < 0 {
				ix.depth[j] = 0
				break
			}
			stack = append(stack, j)
			if len(stack) > n {
				return nil, fmt.Errorf("tally: cycle in the area hierarchy at area %d", areas[i].ID)
			}
			j = ix.parent[j]
		}
		for k := len(stack) - 1; k >= 0; k-- {
			s := stack[k]
			ix.depth[s] = ix.depth[ix.parent[s]] + 1
		}
		maxDepth = max(maxDepth, ix.depth[i])
	}
	// Bottom-up order by a counting sort on depth, deepest first.
	count := make([]int32, maxDepth+2)
	for _, d := range ix.depth {
		count[maxDepth-d+1]++
	}
	for k := 1; k < len(count); k++ {
		count[k] += count[k-1]
	}
	ix.up = make([]int32, n)
	for i, d := range ix.depth {
		k := maxDepth - d
		ix.up[count[k]] = int32(i)
		count[k]++
	}
	// Children lists (CSR), in the input order of areas.
	ix.kidStart = make([]int32, n+1)
	for i := range n {
		ix.kidStart[i+1] = ix.kidStart[i] + nkids[i]
	}
	ix.kids = make([]int32, ix.kidStart[n])
	fill := append([]int32(nil), ix.kidStart[:n]...)
	for i, p := range ix.parent {
		if p >= 0 {
			ix.kids[fill[p]] = int32(i)
			fill[p]++
		}
	}
	return ix, nil
}

// Lookup returns the index of the area with the given id.
func (ix *Index) Lookup(id int64) (int, bool) {
	if ix.byID != nil {
		k := id - ix.minID
		if k < 0 || k >= int64(len(ix.byID)) || ix.byID[k] < 0 {
			return 0, false
		}
		return int(ix.byID[k]), true
	}
	i, ok := ix.byIDMap[id]
	return int(i), ok
}

// Len is the number of areas.
func (ix *Index) Len() int { return len(ix.areas) }

// Area returns the area at index i.
func (ix *Index) Area(i int) *election.Area { return &ix.areas[i] }

// Children returns the indexes of the children of area i.
func (ix *Index) Children(i int) []int32 { return ix.kids[ix.kidStart[i]:ix.kidStart[i+1]] }

// Roots returns the indexes of the areas without a parent.
func (ix *Index) Roots() []int32 { return ix.roots }

// Stations returns the indexes of the stations under area i (i itself if
// it is a station), in depth-first order.
func (ix *Index) Stations(i int) []int32 {
	var out []int32
	var walk func(j int32)
	walk = func(j int32) {
		if ix.areas[j].Station {
			out = append(out, j)
		}
		for _, k := range ix.Children(int(j)) {
			walk(k)
		}
	}
	walk(int32(i))
	return out
}

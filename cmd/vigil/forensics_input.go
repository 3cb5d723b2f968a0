package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/ingest"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
)

// forensicData is what the forensic commands read, in columns: one
// forensics.Station (L of the leader), the option votes and a reference to
// the area path per reported station, in the order the stations come
// (the file's rows, or the index's order from the database).
//
// A file is read into it row by row, without the area records, protocols
// and index an import or a tabulation needs: at 1,000,000 stations that
// whole model took 2.5 GB, this takes some 150 MB (docs/performance.md,
// "Forensics at 1M").
type forensicData struct {
	election *election.Election // options and area levels
	st       []forensics.Station
	votes    []int64 // len(st) × len(options), row-major
	area     []int32 // per station, its node in nodes
	nodes    []pathNode
	// refused counts the stations left out before any test, by reason
	// (forensics.ExclNotReported, forensics.ExclNoProtocol).
	refused map[string]int
	// notReported is the node of each row refused as not reported, in file
	// order (file only): stations lists them by name.
	notReported []int32
	total       []int64 // each option's votes over every row (file only)
}

// fileAreaID is the id loadFile gives node n's area: the root (the file)
// is 1 and the areas are numbered from 2 in the order the rows first name
// them, which is the order pathTree adds its nodes. The ids listed under
// "excluded_stations" are thus those of the model a --file tabulation
// builds.
func fileAreaID(n int32) int64 { return int64(n) + 2 }

// pathOf is node n's area path, top level first.
func (d *forensicData) pathOf(n int32) []string {
	var rev []string
	for ; n >= 0; n = d.nodes[n].parent {
		rev = append(rev, d.nodes[n].name)
	}
	for a, b := 0, len(rev)-1; a < b; a, b = a+1, b-1 {
		rev[a], rev[b] = rev[b], rev[a]
	}
	return rev
}

// listedNode names node n as stored.StationsListed names an area.
func (d *forensicData) listedNode(n int32) stored.Listed {
	return stored.Listed{ID: fileAreaID(n), Name: strings.Join(d.pathOf(n), " / ")}
}

// pathNode is one area of the paths: its name and its parent (−1 at the
// top level).
type pathNode struct {
	parent int32
	name   string
}

// path is station i's area path, top level first.
func (d *forensicData) path(i int) []string { return d.pathOf(d.area[i]) }

// optionVotes is the votes of option k at every station.
func (d *forensicData) optionVotes(k int) []int64 {
	nopt := len(d.election.Options)
	out := make([]int64, len(d.st))
	for i := range d.st {
		out[i] = d.votes[i*nopt+k]
	}
	return out
}

// leader resolves the leader: the named option, or the one with the most
// votes over every row read (the refused ones too, as stored.Leader counts
// them).
func (d *forensicData) leader(name string) (int, error) {
	if name != "" {
		// stored.Leader names the options in its error.
		return stored.Leader(d.election, nil, name)
	}
	li := -1
	for k, v := range d.total {
		if li < 0 || v > d.total[li] {
			li = k
		}
	}
	if li < 0 {
		return -1, errors.New("the election has no options")
	}
	return li, nil
}

// setLeader sets each station's L to option li's votes.
func (d *forensicData) setLeader(li int) {
	nopt := len(d.election.Options)
	for i := range d.st {
		d.st[i].L = d.votes[i*nopt+li]
	}
}

// pathTree interns area paths as nodes, one per distinct path prefix.
type pathTree struct {
	nodes []pathNode
	ids   map[nodeKey]int32
}

type nodeKey struct {
	parent int32
	name   string
}

// find returns the node of path, adding the missing ones; added reports
// whether the last one is new.
func (t *pathTree) find(path []string) (id int32, added bool) {
	id = -1
	for _, name := range path {
		k := nodeKey{id, name}
		next, ok := t.ids[k]
		if !ok {
			// A copy: the reader's fields share one string per row,
			// which the name would otherwise keep whole.
			k.name = strings.Clone(name)
			next = int32(len(t.nodes))
			t.nodes = append(t.nodes, pathNode{parent: id, name: k.name})
			t.ids[k] = next
		}
		id, added = next, !ok
	}
	return id, added
}

// readForensicFile reads a results file straight into columns, with the
// same meaning as loadFile followed by stored.StationsRefused: every row a
// station of its own (a row repeating an earlier path, or naming an area
// an earlier row went through, is renamed "(line N)" as loadFile does), in
// file order, left out as not reported when it has no ballots at all.
func readForensicFile(file, mappingPath string) (*forensicData, error) {
	m, err := ingest.LoadMapping(mappingPath)
	if err != nil {
		return nil, err
	}
	rd, err := ingest.Open(file, m)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	e := &election.Election{Name: file, Kind: election.Presidential, Config: election.Config{AreaLevels: m.Levels()}}
	for i, o := range rd.Options() {
		e.Options = append(e.Options, election.Option{Position: i, Name: o, Kind: election.Candidate})
	}
	nopt := len(e.Options)
	d := &forensicData{election: e, refused: map[string]int{}, total: make([]int64, nopt)}
	t := &pathTree{ids: map[nodeKey]int32{}}
	// The columns grow in chunks joined once at the end: appending to one
	// slice of a million stations copied it over and over (growslice was
	// a tenth of the command's time) and held up to twice its size.
	var sts chunks[forensics.Station]
	var votes chunks[int64]
	var areas chunks[int32]
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		id, added := t.find(row.Path)
		if !added {
			// Some published files repeat a station's path (Georgia 2012,
			// Albania 2017, Uganda 2021's nullified stations): an analysis
			// of the file as published keeps each row, named by its line.
			p := append(append([]string(nil), row.Path[:len(row.Path)-1]...), fmt.Sprintf("%s (line %d)", row.Path[len(row.Path)-1], row.Line))
			id, _ = t.find(p)
		}
		if len(row.Votes) != nopt { // the reader gives every option, even an empty one
			return nil, fmt.Errorf("%s:%d: %d option votes, want %d", file, row.Line, len(row.Votes), nopt)
		}
		for k, v := range row.Votes {
			d.total[k] += v
		}
		// The leader is not known before every row is read; FromFigures
		// uses it only for L (setLeader), and refuses only for a leader
		// out of range, which 0 is not when there are options.
		st, ok := forensics.FromFigures(row.Figures, row.Votes, 0)
		if !ok {
			d.refused[forensics.ExclNotReported]++
			d.notReported = append(d.notReported, id)
			continue
		}
		sts.add(st)
		areas.add(id)
		for _, v := range row.Votes {
			votes.add(v)
		}
	}
	d.st, d.votes, d.area = sts.join(), votes.join(), areas.join()
	d.nodes = t.nodes // the map goes with t
	return d, nil
}

// chunks is a column under construction: fixed-size blocks, so that
// growing it never copies what is already there.
type chunks[T any] struct {
	full [][]T
	cur  []T
	n    int
}

const chunkLen = 1 << 16

func (c *chunks[T]) add(x T) {
	if len(c.cur) == cap(c.cur) {
		if c.cur != nil {
			c.full = append(c.full, c.cur)
		}
		c.cur = make([]T, 0, chunkLen)
	}
	c.cur = append(c.cur, x)
	c.n++
}

// join returns the column as one slice (the blocks become garbage).
func (c *chunks[T]) join() []T {
	out := make([]T, 0, c.n)
	for _, b := range c.full {
		out = append(out, b...)
	}
	out = append(out, c.cur...)
	c.full, c.cur = nil, nil
	return out
}

// forensicFromStored puts the stations read from the database (stored,
// L already that of the leader) into the same columns.
func forensicFromStored(e *election.Election, rows []stored.Station, refused map[string]int) *forensicData {
	nopt := len(e.Options)
	d := &forensicData{election: e, refused: refused, st: make([]forensics.Station, len(rows)),
		votes: make([]int64, len(rows)*nopt), area: make([]int32, len(rows))}
	t := &pathTree{ids: map[nodeKey]int32{}}
	for i, r := range rows {
		d.st[i] = r.Station
		copy(d.votes[i*nopt:(i+1)*nopt], r.Votes)
		d.area[i], _ = t.find(r.Area.Path)
	}
	d.nodes = t.nodes
	return d
}

// stations reads the results named by the flags, resolves the leader and
// lists the stations every test leaves out by name (fi.listed), as
// stored.StationsListed does: the refused ones, then those with impossible
// figures, each reason in the stations' order.
func (fi *forensicInput) stations(ctx context.Context) (*forensicData, string, error) {
	leaderErr := func(err error) error {
		if *fi.leader != "" {
			return usagef("--leader: %v", err)
		}
		return err
	}
	var d *forensicData
	var li int
	if *fi.rf.file != "" {
		if *fi.rf.mapping == "" {
			return nil, "", usagef("--file needs --mapping")
		}
		if _, err := fi.rf.selector(); err != nil {
			return nil, "", err
		}
		var err error
		if d, err = readForensicFile(*fi.rf.file, *fi.rf.mapping); err != nil {
			return nil, "", err
		}
		if li, err = d.leader(*fi.leader); err != nil {
			return nil, "", leaderErr(err)
		}
		d.setLeader(li)
		fi.listed = stored.Exclusions{}
		for _, n := range d.notReported {
			fi.listed[forensics.ExclNotReported] = append(fi.listed[forensics.ExclNotReported], d.listedNode(n))
		}
		d.notReported = nil
		for why, idx := range forensics.ImpossibleStations(d.st) {
			for _, i := range idx {
				fi.listed[why] = append(fi.listed[why], d.listedNode(d.area[i]))
			}
		}
	} else {
		r, err := fi.rf.load(ctx)
		if err != nil {
			return nil, "", err
		}
		defer r.Close()
		chosen, ix, err := r.stationProtocols()
		if err != nil {
			return nil, "", err
		}
		if li, err = stored.Leader(r.Election, chosen, *fi.leader); err != nil {
			return nil, "", leaderErr(err)
		}
		rows, listed, refused := stored.StationsListed(ix, chosen, li)
		d = forensicFromStored(r.Election, rows, refused)
		fi.listed = listed
	}
	fi.refused = d.refused
	// Let the collector have what the command will not read, before the
	// test's own tables are made.
	if !fi.needVotes {
		d.votes = nil
	}
	if !fi.needPaths {
		d.area, d.nodes = nil, nil
	}
	return d, d.election.Options[li].Name, nil
}

package tally

import (
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// CheckReport is the arithmetic controls run over a whole election.
type CheckReport struct {
	Counts    map[string]int  `json:"counts"`
	Protocols int             `json:"protocols_checked"`
	Summaries int             `json:"summaries_checked"`
	Flags     []election.Flag `json:"flags"`
}

// CheckAll runs the controls on every station's chosen protocol (chosen is
// indexed like ix, as Choose returns it) and compares each summary protocol
// of a higher area with the sum of its stations' chosen protocols. Flags
// carry the area's path as their station.
func CheckAll(e *election.Election, ix *Index, chosen []*election.Protocol, summaries []*election.Protocol) *CheckReport {
	rep := &CheckReport{Counts: map[string]int{}, Flags: []election.Flag{}}
	add := func(i int, fl []election.Flag) {
		path := strings.Join(ix.Area(i).Path, " / ")
		for _, f := range fl {
			f.Station = path
			rep.Counts[f.Code]++
			rep.Flags = append(rep.Flags, f)
		}
	}
	for i, p := range chosen {
		if p == nil {
			continue
		}
		rep.Protocols++
		add(i, election.Check(e, p))
	}
	for _, s := range summaries {
		i, ok := ix.Lookup(s.AreaID)
		if !ok {
			continue
		}
		var children []*election.Protocol
		for _, st := range ix.Stations(i) {
			if p := chosen[st]; p != nil {
				children = append(children, p)
			}
		}
		rep.Summaries++
		add(i, election.CheckSummary(e, s, children))
	}
	return rep
}

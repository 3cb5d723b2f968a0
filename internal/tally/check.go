package tally

import (
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// CheckAll runs the controls over an election's protocols, as `vigil
// check` reports them:
//   - the arithmetic controls (election.Check) on the latest version of
//     every (area, source) pair: every source, stations and summaries alike
//     (a summary protocol must balance too);
//   - the agreement between levels (election.CheckSummary) for the latest
//     summary protocol of every area that is not a station, against the
//     protocols that sel chooses for the stations under that area. When
//     some of those stations have no chosen protocol, the summary is not
//     compared but flagged SUMMARY_STATIONS_MISSING.
//
// Every flag's Station is the area's path joined with " / ". Protocols of
// areas not in ix are skipped.
func CheckAll(e *election.Election, ix *Index, protocols []*election.Protocol, sel Selector) *election.Report {
	rep := election.NewReport()
	latest := latestPerSource(ix, protocols)
	var chosen []*election.Protocol
	for _, p := range latest {
		rep.Check(e, p)
		i, _ := ix.Lookup(p.AreaID)
		if p.Source != election.Summary || ix.areas[i].Station {
			continue
		}
		if chosen == nil {
			chosen, _ = Choose(ix, protocols, sel)
		}
		var kids []*election.Protocol
		for _, s := range ix.Stations(i) {
			kids = append(kids, chosen[s]) // nil: no protocol, reported
		}
		rep.CheckSummary(e, p, kids)
	}
	// Name the areas of the flags.
	for k := range rep.Flags {
		if i, ok := ix.Lookup(rep.Flags[k].AreaID); ok {
			rep.Flags[k].Station = AreaPath(ix.Area(i))
		}
	}
	return rep
}

// AreaPath is an area's path joined with " / ", or its name when it has no
// path (the root).
func AreaPath(a *election.Area) string {
	if len(a.Path) == 0 {
		return a.Name
	}
	return strings.Join(a.Path, " / ")
}

// latestPerSource keeps the latest version of each (area, source), in the
// order of the areas of ix, then of election.Sources.
func latestPerSource(ix *Index, protocols []*election.Protocol) []*election.Protocol {
	nsrc := len(election.Sources)
	best := make([]*election.Protocol, ix.Len()*nsrc)
	for _, p := range protocols {
		i, ok := ix.Lookup(p.AreaID)
		if !ok {
			continue
		}
		k := rank(election.Sources, p.Source)
		if k < 0 {
			continue
		}
		slot := &best[i*nsrc+k]
		if *slot == nil || better(p, 0, *slot, 0) {
			*slot = p
		}
	}
	out := best[:0]
	for _, p := range best {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}

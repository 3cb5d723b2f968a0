package stored

import (
	"context"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

// FlagsStore returns the flags tally.CheckAll gives for every current
// protocol of an election with the default selector (summaries against
// their stations' official-final protocols), in the same order, read
// from the database in rows proportional to the flags, not to the
// election (issue 9: the controls page tabulated every protocol): the
// protocols whose maintained flags say they fail a control, and those of
// the areas above the stations, checked again here for the flags' full
// text; a summary's stations' sums from the results aggregates.
func FlagsStore(ctx context.Context, db *store.DB, e *election.Election) ([]election.Flag, error) {
	rep, err := ReportStore(ctx, db, e)
	if err != nil {
		return nil, err
	}
	return rep.Flags, nil
}

// ReportStore is tally.CheckAll's whole report with the default selector
// (the flags API's answer): FlagsStore's flags; the protocols, the checks
// run and the protocols failing each per-protocol control as the root's
// aggregates count them over the stations (store.StationControlCounts),
// plus the protocols of the areas above the stations, which are all read
// and checked here. Rows proportional to the flags and the areas above the
// stations, not to the election.
func ReportStore(ctx context.Context, db *store.DB, e *election.Election) (*election.Report, error) {
	rep := election.NewReport()
	src := tally.DefaultSources[0] // what a zero Selector chooses, as CheckAll's summaries use
	// A station's protocol is here because it fails a control: its flags
	// are wanted, its counts are in the aggregates already.
	scratch := election.NewReport()
	err := db.FlaggedProtocols(ctx, e.ID, func(a *election.Area, p *election.Protocol) error {
		from := len(rep.Flags)
		if a.Station {
			scratch.Flags = scratch.Flags[:0]
			rep.Flags = append(rep.Flags, scratch.Check(e, p)...)
		} else {
			rep.Check(e, p)
		}
		if p.Source == election.Summary && !a.Station {
			rows, err := db.ResultTree(ctx, e.ID, src, a.ID, 0)
			if err != nil {
				return err
			}
			n, err := db.StationsUnder(ctx, e.ID, *a)
			if err != nil {
				return err
			}
			rep.CheckSummaryTotals(e, p, rows[0].SummaryTotals(n, len(e.Options)))
		}
		for k := from; k < len(rep.Flags); k++ {
			rep.Flags[k].Station = tally.AreaPath(a)
		}
		return nil
	})
	if err != nil {
		return nil, readErr(err)
	}
	cc, err := db.StationControlCounts(ctx, e.ID)
	if err != nil {
		return nil, readErr(err)
	}
	rep.Protocols += cc.Protocols
	for code, n := range cc.Checked {
		rep.Checked[code] += n
	}
	for code, n := range cc.Failed {
		rep.Counts[code] += n
	}
	return rep, nil
}

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
// text; a summary's stations' sums from the results aggregates. The
// report's Checked counts are of those protocols only.
func FlagsStore(ctx context.Context, db *store.DB, e *election.Election) ([]election.Flag, error) {
	rep := election.NewReport()
	src := tally.DefaultSources[0] // what a zero Selector chooses, as CheckAll's summaries use
	err := db.FlaggedProtocols(ctx, e.ID, func(a *election.Area, p *election.Protocol) error {
		from := len(rep.Flags)
		rep.Check(e, p)
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
	return rep.Flags, nil
}

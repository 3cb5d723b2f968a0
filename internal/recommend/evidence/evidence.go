// Package evidence connects the follow-up of recommendations to the data
// vigil holds: the results core (per-station official results), the
// observation findings, and the integrity tests it can run from stored
// results alone. It adapts them to
// the small interfaces of package recommend, which stays free of storage.
package evidence

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/compare"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

// Sources are every source of evidence vigil has over db.
func Sources(db *store.DB) recommend.Sources {
	return recommend.Sources{Results: db, Findings: Findings{DB: db}, Integrity: Integrity{DB: db}}
}

// Integrity computes, when asked, the integrity results that need nothing
// but the stored results: the observers' protocol copies against the
// official protocols. The parallel vote tabulation and the statistical
// forensics need an analyst's choices (sample, parameters), so they are
// reported as not computed here.
type Integrity struct{ DB *store.DB }

// Integrity implements recommend.IntegritySource.
func (s Integrity) Integrity(ctx context.Context, name string) ([]recommend.IntegrityItem, error) {
	e, err := s.DB.ElectionByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: election %s is not in the results core", recommend.ErrNotComputed, name)
	}
	if err != nil {
		return nil, err
	}
	official := election.OfficialFinal
	off, err := s.DB.Protocols(ctx, e.ID, official)
	if err != nil {
		return nil, err
	}
	if len(off) == 0 {
		official = election.OfficialPreliminary
		if off, err = s.DB.Protocols(ctx, e.ID, official); err != nil {
			return nil, err
		}
	}
	copies, err := s.DB.Protocols(ctx, e.ID, election.Observer)
	if err != nil {
		return nil, err
	}
	items := []recommend.IntegrityItem{}
	test := "Observers' protocol copies against the official protocols"
	switch {
	case len(off) == 0:
		items = append(items, recommend.IntegrityItem{Test: test, Result: "not computed: no official protocols"})
	case len(copies) == 0:
		items = append(items, recommend.IntegrityItem{Test: test, Result: "not computed: no observers' copies"})
	case e.Kind == election.PartyList:
		// The outcome of a party-list election needs its seat rules,
		// which the command line takes (vigil compare --seats …).
		items = append(items, recommend.IntegrityItem{Test: test, Result: "not computed here for a party-list election: run vigil compare with its seat rules"})
	default:
		areas, err := s.DB.Areas(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		ix, err := tally.NewIndex(areas)
		if err != nil {
			return nil, err
		}
		rep, err := compare.Compare(e, ix, append(off, copies...), official, election.Observer, "", compare.Rules{})
		if err != nil {
			return nil, err
		}
		items = append(items, recommend.IntegrityItem{Test: test, Result: rep.Sentence,
			Figure: fmt.Sprintf("%d of %d stations differ", rep.StationsDiffer, rep.StationsCompared)})
	}
	items = append(items,
		recommend.IntegrityItem{Test: "Parallel vote tabulation", Result: "not computed here: run vigil pvt on the mission's sample"},
		recommend.IntegrityItem{Test: "Statistical forensics", Result: "not computed here: run vigil forensics"},
	)
	return items, nil
}

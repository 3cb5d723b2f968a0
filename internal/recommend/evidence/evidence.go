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
	"sort"
	"strings"

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
		return nil, &recommend.NotComputedError{Why: recommend.P("integ.not_in_core", name)}
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
	test := recommend.P("integ.test.copies")
	item := func(test, result recommend.Phrase) recommend.IntegrityItem {
		return recommend.IntegrityItem{Test: recommend.Say("en", test), Result: recommend.Say("en", result), TestWords: test, ResultWords: result}
	}
	switch {
	case len(off) == 0:
		items = append(items, item(test, recommend.P("integ.no_official")))
	case len(copies) == 0:
		items = append(items, item(test, recommend.P("integ.no_copies")))
	case e.Kind == election.PartyList:
		// The outcome of a party-list election needs its seat rules,
		// which the command line takes (vigil compare --seats …).
		items = append(items, item(test, recommend.P("integ.party_list")))
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
		it := item(test, comparePhrase(rep))
		// The English stays compare's own sentence (the JSON's and the
		// command line's); the phrase words it for drafts in other
		// languages (TestIntegrityFromStoredResults: the same in English).
		it.Result = rep.Sentence
		it.FigureWords = recommend.P("integ.figure", rep.StationsDiffer, rep.StationsCompared)
		it.Figure = recommend.Say("en", it.FigureWords)
		items = append(items, it)
	}
	items = append(items,
		item(recommend.P("integ.test.pvt"), recommend.P("integ.pvt_not")),
		item(recommend.P("integ.test.forensics"), recommend.P("integ.forensics_not")),
	)
	return items, nil
}

// comparePhrase is compare's sentence (compare.Report.Sentence) as a
// phrase of the drafts' words: the official protocols are final or
// preliminary, the copies the observers'.
func comparePhrase(r *compare.Report) recommend.Phrase {
	kind := "final"
	if r.Official == election.OfficialPreliminary {
		kind = "preliminary"
	}
	if r.StationsCompared == 0 {
		return recommend.P("cmp.nothing." + kind)
	}
	differ := recommend.P("cmp.differ."+kind, r.StationsDiffer, r.StationsCompared)
	if r.StationsDiffer == 0 {
		return recommend.P("cmp.zero", differ)
	}
	var leader any = ""
	switch {
	case r.LeaderChange > 0:
		leader = recommend.P("cmp.more", r.Leader, r.LeaderChange)
	case r.LeaderChange < 0:
		leader = recommend.P("cmp.fewer", r.Leader, -r.LeaderChange)
	}
	change := recommend.P("cmp.no_change")
	if r.OutcomeChanges {
		change = recommend.P("cmp.changes")
	}
	return recommend.P("cmp.full", differ, leader, outcomePhrase(r.OfficialOutcome), outcomePhrase(r.WithoutAltered),
		outcomePhrase(r.CopiesSubstitute), change)
}

// outcomePhrase is compare's description of an outcome as a phrase.
func outcomePhrase(o compare.Outcome) recommend.Phrase {
	switch {
	case o.Seats != nil:
		var parts []string
		for k, v := range o.Seats {
			if v > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k, v))
			}
		}
		sort.Strings(parts)
		return recommend.P("cmp.seats", strings.Join(parts, ", "))
	case o.Winner != "":
		return recommend.P("cmp.wins", o.Winner, o.Shares[o.Winner])
	case len(o.Runoff) == 2:
		return recommend.P("cmp.runoff", o.Runoff[0], o.Runoff[1])
	}
	return recommend.P("cmp.no_outcome")
}

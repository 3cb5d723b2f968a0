package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/tally"
)

// TestFlagsStoreSameAsCheckAll: after every step of a random sequence of
// imports of several sources, new versions, summaries, observers' copies
// and configuration changes, the flags the controls page reads from the
// store (stored.FlagsStore) are tally.CheckAll's over every protocol, in
// the same order, on both engines.
func TestFlagsStoreSameAsCheckAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 42))
		e, paths := aggElection(t, db, rng, 3, 3, 4)
		seen := 0
		codes := map[string]int{} // over the steps, by code: the summaries' must be among them
		checkedSeen := map[string]int{}
		compare := func(what string) {
			t.Helper()
			e, err := db.Election(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			areas, err := db.Areas(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			ix, err := tally.NewIndex(areas)
			if err != nil {
				t.Fatal(err)
			}
			var ps []*election.Protocol
			for _, src := range election.Sources {
				p, err := db.Protocols(ctx, e.ID, src)
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, p...)
			}
			wantRep := tally.CheckAll(e, ix, ps, tally.Selector{})
			gotRep, err := stored.ReportStore(ctx, db, e)
			if err != nil {
				t.Fatal(err)
			}
			// The whole report (the flags API's answer): the protocols and
			// checks counted in the database are CheckAll's.
			if wantRep.Protocols == 0 || gotRep.Protocols != wantRep.Protocols || gotRep.Summaries != wantRep.Summaries ||
				!reflect.DeepEqual(gotRep.Checked, wantRep.Checked) || !reflect.DeepEqual(gotRep.Counts, wantRep.Counts) {
				t.Fatalf("%s: report from the store %d protocols, %d summaries, checked %v, counts %v;\nCheckAll %d, %d, %v, %v",
					what, gotRep.Protocols, gotRep.Summaries, gotRep.Checked, gotRep.Counts, wantRep.Protocols, wantRep.Summaries, wantRep.Checked, wantRep.Counts)
			}
			for c, n := range wantRep.Checked {
				checkedSeen[c] += n
			}
			want := wantRep.Flags
			got, err := stored.FlagsStore(ctx, db, e)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 && len(got) == 0 {
				return
			}
			seen++
			for _, f := range want {
				codes[f.Code]++
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: %d flags from the store, %d from CheckAll\nstore: %+v\nwant:  %+v", what, len(got), len(want), got, want)
			}
		}
		for step := range 24 {
			compare(fmt.Sprintf("step %d (%s)", step, randomStep(t, db, rng, e, paths, step)))
		}
		// Summaries of every district and region that disagree with their
		// stations, and official final protocols at some stations only.
		cur, err := db.Election(ctx, e.ID) // with the options the steps added
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range []election.Source{election.Summary, election.OfficialFinal} {
			seenArea := map[string]bool{}
			var rows []store.Row
			for _, p := range paths {
				for _, a := range [][]string{p[:1], p[:2]} {
					if src == election.OfficialFinal {
						a = p
					}
					if k := fmt.Sprint(a); !seenArea[k] && (src == election.Summary || rng.IntN(3) > 0) {
						seenArea[k] = true
						f, v := randomFigures(rng, len(cur.Options))
						rows = append(rows, store.Row{Line: len(rows) + 2, Path: a, Figures: f, Votes: v})
					}
				}
			}
			var opts []string
			for _, o := range cur.Options {
				opts = append(opts, o.Name)
			}
			if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: src, File: "more-" + string(src) + ".csv", Options: opts}, storetest.Rows(rows)); err != nil {
				t.Fatal(err)
			}
			compare("after the " + string(src) + " import")
		}
		if seen == 0 || codes[election.CodeSummaryFigure]+codes[election.CodeSummaryStations] == 0 {
			t.Fatalf("flags by code over the steps %v: the sequence tests too little", codes)
		}
		for _, code := range store.FlagCodes() {
			if checkedSeen[code] == 0 {
				t.Errorf("control %s never ran over the steps (checked %v): the sequence does not test its condition", code, checkedSeen)
			}
		}
	})
}

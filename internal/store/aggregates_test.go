package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/tally"
)

// aggSources are the sources the random sequences import.
var aggSources = []election.Source{election.OfficialPreliminary, election.OfficialFinal, election.Observer, election.Recount}

// randomFigures makes a protocol's figures, mostly consistent, sometimes
// not (a control fails), sometimes with figures absent.
func randomFigures(rng *rand.Rand, nOpt int) (election.Figures, []int64) {
	var f election.Figures
	votes := make([]int64, nOpt)
	var valid int64
	for i := range votes {
		votes[i] = rng.Int64N(300)
		valid += votes[i]
	}
	if rng.IntN(30) == 0 {
		votes[rng.IntN(nOpt)] = -rng.Int64N(5) - 1
	}
	if rng.IntN(20) == 0 && nOpt > 1 {
		votes = votes[:nOpt-1] // a protocol without the last option
	}
	invalid := rng.Int64N(20)
	reg := valid + invalid + rng.Int64N(400)
	if rng.IntN(15) == 0 {
		reg = (valid + invalid) * 9 / 10 // turnout above 100 %
	}
	set := func(fig election.Figure, v int64) {
		if rng.IntN(12) != 0 { // now and then a figure is not given
			f.Set(fig, v)
		}
	}
	set(election.Registered, reg)
	if rng.IntN(4) == 0 {
		set(election.RegisteredSupplementary, rng.Int64N(30))
	}
	early, st := rng.Int64N(10), valid+invalid-rng.Int64N(5)
	switch rng.IntN(3) {
	case 0:
		set(election.BallotsIssued, early+st+rng.Int64N(3))
	case 1:
		set(election.BallotsIssuedEarly, early)
		set(election.BallotsIssuedStation, st)
	default:
		set(election.BallotsIssued, early+st)
		set(election.BallotsIssuedEarly, early)
		set(election.BallotsIssuedStation, st)
	}
	if rng.IntN(2) == 0 {
		canc := rng.Int64N(50)
		set(election.BallotsReceived, early+st+canc+rng.Int64N(2))
		set(election.BallotsCancelled, canc)
	}
	set(election.BallotsInBox, valid+invalid+rng.Int64N(3)-1)
	set(election.Invalid, invalid)
	set(election.Valid, valid+rng.Int64N(3)-1)
	return f, votes
}

// aggElection imports a first batch that creates an election of regions,
// districts and stations (with figures of official-preliminary).
func aggElection(t *testing.T, db *store.DB, rng *rand.Rand, regions, districts, stations int) (*election.Election, [][]string) {
	t.Helper()
	ctx := context.Background()
	var paths [][]string
	var rows []store.Row
	for r := range regions {
		for d := range districts {
			for s := range stations {
				p := []string{fmt.Sprintf("R%d", r), fmt.Sprintf("D%d.%d", r, d), fmt.Sprintf("S%d.%d.%d", r, d, s)}
				paths = append(paths, p)
				f, v := randomFigures(rng, 3)
				rows = append(rows, store.Row{Line: len(rows) + 2, Path: p, Figures: f, Votes: v})
			}
		}
	}
	e := &election.Election{Name: "agg", Kind: election.Presidential}
	if _, err := db.Import(ctx, store.ImportRequest{Create: e, AreaLevels: []string{"region", "district", "station"}, Source: election.OfficialPreliminary,
		File: "first.csv", Options: []string{"A", "B", "C"}}, storetest.Rows(rows)); err != nil {
		t.Fatal(err)
	}
	return e, paths
}

// randomStep changes the database one random way: an import of some
// stations' protocols of one source (new versions where they had one), a
// summary import, observers' copies stored one by one, or a new
// configuration.
func randomStep(t *testing.T, db *store.DB, rng *rand.Rand, e *election.Election, paths [][]string, step int) string {
	t.Helper()
	ctx := context.Background()
	e, err := db.Election(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	nOpt := len(e.Options)
	opts := make([]string, nOpt)
	for _, o := range e.Options {
		opts[o.Position] = o.Name
	}
	switch k := rng.IntN(10); {
	case k < 5: // an import of one source
		src := aggSources[rng.IntN(len(aggSources))]
		if rng.IntN(6) == 0 && nOpt < 6 {
			opts = append(opts, fmt.Sprintf("N%d", step)) // a new option
			nOpt++
		}
		var rows []store.Row
		for _, p := range paths {
			if rng.IntN(3) == 0 {
				f, v := randomFigures(rng, nOpt)
				rows = append(rows, store.Row{Line: len(rows) + 2, Path: p, Figures: f, Votes: v})
			}
		}
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: src, File: fmt.Sprintf("step%d.csv", step), Options: opts}, storetest.Rows(rows)); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("import %s of %d rows", src, len(rows))
	case k < 6: // summaries of some districts
		seen := map[string]bool{}
		var rows []store.Row
		for _, p := range paths {
			d := p[:2]
			if key := fmt.Sprint(d); !seen[key] && rng.IntN(2) == 0 {
				seen[key] = true
				f, v := randomFigures(rng, nOpt)
				rows = append(rows, store.Row{Line: len(rows) + 2, Path: d, Figures: f, Votes: v})
			}
		}
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.Summary, File: fmt.Sprintf("sum%d.csv", step), Options: opts}, storetest.Rows(rows)); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("summaries of %d districts", len(rows))
	case k < 8: // observers' copies (and recounts), one transaction, a station maybe twice
		areas, err := db.Areas(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var stations []int64
		for _, a := range areas {
			if a.Station {
				stations = append(stations, a.ID)
			}
		}
		n := 1 + rng.IntN(4)
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			var ids []int64
			for range n {
				src := election.Observer
				if rng.IntN(3) == 0 {
					src = election.Recount
				}
				f, v := randomFigures(rng, nOpt)
				p := &election.Protocol{AreaID: stations[rng.IntN(min(len(stations), 6))], Source: src, Figures: f, Votes: v}
				if err := store.InsertProtocol(ctx, tx, e.ID, p); err != nil {
					return err
				}
				ids = append(ids, p.ID)
			}
			return store.ApplyProtocols(ctx, tx, db.Dialect, ids)
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d copies", n)
	default: // a configuration change
		cfg := e.Config
		cfg.Tolerances = map[string]election.Tolerance{}
		for _, c := range store.FlagCodes() {
			switch rng.IntN(4) {
			case 0:
				cfg.Tolerances[c] = election.Tolerance{Absolute: rng.Int64N(4)}
			case 1:
				cfg.Tolerances[c] = election.Tolerance{Relative: []float64{0.001, 0.01, 0.05}[rng.IntN(3)]}
			}
		}
		switch rng.IntN(3) {
		case 0:
			cfg.Essential = nil
		case 1:
			cfg.Essential = []string{"registered", "ballots_issued", "votes"}
		default:
			cfg.Essential = []string{"valid"}
		}
		if err := db.UpdateConfig(ctx, e.ID, cfg); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("config %v", cfg)
	}
}

// TestAggregatesRebuildEqualsIncremental: after every step of a random
// sequence of imports (several sources, new versions, summaries, new
// options), observers' copies and configuration changes, the aggregates
// kept incrementally are exactly what a rebuild computes from the raw
// rows, and both are what tally and election.Check compute in memory.
func TestAggregatesRebuildEqualsIncremental(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, seed := range []uint64{1, 2} {
			rng := rand.New(rand.NewPCG(seed, 42))
			if seed > 1 {
				if err := db.DeleteElection(ctx, mustElection(t, db, "agg").ID); err != nil {
					t.Fatal(err)
				}
			}
			sums := store.BatchSums()
			e, paths := aggElection(t, db, rng, 3, 3, 4)
			if store.BatchSums() != sums+1 {
				t.Fatalf("the first import did not use the deltas it summed")
			}
			if _, diff := rebuildDiff(t, db); diff != "" {
				t.Fatalf("seed %d, first import: incremental and rebuilt aggregates differ:\n%s", seed, diff)
			}
			checkAggregates(t, db, e, "first import")
			for step := range 24 {
				what := randomStep(t, db, rng, e, paths, step)
				if _, diff := rebuildDiff(t, db); diff != "" {
					t.Fatalf("seed %d, step %d (%s): incremental and rebuilt aggregates differ:\n%s", seed, step, what, diff)
				}
				if step%4 == 3 {
					checkAggregates(t, db, e, what)
				}
			}
			checkAggregates(t, db, e, "the end")
		}
	})
}

// TestImportPreworkRaces: an import computes its change to the results
// before it takes the results lock (resultsPrework): on SQLite before its
// final transaction, on PostgreSQL in it. Whatever commits in between —
// observers' copies, a configuration change, an import of another source
// or of the same one, summaries — the aggregates after the import are
// exactly what a rebuild computes; the prework is used when what it
// replaces is unchanged, and computed afresh otherwise.
func TestImportPreworkRaces(t *testing.T) {
	storetest.Each(t, testImportPreworkRaces)
}

func testImportPreworkRaces(t *testing.T, db *store.DB) {
	rng := rand.New(rand.NewPCG(7, 42))
	e, paths := aggElection(t, db, rng, 3, 3, 4)
	inHook := false
	var between string
	store.SetAfterPrework(db, func() {
		if inHook || rng.IntN(3) == 0 {
			return
		}
		inHook = true
		defer func() { inHook = false }()
		between = randomStep(t, db, rng, e, paths, 1000+rng.IntN(1000))
	})
	for step := range 60 {
		between = ""
		what := randomStep(t, db, rng, e, paths, step)
		if _, diff := rebuildDiff(t, db); diff != "" {
			t.Fatalf("step %d (%s; between its prework and its final transaction: %q): incremental and rebuilt aggregates differ:\n%s", step, what, between, diff)
		}
	}
	checkAggregates(t, db, e, "the end")
	used, rechecked, redone := store.PreworkStats(db)
	t.Logf("final transactions: %d used their prework (%d after the results changed), %d computed afresh", used, rechecked, redone)
	if used == 0 || rechecked == 0 || redone == 0 {
		t.Fatalf("%d final transactions used their prework (%d after a change), %d computed afresh: the sequence should give all three", used, rechecked, redone)
	}
}

func mustElection(t *testing.T, db *store.DB, name string) *election.Election {
	t.Helper()
	e, err := db.ElectionByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// rebuildDiff dumps the maintained aggregates, rebuilds them from the raw
// rows and returns the first dump and how the two differ ("" when not).
func rebuildDiff(t *testing.T, db *store.DB) (before []string, diff string) {
	t.Helper()
	ctx := context.Background()
	before, err := store.DumpResultAggregates(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := store.DumpResultAggregates(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(before, after) {
		return before, ""
	}
	return before, dumpDiff(before, after)
}

func dumpDiff(a, b []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	out := ""
	for _, x := range a {
		if !mb[x] {
			out += "  incremental only: " + x + "\n"
		}
	}
	for _, x := range b {
		if !ma[x] {
			out += "  rebuilt only:     " + x + "\n"
		}
	}
	return out
}

// checkAggregates compares the aggregates of every area down to level
// depth (-1: every level), for every source, with a tabulation in memory
// of the latest protocols (tally.Tabulate), the flags with election.Check,
// and the differing stations with the portal's rule.
func checkAggregates(t *testing.T, db *store.DB, e *election.Election, when string, depth ...int) {
	t.Helper()
	ctx := context.Background()
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
	root, err := db.RootArea(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	maxDepth, want := -1, 0
	if len(depth) > 0 {
		maxDepth = depth[0]
	}
	for i := range ix.Len() {
		if maxDepth < 0 || ix.Area(i).Level <= maxDepth {
			want++
		}
	}
	latest := map[election.Source][]*election.Protocol{}
	for _, src := range election.Sources {
		if latest[src], err = db.Protocols(ctx, e.ID, src); err != nil {
			t.Fatal(err)
		}
	}
	// Differing stations, as the portal decides them.
	differs := make([]int, ix.Len())
	first := map[int64]*election.Protocol{}
	differ := map[int64]bool{}
	for _, src := range election.Sources {
		if src == election.Summary {
			continue
		}
		for _, p := range latest[src] {
			q, ok := first[p.AreaID]
			if !ok {
				first[p.AreaID] = p
				continue
			}
			if !sameCount(p, q) {
				differ[p.AreaID] = true
			}
		}
	}
	for i := range ix.Len() {
		for _, s := range ix.Stations(i) {
			if differ[ix.Area(int(s)).ID] {
				differs[i]++
			}
		}
	}
	for _, src := range election.Sources {
		res := tally.Tabulate(e, ix, latest[src], tally.Selector{Sources: []election.Source{src}})
		chosen, _ := tally.Choose(ix, latest[src], tally.Selector{Sources: []election.Source{src}})
		flags := make([]map[string]int, ix.Len())
		for i := range flags {
			flags[i] = map[string]int{}
		}
		for i, p := range chosen {
			if p == nil {
				continue
			}
			codes := map[string]bool{}
			for _, f := range election.Check(e, p) {
				codes[f.Code] = true
			}
			for j := i; j >= 0; {
				for c := range codes {
					flags[j][c]++
				}
				j = parentIndex(ix, j)
			}
		}
		got, err := db.ResultTree(ctx, e.ID, src, root.ID, maxDepth)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Fatalf("%s: %s: ResultTree gave %d areas down to level %d, the election has %d", when, src, len(got), maxDepth, want)
		}
		for _, r := range got {
			i, ok := ix.Lookup(r.Area.ID)
			if !ok {
				t.Fatalf("%s: area %d not in the election", when, r.Area.ID)
			}
			wantFigs := res.Figures(i)
			if r.Stations != res.Stations(i) || !reflect.DeepEqual(r.Figures.Map(), wantFigs.Map()) {
				t.Fatalf("%s: %s: area %s: aggregates %d stations %v, tabulation %d stations %v", when, src, r.Area.Name, r.Stations, r.Figures.Map(), res.Stations(i), wantFigs.Map())
			}
			for f := election.Figure(0); f < election.NumFigures; f++ {
				if r.Coverage[f] != res.Coverage(i, f) {
					t.Fatalf("%s: %s: area %s: %s stated by %d stations, tabulation %d", when, src, r.Area.Name, f, r.Coverage[f], res.Coverage(i, f))
				}
			}
			wantVotes := res.Votes(i)
			gotVotes := make([]int64, len(wantVotes))
			copy(gotVotes, r.Votes)
			if !reflect.DeepEqual(gotVotes, wantVotes) {
				t.Fatalf("%s: %s: area %s: votes %v, tabulation %v", when, src, r.Area.Name, gotVotes, wantVotes)
			}
			for _, c := range store.FlagCodes() {
				if r.Flags[c] != flags[i][c] {
					t.Fatalf("%s: %s: area %s: %d stations flagged %s, election.Check %d", when, src, r.Area.Name, r.Flags[c], c, flags[i][c])
				}
			}
			if r.Differs != differs[i] {
				t.Fatalf("%s: area %s: %d stations differ, the portal's rule %d", when, r.Area.Name, r.Differs, differs[i])
			}
		}
	}
}

func parentIndex(ix *tally.Index, i int) int {
	p := ix.Area(i).ParentID
	if p == 0 {
		return -1
	}
	j, _ := ix.Lookup(p)
	return j
}

// sameCount is the portal's comparison of two protocols (web.sameCount).
func sameCount(p, q *election.Protocol) bool {
	for f := election.Figure(0); f < election.NumFigures; f++ {
		a, ok1 := p.Figures.Get(f)
		b, ok2 := q.Figures.Get(f)
		if ok1 && ok2 && a != b {
			return false
		}
	}
	if len(p.Votes) != len(q.Votes) {
		return false
	}
	for k := range p.Votes {
		if p.Votes[k] != q.Votes[k] {
			return false
		}
	}
	return true
}

// An election's first import sums its stations' deltas as it writes them
// only while each row is a station it created: a summary of an area that
// an earlier row of the same chunk created as a station's parent, or votes
// or figures too large for Go's sums to be the database's, make it compute
// them from the rows (which the database may refuse). Either way the
// aggregates are a rebuild's (found by a review:
// the summary was counted as a station, twice the root's figures).
func TestFirstImportSumsOnlyStations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var f election.Figures
		f.Set(election.Registered, 100)
		f.Set(election.Valid, 50)
		f.Set(election.Invalid, 2)
		f.Set(election.BallotsInBox, 52)
		var huge election.Figures // ballots cast past int64
		huge.Set(election.Valid, 1<<62)
		huge.Set(election.Invalid, 1<<62)
		for _, tc := range []struct {
			name    string
			rows    []store.Row
			pgOnly  bool // SQLite's own sums overflow (its rebuild fails)
			mayFail bool // the database's arithmetic refuses it
		}{
			{"a summary after its station", []store.Row{
				{Line: 2, Path: []string{"R", "S1"}, Figures: f, Votes: []int64{30, 20}},
				{Line: 3, Path: []string{"R"}, Figures: f, Votes: []int64{30, 20}},
			}, false, false},
			{"votes Go would wrap", []store.Row{
				{Line: 2, Path: []string{"R", "S1"}, Figures: f, Votes: []int64{1 << 62, 1 << 62, 1 << 62, 1 << 62, 50}},
			}, true, false},
			{"figures Go would wrap", []store.Row{
				{Line: 2, Path: []string{"R", "S1"}, Figures: huge, Votes: []int64{1, 1}},
			}, true, true},
		} {
			if tc.pgOnly && db.Dialect != store.Postgres {
				continue
			}
			sums := store.BatchSums()
			e := &election.Election{Name: tc.name, Kind: election.Presidential}
			if _, err := db.Import(ctx, store.ImportRequest{Create: e, AreaLevels: []string{"region", "station"},
				Source: election.OfficialPreliminary, File: "f.csv", Options: []string{"A", "B", "C", "D", "E"}}, storetest.Rows(tc.rows)); err != nil && !tc.mayFail {
				t.Fatal(err)
			}
			if store.BatchSums() != sums {
				t.Errorf("%s: the import used its sums", tc.name)
			}
			if _, diff := rebuildDiff(t, db); diff != "" {
				t.Fatalf("%s: incremental and rebuilt aggregates differ:\n%s", tc.name, diff)
			}
		}
	})
}

package store_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/tally"
)

// scaleRows yields n stations' protocols under regions of districts of
// 50 stations, deterministic from seed; every k-th station only (k ≥ 1),
// as a later batch of new versions would bring.
func scaleRows(n, k int, seed uint64) func() (store.Row, error) {
	rng := rand.New(rand.NewPCG(seed, 7))
	const perDistrict, perRegion = 50, 40 * 50
	i := 0
	return func() (store.Row, error) {
		for i < n && i%k != 0 {
			i++
		}
		if i >= n {
			return store.Row{}, io.EOF
		}
		s := i
		i++
		f, v := randomFigures(rng, 4)
		return store.Row{Line: s + 2, Path: []string{
			"R" + strconv.Itoa(s/perRegion), "D" + strconv.Itoa(s/perDistrict), "S" + strconv.Itoa(s),
		}, Figures: f, Votes: v}, nil
	}
}

// TestAggregatesAtScale: at 100,000 stations, with a second source, new
// versions of a tenth of the stations and observers' copies of a
// twentieth, the maintained aggregates of every region and district equal
// a tabulation from scratch, and a rebuild changes nothing.
func TestAggregatesAtScale(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Now()
		e := &election.Election{Name: "scale", Kind: election.Presidential}
		opts := []string{"A", "B", "C", "D"}
		imp := func(src election.Source, k int, seed uint64) {
			t.Helper()
			req := store.ImportRequest{ElectionID: e.ID, Source: src, File: fmt.Sprintf("%s-%d.csv", src, seed), Options: opts}
			if e.ID == 0 {
				req.Create, req.AreaLevels = e, []string{"region", "district", "station"}
			}
			t0 := time.Now()
			if _, err := db.Import(ctx, req, scaleRows(n, k, seed)); err != nil {
				t.Fatal(err)
			}
			t.Logf("import %s 1/%d: %s", src, k, time.Since(t0).Round(time.Millisecond))
		}
		imp(election.OfficialPreliminary, 1, 1)
		imp(election.OfficialFinal, 1, 2)
		imp(election.OfficialFinal, 10, 3)
		imp(election.Observer, 20, 4)
		t.Logf("imports: %s", time.Since(start).Round(time.Millisecond))
		t0 := time.Now()
		checkTree(t, db, e, 2)
		t.Logf("check: %s", time.Since(t0).Round(time.Millisecond))
		inc, err := store.DumpResultAggregates(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		t0 = time.Now()
		if _, err := db.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("rebuild: %s", time.Since(t0).Round(time.Millisecond))
		reb, err := store.DumpResultAggregates(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(inc, reb) {
			t.Fatalf("incremental and rebuilt aggregates differ:\n%.4000s", dumpDiff(inc, reb))
		}
	})
}

// checkTree compares the aggregates of every area down to level depth with
// tally.Tabulate of the latest protocols, for every source.
func checkTree(t *testing.T, db *store.DB, e *election.Election, depth int) {
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
	for _, src := range []election.Source{election.OfficialPreliminary, election.OfficialFinal, election.Observer} {
		ps, err := db.Protocols(ctx, e.ID, src)
		if err != nil {
			t.Fatal(err)
		}
		sel := tally.Selector{Sources: []election.Source{src}}
		res := tally.Tabulate(e, ix, ps, sel)
		chosen, _ := tally.Choose(ix, ps, sel)
		flagged := make([]map[string]int, ix.Len())
		for i, p := range chosen {
			if p == nil {
				continue
			}
			for _, f := range election.Check(e, p) {
				for j := i; j >= 0; j = parentIndex(ix, j) {
					if flagged[j] == nil {
						flagged[j] = map[string]int{}
					}
					flagged[j][f.Code+"/"+strconv.Itoa(i)] = 1
				}
			}
		}
		rows, err := db.ResultTree(ctx, e.ID, src, root.ID, depth)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for i := range ix.Len() {
			if ix.Area(i).Level <= depth {
				want++
			}
		}
		if len(rows) != want {
			t.Fatalf("%s: %d areas down to level %d, want %d", src, len(rows), depth, want)
		}
		for _, r := range rows {
			i, _ := ix.Lookup(r.Area.ID)
			wf := res.Figures(i)
			if r.Stations != res.Stations(i) || !reflect.DeepEqual(r.Figures.Map(), wf.Map()) {
				t.Fatalf("%s: area %s: aggregates %d stations %v, tabulation %d %v", src, r.Area.Name, r.Stations, r.Figures.Map(), res.Stations(i), wf.Map())
			}
			wv := res.Votes(i)
			gv := make([]int64, len(wv))
			copy(gv, r.Votes)
			if !reflect.DeepEqual(gv, wv) {
				t.Fatalf("%s: area %s: votes %v, tabulation %v", src, r.Area.Name, gv, wv)
			}
			counts := map[string]int{}
			for key := range flagged[i] {
				code := key[:len(key)-len(key[findSlash(key):])]
				counts[code]++
			}
			for _, c := range store.FlagCodes() {
				if r.Flags[c] != counts[c] {
					t.Fatalf("%s: area %s: %d stations flagged %s, election.Check %d", src, r.Area.Name, r.Flags[c], c, counts[c])
				}
			}
		}
	}
}

func findSlash(s string) int {
	for i := range s {
		if s[i] == '/' {
			return i
		}
	}
	return len(s)
}

// BenchmarkTallyFromAggregates reads the national tally (the root and its
// regions) from the maintained aggregates, as `vigil tally` and the
// national page do. The database is VIGIL_BENCH_DB if set (a database with
// an election named by VIGIL_BENCH_ELECTION), else one of
// VIGIL_BENCH_STATIONS stations (default 1,000,000) generated in a
// temporary SQLite file first (minutes).
func BenchmarkTallyFromAggregates(b *testing.B) {
	ctx := context.Background()
	var db *store.DB
	if addr := os.Getenv("VIGIL_BENCH_DB"); addr != "" {
		var err error
		if db, err = store.Open(ctx, addr); err != nil {
			b.Fatal(err)
		}
		defer db.Close()
	} else {
		db = storetest.SQLite(b)
	}
	name := os.Getenv("VIGIL_BENCH_ELECTION")
	if name == "" {
		name = "bench"
	}
	e, err := db.ElectionByName(ctx, name)
	if err != nil {
		// Not there: generated (kept in VIGIL_BENCH_DB for the next run).
		n := 1_000_000
		if s := os.Getenv("VIGIL_BENCH_STATIONS"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		e = &election.Election{Name: name, Kind: election.Presidential}
		t0 := time.Now()
		if _, err := db.Import(ctx, store.ImportRequest{Create: e, AreaLevels: []string{"region", "district", "station"}, Source: election.OfficialFinal,
			File: "bench.csv", Options: []string{"A", "B", "C", "D"}}, scaleRows(n, 1, 1)); err != nil {
			b.Fatal(err)
		}
		b.Logf("import of %d stations with the aggregates: %s", n, time.Since(t0).Round(time.Millisecond))
	}
	root, err := db.RootArea(ctx, e.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rows, err := db.ResultTree(ctx, e.ID, election.OfficialFinal, root.ID, 1)
		if err != nil {
			b.Fatal(err)
		}
		sums := make([]tally.AreaSums, len(rows))
		for i, r := range rows {
			sums[i] = tally.AreaSums{Area: r.Area, Stations: r.Stations, Figures: r.Figures, Votes: r.Votes}
		}
		if tally.TreeOf(e, sums).Stations == 0 {
			b.Fatal("no station counted")
		}
	}
}

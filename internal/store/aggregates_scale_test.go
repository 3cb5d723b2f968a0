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
			sums := store.BatchSums()
			if _, err := db.Import(ctx, req, scaleRows(n, k, seed)); err != nil {
				t.Fatal(err)
			}
			// The first import creates every station: it sums their
			// deltas as it writes them; the later ones cannot.
			want := int64(0)
			if req.Create != nil {
				want = 1
			}
			if used := store.BatchSums() - sums; used != want {
				t.Errorf("import %s 1/%d: %d preworks with the import's sums", src, k, used)
			}
			t.Logf("import %s 1/%d: %s", src, k, time.Since(t0).Round(time.Millisecond))
		}
		imp(election.OfficialPreliminary, 1, 1)
		imp(election.OfficialFinal, 1, 2)
		imp(election.OfficialFinal, 10, 3)
		imp(election.Observer, 20, 4)
		t.Logf("imports: %s", time.Since(start).Round(time.Millisecond))
		t0 := time.Now()
		checkAggregates(t, db, e, "at scale", 2)
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

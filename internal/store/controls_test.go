package store_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestFlagsOfAnOlderLayout: a database whose flags a vigil before 0024
// wrote (no bits for the controls that ran, no counts of them, settings
// without a layout) gets them on opening, the same as a rebuild's, on both
// engines.
func TestFlagsOfAnOlderLayout(t *testing.T) {
	ctx := context.Background()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			addr := filepath.Join(t.TempDir(), "v.db")
			if engine == "postgres" {
				addr = storetest.PostgresAddr(t)
			}
			db, err := store.Open(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 42))
			e, paths := aggElection(t, db, rng, 3, 3, 4)
			for step := range 6 {
				randomStep(t, db, rng, e, paths, step)
			}
			want, err := store.DumpResultAggregates(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			var zero []string
			for _, c := range store.FlagCodes() {
				zero = append(zero, "checked_"+strings.ToLower(c)+" = 0")
			}
			for _, q := range []string{
				`UPDATE protocol_current SET flags = flags & 4294967295`,
				`UPDATE result_areas SET ` + strings.Join(zero, ", "),
				`UPDATE result_elections SET config = replace(config, '"v":2,', '')`,
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if old, _ := store.DumpResultAggregates(ctx, db); reflect.DeepEqual(old, want) {
				t.Fatal("the older layout's rows are the same as the new: the test changes nothing")
			}
			db.Close()
			db, err = store.Open(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			got, err := store.DumpResultAggregates(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("after opening, the aggregates differ from before the older layout was written:\n%s", dumpDiff(got, want))
			}
			cc, err := db.StationControlCounts(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cc.Protocols == 0 || cc.Checked[election.CodeMissing] != cc.Protocols {
				t.Errorf("control counts %+v: every station protocol is checked for missing figures", cc)
			}
		})
	}
}

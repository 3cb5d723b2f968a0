package store_test

import (
	"context"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestAnalyzeObservation: vigil-load --warmup refreshes the planner's
// statistics of the tables it names, which must all exist (PostgreSQL's
// ANALYZE fails on one that does not); on SQLite it does nothing.
func TestAnalyzeObservation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.AnalyzeObservation(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

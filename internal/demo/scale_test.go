package demo_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// scaleContent is what a scale election's database holds, times and ids
// aside (they come from the clock and the engine).
func scaleContent(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT e.name || '|' || e.config FROM elections e ORDER BY e.name`,
		`SELECT a.path || '|' || a.level || '|' || a.station || '|' || a.name FROM areas a ORDER BY a.path`,
		`SELECT a.path || '|' || p.source || '|' || p.version || '|' || COALESCE(p.registered, -1) || '|' || COALESCE(p.valid, -1) || '|' || COALESCE(p.invalid, -1) || '|' || p.votes
		   FROM protocols p JOIN areas a ON a.id = p.area_id ORDER BY a.path, p.source, p.version`,
		`SELECT r.client_id || '|' || r.phase || '|' || COALESCE(a.path, '') || '|' || r.answers || '|' || r.submitted
		   FROM reports r LEFT JOIN areas a ON a.id = r.area_id ORDER BY r.client_id`,
		`SELECT count(*) FROM observers`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
			n++
		}
		rows.Close()
		if n == 0 {
			t.Fatalf("nothing from %s", q)
		}
	}
	return out
}

// TestScaleDeterministic: the same seed and sizes write the same content;
// another seed, different figures.
func TestScaleDeterministic(t *testing.T) {
	ctx := context.Background()
	write := func(seed uint64) []string {
		db := storetest.SQLite(t)
		sum, err := demo.WriteScale(ctx, db, demo.Scale{Seed: seed, Stations: 1500, Observers: 40})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Stations != 1500 || sum.Observation == nil || sum.Observation.Observers != 40 {
			t.Fatalf("summary %+v", sum)
		}
		return scaleContent(t, db)
	}
	a, b, c := write(5), write(5), write(6)
	if !reflect.DeepEqual(a, b) {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("same seed, different content (of %d and %d lines), first at %d:\n%s\n%s", len(a), len(b), i, a[i], b[i])
			}
		}
		t.Fatalf("same seed, %d lines then %d", len(a), len(b))
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 5 and 6 wrote the same content")
	}
	stations := 0
	for _, s := range a {
		if strings.Count(s, "|") == 3 && strings.SplitN(s, "|", 4)[2] == "1" {
			stations++
		}
	}
	if stations != 1500 {
		t.Fatalf("%d station areas, want 1500", stations)
	}
}

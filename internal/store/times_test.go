package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// Times within one second must sort and compare in SQL as they do in
// time. Go's RFC3339Nano, the earlier representation, writes a whole
// second as "…:05Z" and half a second later as "…:05.5Z", which sorts
// first: this test fails on it.
func TestStoredTimesOrderWithinASecond(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.EnsureOrganisation(ctx, "org", "domestic")
		if err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 12, 6, 1, 2, 5, 0, time.UTC)
		// Written out of order, each a fraction of the same second or the next.
		offsets := []time.Duration{500 * time.Millisecond, 0, 1200 * time.Millisecond, 10 * time.Microsecond, time.Second, 999999 * time.Microsecond}
		for _, d := range offsets {
			if err := store.Audit(ctx, db, store.AuditEntry{OrgID: org.ID, Actor: "t", Channel: "cli", Action: d.String(), At: base.Add(d)}); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.QueryContext(ctx, `SELECT action FROM audit WHERE org_id = $1 ORDER BY at`, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				t.Fatal(err)
			}
			got = append(got, a)
		}
		rows.Close()
		want := []string{"0s", "10µs", "500ms", "999.999ms", "1s", "1.2s"}
		if len(got) != len(want) {
			t.Fatalf("ORDER BY at: %v", got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("ORDER BY at = %v, want %v", got, want)
			}
		}
		// A comparison like sessions' "expires > $2": strictly after the
		// whole second are the four later entries.
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE org_id = $1 AND at > $2`, org.ID, base.Format(store.TimeLayout)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Errorf("entries after %s: %d, want 5", base.Format(store.TimeLayout), n)
		}
		// And they read back as the times written.
		log, err := db.AuditLog(ctx, org.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log {
			d, _ := time.ParseDuration(e.Action)
			if !e.At.Equal(base.Add(d)) {
				t.Errorf("%s read back as %s", e.Action, e.At)
			}
		}
	})
}

// Migration 0010 rewrites times stored in the earlier variable-width form.
func TestMigrationFixesOldTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, err := db.EnsureOrganisation(ctx, "org", "domestic")
		if err != nil {
			t.Fatal(err)
		}
		old := map[string]string{
			"2026-12-06T01:02:05Z":           "2026-12-06T01:02:05.000000Z",
			"2026-12-06T01:02:05.5Z":         "2026-12-06T01:02:05.500000Z",
			"2026-12-06T01:02:05.123456789Z": "2026-12-06T01:02:05.123456Z",
			"2026-12-06T01:02:05.000001Z":    "2026-12-06T01:02:05.000001Z",
		}
		for at := range old {
			if _, err := db.ExecContext(ctx, `INSERT INTO audit (org_id, actor, channel, action, object, detail, at) VALUES ($1, 't', 'cli', $2, '', '{}', $2)`, org.ID, at); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 10`); err != nil {
			t.Fatal(err)
		}
		db2, err := store.Open(ctx, addrOf(t, db))
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		for before, want := range old {
			var got string
			if err := db2.QueryRowContext(ctx, `SELECT at FROM audit WHERE action = $1`, before).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s migrated to %s, want %s", before, got, want)
			}
		}
	})
}

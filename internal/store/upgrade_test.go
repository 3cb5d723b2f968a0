package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// schemaOf describes a database's tables: every column with its type and
// nullability, and the indexes, in a form that does not depend on the
// order they were created in.
func schemaOf(t *testing.T, db *store.DB) []string {
	t.Helper()
	var q string
	if db.Dialect == store.SQLite {
		q = `SELECT m.name || '.' || p.name || ' ' || p.type || ' ' || p."notnull" || ' ' || coalesce(p.dflt_value, '') || ' ' || p.pk
		     FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'
		     UNION ALL SELECT 'index ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE type = 'index'
		     ORDER BY 1`
	} else {
		q = `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
		     FROM information_schema.columns WHERE table_schema = current_schema()
		     UNION ALL SELECT 'index ' || indexname || ' ' || regexp_replace(indexdef, ' ON \S+\.', ' ON ') FROM pg_indexes WHERE schemaname = current_schema()
		     UNION ALL SELECT 'options ' || relname || ' ' || array_to_string(reloptions, ',') FROM pg_class
		       WHERE relnamespace = current_schema()::regnamespace AND reloptions IS NOT NULL
		     ORDER BY 1`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func rowCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	tables, err := store.Tables()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + tb).Scan(&n); err != nil {
			if strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "does not exist") {
				continue // not at this version yet
			}
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

// derivedTables are the maintained aggregates (aggregates.go,
// observe_agg*.go): computed from the other rows, and built when a
// database whose rows were written without them is opened.
var derivedTables = map[string]bool{
	"protocol_current": true, "result_areas": true, "result_votes": true, "result_elections": true, "station_differs": true, "area_stations": true,
	"obs_stats": true, "obs_clusters": true, "obs_nodes": true, "obs_stations": true, "obs_units": true, "obs_conflicts": true, "obs_changes": true,
	"obs_anc": true,
}

// TestUpgradeFromEveryVersion starts from the schema of every earlier
// version, with data written as that version would have it, upgrades by
// opening with this binary, and checks that the schema is exactly a fresh
// database's and that no row was lost.
func TestUpgradeFromEveryVersion(t *testing.T) {
	ctx := context.Background()
	versions := store.MigrationVersions()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			addr := func() string {
				if engine == "sqlite" {
					return filepath.Join(t.TempDir(), "v.db")
				}
				return storetest.PostgresAddr(t)
			}
			fresh, err := store.Open(ctx, addr())
			if err != nil {
				t.Fatal(err)
			}
			want := schemaOf(t, fresh)
			if len(want) < 100 {
				t.Fatalf("the schema description has %d lines", len(want))
			}
			// 0027: room on the pages of the rows every report rewrites.
			if engine == "postgres" && !slices.Contains(want, "options obs_groups fillfactor=50") {
				t.Errorf("a fresh schema without obs_groups' fillfactor: %q", want)
			}
			fresh.Close()
			for _, from := range versions[:len(versions)-1] {
				t.Run(fmt.Sprintf("from%d", from), func(t *testing.T) {
					a := addr()
					old, err := store.OpenAtVersion(ctx, a, from)
					if err != nil {
						t.Fatal(err)
					}
					// Rows as that version wrote them, in its own SQL (today's
					// code would write tables it did not have yet): version 1
					// is the results core; 2 adds observation. The times are
					// in the variable-width form vigil wrote before 0010.
					for _, q := range oldRows(from) {
						if _, err := old.ExecContext(ctx, q); err != nil {
							t.Fatalf("writing version %d's rows: %v\n%s", from, err, q)
						}
					}
					before := rowCounts(t, old)
					old.Close()
					db, err := store.Open(ctx, a)
					if err != nil {
						t.Fatalf("upgrading from %d: %v", from, err)
					}
					defer db.Close()
					if got := schemaOf(t, db); !reflect.DeepEqual(got, want) {
						t.Errorf("schema upgraded from %d differs from a fresh one:\n got %q\nwant %q", from, got, want)
					}
					after := rowCounts(t, db)
					for tb, n := range before {
						if tb == "log_leaves" && after[tb] >= n {
							continue // opening logs rows the log lacks (the backfill)
						}
						if derivedTables[tb] && after[tb] >= n {
							continue // opening builds the aggregates the old rows lacked
						}
						if after[tb] != n {
							t.Errorf("table %s: %d rows before the upgrade, %d after", tb, n, after[tb])
						}
					}
					if before["protocols"] == 0 {
						t.Fatal("the old database has no protocols: the test wrote nothing")
					}
					st, err := db.Schema(ctx)
					if err != nil || !st.Current() {
						t.Fatalf("schema after the upgrade: %+v %v", st, err)
					}
					// The aggregates opening built from the old rows (which
					// have none) are what a rebuild computes.
					// TestUpgradeOfBuiltAggregates covers a database that had
					// them, where the migrations' own statements add to them.
					up, diff := rebuildDiff(t, db)
					if !slices.ContainsFunc(up, func(r string) bool { return strings.HasPrefix(r, "area stations ") }) {
						t.Errorf("no area_stations rows after the upgrade from %d", from)
					}
					if diff != "" {
						t.Errorf("upgraded from %d: aggregates differ from a rebuild:\n%s", from, diff)
					}
				})
			}
		})
	}
}

// TestRefusesNewerSchema: a database a newer vigil migrated is refused with
// a message that says what to do.
func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	storetest.EachAddr(t, func(t *testing.T, addr string) {
		db, err := store.Open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (9999, '9999_from_the_future.sql', '2030-01-01T00:00:00Z')`); err != nil {
			t.Fatal(err)
		}
		st, err := db.Schema(ctx)
		db.Close()
		if err != nil || st.Current() || st.Applied != 9999 {
			t.Fatalf("a newer schema is current: %+v %v", st, err)
		}
		_, err = store.Open(ctx, addr)
		var newer *store.SchemaNewerError
		if !errors.As(err, &newer) || newer.Version != 9999 || newer.Name != "9999_from_the_future.sql" ||
			!strings.Contains(err.Error(), "newer than this vigil knows") {
			t.Fatalf("opening a newer schema: %v", err)
		}
	})
}

// oldRows are the statements that give a database at schema version v an
// election with its areas, a batch and protocols (v ≥ 1), and an
// organisation with a user (v ≥ 2), as vigil of that version stored them.
func oldRows(v int) []string {
	q := []string{
		`INSERT INTO elections (id, name, kind, country, date, config, created) VALUES (1, 'old', 'presidential', 'KZ', '2022-11-20', '{"area_levels":["region","station"]}', '2026-01-02T03:04:05.5Z')`,
		`INSERT INTO options (election_id, position, name, kind) VALUES (1, 0, 'A', 'candidate'), (1, 1, 'B', 'candidate')`,
		`INSERT INTO areas (id, election_id, parent_id, level, name, path, station) VALUES
			(1, 1, NULL, 0, 'old', '[]', 0), (2, 1, 1, 1, 'North', '["North"]', 0),
			(3, 1, 2, 2, '001', '["North","001"]', 1), (4, 1, 2, 2, '002', '["North","002"]', 1), (5, 1, 2, 2, '003', '["North","003"]', 1)`,
		`INSERT INTO batches (id, election_id, source, file, sha256, rows, rejected, created) VALUES (1, 1, 'official-final', 'old.csv', '` + strings.Repeat("ab", 32) + `', 3, 0, '2026-01-02T03:04:05Z')`,
	}
	for i, area := range []int{3, 4, 5} {
		q = append(q, fmt.Sprintf(`INSERT INTO protocols (id, election_id, area_id, source, version, batch_id, registered, ballots_issued, ballots_in_box, invalid, valid, votes, received)
			VALUES (%d, 1, %d, 'official-final', 1, 1, 1000, 700, 700, 10, 690, '[400,290]', '2026-01-02T03:04:05.%dZ')`, i+1, area, i+1))
	}
	if v >= 2 {
		q = append(q,
			`INSERT INTO organisations (id, name, kind, created) VALUES (1, 'Mission', 'international', '2026-01-02T03:04:05Z')`,
			`INSERT INTO users (id, org_id, username, name, role, password_hash, created) VALUES (1, 1, 'analyst', 'An Analyst', 'analyst', '', '2026-01-02T03:04:05.25Z')`)
	}
	return q
}

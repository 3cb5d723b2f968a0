package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe/load"
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
			fresh.Close()
			for _, from := range versions[:len(versions)-1] {
				t.Run(fmt.Sprintf("from%d", from), func(t *testing.T) {
					a := addr()
					old, err := store.OpenAtVersion(ctx, a, from)
					if err != nil {
						t.Fatal(err)
					}
					// Version 1 is the results core; 2 adds observation.
					el := demo.Generate(3, demo.Params{Stations: 120, ObservedShare: 0.2})
					if _, err := demo.Write(ctx, old, el); err != nil {
						t.Fatal(err)
					}
					if from >= 2 {
						if _, _, err := load.Setup(ctx, old, 30); err != nil {
							t.Fatal(err)
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
				})
			}
		})
	}
}

// TestRefusesNewerSchema: a database a newer vigil migrated is refused with
// a message that says what to do.
func TestRefusesNewerSchema(t *testing.T) {
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
}

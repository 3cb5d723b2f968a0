package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// The group commit's read of its stations' ancestors walks up by the
// primary key, a lookup a parent, whatever the size of the areas table:
// on PostgreSQL a join in the recursive step had the planner hash every
// area of the database in every commit once the table held some tens of
// thousands (50,000 stations here: a hash join over a sequential scan).
// Both engines, their plans read with EXPLAIN; and the rows it reads are
// the stations' ancestors.
func TestAncestorsByKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A root, 100 regions, 5,000 districts, 50,000 stations.
		for _, q := range []string{
			`INSERT INTO areas (id, election_id, parent_id, level, name, path, station) VALUES (1, 1, NULL, 0, 'root', '[]', 0)`,
			`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100)
			 INSERT INTO areas (id, election_id, parent_id, level, name, path, station) SELECT 1 + x, 1, 1, 1, 'r' || x, '["r' || x || '"]', 0 FROM g`,
			`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 5000)
			 INSERT INTO areas (id, election_id, parent_id, level, name, path, station) SELECT 1000 + x, 1, 2 + x % 100, 2, 'd' || x, '["d' || x || '"]', 0 FROM g`,
			`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 50000)
			 INSERT INTO areas (id, election_id, parent_id, level, name, path, station) SELECT 100000 + x, 1, 1001 + x % 5000, 3, 's' || x, '["s' || x || '"]', 1 FROM g`,
			// This table only: on PostgreSQL a bare ANALYZE takes every
			// schema of the shared test database, other tests' included.
			`ANALYZE areas`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var ids []int64
		for i := range int64(55) {
			ids = append(ids, 100001+i*907)
		}
		q, args := store.AncestorsQuery(db.Dialect, ids)
		explain := "EXPLAIN "
		if db.Dialect == store.SQLite {
			explain = "EXPLAIN QUERY PLAN "
		}
		rows, err := db.QueryContext(ctx, explain+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			// PostgreSQL: a line of text a row; SQLite: (id, parent,
			// unused, detail).
			var line string
			var id, parent, unused int64
			dest := []any{&line}
			if db.Dialect == store.SQLite {
				dest = []any{&id, &parent, &unused, &line}
			}
			if err := rows.Scan(dest...); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		for _, line := range plan {
			l := strings.TrimSpace(strings.TrimLeft(line, "-> "))
			// PostgreSQL: "Seq Scan on areas", a "Hash Join"; SQLite:
			// "SCAN areas" or "SCAN a" (a full scan, where a search by
			// the key is wanted).
			if strings.HasPrefix(l, "Seq Scan on areas") || strings.HasPrefix(l, "Hash Join") ||
				strings.HasPrefix(l, "SCAN areas") || strings.HasPrefix(l, "SCAN a ") || l == "SCAN a" {
				t.Fatalf("the ancestors are read by scanning the areas:\n%s", text)
			}
		}
		if !strings.Contains(text, "areas_pkey") && !strings.Contains(text, "INTEGER PRIMARY KEY") {
			t.Fatalf("the ancestors are not read by the primary key:\n%s", text)
		}
		type node struct{ parent, level, station int64 }
		got := map[int64]node{}
		rows, err = db.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var n node
			if err := rows.Scan(&id, &n.parent, &n.level, &n.station); err != nil {
				t.Fatal(err)
			}
			if _, dup := got[id]; dup {
				t.Fatalf("area %d read twice", id)
			}
			got[id] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		// Each station, its district and region, and the root; nothing else.
		want := map[int64]node{1: {0, 0, 0}}
		for _, s := range ids {
			d := 1001 + (s-100000)%5000
			r := 2 + (d-1000)%100
			want[s], want[d], want[r] = node{d, 3, 1}, node{r, 2, 0}, node{1, 1, 0}
		}
		if len(got) != len(want) {
			t.Errorf("%d areas read, want %d", len(got), len(want))
		}
		for id, w := range want {
			if g, ok := got[id]; !ok || g != w {
				t.Errorf("area %d: read %+v (%v), want %+v", id, g, ok, w)
			}
		}
	})
}

package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/agg"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestUpgradeOfBuiltAggregates: a database a vigil of schema 22 left with
// its results aggregates built (so that opening does not rebuild them, as
// it does for the rows TestUpgradeFromEveryVersion writes) gets, on
// opening, area_stations from migration 0023's own statement, the flags
// of the new layout and the counts of the controls that ran (0024 and
// refreshStaleFlags), and the index of 0025: the same aggregates as before
// it was taken back to 22, on both engines.
func TestUpgradeOfBuiltAggregates(t *testing.T) {
	ctx := context.Background()
	storetest.EachAddr(t, func(t *testing.T, addr string) {
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
		// Back to what schema 22 had: no area_stations, no checked_*
		// columns, no partial index, flags without the controls that ran
		// and settings without a layout; conflicts with a body (0028);
		// clusters' counts a row per item (0029), of which the upgrade
		// joins a team's at a node and phase into one row, in byte order,
		// leaving out an item without units; statistics a row per item
		// (0030), joined alike per node and phase, the items escaped (an
		// incident's category with a space, a bar, a percent sign).
		qs := []string{
			`ALTER TABLE obs_conflicts ADD COLUMN body TEXT NOT NULL DEFAULT ''`,
			`DROP TABLE obs_clusters`,
			`CREATE TABLE obs_clusters (org_id BIGINT NOT NULL, election_id BIGINT NOT NULL, cluster TEXT NOT NULL, node_id BIGINT NOT NULL,
				phase TEXT NOT NULL, item TEXT NOT NULL, n BIGINT NOT NULL, x BIGINT NOT NULL, PRIMARY KEY (org_id, election_id, cluster, node_id, phase, item))`,
			`INSERT INTO obs_clusters VALUES (1, 1, 'team:7', 0, 'voting', 'overall', 3, 1), (1, 1, 'team:7', 0, 'voting', 'ind:a', 2, 0),
				(1, 1, 'team:7', 0, 'voting', 'Zeta', 1, 1), (1, 1, 'team:7', 0, 'voting', 'ind:z', 0, 0), (1, 1, 'team:7', 4, 'voting', 'overall', 1, 0),
				(1, 1, 'team:8', 0, 'voting', 'overall', 0, 0)`,
			`DROP TABLE obs_stats`,
			`CREATE TABLE obs_stats (org_id BIGINT NOT NULL, election_id BIGINT NOT NULL, node_id BIGINT NOT NULL, phase TEXT NOT NULL, item TEXT NOT NULL,
				n BIGINT NOT NULL DEFAULT 0, x BIGINT NOT NULL DEFAULT 0, c BIGINT NOT NULL DEFAULT 0, sxx BIGINT NOT NULL DEFAULT 0,
				sxn BIGINT NOT NULL DEFAULT 0, snn BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (org_id, election_id, node_id, phase, item))`,
			`INSERT INTO obs_stats VALUES (1, 1, 0, 'voting', 'overall', 5, 2, 2, 2, 5, 13), (1, 1, 0, 'voting', '*', 5, 5, 2, 13, 13, 13),
				(1, 1, 0, 'voting', 'ind:z', 0, 0, 0, 0, 0, 0), (1, 1, 0, 'incident', 'ballot box|stuffed 100%', 3, 1, 0, 0, 0, 0),
				(1, 1, 0, 'incident', 'Zeta', 1, 0, 0, 0, 0, 0), (1, 1, 4, 'voting', 'ind:z', 0, 0, 0, 0, 0, 0)`,
			`DROP TABLE area_stations`,
			`DROP TABLE obs_groups`,
			`DROP INDEX protocol_current_flagged`,
			`UPDATE protocol_current SET flags = flags & 4294967295`,
			`UPDATE result_elections SET config = replace(config, '"v":2,', '')`,
			`DELETE FROM schema_migrations WHERE version >= 23`,
		}
		for _, c := range store.FlagCodes() {
			qs = append(qs, `ALTER TABLE result_areas DROP COLUMN checked_`+strings.ToLower(c))
		}
		for _, q := range qs {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
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
			t.Errorf("after the upgrade, the aggregates differ from before:\n%s", dumpDiff(got, want))
		}
		var clusters []string
		rows, err := db.QueryContext(ctx, `SELECT cluster, node_id, phase, sums FROM obs_clusters ORDER BY cluster, node_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c, p, s string
			var node int64
			if err := rows.Scan(&c, &node, &p, &s); err != nil {
				t.Fatal(err)
			}
			clusters = append(clusters, fmt.Sprintf("%s %d %s: %s", c, node, p, s))
		}
		rows.Close()
		if want := []string{"team:7 0 voting: Zeta 1 1|ind:a 2 0|overall 3 1", "team:7 4 voting: overall 1 0"}; !reflect.DeepEqual(clusters, want) {
			t.Errorf("the clusters' rows after the upgrade:\n%q\nwant\n%q", clusters, want)
		}
		stats, err := db.ObsStats(ctx, 1, 1, []int64{0, 4})
		if err != nil {
			t.Fatal(err)
		}
		wantStats := []store.ObsStat{
			{Node: 0, Phase: "incident", Item: "Zeta", Stats: agg.Stats{N: 1}},
			{Node: 0, Phase: "incident", Item: "ballot box|stuffed 100%", Stats: agg.Stats{N: 3, X: 1}},
			{Node: 0, Phase: "voting", Item: "*", Stats: agg.Stats{N: 5, X: 5, C: 2, Sxx: 13, Sxn: 13, Snn: 13}},
			{Node: 0, Phase: "voting", Item: "overall", Stats: agg.Stats{N: 5, X: 2, C: 2, Sxx: 2, Sxn: 5, Snn: 13}},
		}
		if !reflect.DeepEqual(stats, wantStats) {
			t.Errorf("the statistics after the upgrade:\n%+v\nwant\n%+v", stats, wantStats)
		}
		var statRows []string
		rows, err = db.QueryContext(ctx, `SELECT node_id, phase, sums FROM obs_stats ORDER BY node_id, phase`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p, s string
			var node int64
			if err := rows.Scan(&node, &p, &s); err != nil {
				t.Fatal(err)
			}
			statRows = append(statRows, fmt.Sprintf("%d %s: %s", node, p, s))
		}
		rows.Close()
		if want := []string{"0 incident: Zeta 1 0 0 0 0 0|ballot%20box%7Cstuffed%20100%25 3 1 0 0 0 0", "0 voting: * 5 5 2 13 13 13|overall 5 2 2 2 5 13"}; !reflect.DeepEqual(statRows, want) {
			t.Errorf("the statistics' rows after the upgrade:\n%q\nwant\n%q", statRows, want)
		}
		if db.Dialect == store.Postgres {
			// The byte order of the keys: a C.UTF-8 server sorts these
			// items alike either way, so the column says it.
			var coll sql.NullString
			if err := db.QueryRowContext(ctx, `SELECT collation_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND table_name = 'obs_clusters' AND column_name = 'cluster'`).Scan(&coll); err != nil {
				t.Fatal(err)
			}
			if coll.String != "C" {
				t.Errorf("obs_clusters.cluster collates as %q, want C", coll.String)
			}
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

package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// obsTables are the derived tables of the observation aggregates, in the
// order a rebuild clears them.
var obsTables = []string{"obs_stats", "obs_clusters", "obs_nodes", "obs_stations", "obs_units", "obs_conflicts", "obs_groups", "obs_changes"}

// obsReportsAdded keeps the aggregates in step with reports just stored
// in q's transaction (the new ones only: created[i]).
func obsReportsAdded(ctx context.Context, q Querier, d Dialect, rs []*Report, created []bool) error {
	return obsReportsEntered(ctx, q, d, rs, created, false)
}

// obsReportsEntered is obsReportsAdded; whole computes each touched group
// from all its reports rather than folding rs into its stored state (a
// rebuild, whose reports carry no answers and whose groups have no state).
func obsReportsEntered(ctx context.Context, q Querier, d Dialect, rs []*Report, created []bool, whole bool) error {
	c := newObsChange()
	for i, r := range rs {
		if created == nil || created[i] {
			c.report(r, "", false)
		}
	}
	if whole {
		for g := range c.groups {
			c.recompute[g] = true
		}
	}
	if len(c.touched) == 0 {
		return nil
	}
	return obsApply(ctx, q, d, c)
}

// RebuildObservation recomputes every observation aggregate from the raw
// rows (reports, resolutions, deployments, assignments, the roster), in
// one transaction. `vigil rebuild` runs it; Open runs it once on a
// database whose aggregates were never built (one from before them).
func (db *DB) RebuildObservation(ctx context.Context) (err error) {
	defer wrap(&err, "store.RebuildObservation")
	return db.InTx(ctx, func(tx *sql.Tx) error { return rebuildObservation(ctx, tx, db.Dialect, 0) })
}

// rebuildObservation recomputes the aggregates of one organisation (0:
// all) in q's transaction: the tables are cleared and every report enters
// as if just received, area by area, so that the rebuild runs the very
// code the writers run.
func rebuildObservation(ctx context.Context, q Querier, d Dialect, orgID int64) error {
	// Alone among the writers of these aggregates before clearing them: a
	// report committed through another instance between the clearing and
	// the re-entering would be counted twice, and a writer holding a
	// station's lock while waiting for a cleared row deadlocked with the
	// rebuild waiting for that lock (lockObs).
	if d == Postgres {
		if err := lockObsRebuild(ctx, q, orgID); err != nil {
			return err
		}
	}
	where, args := "", []any{}
	if orgID != 0 {
		where, args = " WHERE org_id = $1", []any{orgID}
	}
	for _, t := range obsTables {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+t+where, args...); err != nil {
			return fmt.Errorf("clearing %s: %w", t, err)
		}
	}
	if orgID == 0 {
		if _, err := q.ExecContext(ctx, `DELETE FROM obs_anc`); err != nil {
			return err
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT org_id, election_id FROM reports`+where+` UNION SELECT org_id, election_id FROM deployments`+where+
		` UNION SELECT org_id, election_id FROM assignments`+where, args...)
	if err != nil {
		return err
	}
	var scopes []obsScope
	for rows.Next() {
		var sc obsScope
		if err := rows.Scan(&sc.org, &sc.election); err != nil {
			rows.Close()
			return err
		}
		scopes = append(scopes, sc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(scopes, func(i, j int) bool {
		return scopes[i].org < scopes[j].org || scopes[i].org == scopes[j].org && scopes[i].election < scopes[j].election
	})
	for _, sc := range scopes {
		c := newObsChange()
		c.deployed[sc] = true
		if err := obsApply(ctx, q, d, c); err != nil {
			return err
		}
		if err := rebuildReports(ctx, q, d, sc); err != nil {
			return err
		}
	}
	if orgID == 0 {
		if _, err := q.ExecContext(ctx, `UPDATE obs_state SET built = 1 WHERE id = 1`); err != nil {
			return err
		}
	}
	return nil
}

// rebuildReports enters a scope's reports in chunks of whole areas.
func rebuildReports(ctx context.Context, q Querier, d Dialect, sc obsScope) error {
	rows, err := q.QueryContext(ctx, `SELECT id, COALESCE(area_id, 0), phase, status FROM reports WHERE org_id = $1 AND election_id = $2`, sc.org, sc.election)
	if err != nil {
		return err
	}
	var all []*Report
	for rows.Next() {
		r := &Report{OrgID: sc.org, ElectionID: sc.election}
		if err := rows.Scan(&r.ID, &r.AreaID, &r.Phase, &r.Status); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].AreaID != all[j].AreaID {
			return all[i].AreaID < all[j].AreaID
		}
		return all[i].ID < all[j].ID
	})
	const chunk = 4000
	for lo := 0; lo < len(all); {
		hi := min(lo+chunk, len(all))
		for hi < len(all) && hi > lo && all[hi].AreaID == all[hi-1].AreaID {
			hi++ // a group is never split between two chunks
		}
		if err := obsReportsEntered(ctx, q, d, all[lo:hi], nil, true); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

// ensureObservationBuilt builds the aggregates of a database that has
// never had them built (migration 0013 leaves obs_state.built at 0).
func (db *DB) ensureObservationBuilt(ctx context.Context) error {
	var built int
	if err := db.QueryRowContext(ctx, `SELECT built FROM obs_state WHERE id = 1`).Scan(&built); err != nil {
		return err
	}
	if built != 0 {
		return nil
	}
	return db.RebuildObservation(ctx)
}

// obsDeleteElection removes an election's aggregates.
func obsDeleteElection(ctx context.Context, q Querier, electionID int64) error {
	for _, t := range obsTables {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+t+` WHERE election_id = $1`, electionID); err != nil {
			return err
		}
	}
	_, err := q.ExecContext(ctx, `DELETE FROM obs_anc WHERE area_id IN (SELECT id FROM areas WHERE election_id = $1)`, electionID)
	return err
}

// obsDeploymentChanged re-reads a scope's deployed stations after a
// deployment or an assignment, in q's transaction.
func obsDeploymentChanged(ctx context.Context, q Querier, d Dialect, orgID, electionID int64) error {
	c := newObsChange()
	c.deployed[obsScope{orgID, electionID}] = true
	return obsApply(ctx, q, d, c)
}

package store

import "context"

// AnalyzeObservation refreshes, on PostgreSQL, the planner's statistics of
// the reports and of the observation aggregates, as autovacuum does about
// once a minute on a running server. A benchmark that starts from empty
// tables measures, for its first minute, plans made for empty tables (an
// index scan of every group of an election where a lookup by station was
// meant): vigil-load --warmup calls this between its warm-up and the run
// it measures. SQLite's planner works from the schema's indexes alone and
// vigil never analyzes it; there this does nothing.
func (db *DB) AnalyzeObservation(ctx context.Context) (err error) {
	defer wrap(&err, "store.AnalyzeObservation")
	if db.Dialect != Postgres {
		return nil
	}
	_, err = db.ExecContext(ctx, `ANALYZE reports, obs_groups, obs_units, obs_conflicts, obs_stations, obs_stats, obs_clusters, obs_nodes, obs_anc`)
	return err
}

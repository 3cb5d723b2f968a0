package store

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/observe/agg"
)

// OpenAtVersion opens addr with the migrations applied only up to version
// (the schema an earlier vigil left), for the upgrade tests.
func OpenAtVersion(ctx context.Context, addr string, version int) (*DB, error) {
	db, err := openRaw(addr, PoolOptions{})
	if err != nil {
		return nil, err
	}
	if err := db.migrateTo(ctx, version); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", db.Addr, err)
	}
	return db, nil
}

// MigrationVersions lists the versions of the embedded migrations.
func MigrationVersions() []int {
	ms, _ := loadMigrations(SQLite)
	var vs []int
	for _, m := range ms {
		vs = append(vs, m.version)
	}
	return vs
}

// DumpResultAggregates lists every row of the results aggregates, sorted,
// for comparing an incremental state with a rebuilt one (the change
// counter, a stamp, left out).
func DumpResultAggregates(ctx context.Context, db *DB) ([]string, error) {
	return dumpRows(ctx, db,
		`SELECT 'current', area_id, source, election_id, protocol_id, version, station, flags FROM protocol_current`,
		`SELECT 'area', area_id, source, election_id, `+strings.Join(aggCols, ", ")+` FROM result_areas`,
		`SELECT 'votes', area_id, source, position, election_id, votes, stations FROM result_votes`,
		`SELECT 'differs', area_id, election_id FROM station_differs`,
		`SELECT 'election', election_id, options, config FROM result_elections`,
		`SELECT 'area stations', area_id, election_id, stations, first FROM area_stations`)
}

// DumpObservationAggregates lists every row of the observation aggregates
// but the change counters, sorted, leaving out sums that are all zero (a
// count that went up and down again).
func DumpObservationAggregates(ctx context.Context, db *DB) ([]string, error) {
	return dumpRows(ctx, db,
		`SELECT 'stats', node_id, phase, sums FROM obs_stats`,
		`SELECT 'clusters', cluster, node_id, phase, sums FROM obs_clusters`,
		`SELECT 'nodes', node_id, deployed, reported, conflicted, incidents, queued, quarantined, conflicts, open_conflicts FROM obs_nodes`,
		`SELECT 'stations', area_id, deployed, usable, open_conflicts FROM obs_stations`,
		`SELECT 'units', first_report, area_id, region_id, phase, cluster, reports, hits FROM obs_units`,
		`SELECT 'conflicts', area_id, phase, question, unresolved FROM obs_conflicts`,
		`SELECT 'groups', area_id, phase, usable, state FROM obs_groups`,
		`SELECT 'ancestry', area_id, node_id FROM obs_anc`)
}

// dumpRows runs the queries and lists their rows as text, sorted.
func dumpRows(ctx context.Context, db *DB, queries ...string) ([]string, error) {
	var out []string
	for _, q := range queries {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteByte(' ')
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprint(&b, v)
			}
			out = append(out, b.String())
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// NewTestJob gives a job the channel its result is sent on, for tests that
// queue jobs before the group commit's loop starts.
func NewTestJob(j *CommitJob) *CommitJob {
	j.done = make(chan jobResult, 1)
	return j
}

// JobResult waits for a queued job's result.
func JobResult(j *CommitJob) (CommitResult, error) {
	r := <-j.done
	return r.CommitResult, r.err
}

// JobAnswered returns a job's result if it has one now.
func JobAnswered(j *CommitJob) (CommitResult, bool, error) {
	select {
	case r := <-j.done:
		return r.CommitResult, true, r.err
	default:
		return CommitResult{}, false, nil
	}
}

// QueuedGroupCommit is a group commit whose queue already holds jobs when
// its loop starts, so that the loop's first batch is exactly those jobs.
func QueuedGroupCommit(db *DB, jobs []*CommitJob, log *slog.Logger) *GroupCommit {
	w := &GroupCommit{db: db, queue: make(chan *CommitJob, 4*MaxBatch), stop: make(chan struct{})}
	if log != nil {
		w.log.Store(log)
	}
	for _, j := range jobs {
		w.queue <- j
	}
	ws := &writer{}
	w.writers = []*writer{ws}
	w.wg.Add(1)
	go w.loop(ws)
	return w
}

// LogHintStats says how many of the writer's appends took one statement
// on a right guess of the log's state, and how many found another state.
func (w *GroupCommit) LogHintStats() (hits, misses int64) {
	w.logHint.mu.Lock()
	defer w.logHint.mu.Unlock()
	return w.logHint.hits, w.logHint.misses
}

// SetImportLease sets a handle's import lease lifetime and heartbeat
// period (a heartbeat slower than the lease freezes an import).
func SetImportLease(db *DB, ttl, renew time.Duration) {
	db.ImportLease, db.leaseRenew = ttl, renew
}

// LeaseTimes returns the lease lifetime and heartbeat period of a handle.
func LeaseTimes(db *DB) (ttl, renew time.Duration) { return db.leaseTimes() }

// SetAfterPrework runs f between an SQLite import's prework on the results
// and its final transaction, for imports through db.
func SetAfterPrework(db *DB, f func()) { db.afterPrework = f }

// PreworkStats says how many final transactions of db's imports used their
// prework (rechecked: of those, how many after the results had changed)
// and how many computed afresh.
func PreworkStats(db *DB) (used, rechecked, redone int64) {
	return db.preworkUsed.Load(), db.preworkRechecked.Load(), db.preworkRedone.Load()
}

// ImportRunning says whether the group commit would see an import running
// beside db (an SQLite database's live lease files).
func ImportRunning(db *DB) bool { return db.importRunning() }

// LeasePath is the lease file of an import token beside an SQLite database.
func LeasePath(db *DB, token string) string { return leasePath(db, token) }

// Writers is how many writer goroutines the group commit runs.
func (w *GroupCommit) Writers() int { return len(w.writers) }

// ObsReportsAdded is obsReportsAdded, for a test that folds a report
// inserted in its own transaction.
var ObsReportsAdded = obsReportsAdded

// KeptStateHits is how many observation group states were taken from this
// process's kept ones (groupStates) rather than decoded.
func KeptStateHits() int64 { return obsStates.hits.Load() }

// KeepState keeps, for a group, the state decoded from text: a test's
// stand-in for a kept state that no longer matches the group's row.
func KeepState(org, election, area int64, phase, text string) error {
	s := &agg.State{}
	if err := s.Decode([]byte(text)); err != nil {
		return err
	}
	obsStates.put(obsGroup{org, election, area, phase}, text, s)
	return nil
}

// BatchSums is how many imports' preworks used the deltas the import
// summed as it wrote its rows (importPrework.sums).
func BatchSums() int64 { return batchSums.Load() }

// FailAfterChunk makes every chunk of db's imports fail after it commits,
// with err.
func FailAfterChunk(db *DB, err error)     { db.afterChunk = func() error { return err } }
func ParseChange(s string) (Change, error) { return parseChange(s) }

// PipeTest is a transaction of the group commit's kind, for tests: its
// Querier (which sends the queue first), a queued statement, a read
// through the aggregates' read (queued when there is a pipeline), the
// queue sent, and whether there is a pipeline (PostgreSQL) at all.
type PipeTest struct {
	Q     Querier
	Add   func(query string, args ...any)
	Read  func(query string, args []any, scan func(sc func(...any) error) error) error
	Flush func() error
	Piped bool
}

// InPipeline runs fn in such a transaction, which commits when fn returns
// nil.
func InPipeline(ctx context.Context, db *DB, fn func(pt PipeTest) error) error {
	c, err := db.WriterConn(ctx)
	if err != nil {
		return err
	}
	defer db.ReleaseWriterConn(c)
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	// Before the connection's release (deferred first, run last): a
	// t.Fatal in fn would otherwise leave the release waiting on the
	// open transaction.
	defer tx.Rollback()
	var q Querier = tx
	p := newPipeline(c, db.Dialect)
	pt := PipeTest{Q: q, Piped: p != nil, Add: func(s string, args ...any) {
		if _, err := q.ExecContext(ctx, s, args...); err != nil {
			panic(err)
		}
	}}
	if p != nil {
		pt.Q = pipeQ{q, p}
		pt.Add = func(s string, args ...any) { p.add(s, args) }
	}
	t := newObsTx(ctx, pt.Q, db.Dialect)
	t.pipe = p
	pt.Read, pt.Flush = t.read, t.sendReads
	if err := fn(pt); err != nil {
		return err
	}
	return tx.Commit()
}

// PipelineSends is how many queues have been sent (observe_agg_pipe.go).
func PipelineSends() int64 { return pipelineSends.Load() }

// AncestorsQuery is the group commit's read of areas and their ancestors,
// over the ids in a parameter ($1: an array on PostgreSQL, an IN list of
// ids on SQLite).
func AncestorsQuery(d Dialect, ids []int64) (string, []any) {
	t := &obsTx{d: d}
	in, args := t.idsIn(ids, 1)
	return ancestorsQuery(d, in), args
}

// FormQueries is how many forms the group commit read in a statement of
// their own, not with its batch's reads.
func FormQueries() int64 { return formQueries.Load() }

// TeamQueries is how many observers' teams the group commit read in a
// round trip of their own, not with its batch's reads.
func TeamQueries() int64 { return teamQueries.Load() }

// LockObsRebuild takes the lock a rebuild of an organisation's
// observation aggregates holds (a roster import that moves an observer).
func LockObsRebuild(ctx context.Context, q Querier, orgID int64) error {
	return lockObsRebuild(ctx, q, orgID)
}

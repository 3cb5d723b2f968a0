package store

import (
	"context"
	"fmt"
	"log/slog"
)

// OpenAtVersion opens addr with the migrations applied only up to version
// (the schema an earlier vigil left), for the upgrade tests.
func OpenAtVersion(ctx context.Context, addr string, version int) (*DB, error) {
	db, err := openRaw(addr)
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
	w.wg.Add(1)
	go w.loop()
	return w
}

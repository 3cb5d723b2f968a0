package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// writerFixture is an organisation with the default forms and an election.
type writerFixture struct {
	db       *store.DB
	org, eid int64
	formID   int64
}

func newWriterFixture(t *testing.T, db *store.DB) *writerFixture {
	t.Helper()
	ctx := context.Background()
	org, err := db.EnsureOrganisation(ctx, "W", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observe.InstallDefaultForms(ctx, db, org.ID); err != nil {
		t.Fatal(err)
	}
	sf, err := db.FormByKey(ctx, org.ID, "voting", "")
	if err != nil {
		t.Fatal(err)
	}
	var eid int64
	if err := db.QueryRowContext(ctx, `INSERT INTO elections (name, kind, created) VALUES ('w', 'presidential', $1) RETURNING id`,
		time.Now().UTC().Format(store.TimeLayout)).Scan(&eid); err != nil {
		t.Fatal(err)
	}
	return &writerFixture{db: db, org: org.ID, eid: eid, formID: sf.ID}
}

func (fx *writerFixture) job(clientID string) *store.CommitJob {
	now := time.Now().UTC()
	answers, _ := json.Marshal(map[string]any{"station": 1, "overall": "good"})
	return store.NewTestJob(&store.CommitJob{
		Report: &store.Report{OrgID: fx.org, ElectionID: fx.eid, FormID: fx.formID, Phase: "voting", Channel: "api",
			ClientID: clientID, Answers: answers, Submitted: now, Received: now},
		Audit: store.AuditEntry{OrgID: fx.org, Actor: "test", Channel: "api", Action: "report.submit"},
	})
}

// queuedWriter is a writer whose queue already holds jobs when its loop
// starts, so that the loop's first batch is exactly those jobs: batching
// is then a fact, not a race.
func queuedWriter(db *store.DB, jobs []*store.CommitJob, log ...*slog.Logger) *store.GroupCommit {
	var l *slog.Logger
	if len(log) > 0 {
		l = log[0]
	}
	return store.QueuedGroupCommit(db, jobs, l)
}

func (fx *writerFixture) count(t *testing.T, q string) int {
	t.Helper()
	var n int
	if err := fx.db.QueryRowContext(context.Background(), q, fx.org).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Jobs queued together commit in one transaction; a client id twice in a
// batch is stored once, both callers getting its id.
func TestWriterBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newWriterFixture(t, db)
		var jobs []*store.CommitJob
		for i := range 50 {
			jobs = append(jobs, fx.job(fmt.Sprintf("client-%04d", i)))
		}
		jobs = append(jobs, fx.job("client-0007"))
		sends := store.PipelineSends()
		w := queuedWriter(db, jobs)
		defer w.Close()
		ids := map[int64]bool{}
		for i, j := range jobs {
			r, err := store.JobResult(j)
			if err != nil {
				t.Fatalf("job %d: %v", i, err)
			}
			if want := i < 50; r.Created != want {
				t.Errorf("job %d created %v, want %v", i, r.Created, want)
			}
			ids[r.ID] = true
		}
		if len(ids) != 50 {
			t.Errorf("%d distinct ids for 50 client ids", len(ids))
		}
		if st := w.Stats(); st.Batches != 1 || st.Reports != 51 {
			t.Errorf("stats %+v: want the 51 queued jobs in one transaction", st)
		}
		// On PostgreSQL the commit's writes, locks and reads that wait
		// for a later round trip went as queues (observe_agg_pipe.go).
		if sent := store.PipelineSends() - sends; (db.Dialect == store.Postgres) != (sent > 0) {
			t.Errorf("%d queues sent on %s", sent, db.Dialect)
		}
		if n := fx.count(t, `SELECT count(*) FROM reports WHERE org_id = $1`); n != 50 {
			t.Errorf("%d reports stored, want 50", n)
		}
		if n := fx.count(t, `SELECT count(*) FROM audit WHERE org_id = $1 AND action = 'report.submit'`); n != 50 {
			t.Errorf("%d audit entries, want one per new report (50)", n)
		}
	})
}

// A batch that fails is rolled back and replayed one job per transaction:
// the bad job gets its error, the others are stored, nothing is doubled.
func TestWriterReplaysAFailedBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newWriterFixture(t, db)
		jobs := []*store.CommitJob{fx.job("good-0001"), fx.job("good-0002"), fx.job("bad-00001"), fx.job("good-0003")}
		jobs[2].Report.FormID = 987654 // no such form: the foreign key fails the batch's insert
		var logged bytes.Buffer
		w := queuedWriter(db, jobs, slog.New(slog.NewJSONHandler(&logged, nil)))
		for i, j := range jobs {
			r, err := store.JobResult(j)
			if bad := i == 2; (err != nil) != bad {
				t.Errorf("job %d: err %v, want an error only for the bad one", i, err)
			}
			if i != 2 && (!r.Created || r.ID == 0) {
				t.Errorf("job %d: %+v, want stored", i, r)
			}
		}
		if st := w.Stats(); st.Batches != 4 || st.Reports != 4 {
			t.Errorf("stats %+v: want the failed batch replayed as 4 transactions", st)
		}
		if n := fx.count(t, `SELECT count(*) FROM reports WHERE org_id = $1`); n != 3 {
			t.Errorf("%d reports stored, want the 3 good ones", n)
		}
		if n := fx.count(t, `SELECT count(*) FROM audit WHERE org_id = $1`); n != 3 {
			t.Errorf("%d audit entries, want 3", n)
		}
		// The replay and the lost report are logged (issue 11), with the
		// client id but never the answers.
		w.Close()
		out := logged.String()
		for _, want := range []string{`"level":"WARN","msg":"group commit failed: replaying the batch one report at a time","batch":4`, `"level":"ERROR","msg":"report not stored"`, `"client_id":"bad-00001"`} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %s:\n%s", want, out)
			}
		}
		if strings.Contains(out, "answers") {
			t.Errorf("log carries report content:\n%s", out)
		}
	})
}

// Closing the writer commits what was queued before the stop, answers
// every caller, and refuses later submissions.
func TestWriterShutdown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newWriterFixture(t, db)
		var jobs []*store.CommitJob
		for i := range 20 {
			jobs = append(jobs, fx.job(fmt.Sprintf("late-%04d", i)))
		}
		w := queuedWriter(db, jobs)
		w.Close()
		for i, j := range jobs {
			_, answered, err := store.JobAnswered(j)
			if !answered {
				t.Fatalf("job %d queued before the stop was left unanswered", i)
			}
			if err != nil {
				t.Errorf("job %d queued before the stop: %v", i, err)
			}
		}
		if n := fx.count(t, `SELECT count(*) FROM reports WHERE org_id = $1`); n != 20 {
			t.Errorf("%d reports stored, want the 20 queued before the stop", n)
		}
		if _, err := w.Submit(context.Background(), fx.job("after-0001")); !errors.Is(err, store.ErrClosed) {
			t.Errorf("submission after close: %v, want ErrClosed", err)
		}
	})
}

// TestWriterGivesBackItsSettings: on SQLite the writer's connection has no
// busy handler and no automatic checkpoint; when a failed batch or Close
// gives it back to the pool, it must have both again, or the next caller
// handed it fails at once with "database is locked" whenever someone else
// writes.
func TestWriterGivesBackItsSettings(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	fx := newWriterFixture(t, db)
	jobs := []*store.CommitJob{fx.job("good-0001"), fx.job("bad-00001")}
	jobs[1].Report.FormID = 987654 // no such form: its transaction fails
	w := queuedWriter(db, jobs)
	for _, j := range jobs {
		store.JobResult(j)
	}
	w.Close()
	// Every connection the pool holds, at once, so that each is a
	// different one.
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 8 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var busy, auto int
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil {
			t.Fatal(err)
		}
		if busy == 0 || auto == 0 {
			t.Fatalf("pooled connection %d: busy_timeout %d, wal_autocheckpoint %d: the writer's settings leaked into the pool", i, busy, auto)
		}
	}
}

// The group commit runs two writers on PostgreSQL, but one when the pool
// is too small to leave connections for the reads, and one on SQLite.
func TestWriterCount(t *testing.T) {
	ctx := context.Background()
	addr := storetest.PostgresAddr(t)
	for _, c := range []struct {
		conns, want int
	}{{32, 2}, {6, 2}, {5, 1}, {2, 1}} {
		db, err := store.OpenWith(ctx, addr, store.PoolOptions{MaxConns: c.conns})
		if err != nil {
			t.Fatal(err)
		}
		w := store.NewGroupCommit(db)
		if got := w.Writers(); got != c.want {
			t.Errorf("--db-max-conns %d: %d writers, want %d", c.conns, got, c.want)
		}
		w.Close()
		db.Close()
	}
	w := store.NewGroupCommit(storetest.SQLite(t))
	defer w.Close()
	if got := w.Writers(); got != 1 {
		t.Errorf("SQLite: %d writers, want 1", got)
	}
}

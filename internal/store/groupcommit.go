package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/translog"
)

// The writer is vigil's group commit. With synchronous=FULL every SQLite
// commit waits for the disk (an fsync of the WAL); one commit per report
// would cap intake at the disk's fsync rate. Instead every submission goes
// to one goroutine that takes whatever has queued up while the previous
// commit was syncing, writes it all in one transaction, commits once, and
// only then acknowledges each submission. Under no load a report waits for
// one commit, as before; under load, hundreds share one fsync. On
// PostgreSQL two such goroutines take batches from the one queue
// (pgWriters): they write at once as two instances would, serialised where
// they touch the same rows by the locks the store takes for several
// instances anyway (lockObs, lockResults, the log's row).
//
// A failure in a batch (which validation makes rare: a foreign key, a
// UNIQUE of the protocols table raced by another server on PostgreSQL)
// rolls the batch back and replays its jobs one transaction each, so that
// one bad report never takes others down with it.

// MaxBatch bounds the reports of one transaction.
const MaxBatch = 512

// CommitJob is one report for the group commit, with what is stored in
// its transaction: the observer protocol of a counting report, the SMS it
// came in, its audit entry (Object is filled with the report's id).
type CommitJob struct {
	Report   *Report
	Protocol *election.Protocol
	SMS      *SMSMessage
	Audit    AuditEntry
	done     chan jobResult
	// leafTail is the report's leaf encoding but for its id, and its
	// packed form (makeReportTail), made by the submitter before
	// queueing; zero: the writer makes it.
	leafTail reportTail
}

// CommitResult is a committed report: its id, whether this job created it
// (false: a resend of a client id already stored) and its receipt.
type CommitResult struct {
	ID      int64
	Created bool
	Receipt translog.Receipt // the report's leaf in the transparency log
}

type jobResult struct {
	CommitResult
	err error
}

// CommitHook is told of every group commit: the reports it wrote, the
// reports still queued behind it and the time it took. The metrics use it.
type CommitHook func(batch, queued int, d time.Duration)

// GroupCommit is the group commit's writer goroutines (one; two on
// PostgreSQL: see above) and their queue.
type GroupCommit struct {
	db      *DB
	writers []*writer
	queue   chan *CommitJob
	stop    chan struct{}
	// NoLog leaves the transparency log out, only for the benchmark that
	// measures what the log costs; the service never sets it.
	NoLog bool
	// logHint is the log's state as this instance's last append left it
	// (its writers share it: each append waits for the one before): on
	// PostgreSQL, while no other instance appends, an append is then one
	// statement (see appendHinted).
	logHint logHint
	wg      sync.WaitGroup
	hook    atomic.Pointer[CommitHook]
	log     atomic.Pointer[slog.Logger] // nil: slog.Default()

	// importing: an import holds a lease file beside the SQLite database
	// (checked by the checkpointer); see yieldToImport.
	importing atomic.Bool

	mu         sync.Mutex
	batches    int64
	jobs       int64
	commitTime time.Duration
	maxCommit  time.Duration
}

// writer is one goroutine of the group commit, with its own connection
// (the log hint is the instance's, shared by its writers).
type writer struct {
	conn *sql.Conn // see connection
}

// pgWriters is how many writers an instance runs on PostgreSQL. A commit
// there is a chain of round trips in which the writer's CPU (recomputing
// the groups) and the server's alternate; a second writer computes its
// batch while the first waits for the server, and the two serialise only
// where they touch the same rows (lockObs, the log). On SQLite the
// database's one write lock leaves nothing to gain.
const pgWriters = 2

func (w *GroupCommit) logger() *slog.Logger {
	if l := w.log.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// NewGroupCommit starts the writers; Close stops them.
func NewGroupCommit(db *DB) *GroupCommit {
	w := &GroupCommit{db: db, queue: make(chan *CommitJob, 4*MaxBatch), stop: make(chan struct{})}
	n := 1
	// Each writer keeps a connection of the pool: a small pool
	// (--db-max-conns) keeps the others for the reads.
	if db.Dialect == Postgres && db.Stats().MaxOpenConnections >= 3*pgWriters {
		n = pgWriters
	}
	for range n {
		ws := &writer{}
		w.writers = append(w.writers, ws)
		w.wg.Add(1)
		go w.loop(ws)
	}
	if db.Dialect == SQLite {
		w.wg.Add(1)
		go w.checkpointer()
	}
	return w
}

// SQLite checkpoints the WAL into the database file when a commit finds
// the WAL longer than 1000 pages, inside that commit: every few thousand
// reports one commit would pay for copying 4 MB and an fsync of the
// database file, and every report waiting on it would see the delay. The
// writer's own connection turns that off; this goroutine checkpoints
// instead, off the acknowledgement path, every checkpointEvery.
const checkpointEvery = 250 * time.Millisecond

func (w *GroupCommit) checkpointer() {
	defer w.wg.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			if w.db.Closed() {
				// The database went first (a test, or a shutdown out of
				// order): there is nothing left to checkpoint.
				return
			}
			w.importing.Store(w.db.importRunning())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := w.db.CheckpointWAL(ctx); err != nil {
				// Not fatal (the next tick tries again), but a WAL that is
				// never copied back grows without bound: say so.
				w.logger().Warn("WAL checkpoint failed", "err", err)
			}
			cancel()
		}
	}
}

// connection returns the writer's own connection, opening it when needed.
func (w *GroupCommit) connection(ctx context.Context, ws *writer) (*sql.Conn, error) {
	if ws.conn != nil {
		return ws.conn, nil
	}
	c, err := w.db.WriterConn(ctx)
	if err != nil {
		return nil, err
	}
	ws.conn = c
	return c, nil
}

// inTx runs fn in a transaction on the writer's connection; after a
// failure the connection is dropped and the next batch opens another (a
// PostgreSQL restart, say).
func (w *GroupCommit) inTx(ctx context.Context, ws *writer, fn func(tx *sql.Tx) error) (err error) {
	c, err := w.connection(ctx, ws)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && ws.conn != nil {
			w.db.ReleaseWriterConn(ws.conn)
			ws.conn = nil
		}
	}()
	var tx *sql.Tx
	if w.db.Dialect == SQLite {
		tx, err = beginWrite(ctx, c, sqliteBusyTimeout)
	} else {
		tx, err = c.BeginTx(ctx, nil)
	}
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Submit queues a job and waits for its commit (or ctx's end: the job may
// still commit, which a client's retry with the same client id will see).
func (w *GroupCommit) Submit(ctx context.Context, j *CommitJob) (CommitResult, error) {
	r, err := w.submit(ctx, j)
	return r.CommitResult, err
}

func (w *GroupCommit) submit(ctx context.Context, j *CommitJob) (jobResult, error) {
	j.done = make(chan jobResult, 1)
	if !w.NoLog {
		// Encoding and hashing the report's leaf depend on everything but
		// its id, which the writer assigns: done here, in the submitter's
		// goroutine, many submitters' leaves are encoded in parallel and
		// the writer, which every submission waits for, does not.
		j.leafTail = makeReportTail(j.Report)
	}
	// A select between a free queue slot and a closed stop picks either:
	// after close, nothing reads the queue, and the caller would wait for
	// ever. So a stopped writer refuses first.
	select {
	case <-w.stop:
		return jobResult{}, ErrClosed
	default:
	}
	select {
	case w.queue <- j:
	case <-ctx.Done():
		return jobResult{}, ctx.Err()
	case <-w.stop:
		return jobResult{}, ErrClosed
	}
	select {
	case r := <-j.done:
		return r, r.err
	case <-ctx.Done():
		return jobResult{}, ctx.Err()
	}
}

// ErrClosed refuses a submission to a stopped group commit.
var ErrClosed = errors.New("group commit: shutting down")

func (w *GroupCommit) loop(ws *writer) {
	defer w.wg.Done()
	batch := make([]*CommitJob, 0, MaxBatch)
	for {
		var first *CommitJob
		select {
		case first = <-w.queue:
		case <-w.stop:
			// Drain what was queued before the stop so no caller hangs.
			for {
				select {
				case j := <-w.queue:
					w.commit(ws, []*CommitJob{j})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < MaxBatch {
			select {
			case j := <-w.queue:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		w.commit(ws, batch)
		w.yieldToImport()
	}
}

// importGap is the pause the writer leaves after each commit while an
// import runs on SQLite.
const importGap = 2 * time.Millisecond

// yieldToImport leaves SQLite's write lock free for importGap after a
// commit while an import runs (in this process or another). Under load the
// writer begins its next transaction within microseconds of each commit,
// and an import waiting for the lock between its chunks in SQLite's busy
// handler failed with "database is locked" beside 200 submitting observers
// (issue 9). The import now polls (importRun.beginTx); the pause makes
// sure it finds a gap even when polling alone would not (in
// TestImportBesideBusyWriter either suffices, neither fails). It costs the
// writer about a tenth of its throughput, and only while an import runs,
// which holds the lock for whole chunks anyway.
func (w *GroupCommit) yieldToImport() {
	if w.importing.Load() {
		time.Sleep(importGap)
	}
}

func (w *GroupCommit) commit(ws *writer, batch []*CommitJob) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make([]jobResult, len(batch))
	t0 := time.Now()
	err := w.inTx(ctx, ws, func(tx *sql.Tx) error {
		// With its connection: on PostgreSQL, statements whose results
		// are not read wait for the next round trip (observe_agg_pipe.go).
		// (On SQLite the bare transaction: its leaves' and loaders' fast
		// paths look for a *sql.Tx.)
		var q Querier = tx
		p := newPipeline(ws.conn, w.db.Dialect)
		if p != nil {
			q = pipeQ{tx, p}
		}
		err := writeBatch(ctx, q, w.db.Dialect, batch, results, !w.NoLog, &w.logHint)
		if p != nil && p.err != nil {
			// The queue's failure, not what a statement after it said of
			// the aborted transaction.
			return p.err
		}
		if err != nil {
			return err
		}
		return p.flush(ctx)
	})
	if err != nil && len(batch) > 1 {
		// One bad report (or a deadlock with another instance writing the
		// same retried report) must not fail its neighbours: replay the
		// batch one report at a time. Said at warning level, since it
		// costs a commit per report while it lasts.
		w.logger().Warn("group commit failed: replaying the batch one report at a time", "batch", len(batch), "err", err)
		for _, j := range batch {
			w.commit(ws, []*CommitJob{j})
		}
		return
	}
	if err != nil {
		// Only the operation and the error: never the report's content.
		w.logger().Error("report not stored", "channel", batch[0].Report.Channel, "client_id", batch[0].Report.ClientID, "err", err)
	}
	d := time.Since(t0)
	w.mu.Lock()
	w.batches++
	w.jobs += int64(len(batch))
	w.commitTime += d
	w.maxCommit = max(w.maxCommit, d)
	w.mu.Unlock()
	if h := w.hook.Load(); h != nil && *h != nil {
		(*h)(len(batch), len(w.queue), d)
	}
	for i, j := range batch {
		if err != nil {
			results[i] = jobResult{err: err}
		}
		j.done <- results[i]
	}
}

// writeBatch stores a batch in tx: the reports (each client id once) with
// one statement, then the observer protocols of the new counting reports,
// the SMS records, and one audit entry per new report.
func writeBatch(ctx context.Context, tx Querier, d Dialect, batch []*CommitJob, results []jobResult, logged bool, hint *logHint) error {
	reports := make([]*Report, len(batch))
	for i, j := range batch {
		reports[i] = j.Report
	}
	created, err := InsertReports(ctx, tx, d, reports)
	if err != nil {
		return err
	}
	// An observer's protocol copy takes the next version of its station's
	// (the max read in InsertProtocol): the election's results lock first,
	// which ApplyProtocols takes below anyway, so that two instances
	// storing copies of one station (two organisations' observers) do not
	// both take the same version and fail on UNIQUE (area, source,
	// version). In election order: two writers never wait in a cycle.
	var withProtocols []int64
	for i, j := range batch {
		if created[i] && j.Protocol != nil && !slices.Contains(withProtocols, j.Report.ElectionID) {
			withProtocols = append(withProtocols, j.Report.ElectionID)
		}
	}
	slices.Sort(withProtocols)
	for _, id := range withProtocols {
		if err := lockResults(ctx, qLoader{tx, d}, id); err != nil {
			return err
		}
	}
	var audit []AuditEntry
	var newReports []*Report
	var newTails []reportTail
	var newProtocols []int64
	for i, j := range batch {
		id := j.Report.ID
		results[i] = jobResult{CommitResult: CommitResult{ID: id, Created: created[i]}}
		if created[i] {
			newReports = append(newReports, j.Report)
			newTails = append(newTails, j.leafTail)
			if j.Protocol != nil {
				j.Protocol.ReportID = id
				if err := InsertProtocol(ctx, tx, j.Report.ElectionID, j.Protocol); err != nil {
					return err
				}
				newProtocols = append(newProtocols, j.Protocol.ID)
			}
			j.Audit.Object = "report:" + strconv.FormatInt(id, 10)
			audit = append(audit, j.Audit)
		}
		if j.SMS != nil {
			j.SMS.ReportID = id
			if _, err := InsertSMS(ctx, tx, j.SMS); err != nil {
				return err
			}
		}
	}
	if !logged {
		if err := AuditMany(ctx, tx, d, audit); err != nil {
			return err
		}
	}
	// The results aggregates count the protocol copies in this transaction.
	if err := ApplyProtocols(ctx, tx, d, newProtocols); err != nil {
		return err
	}
	if !logged {
		return touchBatch(ctx, tx, d, newReports, len(newProtocols) > 0)
	}
	// The whole batch's leaves in one append, last, so that the log's lock
	// is held only for it and the commit; the audit entries go with them
	// (on PostgreSQL in the same statement).
	rcs, err := logReports(ctx, tx, d, newReports, newTails, newProtocols, hint, audit)
	if err != nil {
		return err
	}
	var dups []string
	for i, j := range batch {
		ref := translog.Ref("reports", j.Report.ID)
		if rc, ok := rcs[ref]; ok {
			results[i].Receipt = rc
		} else {
			dups = append(dups, ref)
		}
	}
	if len(dups) > 0 {
		// A resend: the receipt of the first copy.
		first, err := FirstReceipts(ctx, tx, dups)
		if err != nil {
			return err
		}
		for i, j := range batch {
			if rc, ok := first[translog.Ref("reports", j.Report.ID)]; ok && !created[i] {
				results[i].Receipt = rc
			}
		}
	}
	return touchBatch(ctx, tx, d, newReports, len(newProtocols) > 0)
}

// touchBatch announces a batch's new reports (and observers' protocols) to
// every instance, last in the transaction (Touch says why); a batch
// of resends only changes nothing.
func touchBatch(ctx context.Context, tx Querier, d Dialect, reports []*Report, protocols bool) error {
	if len(reports) == 0 {
		return nil
	}
	elections := make([]int64, len(reports))
	for i, r := range reports {
		elections[i] = r.ElectionID
	}
	kinds := []ChangeKind{ChangeReports}
	if protocols {
		kinds = append(kinds, ChangeProtocols)
	}
	return Touch(ctx, tx, d, elections, kinds...)
}

// SetLogger sets where failed commits are logged (nil: slog.Default()).
func (w *GroupCommit) SetLogger(l *slog.Logger) { w.log.Store(l) }

// OnCommit sets the hook called after each group commit (nil: none).
func (w *GroupCommit) OnCommit(h CommitHook) { w.hook.Store(&h) }

// Logger is where the group commit logs.
func (w *GroupCommit) Logger() *slog.Logger { return w.logger() }

// Close stops the writer after the queued reports are committed; later
// submissions get ErrClosed.
func (w *GroupCommit) Close() { w.close() }

func (w *GroupCommit) close() {
	close(w.stop)
	w.wg.Wait()
	// A submission that slipped into the queue after the loop's last
	// drain is refused, not left waiting.
	for {
		select {
		case j := <-w.queue:
			j.done <- jobResult{err: ErrClosed}
			continue
		default:
		}
		break
	}
	for _, ws := range w.writers {
		if ws.conn != nil {
			w.db.ReleaseWriterConn(ws.conn)
		}
	}
}

// WriterStats is what the group commit has done: transactions and reports
// committed.
type WriterStats struct {
	Batches    int64         `json:"batches"`
	Reports    int64         `json:"reports"`
	CommitTime time.Duration `json:"commit_time_ns"` // spent in transactions, in all
	MaxCommit  time.Duration `json:"max_commit_ns"`
}

// Stats reports the group commit's transactions and reports.
func (w *GroupCommit) Stats() WriterStats { return w.stats() }

func (w *GroupCommit) stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return WriterStats{w.batches, w.jobs, w.commitTime, w.maxCommit}
}

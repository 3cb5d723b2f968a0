package observe

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
)

// The writer is vigil's group commit. With synchronous=FULL every SQLite
// commit waits for the disk (an fsync of the WAL); one commit per report
// would cap intake at the disk's fsync rate. Instead every submission goes
// to one goroutine that takes whatever has queued up while the previous
// commit was syncing, writes it all in one transaction, commits once, and
// only then acknowledges each submission. Under no load a report waits for
// one commit, as before; under load, hundreds share one fsync.
//
// A failure in a batch (which validation makes rare: a foreign key, a
// UNIQUE of the protocols table raced by another server on PostgreSQL)
// rolls the batch back and replays its jobs one transaction each, so that
// one bad report never takes others down with it.

// MaxBatch bounds the reports of one transaction.
const MaxBatch = 512

type job struct {
	report   *store.Report
	protocol *election.Protocol
	sms      *store.SMSMessage
	audit    store.AuditEntry
	done     chan jobResult
}

type jobResult struct {
	id      int64
	created bool
	receipt translog.Receipt // the report's leaf in the transparency log
	err     error
}

type writer struct {
	db    *store.DB
	conn  *sql.Conn // the writer goroutine's own; see connection
	queue chan *job
	stop  chan struct{}
	// noLog leaves the transparency log out, only for the benchmark that
	// measures what the log costs; the service never sets it.
	noLog bool
	wg    sync.WaitGroup
	hook  atomic.Pointer[CommitHook]
	log   atomic.Pointer[slog.Logger] // nil: slog.Default()

	mu         sync.Mutex
	batches    int64
	jobs       int64
	commitTime time.Duration
	maxCommit  time.Duration
}

func (w *writer) logger() *slog.Logger {
	if l := w.log.Load(); l != nil {
		return l
	}
	return slog.Default()
}

func newWriter(db *store.DB) *writer {
	w := &writer{db: db, queue: make(chan *job, 4*MaxBatch), stop: make(chan struct{})}
	w.wg.Add(1)
	go w.loop()
	if db.Dialect == store.SQLite {
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

func (w *writer) checkpointer() {
	defer w.wg.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
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

// conn returns the writer's own connection, opening it when needed.
func (w *writer) connection(ctx context.Context) (*sql.Conn, error) {
	if w.conn != nil {
		return w.conn, nil
	}
	c, err := w.db.WriterConn(ctx)
	if err != nil {
		return nil, err
	}
	w.conn = c
	return c, nil
}

// inTx runs fn in a transaction on the writer's connection; after a
// failure the connection is dropped and the next batch opens another (a
// PostgreSQL restart, say).
func (w *writer) inTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	c, err := w.connection(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && w.conn != nil {
			w.conn.Close()
			w.conn = nil
		}
	}()
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// submit queues a job and waits for its commit (or ctx's end: the job may
// still commit, which a client's retry with the same client id will see).
func (w *writer) submit(ctx context.Context, j *job) (jobResult, error) {
	j.done = make(chan jobResult, 1)
	// A select between a free queue slot and a closed stop picks either:
	// after close, nothing reads the queue, and the caller would wait for
	// ever. So a stopped writer refuses first.
	select {
	case <-w.stop:
		return jobResult{}, errClosed
	default:
	}
	select {
	case w.queue <- j:
	case <-ctx.Done():
		return jobResult{}, ctx.Err()
	case <-w.stop:
		return jobResult{}, errClosed
	}
	select {
	case r := <-j.done:
		return r, r.err
	case <-ctx.Done():
		return jobResult{}, ctx.Err()
	}
}

var errClosed = errors.New("observe: service is shutting down")

func (w *writer) loop() {
	defer w.wg.Done()
	batch := make([]*job, 0, MaxBatch)
	for {
		var first *job
		select {
		case first = <-w.queue:
		case <-w.stop:
			// Drain what was queued before the stop so no caller hangs.
			for {
				select {
				case j := <-w.queue:
					w.commit([]*job{j})
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
		w.commit(batch)
	}
}

func (w *writer) commit(batch []*job) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make([]jobResult, len(batch))
	t0 := time.Now()
	err := w.inTx(ctx, func(tx *sql.Tx) error { return writeBatch(ctx, tx, w.db.Dialect, batch, results, !w.noLog) })
	if err != nil && len(batch) > 1 {
		// One bad report (or a deadlock with another instance writing the
		// same retried report) must not fail its neighbours: replay the
		// batch one report at a time. Said at warning level, since it
		// costs a commit per report while it lasts.
		w.logger().Warn("group commit failed: replaying the batch one report at a time", "batch", len(batch), "err", err)
		for _, j := range batch {
			w.commit([]*job{j})
		}
		return
	}
	if err != nil {
		// Only the operation and the error: never the report's content.
		w.logger().Error("report not stored", "channel", batch[0].report.Channel, "client_id", batch[0].report.ClientID, "err", err)
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
func writeBatch(ctx context.Context, tx *sql.Tx, d store.Dialect, batch []*job, results []jobResult, logged bool) error {
	reports := make([]*store.Report, len(batch))
	for i, j := range batch {
		reports[i] = j.report
	}
	created, err := store.InsertReports(ctx, tx, d, reports)
	if err != nil {
		return err
	}
	var audit []store.AuditEntry
	var newReports []*store.Report
	var newProtocols []int64
	for i, j := range batch {
		id := j.report.ID
		results[i] = jobResult{id: id, created: created[i]}
		if created[i] {
			newReports = append(newReports, j.report)
			if j.protocol != nil {
				j.protocol.ReportID = id
				if err := store.InsertProtocol(ctx, tx, j.report.ElectionID, j.protocol); err != nil {
					return err
				}
				newProtocols = append(newProtocols, j.protocol.ID)
			}
			j.audit.Object = "report:" + itoa(id)
			audit = append(audit, j.audit)
		}
		if j.sms != nil {
			j.sms.ReportID = id
			if _, err := store.InsertSMS(ctx, tx, j.sms); err != nil {
				return err
			}
		}
	}
	if err := store.AuditMany(ctx, tx, d, audit); err != nil {
		return err
	}
	if !logged {
		return touchBatch(ctx, tx, d, newReports, len(newProtocols) > 0)
	}
	// The whole batch's leaves in one append, last, so that the log's lock
	// is held only for it and the commit.
	rcs, err := store.LogReports(ctx, tx, d, newReports, newProtocols)
	if err != nil {
		return err
	}
	var dups []string
	for i, j := range batch {
		ref := translog.Ref("reports", j.report.ID)
		if rc, ok := rcs[ref]; ok {
			results[i].receipt = rc
		} else {
			dups = append(dups, ref)
		}
	}
	if len(dups) > 0 {
		// A resend: the receipt of the first copy.
		first, err := store.FirstReceipts(ctx, tx, dups)
		if err != nil {
			return err
		}
		for i, j := range batch {
			if rc, ok := first[translog.Ref("reports", j.report.ID)]; ok && !created[i] {
				results[i].receipt = rc
			}
		}
	}
	return touchBatch(ctx, tx, d, newReports, len(newProtocols) > 0)
}

// touchBatch announces a batch's new reports (and observers' protocols) to
// every instance, last in the transaction (store.Touch says why); a batch
// of resends only changes nothing.
func touchBatch(ctx context.Context, tx *sql.Tx, d store.Dialect, reports []*store.Report, protocols bool) error {
	if len(reports) == 0 {
		return nil
	}
	elections := make([]int64, len(reports))
	for i, r := range reports {
		elections[i] = r.ElectionID
	}
	kinds := []store.ChangeKind{store.ChangeReports}
	if protocols {
		kinds = append(kinds, store.ChangeProtocols)
	}
	return store.Touch(ctx, tx, d, elections, kinds...)
}

func (w *writer) close() {
	close(w.stop)
	w.wg.Wait()
	// A submission that slipped into the queue after the loop's last
	// drain is refused, not left waiting.
	for {
		select {
		case j := <-w.queue:
			j.done <- jobResult{err: errClosed}
			continue
		default:
		}
		break
	}
	if w.conn != nil {
		w.conn.Close()
	}
}

// Stats is what the writer has done: transactions and reports committed.
type Stats struct {
	Batches    int64         `json:"batches"`
	Reports    int64         `json:"reports"`
	CommitTime time.Duration `json:"commit_time_ns"` // spent in transactions, in all
	MaxCommit  time.Duration `json:"max_commit_ns"`
}

func (w *writer) stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Stats{w.batches, w.jobs, w.commitTime, w.maxCommit}
}

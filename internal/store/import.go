package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/translog"
)

// Row is one polling station's protocol as an import reads it.
type Row struct {
	Line    int               // where it came from, for messages
	Path    []string          // area names from level 1 down to the station
	Attrs   map[string]string // extra station attributes (stratum, flags)
	Figures election.Figures
	Votes   []int64 // by the position of ImportRequest.Options
}

// ImportRequest describes one batch.
type ImportRequest struct {
	ElectionID int64
	// Create, when set (and ElectionID 0), is a new election that the
	// import creates inside its transaction, with its options, root area
	// and configuration: an import that fails leaves no election behind.
	// Its ID is set on success. An election of the same name is an error.
	Create *election.Election
	// AreaLevels, when set, names the levels of an election that has none
	// yet (its configuration is updated in the import's transaction).
	AreaLevels []string
	Source     election.Source
	File       string   // the file's name as given
	SHA256     string   // of the file's bytes
	Options    []string // option names, in the order of Row.Votes
	// Rejected, when set, is asked at the end of the import how many rows
	// the caller set aside (--skip-invalid), which only then is known.
	Rejected func() int
}

// Import loads a batch of protocols: either every row is stored, as new
// versions beside any earlier ones, or nothing is (a bad row, a cancelled
// context or a killed process leave the database as readers saw it).
// Areas named by the rows' paths are created as needed. Options the
// election does not have yet are added to it. next yields rows until
// io.EOF; any other error from it aborts the import and is returned as is.
//
// The rows are written in chunks, each in a short transaction of its own,
// into a batch that stays pending (invisible to every reader, see
// visibility.go) until a short final transaction makes it visible: no lock
// is held for the import's duration, so observers' submissions go on
// beside a national file (issue 9). A failed import removes its rows; one
// whose process died is swept when the database is next opened
// (SweepImports). Memory does not grow with the file beyond a few bytes a
// row: stations are looked up in the database chunk by chunk, not held.
func (db *DB) Import(ctx context.Context, req ImportRequest, next func() (Row, error)) (_ *election.Batch, err error) {
	var e *election.Election
	if req.Create != nil {
		c := *req.Create
		if err := checkNewElection(&c); err != nil {
			return nil, err
		}
		e = &c
	} else {
		var err error
		if e, err = db.Election(ctx, req.ElectionID); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	r := &importRun{db: db, conn: conn, d: db.Dialect, e: e, req: req, startOpts: len(e.Options)}
	b, err := r.run(ctx, next)
	if err != nil {
		return nil, err
	}
	if req.Create != nil {
		*req.Create = *e
	}
	if db.OnImport != nil {
		db.OnImport(b.Rows, time.Since(start))
	}
	return b, nil
}

// createElectionTx stores a new election, its options and its root area in
// an import's transaction (the import takes its locks first).
func createElectionTx(ctx context.Context, l loader, e *election.Election) error {
	var n int
	if err := l.queryRow(ctx, `SELECT count(*) FROM elections WHERE name = $1`, e.Name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("an election named %q already exists", e.Name)
	}
	cfg, err := json.Marshal(e.Config)
	if err != nil {
		return err
	}
	if err := l.queryRow(ctx, `INSERT INTO elections (name, kind, country, date, config, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		e.Name, string(e.Kind), e.Country, e.Date, string(cfg), fmtTime(e.Created)).Scan(&e.ID); err != nil {
		return fmt.Errorf("creating election %q: %w", e.Name, err)
	}
	for i := range e.Options {
		o := &e.Options[i]
		o.Position = i
		if o.Kind == "" {
			o.Kind = election.Candidate
		}
		if err := l.exec(ctx, `INSERT INTO options (election_id, position, name, kind) VALUES ($1, $2, $3, $4)`, e.ID, i, o.Name, string(o.Kind)); err != nil {
			return fmt.Errorf("option %q: %w", o.Name, err)
		}
	}
	return l.exec(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station, attrs) VALUES ($1, NULL, 0, $2, '[]', 0, '{}')`, e.ID, e.Name)
}

// loader is what an import needs of a transaction; SQLite and PostgreSQL
// differ in how rows are bulk-inserted and in locking.
type loader interface {
	exec(ctx context.Context, q string, args ...any) error
	queryRow(ctx context.Context, q string, args ...any) interface{ Scan(...any) error }
	each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error
	insert(ctx context.Context, table string, cols []string, rows [][]any) error
	dialect() Dialect
}

type sqlLoader struct{ tx *sql.Tx }

func (s sqlLoader) dialect() Dialect { return SQLite }
func (s sqlLoader) exec(ctx context.Context, q string, args ...any) error {
	_, err := s.tx.ExecContext(ctx, q, args...)
	return err
}
func (s sqlLoader) queryRow(ctx context.Context, q string, args ...any) interface{ Scan(...any) error } {
	return s.tx.QueryRowContext(ctx, q, args...)
}
func (s sqlLoader) each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := s.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, fn)
}

// insert writes rows with multi-row INSERT statements: far fewer statement
// executions than one per row, which is what costs in SQLite.
func (s sqlLoader) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	return s.insertPer(ctx, table, cols, rows, max(1, 2000/len(cols)))
}

// insertPer inserts rows per rows a statement.
func (s sqlLoader) insertPer(ctx context.Context, table string, cols []string, rows [][]any, per int) error {
	return execChunked(ctx, s.tx, rows, per, func(n int) string { return insertSQL(table, cols, n) })
}

// execChunked runs the multi-row statement stmtFor(n) over rows, per rows
// at a time, preparing it again only when n changes (the last chunk).
func execChunked(ctx context.Context, tx *sql.Tx, rows [][]any, per int, stmtFor func(n int) string) error {
	// Anonymous "?" parameters: modernc's SQLite looks named ones ($1) up
	// by a linear scan, which makes a long statement quadratic.
	var stmt *sql.Stmt
	stmtRows := 0
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	for len(rows) > 0 {
		n := min(per, len(rows))
		if n != stmtRows {
			if stmt != nil {
				stmt.Close()
			}
			var err error
			stmt, err = tx.PrepareContext(ctx, stmtFor(n))
			if err != nil {
				return err
			}
			stmtRows = n
		}
		args := make([]any, 0, n*len(rows[0]))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func insertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}

type pgLoader struct{ tx pgx.Tx }

func (p pgLoader) dialect() Dialect { return Postgres }
func (p pgLoader) exec(ctx context.Context, q string, args ...any) error {
	_, err := p.tx.Exec(ctx, q, args...)
	return err
}
func (p pgLoader) queryRow(ctx context.Context, q string, args ...any) interface{ Scan(...any) error } {
	return p.tx.QueryRow(ctx, q, args...)
}
func (p pgLoader) each(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := p.tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return eachRow(rows, fn)
}

// insert streams rows with COPY, PostgreSQL's bulk load.
func (p pgLoader) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	_, err := p.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
	return err
}

var protocolCols = append(append([]string{"id", "election_id", "area_id", "source", "version", "batch_id"},
	strings.Split(figureCols, ", ")...), "votes", "received")

var importFlagCols = []string{"id", "flags"}

var areaInsertCols = []string{"id", "election_id", "parent_id", "level", "name", "path", "station", "attrs", "batch_id"}

// Chunk sizing. Each chunk is one transaction; on SQLite it holds the
// database's only write lock, which observers' submissions (the group
// commit) also need. The size adapts so that a chunk takes about
// chunkTarget, and on SQLite the import then waits half as long again
// (importYield) so that a waiting writer, which polls the lock
// (beginWrite), finds it free: while others write (importPause).
const (
	chunkMin    = 2048
	chunkMax    = 16384
	chunkFirst  = 4096
	chunkTarget = 80 * time.Millisecond
)

// importYield is how long the import pauses after a chunk that took d, on
// SQLite (PostgreSQL's writers do not share one lock: no pause), while
// other connections are writing: long enough for a waiting writer's next
// poll to find the lock free, and for its transaction to run.
var importYield = func(d time.Duration) time.Duration { return max(10*time.Millisecond, d/2) }

// When no other connection has committed since the import's last chunks
// (PRAGMA data_version), nobody seems to be waiting, and the import pauses
// importYieldQuiet only: the full pause after every chunk was 15 of a
// 1,000,000-station import's 76 s with nobody else writing (issue 9). A
// writer that waits is invisible until it commits, though: beginWrite
// (the group commit's) sleeps 2 ms at most between its tries, so a quiet
// pause of 5 ms leaves room for a late wake-up on a loaded machine; SQLite's
// own busy handler (every other writer) sleeps up to 100 ms between its
// tries, so every importQuietEvery-th chunk still pauses fully (a writer
// that happens to miss the quiet pauses waits about that many chunks);
// and the first commit seen makes every pause full again for
// importBusyChunks.
const (
	importYieldQuiet = 5 * time.Millisecond
	importQuietEvery = 4
	importBusyChunks = 8
)

// importPause is importYield adapted to whether others are writing: their
// commits seen (PRAGMA data_version changed) since the last chunk.
type importPause struct {
	version int64 // data_version after the last chunk, 0 before the first
	busy    int   // chunks still to pause fully for
	chunks  int
}

// next is the pause after a chunk that took d, given the connection's data
// version now.
func (p *importPause) next(d time.Duration, version int64) time.Duration {
	if p.version != 0 && version != p.version {
		p.busy = importBusyChunks
	}
	p.version = version
	p.chunks++
	if p.busy > 0 {
		p.busy--
		return importYield(d)
	}
	if p.chunks%importQuietEvery == 0 {
		return importYield(d)
	}
	return importYieldQuiet
}

// importCheckpointEvery is how many chunks an import writes on SQLite between
// its checkpoints of the write-ahead log.
const importCheckpointEvery = 16

// upperCap bounds the areas above stations that an import keeps in memory
// (path to id); past it, they are looked up in the database like stations.
const upperCap = 1 << 18

// importRun is one import in progress, on one connection of its own.
type importRun struct {
	db        *DB
	conn      *sql.Conn
	d         Dialect
	e         *election.Election
	req       ImportRequest
	b         *election.Batch
	lease     *importLease
	startOpts int // the election's options when the import began
	pos       []int
	newOpts   []string // options to add in the final transaction
	nOpts     int
	rootID    int64
	received  string
	rows      int

	upper     map[string]int64 // areas above stations, by path (bounded by upperCap)
	upperFull bool
	newAreas  int // areas the chunks created (ChangeAreas)
	// lookup: station paths are looked up in the database before they are
	// created. Off for an election that had no stations when the import
	// began (every station is new; a station twice in the file then fails
	// the chunk on the unique path, and the chunk is retried with lookup on
	// to name the lines).
	lookup bool

	// Each protocol's flags computed in Go as the chunks are written,
	// under the flag settings of key maskKey (see prepareBatchResults): on
	// SQLite into the connection's work table import_flags (flagTable);
	// not on PostgreSQL, whose chunks may run on different server sessions
	// behind PgBouncer, where a work table would not follow them.
	masker    *flagMasker
	maskKey   string
	flagTable bool

	// sums are the stations' deltas (stationDeltas' sums) of the rows
	// stored so far, while every row is a station the import created
	// (an election's first import): then each protocol is its station's
	// first, and the final transaction need not read a million of them
	// back to sum them. nil once a row is not.
	sums *deltaSums
	// On PostgreSQL, while sums are kept, each row's agg_change entry
	// (newFile).
	news *newFile

	// Where each stored protocol came from, for "appears twice" messages:
	// 12 bytes a row, kept in a temporary file rather than in memory,
	// which would then grow with the file (36 MB at 3,000,000 stations,
	// twice that while a slice grows).
	where *whereFile
}

func (r *importRun) run(ctx context.Context, next func() (Row, error)) (_ *election.Batch, err error) {
	defer func() {
		if err != nil && r.b != nil && r.b.ID != 0 {
			// Whatever failed (a row, the context, the database), the
			// import's rows go: with a context of its own, as ctx may be
			// the cancelled one.
			if serr := r.db.sweepBatch(context.Background(), r.b.ID, r.b.ElectionID); serr != nil {
				err = fmt.Errorf("%w (and removing its rows: %v; they stay invisible and are swept at the next open)", err, serr)
			}
		}
		r.lease.release()
		r.where.close()
		r.news.close()
		if r.flagTable {
			r.conn.ExecContext(context.Background(), `DROP TABLE IF EXISTS temp.import_flags`)
		}
	}()
	if err := r.begin(ctx); err != nil {
		return nil, err
	}
	if r.d == SQLite {
		// The chunks need not each reach the disk: the final
		// transaction's commit (synchronous FULL again) syncs the log
		// with every chunk's pages before the batch counts as stored.
		// Nor checkpoint after each: a chunk's commit would copy the log
		// into the database (and sync it) every time; load checkpoints
		// every few chunks instead, without blocking anyone (PASSIVE).
		if _, err := r.conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
			return nil, err
		}
		if _, err := r.conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
			return nil, err
		}
		defer r.conn.ExecContext(context.Background(), `PRAGMA wal_autocheckpoint = 1000`)
		defer r.conn.ExecContext(context.Background(), `PRAGMA synchronous = FULL`)
		// beginTx turns the busy handler off around each BEGIN; should
		// a failure leave it off, the pool must not get the connection so.
		defer r.conn.ExecContext(context.Background(), busyTimeoutPragma)
	}
	if err := r.load(ctx, next); err != nil {
		return nil, err
	}
	if err := r.check(ctx); err != nil {
		return nil, err
	}
	if err := r.finish(ctx); err != nil {
		return nil, err
	}
	return r.b, nil
}

// chunkTx runs fn in a transaction of its own on the import's connection:
// on PostgreSQL a pgx one, for COPY.
func (r *importRun) chunkTx(ctx context.Context, fn func(l loader) error) error {
	if r.d == SQLite {
		tx, err := r.beginTx(ctx)
		if err != nil {
			return err
		}
		if err := fn(sqlLoader{tx}); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	return r.conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background())
		if err := r.lease.renewChunk(ctx, pgLoader{tx}); err != nil {
			return err
		}
		if err := fn(pgLoader{tx}); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// importLockWait bounds how long an import on SQLite waits for the write
// lock before one of its transactions.
const importLockWait = 2 * time.Minute

// beginTx begins one of the import's database/sql transactions on its
// connection; on SQLite with beginWrite, the connection's busy_timeout off
// meanwhile (it stays on for the import's reads).
func (r *importRun) beginTx(ctx context.Context) (*sql.Tx, error) {
	if r.d != SQLite {
		return r.conn.BeginTx(ctx, nil)
	}
	if _, err := r.conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return nil, fmt.Errorf("waiting for the write lock: %w", err)
	}
	tx, err := beginWrite(ctx, r.conn, importLockWait)
	if err != nil {
		r.conn.ExecContext(context.Background(), busyTimeoutPragma)
		return nil, err
	}
	// Not with ctx: cancelled now, it would leave the connection without
	// its busy handler (run's deferred restore is the last resort).
	if _, err := tx.ExecContext(context.Background(), busyTimeoutPragma); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("waiting for the write lock: %w", err)
	}
	return tx, nil
}

// beginWrite begins a write transaction (BEGIN IMMEDIATE: the DSN's
// _txlock) on an SQLite connection whose busy_timeout is 0, trying for the
// write lock itself every millisecond at most, for up to wait. SQLite's own
// busy handler sleeps 100 ms between its tries once it has waited a third
// of a second, while the other side (an import between its chunks, the
// group-commit writer between its batches) may leave the lock free for a
// few milliseconds only: an import beside 200 submitting observers failed
// with "database is locked" after the busy timeout, its tries never falling
// in a gap (issue 9). Nothing is written before the lock is held, so a
// retry repeats nothing.
func beginWrite(ctx context.Context, c *sql.Conn, wait time.Duration) (*sql.Tx, error) {
	deadline := time.Now().Add(wait)
	pause := 100 * time.Microsecond
	for {
		tx, err := c.BeginTx(ctx, nil)
		if err == nil || !isBusy(err) {
			return tx, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waited %v for SQLite's write lock, held by another writer all along: %w", wait, err)
		}
		select {
		case <-time.After(pause + rand.N(pause)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		pause = min(2*pause, time.Millisecond)
	}
}

// isBusy reports an SQLite "database is locked" (SQLITE_BUSY and its
// extended codes).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// begin creates the pending batch (and the election, when the import
// creates one), takes the lease that tells sweepers the import is alive,
// and reads what the chunks need: the election's areas above stations.
func (r *importRun) begin(ctx context.Context) error {
	e, req := r.e, r.req
	lease, err := newImportLease(r.db)
	if err != nil {
		return err
	}
	r.lease = lease
	now := time.Now().UTC()
	r.received = fmtTime(now)
	r.b = &election.Batch{Source: req.Source, File: req.File, SHA256: req.SHA256, Created: now}
	err = r.chunkTx(ctx, func(l loader) error {
		if req.Create != nil {
			if err := createElectionTx(ctx, l, e); err != nil {
				return err
			}
			r.startOpts = len(e.Options)
		}
		r.b.ElectionID = e.ID
		if err := l.queryRow(ctx, `INSERT INTO batches (election_id, source, file, sha256, rows, rejected, created, pending) VALUES ($1, $2, $3, $4, 0, 0, $5, $6) RETURNING id`,
			e.ID, string(req.Source), req.File, req.SHA256, fmtTime(now), lease.token).Scan(&r.b.ID); err != nil {
			return err
		}
		if req.Create != nil {
			// The new election and its root stay invisible with the batch.
			if err := l.exec(ctx, `UPDATE elections SET batch_id = $1 WHERE id = $2`, r.b.ID, e.ID); err != nil {
				return err
			}
			if err := l.exec(ctx, `UPDATE areas SET batch_id = $1 WHERE election_id = $2`, r.b.ID, e.ID); err != nil {
				return err
			}
		}
		return lease.hold(ctx, l, r.b.ID)
	})
	if err != nil {
		r.b.ID = 0 // rolled back: nothing to sweep
		return err
	}
	lease.heartbeat(r.db)
	// Options: map the file's option order onto the election's positions;
	// options the election does not have yet get the next positions and
	// are added by the final transaction.
	r.pos = make([]int, len(req.Options))
	r.nOpts = len(e.Options)
	for i, name := range req.Options {
		p := e.OptionIndex(name)
		if p < 0 {
			for k, n := range r.newOpts {
				if n == name {
					p = len(e.Options) + k
				}
			}
		}
		if p < 0 {
			p = r.nOpts
			r.newOpts = append(r.newOpts, name)
			r.nOpts++
		}
		r.pos[i] = p
	}
	// The areas above stations, kept in memory (bounded); whether the
	// election has stations already (then station paths are looked up).
	r.upper = map[string]int64{}
	rows, err := r.conn.QueryContext(ctx, `SELECT id, path FROM areas WHERE election_id = $1 AND station = 0 AND (batch_id IS NULL OR batch_id = $2 OR batch_id NOT IN `+pendingBatches+`)`, e.ID, r.b.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			rows.Close()
			return err
		}
		if len(r.upper) < upperCap {
			r.upper[p] = id
		} else {
			r.upperFull = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var ok bool
	if r.rootID, ok = r.upper["[]"]; !ok {
		return fmt.Errorf("election %q has no root area", e.Name)
	}
	var n int
	if err := r.conn.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM areas WHERE election_id = $1 AND station = 1 LIMIT 1) s`, e.ID).Scan(&n); err != nil {
		return err
	}
	r.lookup = n > 0 || r.upperFull
	fc, err := loadFlagConfig(ctx, qLoader{r.conn, r.d}, e.ID)
	if err != nil {
		return err
	}
	fc.Options = r.nOpts
	r.masker, r.maskKey = newFlagMasker(fc), fc.key()
	if !r.lookup {
		r.sums = newDeltaSums()
		if r.d == Postgres {
			if r.news, err = newNewFile(); err != nil {
				return err
			}
		}
	}
	if r.d == SQLite {
		if _, err := r.conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS import_flags (id INTEGER PRIMARY KEY, flags INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("work table: %w", err)
		}
		if _, err := r.conn.ExecContext(ctx, `DELETE FROM import_flags`); err != nil {
			return fmt.Errorf("work table: %w", err)
		}
		r.flagTable = true
	}
	return nil
}

// load reads the rows (in a goroutine of its own, so that reading and
// parsing overlap the database's work) and stores them chunk by chunk.
func (r *importRun) load(ctx context.Context, next func() (Row, error)) error {
	var size atomic.Int64
	size.Store(chunkFirst)
	chunks := make(chan []Row, 2)
	readErr := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		readErr <- readChunks(rctx, r.req.File, next, &size, chunks)
	}()
	// On PostgreSQL a chunk holds no lock others wait on but the log's,
	// for its last moment: longer chunks, fewer round trips.
	target := chunkTarget
	if r.d == Postgres {
		target = 3 * chunkTarget
	}
	var storeErr error
	chunksDone := 0
	var pause importPause
	for rows := range chunks {
		if storeErr != nil {
			continue // drain, so that the reader can stop
		}
		t0 := time.Now()
		err := r.storeChunk(ctx, rows)
		var committed *afterCommit
		if err != nil && !r.lookup && ctx.Err() == nil && !isBusy(err) && !errors.As(err, &committed) {
			// Likely a station twice in the file (the unique path): once
			// more, looking stations up, which names both lines.
			r.lookup = true
			err = r.storeChunk(ctx, rows)
		}
		if err != nil {
			storeErr = fmt.Errorf("import of %s: writing a chunk of %d rows: %w", r.req.File, len(rows), err)
			cancel()
			continue
		}
		d := time.Since(t0)
		n := size.Load()
		switch {
		case d > target*3/2:
			n = max(chunkMin, n/2)
		case d < target/2:
			n = min(chunkMax, n*2)
		}
		size.Store(n)
		if chunksDone++; r.d == SQLite && chunksDone%importCheckpointEvery == 0 {
			if _, err := r.conn.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				storeErr = fmt.Errorf("checkpoint: %w", err)
				cancel()
				continue
			}
		}
		if r.d == SQLite {
			// Others' commits change the connection's data_version: then
			// someone is writing beside the import, and it pauses fully.
			var version int64
			if err := r.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&version); err != nil {
				storeErr = fmt.Errorf("reading the data version: %w", err)
				cancel()
				continue
			}
			select {
			case <-time.After(pause.next(d, version)):
			case <-ctx.Done():
			}
		}
	}
	if err := <-readErr; err != nil && storeErr == nil {
		return err
	}
	return storeErr
}

// readChunks hands the rows of next over in chunks of about size rows.
func readChunks(ctx context.Context, file string, next func() (Row, error), size *atomic.Int64, out chan<- []Row) error {
	var rows []Row
	send := func() bool {
		if len(rows) == 0 {
			return true
		}
		select {
		case out <- rows:
			rows = nil
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(row.Path) == 0 {
			return fmt.Errorf("%s:%d: the row names no area", file, row.Line)
		}
		rows = append(rows, row)
		if int64(len(rows)) >= size.Load() && !send() {
			return ctx.Err()
		}
	}
	if !send() {
		return ctx.Err()
	}
	return nil
}

type foundArea struct {
	id      int64
	station bool
	batch   int64
}

// storeChunk writes one chunk of rows, their new areas and their log
// leaves, in one transaction.
func (r *importRun) storeChunk(ctx context.Context, rows []Row) error {
	var newUpper map[string]int64
	var ids []int64
	var lines []int32
	var counted []countedRow // for r.sums, once committed
	allNew := true
	err := r.chunkTx(ctx, func(l loader) error {
		newUpper = map[string]int64{}
		ids, lines = ids[:0], lines[:0]
		counted, allNew = counted[:0], true
		e, b := r.e, r.b
		// The chunk's paths, every level.
		keys := make([][]string, len(rows))
		var unknown []string
		local := map[string]int64{}
		seenKey := map[string]bool{}
		var buf []byte
		for i, row := range rows {
			keys[i] = make([]string, len(row.Path))
			for lvl := 1; lvl <= len(row.Path); lvl++ {
				buf = appendPathJSON(buf[:0], row.Path[:lvl])
				k := string(buf)
				keys[i][lvl-1] = k
				if _, ok := r.upper[k]; ok || seenKey[k] {
					continue
				}
				seenKey[k] = true
				unknown = append(unknown, k)
			}
		}
		found := map[string]foundArea{}
		if r.lookup && len(unknown) > 0 {
			var err error
			if found, err = lookupAreas(ctx, l, e.ID, b.ID, unknown); err != nil {
				return err
			}
		}
		// New areas: count them, take their ids, build their rows.
		var newKeys []string
		for i, row := range rows {
			for lvl := 1; lvl <= len(row.Path); lvl++ {
				k := keys[i][lvl-1]
				if _, ok := r.upper[k]; ok {
					continue
				}
				if _, ok := found[k]; ok {
					continue
				}
				if _, ok := local[k]; ok {
					continue
				}
				local[k] = 0
				newKeys = append(newKeys, k)
			}
		}
		r.newAreas += len(newKeys) // a chunk retried counts again: only > 0 is read
		areaIDs, err := allocIDs(ctx, l, "areas", len(newKeys))
		if err != nil {
			return err
		}
		for i, k := range newKeys {
			local[k] = areaIDs[i]
		}
		idOf := func(k string) int64 {
			if id, ok := r.upper[k]; ok {
				return id
			}
			if f, ok := found[k]; ok {
				return f.id
			}
			return local[k]
		}
		var areaRows [][]any
		created := map[string]bool{}
		newStation := map[string]bool{} // created as stations
		stations := make([]int64, len(rows))
		chunkLine := map[int64]int{}
		var existing []int64 // station areas that were there before this chunk
		parents := make([]int64, len(rows))
		for i, row := range rows {
			parent := r.rootID
			for lvl := 1; lvl <= len(row.Path); lvl++ {
				k := keys[i][lvl-1]
				id := idOf(k)
				isStation := lvl == len(row.Path)
				if isStation {
					parents[i] = parent
				}
				if _, isNew := local[k]; isNew && !created[k] {
					created[k] = true
					station, attrs := 0, "{}"
					if isStation {
						station = 1
						newStation[k] = true
						if len(row.Attrs) > 0 {
							ab, _ := json.Marshal(row.Attrs)
							attrs = string(ab)
						}
					} else {
						newUpper[k] = id
					}
					areaRows = append(areaRows, []any{id, e.ID, parent, lvl, row.Path[lvl-1], k, station, attrs, b.ID})
				}
				parent = id
			}
			st := parent
			stations[i] = st
			if !newStation[keys[i][len(row.Path)-1]] {
				// Not a station this chunk created: one that existed, or
				// an area above stations (a summary row), created by an
				// earlier row as a station's parent.
				allNew = false
			}
			if prev, dup := chunkLine[st]; dup {
				return importDupError(r.req.File, row, prev)
			}
			chunkLine[st] = row.Line
			if _, ok := r.upper[keys[i][len(row.Path)-1]]; ok {
				// A summary of an area above stations that exists already:
				// it may have protocols of this source (a second summary
				// file), so its next version is looked up as a station's.
				existing = append(existing, st)
			} else if f, ok := found[keys[i][len(row.Path)-1]]; ok {
				if f.batch == b.ID && f.station {
					// Created by an earlier row of this file.
					return r.dupOfEarlier(ctx, l, row, st)
				}
				existing = append(existing, st)
			}
		}
		// Versions: 1 for a new station, the next one for a station that
		// has protocols of this source already.
		versions := map[int64]int{}
		if len(existing) > 0 {
			dupIn, err := lookupVersions(ctx, l, string(r.req.Source), b.ID, existing, versions)
			if err != nil {
				return err
			}
			if dupIn != 0 {
				for i, row := range rows {
					if stations[i] == dupIn {
						return r.dupOfEarlier(ctx, l, row, dupIn)
					}
				}
			}
		}
		protoIDs, err := allocIDs(ctx, l, "protocols", len(rows))
		if err != nil {
			return err
		}
		protoRows := make([][]any, 0, len(rows))
		leaves := make([]encodedLeaf, 0, len(rows))
		var flagRows [][]any
		if r.flagTable {
			flagRows = make([][]any, 0, len(rows))
		}
		for i, row := range rows {
			votes := make([]int64, r.nOpts)
			for k, v := range row.Votes {
				if k < len(r.pos) {
					votes[r.pos[k]] = v
				}
			}
			pr := make([]any, 0, len(protocolCols))
			version := int64(versions[stations[i]] + 1)
			pr = append(pr, protoIDs[i], e.ID, stations[i], string(r.req.Source), version, b.ID)
			var figs [election.NumFigures]sql.NullInt64
			for f := election.Figure(0); f < election.NumFigures; f++ {
				if row.Figures.Has(f) {
					figs[f] = sql.NullInt64{Int64: row.Figures.Value(f), Valid: true}
					pr = append(pr, figs[f].Int64)
				} else {
					pr = append(pr, nil)
				}
			}
			votesText := string(appendVotesJSON(nil, votes))
			pr = append(pr, votesText, r.received)
			protoRows = append(protoRows, pr)
			if r.flagTable || (r.sums != nil && allNew) {
				flags := r.masker.mask(row.Figures, votes)
				if r.flagTable {
					flagRows = append(flagRows, []any{protoIDs[i], flags})
				}
				if r.sums != nil && allNew {
					counted = append(counted, countedRow{area: stations[i], id: protoIDs[i], version: version, parent: parents[i], figures: row.Figures, votes: votes, flags: flags})
				}
			}
			// The leaf from the values just written, as the log reads a
			// protocol back (protocolLeaf, whose encoding
			// protocolLeafEncoding writes directly): reading the chunk's rows back
			// for it was a fifth of an import's CPU (issue 9). The
			// station's stored path is its key (it was created with it or
			// found by it); its path and votes are given decoded: the votes
			// are the list just encoded, and the path the row's, which its
			// JSON decodes back to unless a name is not valid UTF-8
			// (decoding would mend it: then decoded here as the log would).
			var parts []string
			if validUTF8(row.Path) {
				parts = row.Path
			}
			enc, err := protocolLeafEncoding(protoIDs[i], e.ID, stations[i], keys[i][len(row.Path)-1], parts, string(r.req.Source), version, b.ID, 0, votesText, votes, r.received, &figs)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", r.req.File, row.Line, err)
			}
			leaves = append(leaves, encodedLeaf{kind: translog.KindProtocol, ref: translog.Ref("protocols", protoIDs[i]), election: e.ID, enc: enc})
			ids = append(ids, protoIDs[i])
			lines = append(lines, int32(row.Line))
		}
		if len(areaRows) > 0 {
			if err := l.insert(ctx, "areas", areaInsertCols, areaRows); err != nil {
				return fmt.Errorf("storing areas: %w", err)
			}
		}
		if err := l.insert(ctx, "protocols", protocolCols, protoRows); err != nil {
			return fmt.Errorf("storing protocols: %w", err)
		}
		if len(flagRows) > 0 {
			if err := l.insert(ctx, "import_flags", importFlagCols, flagRows); err != nil {
				return fmt.Errorf("storing the protocols' flags: %w", err)
			}
		}
		// Their leaves appended last (the log's lock is held only for the
		// append and commit).
		_, err = appendEncoded(ctx, l, leaves)
		return err
	})
	if err != nil {
		return err
	}
	// Committed: what the next chunks need to know. A failure from here on
	// is not the chunk's (which is stored): it is not tried again.
	if r.db.afterChunk != nil {
		if err := r.db.afterChunk(); err != nil {
			return &afterCommit{err}
		}
	}
	if r.sums != nil {
		if allNew && len(counted) == len(rows) {
			if err := r.count(counted); err != nil {
				return &afterCommit{err}
			}
		} else {
			r.sums = nil
		}
	}
	for k, id := range newUpper {
		if len(r.upper) < upperCap {
			r.upper[k] = id
		} else {
			r.upperFull, r.lookup = true, true
		}
	}
	if r.where == nil {
		if r.where, err = newWhereFile(); err != nil {
			return &afterCommit{err}
		}
	}
	if err := r.where.add(ids, lines); err != nil {
		return &afterCommit{err}
	}
	r.rows += len(rows)
	return nil
}

// summable reports whether a protocol's figures and votes add up within
// int64, in any order, as in the database: Go's sums of larger ones would
// wrap where the database's are exact or fail (the flags and the sums are
// then the database's). The readers bound every count far below
// (election.MaxCount); store.Import's other callers need not.
func summable(f election.Figures, votes []int64) bool {
	const limit = 1 << 60
	for fig := election.Figure(0); fig < election.NumFigures; fig++ {
		if n, ok := f.Get(fig); ok && (n > limit || n < -limit) {
			return false
		}
	}
	var abs int64
	for _, v := range votes {
		if v > limit || v < -limit {
			return false
		}
		if abs += max(v, -v); abs > limit {
			return false
		}
	}
	return true
}

// prework is what the import computed ahead for prepareBatchResults.
func (r *importRun) prework() *importPrework {
	imp := &importPrework{key: r.maskKey, table: r.flagTable, sums: r.sums}
	if r.sums != nil && r.news != nil {
		imp.fill = func(ctx context.Context) error {
			src, err := r.news.changes(string(r.req.Source))
			if err != nil {
				return err
			}
			// In the final transaction, on its connection (a COPY is
			// pgx's, not database/sql's).
			return r.conn.Raw(func(dc any) error {
				_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{"agg_change"},
					[]string{"area_id", "source", "station", "old_id", "new_id", "new_version", "old_flags", "new_flags"}, src)
				return err
			})
		}
	}
	return imp
}

// countedRow is what r.sums needs of a stored row: its station, its id
// and version, its station's parent, its figures as stored, its votes by
// position and its flags.
type countedRow struct {
	area, id, version int64
	parent            int64
	figures           election.Figures
	votes             []int64
	flags             int64
}

// count adds a committed chunk's rows, each the first protocol of a new
// station, to r.sums (as stationDeltas would sum them from the database)
// and r.news. A figure or votes too large to sum safely turn the sums off
// (stationDeltas then reads them).
func (r *importRun) count(rows []countedRow) error {
	vals := make([]sql.NullInt64, len(aggFigures))
	for _, c := range rows {
		if c.version != 1 || !summable(c.figures, c.votes) {
			r.sums = nil
			return nil
		}
		aggFigureValues(c.figures, vals)
		g := r.sums.group(deltaKey{c.parent, string(r.req.Source)})
		g.add(1, vals, c.votes)
		g.flags(0, c.flags)
		if r.news != nil {
			if err := r.news.add(c.area, c.id, c.flags); err != nil {
				return err
			}
		}
	}
	return nil
}

// afterCommit is a failure of storeChunk after its chunk committed (the
// temporary files): trying the chunk again would find its own rows.
type afterCommit struct{ err error }

func (e *afterCommit) Error() string { return e.err.Error() }
func (e *afterCommit) Unwrap() error { return e.err }

// validUTF8 reports whether every name is valid UTF-8.
func validUTF8(names []string) bool {
	for _, n := range names {
		if !utf8.ValidString(n) {
			return false
		}
	}
	return true
}

func importDupError(file string, row Row, prev int) error {
	return fmt.Errorf("%s:%d: station %s appears twice in the file (first at line %d)", file, row.Line, strings.Join(row.Path, " / "), prev)
}

// dupOfEarlier is the error for a row whose station has a protocol in this
// batch already, from an earlier chunk.
func (r *importRun) dupOfEarlier(ctx context.Context, l loader, row Row, station int64) error {
	var id int64
	if err := l.queryRow(ctx, `SELECT id FROM protocols WHERE area_id = $1 AND batch_id = $2`, station, r.b.ID).Scan(&id); err != nil {
		return fmt.Errorf("%s:%d: station %s appears twice in the file", r.req.File, row.Line, strings.Join(row.Path, " / "))
	}
	prev := 0
	if r.where != nil {
		line, err := r.where.line(id)
		if err != nil {
			return fmt.Errorf("%s:%d: station %s appears twice in the file (reading where the first was: %v)", r.req.File, row.Line, strings.Join(row.Path, " / "), err)
		}
		prev = line
	}
	return importDupError(r.req.File, row, prev)
}

// lookupAreas finds which of paths exist in the election (visible, or
// this import's own).
func lookupAreas(ctx context.Context, l loader, electionID, batchID int64, paths []string) (map[string]foundArea, error) {
	out := map[string]foundArea{}
	const per = 500
	for lo := 0; lo < len(paths); lo += per {
		part := paths[lo:min(lo+per, len(paths))]
		args := []any{electionID, batchID}
		var b strings.Builder
		b.WriteString(`SELECT id, path, station, COALESCE(batch_id, 0) FROM areas WHERE election_id = $1 AND (batch_id IS NULL OR batch_id = $2 OR batch_id NOT IN ` + pendingBatches + `) AND path IN (`)
		for i, p := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			args = append(args, p)
			fmt.Fprintf(&b, "$%d", len(args))
		}
		b.WriteByte(')')
		if err := l.each(ctx, b.String(), args, func(scan func(...any) error) error {
			var f foundArea
			var p string
			var st int
			if err := scan(&f.id, &p, &st, &f.batch); err != nil {
				return err
			}
			f.station = st != 0
			out[p] = f
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lookupVersions sets versions[area] to the latest version of source for
// each of areas, and returns an area that has a protocol of batch already
// (a station twice in the file), or 0.
func lookupVersions(ctx context.Context, l loader, source string, batchID int64, areas []int64, versions map[int64]int) (int64, error) {
	var dup int64
	const per = 500
	for lo := 0; lo < len(areas); lo += per {
		part := areas[lo:min(lo+per, len(areas))]
		var b strings.Builder
		b.WriteString(`SELECT area_id, max(version), max(CASE WHEN batch_id = $2 THEN 1 ELSE 0 END) FROM protocols WHERE source = $1 AND area_id IN (`)
		for i, a := range part {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.FormatInt(a, 10))
		}
		b.WriteString(`) GROUP BY area_id`)
		if err := l.each(ctx, b.String(), []any{source, batchID}, func(scan func(...any) error) error {
			var a int64
			var v, mine int
			if err := scan(&a, &v, &mine); err != nil {
				return err
			}
			versions[a] = v
			if mine != 0 && dup == 0 {
				dup = a
			}
			return nil
		}); err != nil {
			return 0, err
		}
	}
	return dup, nil
}

// allocIDs hands out n new ids of table, ascending, to rows an import
// writes with their ids (so that areas and the protocols that refer to
// them go in bulk). On SQLite the chunk's transaction holds the only write
// lock: the ids after the largest are free. On PostgreSQL they come from
// the table's identity sequence, which every other writer also draws from.
func allocIDs(ctx context.Context, l loader, table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	out := make([]int64, 0, n)
	if l.dialect() == SQLite {
		var top int64
		if err := l.queryRow(ctx, `SELECT COALESCE(max(id), 0) FROM `+table).Scan(&top); err != nil {
			return nil, err
		}
		for i := 1; i <= n; i++ {
			out = append(out, top+int64(i))
		}
		return out, nil
	}
	// The sequence's name first, then in the statement as a constant:
	// pg_get_serial_sequence inside it was evaluated for every row, a
	// catalog look-up each (at 1,000,000 stations, 10–12 s of an import's
	// 2,000,000 ids against 1.5 s).
	var seq string
	if err := l.queryRow(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil {
		return nil, fmt.Errorf("the sequence of %s: %w", table, err)
	}
	err := l.each(ctx, `SELECT nextval('`+strings.ReplaceAll(seq, "'", "''")+`'::regclass) FROM generate_series(1, $1::int) ORDER BY 1`, []any{n}, func(scan func(...any) error) error {
		var id int64
		if err := scan(&id); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	})
	return out, err
}

// check verifies, set-wise and before the final transaction (a read, no
// lock), the references the schema does not declare (see 0001_results.sql).
func (r *importRun) check(ctx context.Context) error {
	var orphans int
	if err := r.conn.QueryRowContext(ctx, `SELECT count(*) FROM areas a WHERE a.batch_id = $1 AND a.parent_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM areas p WHERE p.id = a.parent_id AND p.election_id = a.election_id)`, r.b.ID).Scan(&orphans); err != nil {
		return err
	}
	if orphans == 0 {
		if err := r.conn.QueryRowContext(ctx, `SELECT count(*) FROM protocols p WHERE p.batch_id = $1
			AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.id = p.area_id AND a.election_id = p.election_id)`, r.b.ID).Scan(&orphans); err != nil {
			return err
		}
	}
	if orphans > 0 {
		return fmt.Errorf("import of %s: %d rows refer to areas that do not exist (nothing was stored)", r.req.File, orphans)
	}
	return nil
}

// analyzeAfterRows is the size of an import above which PostgreSQL's
// statistics are refreshed before its final transaction (see finish).
const analyzeAfterRows = 5000

// finish is the final transaction: the batch becomes visible, with its
// options, configuration, leaf and aggregates. It writes a handful of rows
// (and the aggregates' update), whatever the size of the file.
func (r *importRun) finish(ctx context.Context) error {
	e, b := r.e, r.b
	if r.req.Rejected != nil {
		b.Rejected = r.req.Rejected()
	}
	if r.d == SQLite {
		if _, err := r.conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
			return err
		}
	}
	// The final transaction's aggregate queries select this batch's rows.
	// PostgreSQL plans them from its statistics, which still describe the
	// table before the chunks arrived (autovacuum analyses later): a batch
	// it believes to hold a row or two holds 100,000, and a nested loop
	// over protocol_current ran for over 16 minutes in TestAggregatesAtScale.
	// ANALYZE samples (about a second at millions of rows), outside the
	// transaction so that its lock is not held while the batch commits.
	if r.d == Postgres && r.rows >= analyzeAfterRows {
		if _, err := r.conn.ExecContext(ctx, `ANALYZE protocols, areas`); err != nil {
			return fmt.Errorf("import of %s: analysing the new rows: %w", r.req.File, err)
		}
	}
	// On SQLite the batch's changes to the results are computed before the
	// final transaction takes the only write lock (resultsPrework says why),
	// with the options the election will have then.
	var pre *resultsPrework
	if r.d == SQLite {
		var err error
		if pre, err = prepareBatchResults(ctx, qLoader{r.conn, r.d}, e.ID, b.ID, r.startOpts+len(r.newOpts), r.prework()); err != nil {
			return fmt.Errorf("import of %s: %w", r.req.File, err)
		}
		if r.db.afterPrework != nil {
			r.db.afterPrework()
		}
	}
	// What its new stations add to the areas above them: read from the
	// batch's own rows, which nothing else writes, before the lock.
	frames, err := batchAreaStations(ctx, qLoader{r.conn, r.d}, b.ID)
	if err != nil {
		return fmt.Errorf("import of %s: %w", r.req.File, err)
	}
	tx, err := r.beginTx(ctx)
	if err != nil {
		return fmt.Errorf("import of %s: beginning the final transaction: %w", r.req.File, err)
	}
	defer tx.Rollback()
	l := qLoader{tx, r.d}
	if r.d == Postgres {
		// On PostgreSQL the prework is computed in the final transaction
		// (its work tables last no longer: ON COMMIT DELETE ROWS, and
		// behind PgBouncer the next transaction may be another server
		// session), but before the results lock, which observers' copies
		// of protocols and configuration changes wait for: held through
		// all of it, the lock was waited for up to 22 s during an import
		// of 1,000,000 stations, now 7 s (issue 9). Each statement
		// reads the latest committed rows, as on SQLite; applyPreparedBatch
		// checks under the lock that what it replaces is still current.
		if pre, err = prepareBatchResults(ctx, l, e.ID, b.ID, r.startOpts+len(r.newOpts), r.prework()); err != nil {
			return fmt.Errorf("import of %s: %w", r.req.File, err)
		}
		if r.db.afterPrework != nil {
			r.db.afterPrework()
		}
	}
	// The election's results lock before any write (after the prework on
	// PostgreSQL, which only reads and fills work tables): it serialises
	// this transaction with every other writer of the election's configuration and
	// aggregates (UpdateConfig, observers' protocol copies, other imports),
	// so that the configuration read below is the one to add to.
	if err := lockResults(ctx, l, e.ID); err != nil {
		return err
	}
	if len(r.newOpts) > 0 {
		// Positions were handed out when the import began: another
		// import adding options meanwhile would have taken them.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM options WHERE election_id = $1`, e.ID).Scan(&n); err != nil {
			return err
		}
		if n != r.startOpts {
			return fmt.Errorf("import of %s: the election's options changed while it ran (nothing was stored): import again", r.req.File)
		}
		for k, name := range r.newOpts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO options (election_id, position, name, kind) VALUES ($1, $2, $3, $4)`,
				e.ID, r.startOpts+k, name, string(defaultOptionKind(e.Kind))); err != nil {
				return fmt.Errorf("adding option %q: %w", name, err)
			}
		}
	}
	if len(r.req.AreaLevels) > 0 {
		// The configuration as it is now, not as the import read it when
		// it began: a change committed meanwhile (`vigil election config`
		// through another instance) is kept, the area levels only added.
		// A plain read: the results lock taken above is the one every
		// writer of the configuration takes (UpdateConfig), and locking
		// the election's row would wait on, and deadlock with, the writers
		// whose new rows refer to it (their foreign keys hold its key
		// share while they wait for the results lock).
		var raw string
		if err := tx.QueryRowContext(ctx, `SELECT config FROM elections WHERE id = $1`, e.ID).Scan(&raw); err != nil {
			return fmt.Errorf("import of %s: reading the election's configuration: %w", r.req.File, err)
		}
		var cfg election.Config
		if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
			return fmt.Errorf("import of %s: the election's configuration: %w", r.req.File, err)
		}
		if len(cfg.AreaLevels) == 0 {
			cfg.AreaLevels = r.req.AreaLevels
			cb, err := json.Marshal(cfg)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE elections SET config = $1 WHERE id = $2`, string(cb), e.ID); err != nil {
				return err
			}
		}
		e.Config = cfg
	}
	res, err := tx.ExecContext(ctx, `UPDATE batches SET rows = $1, rejected = $2, pending = '' WHERE id = $3 AND pending = $4`, r.rows, b.Rejected, b.ID, r.lease.token)
	if err != nil {
		return err
	}
	if n, err := rowsAffected(res); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("import of %s: its pending rows were swept while it ran (nothing was stored)", r.req.File)
	}
	// The maintained results (aggregates.go) and the stations under each
	// area change in this final transaction, exactly when the batch
	// becomes visible.
	if err := applyPreparedBatch(ctx, r.db, l, b.ID, pre); err != nil {
		return err
	}
	if err := addAreaStations(ctx, l, frames); err != nil {
		return err
	}
	leaves, err := tableLeaves(ctx, l, "batches", `t.id = $1`, b.ID)
	if err != nil {
		return err
	}
	rcs, err := appendLeaves(ctx, l, leaves)
	if err != nil {
		return err
	}
	// Announced to every instance, last in the transaction (Touch says why).
	// The areas only when the import created some: the observation
	// service reads an election's every area again on that change, and a
	// night's results imports (`vigil watch`) add none.
	kinds := []ChangeKind{ChangeProtocols, ChangeElection}
	if r.newAreas > 0 {
		kinds = append(kinds, ChangeAreas)
	}
	if err := touch(ctx, l, []int64{e.ID}, kinds...); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	b.LeafIndex, b.LeafHash = rcs[0].Index, rcs[0].Hash
	b.Rows = r.rows
	return nil
}

func defaultOptionKind(k election.Kind) election.OptionKind {
	switch k {
	case election.PartyList:
		return election.Party
	default:
		return election.Candidate
	}
}

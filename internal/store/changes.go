package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// The change feed keeps several vigil processes on one database in step.
// Every transaction that changes an election's data advances the
// election's sequence number in the changes table as its last statement
// (so the row is locked only for the commit) and, on PostgreSQL, sends a
// NOTIFY that the server delivers to every listening process at the
// commit. Each process keeps the sequence numbers it has seen and tells
// its caches (Subscribe); a cache keyed on a sequence number is stale
// exactly when the number moved. On SQLite, where one process serves,
// the same interface is fed by reading the (tiny) changes table after
// every commit of this process and every pollEvery, which also catches
// the CLI writing from another process. On PostgreSQL the same poll is a
// safety net for a notification lost with a dropped listening connection
// (or never delivered, behind PgBouncer in transaction mode).

// ChangeKind says what a change touched; caches follow the kinds they show.
type ChangeKind string

// The kinds of change.
const (
	ChangeProtocols       ChangeKind = "protocols"       // results: imports, observers' copies
	ChangeReports         ChangeKind = "reports"         // observers' reports, their status
	ChangeResolutions     ChangeKind = "resolutions"     // conflicts resolved by staff
	ChangeConfig          ChangeKind = "config"          // `election config`: tolerances, settings
	ChangePhotos          ChangeKind = "photos"          // protocol photos
	ChangePublished       ChangeKind = "published"       // published findings and statements
	ChangeRecommendations ChangeKind = "recommendations" // recommendations tracking
	ChangeElection        ChangeKind = "election"        // created, deleted, geography, options
	ChangeObservation     ChangeKind = "observation"     // roster, assignments, forms, QC rules
	ChangeAccess          ChangeKind = "access"          // users, tokens, sessions (election 0)
	ChangeAreas           ChangeKind = "areas"           // areas added or removed: an election created or deleted, an import that created areas
)

// Change is one committed change: the election's sequence number after it
// and what it touched. Election 0 is for changes that belong to none.
type Change struct {
	Election int64
	Seq      int64
	Kinds    []ChangeKind
}

// Changes is the feed of committed changes, shared by every process on
// the database.
type Changes interface {
	// Subscribe returns a channel of the changes committed from now on,
	// through any process, until ctx ends. A subscriber that falls far
	// behind loses changes, never the latest sequence: Seq has it.
	Subscribe(ctx context.Context) <-chan Change
	// Seq returns the election's sequence number as this process knows
	// it: of its last change of one of kinds, or of any change when kinds
	// is empty. 0 before any change.
	Seq(ctx context.Context, election int64, kinds ...ChangeKind) (int64, error)
	// Sync reads the election's sequence numbers from the database, tells
	// the subscribers of any they had not seen, and returns what Seq then
	// returns: a process asked for a sequence it has not seen yet (a
	// client coming from another instance) syncs before answering.
	Sync(ctx context.Context, election int64, kinds ...ChangeKind) (int64, error)
}

// NotifyChannel is the prefix of the PostgreSQL channel the feed's
// NOTIFYs go to; the channel is NotifyChannel + ":" + the schema, since
// notifications are per database and several vigil databases (the tests'
// schemas, say) may share one.
const NotifyChannel = "vigil_changes"

// Touch records, in q's transaction, a change of kinds to each election:
// it advances their sequence numbers and, on PostgreSQL, notifies the
// listening processes (delivered at the commit, dropped at a rollback).
// Call it last in the transaction: the election's row stays locked until
// the commit, and taking it last keeps that short and the locking order
// of concurrent transactions the same (elections in ascending order).
func Touch(ctx context.Context, q Querier, d Dialect, elections []int64, kinds ...ChangeKind) (err error) {
	defer wrap(&err, "store.Touch(elections %v)", elections)
	return touch(ctx, qLoader{q, d}, elections, kinds...)
}

func touch(ctx context.Context, l loader, elections []int64, kinds ...ChangeKind) (err error) {
	defer wrap(&err, "store.Touch(%v, %v)", elections, kinds)
	es := slices.Clone(elections)
	slices.Sort(es)
	es = slices.Compact(es)
	if l.dialect() == Postgres {
		// One statement a change: the counter, the kinds' sequence and the
		// notification were two round trips and one a kind, at the end of
		// every group commit, where each was paid in waiting for the
		// server and for a turn of the busy process's CPU.
		// Each kind once: one statement may not update a row twice.
		var ks []string
		for _, k := range kinds {
			if !slices.Contains(ks, string(k)) {
				ks = append(ks, string(k))
			}
		}
		for _, e := range es {
			if err := l.exec(ctx, `WITH s AS (INSERT INTO changes (election_id, kind, seq) VALUES ($1::bigint, '', 1)
					ON CONFLICT (election_id, kind) DO UPDATE SET seq = changes.seq + 1 RETURNING seq),
				k AS (INSERT INTO changes (election_id, kind, seq) SELECT $1::bigint, unnest($2::text[]), seq FROM s
					ON CONFLICT (election_id, kind) DO UPDATE SET seq = excluded.seq)
				SELECT pg_notify($3::text || ':' || current_schema(), $1::bigint::text || ' ' || seq || ' ' || $4::text) FROM s`,
				e, ks, NotifyChannel, strings.Join(ks, ",")); err != nil {
				return err
			}
		}
		return nil
	}
	for _, e := range es {
		var seq int64
		if err := l.queryRow(ctx, `INSERT INTO changes (election_id, kind, seq) VALUES ($1, '', 1)
			ON CONFLICT (election_id, kind) DO UPDATE SET seq = changes.seq + 1 RETURNING seq`, e).Scan(&seq); err != nil {
			return err
		}
		for _, k := range kinds {
			if err := l.exec(ctx, `INSERT INTO changes (election_id, kind, seq) VALUES ($1, $2, $3)
				ON CONFLICT (election_id, kind) DO UPDATE SET seq = excluded.seq`, e, string(k), seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// touchTx is Touch for a transaction of db's.
func (db *DB) touchTx(ctx context.Context, tx *sql.Tx, election int64, kinds ...ChangeKind) error {
	return Touch(ctx, tx, db.Dialect, []int64{election}, kinds...)
}

// inTxTouch is InTx with Touch of election as the transaction's last
// statement.
func (db *DB) inTxTouch(ctx context.Context, election int64, kinds []ChangeKind, fn func(tx *sql.Tx) error) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, election, kinds...)
	})
}

// parseChange reads a notification's payload, "election seq kind,kind",
// as touch's statement writes it.
func parseChange(s string) (Change, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return Change{}, fmt.Errorf("change notification %q: want election, sequence and kinds", s)
	}
	e, err1 := strconv.ParseInt(f[0], 10, 64)
	seq, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return Change{}, fmt.Errorf("change notification %q: bad number", s)
	}
	c := Change{Election: e, Seq: seq}
	if len(f) == 3 {
		for k := range strings.SplitSeq(f[2], ",") {
			c.Kinds = append(c.Kinds, ChangeKind(k))
		}
	}
	return c, nil
}

// pollEvery is how often the feed reads the changes table: on SQLite the
// way another process's writes (the CLI's) are seen, on PostgreSQL the
// safety net under LISTEN. Either way within the 2 s the instances must
// follow one another in.
var pollEvery = map[Dialect]time.Duration{SQLite: 250 * time.Millisecond, Postgres: time.Second}

// feed is the Changes of one DB.
type feed struct {
	db     *DB
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	poke   chan struct{}

	mu   sync.Mutex
	seqs map[int64]map[ChangeKind]int64 // election → kind ('' for all) → seq
	subs map[chan Change]struct{}
}

// Changes returns the database's change feed, starting it on first use
// (a LISTEN connection on PostgreSQL and a poller); Close stops it. The
// commands that only write need no feed: their Touch notifies.
func (db *DB) Changes() Changes {
	db.feedOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		f := &feed{db: db, log: slog.Default(), cancel: cancel, done: make(chan struct{}), poke: make(chan struct{}, 1),
			seqs: map[int64]map[ChangeKind]int64{}, subs: map[chan Change]struct{}{}}
		// Read what is there before anyone subscribes, so that the first
		// poll publishes only what changed since.
		if err := f.poll(ctx); err != nil {
			f.log.Warn("change feed: first read of the changes table", "err", err)
		}
		db.feed.Store(f)
		go f.run(ctx)
	})
	return db.feed.Load()
}

// Close stops the change feed, if it runs, and closes the database.
func (db *DB) Close() error {
	if f := db.feed.Load(); f != nil {
		f.cancel()
		<-f.done
	}
	db.closed.Store(true)
	if db.Dialect == SQLite {
		db.cache().close()
	}
	return db.DB.Close()
}

// Closed reports whether Close was called (the group commit's WAL
// checkpointer stops then instead of warning on every tick).
func (db *DB) Closed() bool { return db.closed.Load() }

func (f *feed) run(ctx context.Context) {
	defer close(f.done)
	var wg sync.WaitGroup
	if f.db.Dialect == Postgres && !f.db.replica {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.listen(ctx)
		}()
	}
	t := time.NewTicker(pollEvery[f.db.Dialect])
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			f.mu.Lock()
			for ch := range f.subs {
				delete(f.subs, ch)
				close(ch)
			}
			f.mu.Unlock()
			return
		case <-t.C:
		case <-f.poke:
		}
		if err := f.poll(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("change feed: reading the changes table", "err", err)
		}
	}
}

// listen receives the NOTIFYs on a connection of its own (not the pool's:
// a listening connection is held for good), reconnecting after a second
// when it drops; each (re)connection first reads the table, for the
// changes made while it was down.
func (f *feed) listen(ctx context.Context) {
	var schema string
	for {
		err := f.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema)
		if err == nil {
			break
		}
		f.log.Warn("change feed: reading the schema's name", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.Connect(ctx, f.db.listenAddr)
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				f.log.Warn("change feed: listening", "err", err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(NotifyChannel+":"+schema, listenHandler{f})
	l.Listen(ctx)
}

type listenHandler struct{ f *feed }

func (h listenHandler) HandleNotification(ctx context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	c, err := parseChange(n.Payload)
	if err != nil {
		return err
	}
	h.f.apply([]Change{c})
	return nil
}

func (h listenHandler) HandleBacklog(ctx context.Context, _ string, _ *pgx.Conn) error {
	return h.f.poll(ctx)
}

// poll reads the whole changes table (a few rows per election) and
// applies what is newer than what the feed has seen.
func (f *feed) poll(ctx context.Context) error {
	return f.read(ctx, `SELECT election_id, kind, seq FROM changes`)
}

func (f *feed) read(ctx context.Context, q string, args ...any) error {
	rows, err := f.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: reading changes: %w", err)
	}
	defer rows.Close()
	byElection := map[int64]*Change{}
	var order []int64
	for rows.Next() {
		var e, seq int64
		var k string
		if err := rows.Scan(&e, &k, &seq); err != nil {
			return fmt.Errorf("store: reading changes: %w", err)
		}
		c := byElection[e]
		if c == nil {
			c = &Change{Election: e}
			byElection[e] = c
			order = append(order, e)
		}
		if k == "" {
			c.Seq = seq
		} else {
			c.Kinds = append(c.Kinds, ChangeKind(k))
			// Seq of the kind rides in a side map below.
		}
		f.mu.Lock()
		m := f.seqs[e]
		known := m[ChangeKind(k)]
		f.mu.Unlock()
		if seq <= known && k != "" {
			// Drop kinds already seen, so subscribers hear only news.
			c.Kinds = c.Kinds[:len(c.Kinds)-1]
		}
		if k != "" && seq > known {
			f.mu.Lock()
			if f.seqs[e] == nil {
				f.seqs[e] = map[ChangeKind]int64{}
			}
			f.seqs[e][ChangeKind(k)] = seq
			f.mu.Unlock()
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: reading changes: %w", err)
	}
	var cs []Change
	for _, e := range order {
		cs = append(cs, *byElection[e])
	}
	f.apply(cs)
	return nil
}

// apply records changes and tells the subscribers of those that are news.
func (f *feed) apply(cs []Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cs {
		m := f.seqs[c.Election]
		if m == nil {
			m = map[ChangeKind]int64{}
			f.seqs[c.Election] = m
		}
		if c.Seq <= m[""] {
			continue
		}
		m[""] = c.Seq
		for _, k := range c.Kinds {
			m[k] = max(m[k], c.Seq)
		}
		for ch := range f.subs {
			select {
			case ch <- c:
			default:
				// A subscriber this far behind reads Seq when it catches up.
			}
		}
	}
}

func (f *feed) Subscribe(ctx context.Context) <-chan Change {
	ch := make(chan Change, 256)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-f.done:
			return
		}
		f.mu.Lock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
		f.mu.Unlock()
	}()
	return ch
}

func (f *feed) Seq(_ context.Context, election int64, kinds ...ChangeKind) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seqLocked(election, kinds), nil
}

func (f *feed) seqLocked(election int64, kinds []ChangeKind) int64 {
	m := f.seqs[election]
	if len(kinds) == 0 {
		return m[""]
	}
	var s int64
	for _, k := range kinds {
		s = max(s, m[k])
	}
	return s
}

func (f *feed) Sync(ctx context.Context, election int64, kinds ...ChangeKind) (int64, error) {
	if err := f.read(ctx, `SELECT election_id, kind, seq FROM changes WHERE election_id = $1`, election); err != nil {
		return 0, err
	}
	return f.Seq(ctx, election, kinds...)
}

// pokeFeed asks the feed, if it runs, to read the table now: a commit of
// this process is seen at once rather than at the next poll.
func (db *DB) pokeFeed() {
	if f := db.feed.Load(); f != nil {
		select {
		case f.poke <- struct{}{}:
		default:
		}
	}
}

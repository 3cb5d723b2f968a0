// Package store keeps vigil's data in a SQL database: embedded SQLite by
// default (a file, nothing to install) or PostgreSQL to scale out. Both
// engines run the same SQL; the few places where they truly differ (DDL
// types, bulk loads, locking) switch on the dialect here and nowhere else.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver
)

// Dialect names a database engine.
type Dialect string

// The engines vigil runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open vigil database.
type DB struct {
	*sql.DB
	Dialect Dialect
	Addr    string // as given, for messages (a postgres password is masked)

	// OnImport, when set, is told of every import committed through this
	// handle: its rows and its time (the metrics use it).
	OnImport func(rows int, d time.Duration)

	// ImportLease is the lifetime without renewal of this handle's import
	// leases (an import's claim on its pending batch, renewed every sixth
	// of it; a sweep's claim on a dead one): zero or out of 1s–1h means
	// DefaultImportLease. cmd/vigil sets it from VIGIL_IMPORT_LEASE
	// (ParseImportLease). Set it before the handle's first import.
	ImportLease time.Duration
	leaseRenew  time.Duration // tests: a heartbeat period other than ImportLease/6

	feedOnce   sync.Once
	feed       atomic.Pointer[feed] // set once by Changes
	listenAddr string               // where the feed LISTENs (PostgreSQL)
	replica    bool                 // a read-only standby: no LISTEN, no migrations
	closed     atomic.Bool          // set by Close
	stmtsOnce  sync.Once
	stmts      *stmtCache // SQLite's kept statements (stmtcache.go)

	// What the final transactions of this handle's imports did with their
	// prework (resultsPrework; tests read them), and a test's hook run
	// between an import's prework and its final transaction.
	preworkUsed, preworkRechecked, preworkRedone atomic.Int64
	afterPrework                                 func()
	// A test's hook run after each import chunk commits: its error fails
	// the import there, as a full disk under the temporary files would.
	afterChunk func() error
}

// PoolOptions are the connection settings of `vigil serve` (flags
// --db-max-conns, --db-idle-time, --db-statement-timeout, --db-query-mode;
// docs/deploy.md). The zero value is the defaults.
type PoolOptions struct {
	// MaxConns bounds the open connections (PostgreSQL; default 32). Four
	// instances at 32 exceed PostgreSQL's default max_connections of 100:
	// lower it, or put PgBouncer in front.
	MaxConns int
	// IdleTime closes a connection unused for this long, so that an idle
	// instance gives its connections back (default 1 minute).
	IdleTime time.Duration
	// StatementTimeout makes PostgreSQL cancel a statement that runs
	// longer (0: the server's setting). Sent as a startup parameter, which
	// PgBouncer refuses unless told to ignore it: behind PgBouncer, set it
	// on the role instead (docs/deploy.md).
	StatementTimeout time.Duration
	// QueryMode is pgx's default_query_exec_mode: "exec" or
	// "simple_protocol" behind PgBouncer in transaction mode, where a
	// prepared statement of one client may reach another server
	// connection; empty keeps pgx's default (cached prepared statements)
	// or what the URL says.
	QueryMode string
	// ListenAddr is where the change feed LISTENs, when the database
	// address is a pooler in transaction mode (which cannot hold a LISTEN):
	// the PostgreSQL server itself. Empty: the database address.
	ListenAddr string
}

// QueryModes are the accepted values of PoolOptions.QueryMode.
var QueryModes = []string{"", "cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"}

func (o PoolOptions) check() error {
	if o.MaxConns < 0 || o.IdleTime < 0 || o.StatementTimeout < 0 {
		return errors.New("pool settings cannot be negative")
	}
	for _, m := range QueryModes {
		if o.QueryMode == m {
			return nil
		}
	}
	return fmt.Errorf("query mode %q: want one of %s", o.QueryMode, strings.Join(QueryModes[1:], ", "))
}

// IsPostgresAddr reports whether a database address names a PostgreSQL
// server rather than a SQLite file.
func IsPostgresAddr(addr string) bool {
	return strings.HasPrefix(addr, "postgres://") || strings.HasPrefix(addr, "postgresql://")
}

// Open opens (creating if needed) the database at addr, a file path or a
// postgres:// URL, and brings its schema up to date.
func Open(ctx context.Context, addr string) (*DB, error) {
	return OpenWith(ctx, addr, PoolOptions{})
}

// OpenWith is Open with connection settings.
func OpenWith(ctx context.Context, addr string, po PoolOptions) (*DB, error) {
	db, err := openRaw(addr, po)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", db.Addr, err)
	}
	// Imports that died (a crash, a kill) left pending rows no reader sees:
	// they go now (those of imports still running elsewhere stay).
	if err := db.SweepImports(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", db.Addr, err)
	}
	// A database from before the results aggregates (0012): they are
	// computed once from its protocols.
	var unbuilt bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM protocols) AND NOT EXISTS (SELECT 1 FROM protocol_current)`).Scan(&unbuilt); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", db.Addr, err)
	}
	if unbuilt {
		if _, err := db.rebuildResultSteps(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("database %s: computing the results aggregates: %w", db.Addr, err)
		}
	}
	// Flags of an older layout (before 0024 they did not say which
	// controls ran): recomputed once, with the counts they carry.
	if err := db.refreshStaleFlags(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: recomputing the flags: %w", db.Addr, err)
	}
	// A database from before the transparency log: its rows enter the log
	// once, as they are now.
	if n, err := db.LogSize(ctx); err == nil && n == 0 {
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return LogUnlogged(ctx, tx, db.Dialect) }); err != nil {
			db.Close()
			return nil, fmt.Errorf("database %s: starting the log: %w", db.Addr, err)
		}
	}
	if err := db.ensureObservationBuilt(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: building the observation aggregates: %w", db.Addr, err)
	}
	return db, nil
}

// ErrNoDatabase is returned by OpenExisting when the SQLite file it was
// given does not exist.
var ErrNoDatabase = errors.New("no such database")

// OpenExisting opens a database that must already exist: the commands that
// only read (tally, check, forensics…) use it so that a mistyped --db is an
// error instead of a new, empty database file left behind. A PostgreSQL
// address is opened as by Open (the server, not vigil, creates databases).
func OpenExisting(ctx context.Context, addr string) (*DB, error) {
	if addr != "" && !IsPostgresAddr(addr) {
		if _, err := os.Stat(addr); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("database %s: %w (vigil import or vigil demo creates one; check --db)", addr, ErrNoDatabase)
		} else if err != nil {
			return nil, fmt.Errorf("database %s: %w", addr, err)
		}
	}
	return Open(ctx, addr)
}

// OpenReplica opens a read-only standby of a PostgreSQL database (the
// portal's reads, --db-read): no migration (a standby cannot write; the
// primary's schema arrives by replication), and a change feed that polls
// the standby's own copy of the changes table, so that what the portal
// reads and the sequence it keys its caches on come from the same server.
func OpenReplica(ctx context.Context, addr string, po PoolOptions) (*DB, error) {
	if !IsPostgresAddr(addr) {
		return nil, fmt.Errorf("read replica %s: only a PostgreSQL standby can be a replica", MaskPassword(addr))
	}
	db, err := openRaw(addr, po)
	if err != nil {
		return nil, err
	}
	db.replica = true
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("read replica %s: %w", db.Addr, err)
	}
	return db, nil
}

// sqliteBusyTimeout is how long an SQLite statement waits for a lock held
// by another connection (the busy_timeout pragma on every connection).
const sqliteBusyTimeout = 10 * time.Second

// busyTimeoutPragma gives an SQLite connection the pool's busy timeout
// back, after beginWrite's callers turned it off.
var busyTimeoutPragma = fmt.Sprintf(`PRAGMA busy_timeout = %d`, sqliteBusyTimeout.Milliseconds())

func openRaw(addr string, po PoolOptions) (*DB, error) {
	if addr == "" {
		return nil, errors.New("no database address given")
	}
	if err := po.check(); err != nil {
		return nil, err
	}
	if IsPostgresAddr(addr) {
		cfg, err := pgx.ParseConfig(addr)
		if err != nil {
			return nil, fmt.Errorf("database %s: %w", MaskPassword(addr), err)
		}
		if po.QueryMode != "" {
			for m := pgx.QueryExecModeCacheStatement; m <= pgx.QueryExecModeSimpleProtocol; m++ {
				if m.String() == po.QueryMode {
					cfg.DefaultQueryExecMode = m
				}
			}
		}
		if po.StatementTimeout > 0 {
			cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(po.StatementTimeout.Milliseconds())
		}
		sdb := stdlib.OpenDB(*cfg)
		n := po.MaxConns
		if n == 0 {
			n = 32
		}
		idle := po.IdleTime
		if idle == 0 {
			idle = time.Minute
		}
		sdb.SetMaxOpenConns(n)
		sdb.SetMaxIdleConns(n)
		sdb.SetConnMaxIdleTime(idle)
		listen := po.ListenAddr
		if listen == "" {
			listen = addr
		}
		return &DB{DB: sdb, Dialect: Postgres, Addr: MaskPassword(addr), listenAddr: listen}, nil
	}
	// WAL lets readers (the portal) go on while an import or a submission
	// writes; synchronous=FULL makes every acknowledged commit survive a
	// power cut, not only a crash of the process; foreign keys are off by
	// default in SQLite and must be asked for on every connection, which the
	// DSN pragmas do.
	q := url.Values{}
	for _, p := range []string{fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()), "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", "file:"+addr+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One writer at a time is SQLite's rule; more open connections serve
	// concurrent readers under WAL.
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	return &DB{DB: sdb, Dialect: SQLite, Addr: addr}, nil
}

// MaskPassword returns a database address with its password, if any,
// replaced by xxxxx, for messages and logs.
func MaskPassword(addr string) string {
	u, err := url.Parse(addr)
	if err != nil || u.User == nil {
		return addr
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise (and on panic), so that a failed operation leaves nothing.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return err
	}
	db.pokeFeed()
	return nil
}

// forUpdate is the clause that locks the rows a read selects until the
// transaction ends, on PostgreSQL, where several instances write at once
// under READ COMMITTED; on SQLite a write transaction holds the database's
// only write lock already (and the clause does not parse). NO KEY UPDATE:
// two such reads of a row wait for each other, but the writers whose new
// rows refer to it (a foreign key takes the row's key share) do not wait
// for them, nor deadlock with them.
func forUpdate(d Dialect) string {
	if d == Postgres {
		return ` FOR NO KEY UPDATE`
	}
	return ``
}

// lockNamed takes a transaction-scoped lock of that name on PostgreSQL,
// for the rare writes that read and then write what other instances may be
// writing too (a roster's phone numbers, say); SQLite has one writer at a
// time. The name carries the schema, as lockResults's key does.
func lockNamed(ctx context.Context, q Querier, d Dialect, name string) error {
	if d != Postgres {
		return nil
	}
	if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('vigil ' || $1 || ' ' || current_schema()))`, name); err != nil {
		return fmt.Errorf("locking %s: %w", name, err)
	}
	return nil
}

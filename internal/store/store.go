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
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
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
}

// IsPostgresAddr reports whether a database address names a PostgreSQL
// server rather than a SQLite file.
func IsPostgresAddr(addr string) bool {
	return strings.HasPrefix(addr, "postgres://") || strings.HasPrefix(addr, "postgresql://")
}

// Open opens (creating if needed) the database at addr, a file path or a
// postgres:// URL, and brings its schema up to date.
func Open(ctx context.Context, addr string) (*DB, error) {
	db, err := openRaw(addr)
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
	// A database from before the transparency log: its rows enter the log
	// once, as they are now.
	if n, err := db.LogSize(ctx); err == nil && n == 0 {
		if err := db.InTx(ctx, func(tx *sql.Tx) error { return LogUnlogged(ctx, tx, db.Dialect) }); err != nil {
			db.Close()
			return nil, fmt.Errorf("database %s: starting the log: %w", db.Addr, err)
		}
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

func openRaw(addr string) (*DB, error) {
	if addr == "" {
		return nil, errors.New("no database address given")
	}
	if IsPostgresAddr(addr) {
		sdb, err := sql.Open("pgx", addr)
		if err != nil {
			return nil, err
		}
		sdb.SetMaxOpenConns(32)
		sdb.SetMaxIdleConns(32)
		return &DB{DB: sdb, Dialect: Postgres, Addr: MaskPassword(addr)}, nil
	}
	// WAL lets readers (the portal) go on while an import or a submission
	// writes; synchronous=FULL makes every acknowledged commit survive a
	// power cut, not only a crash of the process; foreign keys are off by
	// default in SQLite and must be asked for on every connection, which the
	// DSN pragmas do.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
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
	return tx.Commit()
}

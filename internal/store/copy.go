package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Copying a whole database, table by table, between any two engines:
// vigil copy (SQLite to PostgreSQL when a pilot grows up, and back), and
// the backups of a PostgreSQL database (vigil backup writes them as a
// SQLite file, the format every backup of vigil has). The target must be
// empty: a copy never merges. Every table the migrations create is
// copied, in the order they create them (references before referrers), in
// one transaction on the target, from one consistent snapshot of the
// source; then both sides are counted and checksummed table by table.

// TableSum is a table's row count and checksum. The checksum does not
// depend on the engine nor on the order of the rows: it is the sum, modulo
// 2^64, of the first 8 bytes of each row's SHA-256 over a canonical
// encoding of its values (column name and value, NULL distinct from "").
type TableSum struct {
	Table    string `json:"table"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

// CopyReport is what a copy moved: per table, its rows and checksum on
// both sides (equal, or Copy returns an error).
type CopyReport struct {
	Tables []TableSum `json:"tables"`
	Rows   int64      `json:"rows"`
}

// Copy copies every table of from into to, which must hold no data (its
// schema is migrated; it may be a new file or an empty PostgreSQL schema),
// and verifies the copy by counts and checksums. On any error the target
// is left as it was.
func Copy(ctx context.Context, from, to *DB) (_ *CopyReport, err error) {
	defer wrap(&err, "store.Copy")
	tables, err := Tables()
	if err != nil {
		return nil, err
	}
	if err := checkSameSchema(ctx, from, to); err != nil {
		return nil, err
	}
	for _, t := range tables {
		var n int64
		count := `SELECT count(*) FROM ` + t
		if q, ok := seededTables[t]; ok {
			count = q
		}
		if err := to.QueryRowContext(ctx, count).Scan(&n); err != nil {
			return nil, fmt.Errorf("target %s: %w", t, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("target %s is not empty (table %s has %d rows): copy and restore only fill an empty database", to.Addr, t, n)
		}
	}
	src, err := snapshot(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.Rollback()
	rep := &CopyReport{}
	err = to.InTx(ctx, func(tx *sql.Tx) error {
		for _, t := range tables {
			if _, ok := seededTables[t]; ok {
				// The migration's starting row gives way to the source's.
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
					return fmt.Errorf("emptying %s: %w", t, err)
				}
			}
			sum, err := copyTable(ctx, src, tx, to.Dialect, t)
			if err != nil {
				return fmt.Errorf("copying %s: %w", t, err)
			}
			rep.Tables = append(rep.Tables, sum)
			rep.Rows += sum.Rows
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Verify on the committed target, read back afresh.
	for _, want := range rep.Tables {
		got, err := SumTable(ctx, to, want.Table)
		if err != nil {
			return rep, err
		}
		if got != want {
			return rep, fmt.Errorf("verifying %s: the source has %d rows (checksum %s), the target %d (%s)", want.Table, want.Rows, want.Checksum, got.Rows, got.Checksum)
		}
	}
	return rep, nil
}

// seededTables are the tables a migration fills with a starting row (the
// transparency log's size, 0): a new database counts as empty while they
// hold only that row, which the copy replaces with the source's. Each maps
// to the query that counts its rows beyond the starting one.
var seededTables = map[string]string{
	"log_state": `SELECT count(*) FROM log_state WHERE size > 0`,
	// The observation aggregates' one state row (migration 0013).
	"obs_state": `SELECT count(*) FROM obs_state WHERE id <> 1`,
}

// checkSameSchema refuses to copy between databases at different schema
// versions (both are migrated by Open, so this means one was opened by
// another vigil).
func checkSameSchema(ctx context.Context, a, b *DB) error {
	sa, err := a.Schema(ctx)
	if err != nil {
		return err
	}
	sb, err := b.Schema(ctx)
	if err != nil {
		return err
	}
	if !sa.Current() || !sb.Current() {
		return fmt.Errorf("schema versions differ: source at %d, target at %d, this vigil at %d", sa.Applied, sb.Applied, sa.Latest)
	}
	return nil
}

// snapshot opens a transaction that sees one consistent state of db for
// the whole copy.
func snapshot(ctx context.Context, db *DB) (*sql.Tx, error) {
	if db.Dialect == Postgres {
		return db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	// SQLite: a transaction (immediate, as the DSN asks) holds the
	// database still while it is read.
	return db.BeginTx(ctx, nil)
}

type rowQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// eachTableRow calls fn with the columns and every row of table, in id order
// (the first column) so that a table referring to itself is copied parents
// first.
func eachTableRow(ctx context.Context, q rowQuerier, table string, fn func(cols []string, vals []any) error) error {
	rows, err := q.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rowHash is the canonical hash of one row: the same values give the same
// hash whichever engine stored them.
func rowHash(cols []string, vals []any) uint64 {
	h := sha256.New()
	var buf []byte
	for i, c := range cols {
		buf = append(buf[:0], c...)
		buf = append(buf, '=')
		switch v := vals[i].(type) {
		case nil:
			buf = append(buf, 'N')
		case int64:
			buf = append(buf, 'i')
			buf = strconv.AppendInt(buf, v, 10)
		case int32:
			buf = append(buf, 'i')
			buf = strconv.AppendInt(buf, int64(v), 10)
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				buf = append(buf, 'i')
				buf = strconv.AppendInt(buf, int64(v), 10)
			} else {
				buf = append(buf, 'f')
				buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			}
		case bool:
			buf = append(buf, 'i')
			if v {
				buf = append(buf, '1')
			} else {
				buf = append(buf, '0')
			}
		case string:
			buf = append(buf, 's')
			buf = append(buf, v...)
		case []byte:
			buf = append(buf, 's')
			buf = append(buf, v...)
		default:
			buf = append(buf, fmt.Sprintf("?%v", v)...)
		}
		var l [8]byte
		binary.BigEndian.PutUint64(l[:], uint64(len(buf)))
		h.Write(l[:])
		h.Write(buf)
	}
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

func sumString(s uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], s)
	return hex.EncodeToString(b[:])
}

// SumTable counts and checksums one table of db.
func SumTable(ctx context.Context, db *DB, table string) (_ TableSum, err error) {
	defer wrap(&err, "store.SumTable(%s)", table)
	ts := TableSum{Table: table}
	var sum uint64
	err = eachTableRow(ctx, db, table, func(cols []string, vals []any) error {
		ts.Rows++
		sum += rowHash(cols, vals)
		return nil
	})
	ts.Checksum = sumString(sum)
	return ts, err
}

// Sums counts and checksums every table of db.
func Sums(ctx context.Context, db *DB) (_ []TableSum, err error) {
	defer wrap(&err, "store.Sums")
	tables, err := Tables()
	if err != nil {
		return nil, err
	}
	var out []TableSum
	for _, t := range tables {
		s, err := SumTable(ctx, db, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// copyTable copies one table from src into tx with multi-row INSERTs and
// returns the source's count and checksum.
func copyTable(ctx context.Context, src *sql.Tx, tx *sql.Tx, d Dialect, table string) (TableSum, error) {
	ts := TableSum{Table: table}
	var sum uint64
	var cols []string
	var pending []any
	per := 0
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		n := len(pending) / len(cols)
		if _, err := tx.ExecContext(ctx, copyInsertSQL(table, cols, n), pending...); err != nil {
			return err
		}
		pending = pending[:0]
		return nil
	}
	err := eachTableRow(ctx, src, table, func(c []string, vals []any) error {
		if cols == nil {
			cols = append([]string(nil), c...)
			// Keep a statement under both engines' limits on
			// parameters, and a batch of photos under a few MB (a form's
			// pictures, up to 5 MiB each, one at a time).
			per = max(1, 4000/len(cols))
			if table == "photos" {
				per = 8
			}
			if table == "form_media" {
				per = 1
			}
		}
		ts.Rows++
		sum += rowHash(cols, vals)
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = append([]byte(nil), b...) // the driver reuses its buffer
			}
			pending = append(pending, v)
		}
		if len(pending)/len(cols) >= per {
			return flush()
		}
		return nil
	})
	if err != nil {
		return ts, err
	}
	if err := flush(); err != nil {
		return ts, err
	}
	ts.Checksum = sumString(sum)
	if d == Postgres && ts.Rows > 0 && len(cols) > 0 && cols[0] == "id" {
		// Rows came with their ids: move the identity past them, or the
		// next insert would collide.
		var seq sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')`, table).Scan(&seq); err != nil {
			return ts, err
		}
		if seq.Valid {
			if _, err := tx.ExecContext(ctx, `SELECT setval($1, (SELECT max(id) FROM `+table+`))`, seq.String); err != nil {
				return ts, err
			}
		}
	}
	return ts, nil
}

// Empty reports whether db holds no data in any of vigil's tables.
func (db *DB) Empty(ctx context.Context) (_ bool, err error) {
	defer wrap(&err, "store.Empty")
	tables, err := Tables()
	if err != nil {
		return false, err
	}
	for _, t := range tables {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return false, err
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}

// copyInsertSQL is an INSERT of n rows with $1… placeholders (both
// engines take them) and quoted column names (some, like "rows", are
// keywords).
func copyInsertSQL(table string, cols []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + c + `"`)
	}
	b.WriteString(") VALUES ")
	k := 1
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(k))
			k++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Backup writes a consistent copy of db to a new SQLite file at path:
// VACUUM INTO on SQLite (online: writers go on while it runs), a copy
// from one repeatable-read snapshot on PostgreSQL.
func Backup(ctx context.Context, db *DB, path string) (err error) {
	defer wrap(&err, "store.Backup(%s)", path)
	if db.Dialect == SQLite {
		_, err := db.ExecContext(ctx, `VACUUM INTO $1`, path)
		return err
	}
	b, err := Open(ctx, path)
	if err != nil {
		return err
	}
	_, err = Copy(ctx, db, b)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	return err
}

// IntegrityCheck reads every page of a SQLite database and fails unless
// they are sound (PostgreSQL checks its own pages: nothing to do).
func (db *DB) IntegrityCheck(ctx context.Context) (err error) {
	defer wrap(&err, "store.IntegrityCheck")
	if db.Dialect != SQLite {
		return nil
	}
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return fmt.Errorf("integrity check of %s: %w", db.Addr, err)
	}
	if ok != "ok" {
		return fmt.Errorf("integrity check of %s: %s", db.Addr, ok)
	}
	return nil
}

// CheckpointWAL copies SQLite's write-ahead log into the database without
// waiting for readers (PASSIVE); a no-op on PostgreSQL. The group commit
// calls it on a timer, having turned the automatic checkpoint off on its
// own connection (WriterConn) so commits never pay for one.
func (db *DB) CheckpointWAL(ctx context.Context) (err error) {
	defer wrap(&err, "store.CheckpointWAL")
	if db.Dialect != SQLite {
		return nil
	}
	_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}

// ReleaseWriterConn gives a WriterConn back to the pool with the pool's
// settings again (SQLite: the busy handler and the automatic checkpoint
// on), or drops it if they cannot be restored: another caller handed a
// connection without a busy handler would fail at once with "database is
// locked" whenever someone else writes.
func (db *DB) ReleaseWriterConn(c *sql.Conn) {
	if db.Dialect == SQLite {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := restoreConnSettings(ctx, c); err != nil {
			c.Raw(func(any) error { return driver.ErrBadConn }) // the pool drops it
		}
	}
	c.Close()
}

// restoreConnSettings sets an SQLite connection's busy timeout and
// automatic checkpoint back to those every pooled connection has.
func restoreConnSettings(ctx context.Context, c *sql.Conn) error {
	for _, p := range []string{busyTimeoutPragma, `PRAGMA wal_autocheckpoint = 1000`} {
		if _, err := c.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// WriterConn is a connection of its own for the group commit; on SQLite
// its automatic WAL checkpoint is off (see CheckpointWAL) and so is its
// busy handler: the writer tries for the lock itself (beginWrite). Give it
// back with ReleaseWriterConn.
func (db *DB) WriterConn(ctx context.Context) (_ *sql.Conn, err error) {
	defer wrap(&err, "store.WriterConn")
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if db.Dialect == SQLite {
		for _, p := range []string{`PRAGMA wal_autocheckpoint = 0`, `PRAGMA busy_timeout = 0`} {
			if _, err := c.ExecContext(ctx, p); err != nil {
				c.Close()
				return nil, fmt.Errorf("writer connection: %s: %w", p, err)
			}
		}
	}
	return c, nil
}

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/vigil-elections/vigil/internal/translog"
)

// An import's lease says that the process writing a pending batch is
// alive, so that a sweep (at every open, by any process) removes only the
// batches of imports that died. On PostgreSQL it is a session advisory
// lock on the batch, held by the import's connection: the server drops it
// when the connection goes, however the process ended. On SQLite it is an
// exclusive flock on a file beside the database named by the batch's
// token, which the kernel drops when the process ends.
type importLease struct {
	token string
	file  *os.File // SQLite
	pgKey int64    // PostgreSQL: the batch whose lease is held, 0 if none
}

// leaseKey is the advisory lock key of the batch $1, in SQL: advisory
// locks are server-wide, so the key carries the schema (two vigils, or two
// test runs, in schemas of one server must not share leases), a word that
// keeps it apart from the results' locks, and the batch id.
const leaseKey = `((hashtext('vigil import ' || current_schema())::bigint << 32) | ($1::bigint & 4294967295))`

func leasePath(db *DB, token string) string { return db.Addr + ".import-" + token + ".lock" }

func newImportLease(db *DB) (*importLease, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	l := &importLease{token: hex.EncodeToString(b[:])}
	if db.Dialect == SQLite {
		f, err := os.OpenFile(leasePath(db, l.token), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("import lease: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, fmt.Errorf("import lease: %w", err)
		}
		l.file = f
	}
	return l, nil
}

// hold takes the PostgreSQL lease in the transaction that creates the
// pending batch, before it commits: no sweeper sees the batch unleased.
func (l *importLease) hold(ctx context.Context, ld loader, batchID int64) error {
	if ld.dialect() != Postgres {
		return nil
	}
	if err := ld.exec(ctx, `SELECT pg_advisory_lock(`+leaseKey+`)`, batchID); err != nil {
		return err
	}
	l.pgKey = batchID
	return nil
}

func (l *importLease) release(conn *sql.Conn) {
	if l == nil {
		return
	}
	if l.pgKey != 0 {
		if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+leaseKey+`)`, l.pgKey); err != nil {
			// The lock must not outlive the import on a pooled
			// connection: drop the connection instead.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		l.pgKey = 0
	}
	if l.file != nil {
		os.Remove(l.file.Name())
		l.file.Close()
		l.file = nil
	}
}

// SweepImports removes the rows of every pending import whose process is
// gone (Open calls it). Live imports, in this process or another, are left
// alone.
func (db *DB) SweepImports(ctx context.Context) (err error) {
	defer wrap(&err, "store.SweepImports")
	type pend struct {
		id, election int64
		token        string
	}
	var ps []pend
	rows, err := db.QueryContext(ctx, `SELECT id, election_id, pending FROM batches WHERE pending <> ''`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p pend
		if err := rows.Scan(&p.id, &p.election, &p.token); err != nil {
			rows.Close()
			return err
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range ps {
		dead, release, err := db.importDead(ctx, p.id, p.token)
		if err != nil {
			return err
		}
		if !dead {
			continue
		}
		err = db.sweepBatch(ctx, p.id, p.election)
		release()
		if err != nil {
			return err
		}
	}
	return nil
}

// importDead reports whether the process of a pending batch is gone; if
// so, release must be called once the batch is swept (it holds the lease
// meanwhile, so that two sweepers do not race).
func (db *DB) importDead(ctx context.Context, batchID int64, token string) (bool, func(), error) {
	if db.Dialect == Postgres {
		conn, err := db.Conn(ctx)
		if err != nil {
			return false, nil, err
		}
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+leaseKey+`)`, batchID).Scan(&got); err != nil {
			conn.Close()
			return false, nil, err
		}
		if !got {
			conn.Close()
			return false, nil, nil
		}
		return true, func() {
			conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+leaseKey+`)`, batchID)
			conn.Close()
		}, nil
	}
	f, err := os.OpenFile(leasePath(db, token), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return true, func() {}, nil
	}
	if err != nil {
		return false, nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil, nil
		}
		return false, nil, err
	}
	return true, func() {
		os.Remove(f.Name())
		f.Close()
	}, nil
}

// sweepBatch removes a pending batch's rows, in chunks (short
// transactions, like the import's), the batch row last so that a sweep
// cut short is taken up again. The protocols were logged as they were
// written: a tombstone leaf (scope "import") says the import's rows went.
func (db *DB) sweepBatch(ctx context.Context, batchID, electionID int64) error {
	var pending string
	err := db.QueryRowContext(ctx, `SELECT pending FROM batches WHERE id = $1`, batchID).Scan(&pending)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && pending == "") {
		return nil // gone already, or made visible: nothing to sweep
	}
	if err != nil {
		return err
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM protocols WHERE batch_id = $1 LIMIT 1) s`, batchID).Scan(&n); err != nil {
			return err
		}
		var tomb int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM log_leaves WHERE ref = $1 AND kind = 'deleted'`, translog.Ref("batches", batchID)).Scan(&tomb); err != nil {
			return err
		}
		if n == 0 || tomb > 0 {
			return nil
		}
		_, err := appendLeaves(ctx, qLoader{tx, db.Dialect}, []translog.Leaf{importTombstone(batchID, electionID)})
		return err
	})
	if err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM protocols WHERE id IN (SELECT id FROM protocols WHERE batch_id = $1 LIMIT 20000)`,
		`DELETE FROM areas WHERE id IN (SELECT id FROM areas WHERE batch_id = $1 LIMIT 20000)`,
	} {
		for {
			res, err := db.ExecContext(ctx, q, batchID)
			if err != nil {
				return err
			}
			if n, err := rowsAffected(res); err != nil {
				return err
			} else if n == 0 {
				break
			}
		}
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM batches WHERE id = $1 AND pending <> ''`,
			`DELETE FROM options WHERE election_id IN (SELECT id FROM elections WHERE batch_id = $1)`,
			`DELETE FROM elections WHERE batch_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, batchID); err != nil {
				return err
			}
		}
		return nil
	})
}

// importTombstone is the leaf that excuses, in the audit, the protocol
// leaves of an import that never became visible.
func importTombstone(batchID, electionID int64) translog.Leaf {
	return translog.Leaf{Kind: translog.KindDeleted, Ref: translog.Ref("batches", batchID), Election: electionID,
		Data: map[string]any{"scope": "import", "batch": batchID}}
}

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-elections/vigil/internal/translog"
)

// An import's lease says that the process writing a pending batch is
// alive, so that a sweep (at every open, by any process) removes only the
// batches of imports that died.
//
// On PostgreSQL it is data: the batch row's lease_expires, on the server's
// clock, renewed by every chunk's transaction (which fails if the batch is
// no longer the import's) and by a heartbeat between chunks. It was a
// session advisory lock; behind PgBouncer in transaction mode a session lock
// lands on whichever server connection ran that one transaction and stays
// there after the pooler hands the connection to someone else, so a sweep
// through that same server connection could take it (advisory locks are
// re-entrant within a session) and delete a live import, and an import that
// died left a lock nobody would ever release. A row works through any
// pooler and any connection. A sweeper takes a batch over only once its
// lease has expired, by moving its pending token to its own in one UPDATE
// (two sweepers cannot both win), and from then on the import's next chunk,
// heartbeat or final transaction finds the batch no longer its own and
// fails.
//
// On SQLite it is an exclusive flock on a file beside the database named by
// the batch's token, which the kernel drops when the process ends.
type importLease struct {
	token string
	file  *os.File // SQLite

	// PostgreSQL: the batch whose lease is held (0 if none), and the
	// heartbeat's stop.
	batch int64
	stop  chan struct{}
	done  chan struct{}

	ttl, renew time.Duration // the handle's lease times when the import began
}

// DefaultImportLease is an import lease's lifetime without renewal when
// DB.ImportLease does not set one. A live import renews at least every
// sixth of it (and at every chunk), so only a process stopped for longer
// (dead, or frozen) loses its batch; a killed import's rows are swept by
// the first open after that.
const DefaultImportLease = 30 * time.Second

// ParseImportLease reads a lease lifetime as cmd/vigil takes it from
// VIGIL_IMPORT_LEASE (the tests that kill imports shorten it): a duration
// from 1s to 1h; anything else is DefaultImportLease rather than an error
// that would stop every command.
func ParseImportLease(s string) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && validLease(d) {
		return d
	}
	return DefaultImportLease
}

func validLease(d time.Duration) bool { return d >= time.Second && d <= time.Hour }

// leaseTimes are the lifetime of this handle's import leases (its imports'
// and its sweeps' claims) and the heartbeat's period.
func (db *DB) leaseTimes() (ttl, renew time.Duration) {
	ttl = DefaultImportLease
	if validLease(db.ImportLease) {
		ttl = db.ImportLease
	}
	renew = ttl / 6
	if db.leaseRenew > 0 {
		renew = db.leaseRenew
	}
	return ttl, renew
}

// leaseNow is the server's clock in milliseconds: every process compares
// leases on the one clock, whatever its own says.
const leaseNow = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`

func leasePath(db *DB, token string) string { return db.Addr + ".import-" + token + ".lock" }

// importRunning reports whether an import holds a lease file beside the
// SQLite database (leaseHeld: a file a dead import left does not count).
// PostgreSQL: false.
func (db *DB) importRunning() bool {
	if db.Dialect != SQLite {
		return false
	}
	for path := range db.leaseFiles() {
		if leaseHeld(path) {
			return true
		}
	}
	return false
}

// leaseFiles lists the import lease files beside an SQLite database, with
// a directory listing, not a glob: the database's path may hold
// characters a pattern would read as its own.
// The files' paths are keys, their tokens values.
func (db *DB) leaseFiles() map[string]string {
	dir, base := filepath.Split(leasePath(db, ""))
	prefix := strings.TrimSuffix(base, ".lock")
	entries, err := os.ReadDir(filepath.Clean(dir + "."))
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range entries {
		n := e.Name()
		if token, ok := strings.CutPrefix(n, prefix); ok && strings.HasSuffix(token, ".lock") {
			out[filepath.Join(dir, n)] = strings.TrimSuffix(token, ".lock")
		}
	}
	return out
}

// leaseGrace: an import takes the flock on its lease file microseconds
// after creating it, and a lock tried by someone else in between would
// make the import fail; younger files are taken as held, untried.
const leaseGrace = time.Minute

// leaseHeld reports whether a lease file belongs to a live import: younger
// than leaseGrace, or locked. A shared lock is tried and dropped at once;
// a sweeper trying for the file meanwhile takes the import as alive and
// leaves it to the next sweep.
func leaseHeld(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	if time.Since(fi.ModTime()) < leaseGrace {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close() // drops the lock too
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	return errors.Is(err, syscall.EWOULDBLOCK)
}

// sweepLeaseFiles removes the lease files no pending batch names (an
// import killed before its batch row committed, or after its final
// transaction but before removing its file), once unlocked and older than
// leaseGrace; pending batches' files go with their sweep (importDead).
func (db *DB) sweepLeaseFiles(pending map[string]bool) {
	for path, token := range db.leaseFiles() {
		if pending[token] {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil || time.Since(fi.ModTime()) < leaseGrace {
			continue
		}
		if release, err := claimLeaseFile(path); err == nil && release != nil {
			release()
		}
	}
}

// claimLeaseFile takes the lock of a lease file no live import holds;
// release removes the file and drops the lock. A held file gives a nil
// release and no error; a missing one fs.ErrNotExist.
func claimLeaseFile(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, err
	}
	return func() {
		os.Remove(path)
		f.Close()
	}, nil
}

func newToken() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func newImportLease(db *DB) (*importLease, error) {
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	l := &importLease{token: token}
	l.ttl, l.renew = db.leaseTimes()
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

// errLeaseLost: the batch is no longer the import's (a sweeper took it
// over after its lease expired).
var errLeaseLost = errors.New("import lease lost: the batch's lease expired and a sweep took it over (was the process stopped for longer than the lease?); nothing was stored")

// hold takes the PostgreSQL lease in the transaction that creates the
// pending batch, before it commits: no sweeper sees the batch unleased.
func (l *importLease) hold(ctx context.Context, ld loader, batchID int64) error {
	if ld.dialect() != Postgres {
		return nil
	}
	if err := l.renewIn(ctx, ld, batchID); err != nil {
		return err
	}
	l.batch = batchID
	return nil
}

// renewIn extends the lease in the transaction of ld, or says it is lost.
// On PostgreSQL the UPDATE also locks the batch row until that transaction
// ends, so a sweeper's take-over waits for the chunk and then sees the
// renewed lease.
func (l *importLease) renewIn(ctx context.Context, ld loader, batchID int64) error {
	var n int64
	err := ld.queryRow(ctx, `WITH u AS (UPDATE batches SET lease_expires = `+leaseNow+` + $1 WHERE id = $2 AND pending = $3 RETURNING 1) SELECT count(*) FROM u`,
		l.ttl.Milliseconds(), batchID, l.token).Scan(&n)
	if err != nil {
		return fmt.Errorf("renewing the import lease: %w", err)
	}
	if n != 1 {
		return errLeaseLost
	}
	return nil
}

// renewChunk renews the lease inside a chunk's transaction (PostgreSQL,
// once the batch exists).
func (l *importLease) renewChunk(ctx context.Context, ld loader) error {
	if l == nil || l.batch == 0 {
		return nil
	}
	return l.renewIn(ctx, ld, l.batch)
}

// heartbeat renews the lease from the pool every l.renew until
// release, for the stretches without chunks (a slow reader, the checks
// before the final transaction). A failed renewal is not fatal here: the
// next chunk or the final transaction finds out whether the batch is still
// the import's.
func (l *importLease) heartbeat(db *DB) {
	if l.batch == 0 || l.stop != nil {
		return
	}
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.renew)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), l.renew)
				db.ExecContext(ctx, `UPDATE batches SET lease_expires = `+leaseNow+` + $1 WHERE id = $2 AND pending = $3`,
					l.ttl.Milliseconds(), l.batch, l.token)
				cancel()
			}
		}
	}()
}

func (l *importLease) release() {
	if l == nil {
		return
	}
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop = nil
	}
	l.batch = 0
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
	if db.Dialect == SQLite {
		pending := map[string]bool{}
		for _, p := range ps {
			pending[p.token] = true
		}
		db.sweepLeaseFiles(pending)
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
		// Take the batch over if its lease has expired: one UPDATE, so of
		// two sweepers one wins; the winner's token keeps the import (were
		// it alive after all) from making the batch visible, and the claim
		// is itself a lease, renewed while the sweep runs.
		mine, err := newToken()
		if err != nil {
			return false, nil, err
		}
		ttl, _ := db.leaseTimes()
		// SKIP LOCKED: a batch row locked by a transaction is an import
		// at work (a chunk renews the lease first thing; the final
		// transaction holds it while the aggregates are written, minutes
		// at millions of rows): alive, and an open must not wait for it.
		res, err := db.ExecContext(ctx, `UPDATE batches SET pending = $1, lease_expires = `+leaseNow+` + $2
			WHERE id = (SELECT id FROM batches WHERE id = $3 AND pending = $4 AND lease_expires < `+leaseNow+` FOR UPDATE SKIP LOCKED)`,
			"sweep-"+mine, ttl.Milliseconds(), batchID, token)
		if err != nil {
			return false, nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return false, nil, err
		}
		return true, func() {}, nil
	}
	release, err := claimLeaseFile(leasePath(db, token))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, func() {}, nil
	case err != nil || release == nil:
		return false, nil, err
	}
	return true, release, nil
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
	ttl, _ := db.leaseTimes()
	for _, q := range []string{
		`DELETE FROM protocols WHERE id IN (SELECT id FROM protocols WHERE batch_id = $1 LIMIT 20000)`,
		`DELETE FROM areas WHERE id IN (SELECT id FROM areas WHERE batch_id = $1 LIMIT 20000)`,
	} {
		for {
			if db.Dialect == Postgres {
				// The sweeper's claim is a lease too: renewed while it
				// deletes, so that no other sweeper takes over a long sweep.
				if _, err := db.ExecContext(ctx, `UPDATE batches SET lease_expires = `+leaseNow+` + $1 WHERE id = $2 AND pending = $3`,
					ttl.Milliseconds(), batchID, pending); err != nil {
					return err
				}
			}
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

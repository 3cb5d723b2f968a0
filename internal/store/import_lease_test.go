package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestImportLeaseRow: on PostgreSQL an import's lease is a row that the
// import renews, so it holds through PgBouncer in transaction mode, where a
// session advisory lock would stay on whichever server connection took it.
// Directly and through PgBouncer (VIGIL_TEST_PGBOUNCER): a live import
// paused for several lease lifetimes survives the sweeps of other opens and
// then completes; a frozen one (no heartbeat) is swept once its lease
// expires and fails when it resumes, leaving nothing; no advisory lock is
// left behind.
func TestImportLeaseRow(t *testing.T) {
	t.Run("direct", func(t *testing.T) { testImportLeaseRow(t, storetest.PostgresAddr(t), false) })
	t.Run("pgbouncer", func(t *testing.T) {
		bouncer := os.Getenv("VIGIL_TEST_PGBOUNCER")
		if bouncer == "" {
			if os.Getenv("CI") == "true" {
				t.Fatal("VIGIL_TEST_PGBOUNCER is not set: in CI the PgBouncer tests must run")
			}
			t.Skip("set VIGIL_TEST_PGBOUNCER to a PgBouncer in transaction mode")
		}
		testImportLeaseRow(t, pgbouncerDatabase(t, bouncer), true)
	})
}

// pgbouncerDatabase makes a database of its own (PgBouncer passes no
// search_path) and returns its address through PgBouncer, in exec mode.
func pgbouncerDatabase(t *testing.T, bouncer string) string {
	direct := storetest.PostgresAddr(t) // skips without a server
	var rb [6]byte
	rand.Read(rb[:])
	name := "vigil_lease_" + hex.EncodeToString(rb[:])
	admin, err := sql.Open("pgx", direct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(bouncer)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	q := u.Query()
	q.Set("default_query_exec_mode", "exec")
	u.RawQuery = q.Encode()
	return u.String()
}

func testImportLeaseRow(t *testing.T, addr string, ownDatabase bool) {
	ctx := context.Background()
	open := func() *store.DB {
		t.Helper()
		db, err := store.Open(ctx, addr) // Open sweeps dead imports
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	defer db.Close()
	e := newElection(t, db)
	// Long enough that a loaded machine's pauses (a chunk, a heartbeat
	// late by a second or two) do not expire a live lease.
	const ttl = 8 * time.Second
	pendingRows := func() int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM protocols WHERE batch_id IN (SELECT id FROM batches WHERE pending <> '')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The rows read before the pause reach the database a moment later
	// (the writer runs beside the reader).
	waitPending := func() {
		t.Helper()
		for end := time.Now().Add(time.Minute); pendingRows() == 0; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatal("no pending rows while the import is paused: the test proves nothing")
			}
		}
	}
	// paused starts an import that stops at row 12,000 (a chunk or two committed)
	// until resume is closed.
	paused := func(file string) (stopped, resume chan struct{}, done chan error) {
		stopped, resume, done = make(chan struct{}), make(chan struct{}), make(chan error, 1)
		n := 0
		go func() {
			_, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: file, Options: []string{"A", "B"}}, func() (store.Row, error) {
				n++
				if n == 12000 {
					close(stopped)
					<-resume
				}
				if n > 14000 {
					return store.Row{}, io.EOF
				}
				return station(n+1, []int64{1, 2}, "R", fmt.Sprint("D", n%7), file+fmt.Sprint(n)), nil
			})
			done <- err
		}()
		return stopped, resume, done
	}

	// A live import: its heartbeat keeps the lease through two lifetimes.
	store.SetImportLease(db, ttl, ttl/6)
	stopped, resume, done := paused("live.csv")
	<-stopped
	waitPending()
	for range 2 {
		time.Sleep(ttl)
		other := open()
		other.Close()
	}
	if pendingRows() == 0 {
		t.Fatal("a sweep removed a live import's rows")
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatalf("the live import failed: %v", err)
	}
	ps, err := db.Protocols(ctx, e.ID, election.OfficialFinal)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 14000 {
		t.Fatalf("after the live import: %d protocols, want 14000", len(ps))
	}

	// A frozen import: no heartbeat within its lease's life, so the next
	// open after it expires sweeps the batch, and the import, resumed,
	// finds the batch gone and stores nothing.
	store.SetImportLease(db, ttl, time.Hour)
	stopped, resume, done = paused("frozen.csv")
	<-stopped
	waitPending()
	other := open()
	other.Close()
	if pendingRows() == 0 {
		t.Fatal("swept before the lease expired")
	}
	time.Sleep(ttl + 500*time.Millisecond)
	// Expired, but its row locked by a transaction (as an import's final
	// transaction holds it for minutes at millions of rows): an open
	// neither waits for the lock nor sweeps.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT id FROM batches WHERE pending <> '' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	began := time.Now()
	other, err = store.Open(tctx, addr)
	cancel()
	if err != nil {
		t.Fatalf("open while an expired batch's row is locked (after %v): %v", time.Since(began), err)
	}
	other.Close()
	tx.Rollback()
	if pendingRows() == 0 {
		t.Fatal("swept a batch whose row a transaction held")
	}
	other = open()
	other.Close()
	if n := pendingRows(); n != 0 {
		t.Fatalf("%d rows of a frozen import left after its lease expired and a sweep", n)
	}
	close(resume)
	err = <-done
	if err == nil || !strings.Contains(err.Error(), "lease") {
		t.Fatalf("the frozen import, resumed after its batch was swept: %v; want the lease's error", err)
	}
	if ps, err := db.Protocols(ctx, e.ID, election.OfficialFinal); err != nil || len(ps) != 14000 {
		t.Fatalf("after the frozen import: %d protocols (%v), want the first import's 14000", len(ps), err)
	}
	var batches int
	if err := db.QueryRow(`SELECT count(*) FROM batches`).Scan(&batches); err != nil || batches != 1 {
		t.Fatalf("%d batches (%v), want 1", batches, err)
	}
	a, err := db.AuditTransparencyLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Problems) > 0 {
		t.Fatalf("log audit: %v", a.Problems[:min(5, len(a.Problems))])
	}
	if ownDatabase {
		// Nothing of the imports outlives them on the server's pooled
		// connections (a session lock taken through PgBouncer would).
		var locks int
		if err := db.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()`).Scan(&locks); err != nil {
			t.Fatal(err)
		}
		if locks != 0 {
			t.Fatalf("%d advisory locks left in the database", locks)
		}
	}
}

// TestImportLeaseSetting: VIGIL_IMPORT_LEASE's values as cmd/vigil passes
// them (ParseImportLease), and a handle's lease from its ImportLease field
// (out of range: the default, never a lease that expires at once).
func TestImportLeaseSetting(t *testing.T) {
	for env, want := range map[string]time.Duration{"": 30 * time.Second, "2s": 2 * time.Second, "10m": 10 * time.Minute, "0": 30 * time.Second, "-5s": 30 * time.Second, "2h": 30 * time.Second, "x": 30 * time.Second, "100ms": 30 * time.Second} {
		if got := store.ParseImportLease(env); got != want {
			t.Errorf("VIGIL_IMPORT_LEASE=%q: %v, want %v", env, got, want)
		}
	}
	for set, want := range map[time.Duration]time.Duration{0: 30 * time.Second, 2 * time.Second: 2 * time.Second, time.Millisecond: 30 * time.Second, 2 * time.Hour: 30 * time.Second, time.Hour: time.Hour} {
		ttl, renew := store.LeaseTimes(&store.DB{ImportLease: set})
		if ttl != want || renew != want/6 {
			t.Errorf("ImportLease %v: %v, renewed every %v; want %v, %v", set, ttl, renew, want, want/6)
		}
	}
}

// TestImportDuplicateAcrossChunks: a station seen again several chunks
// after its first row is refused naming both lines; the first one's line
// comes from the import's temporary file of lines (not held in memory).
func TestImportDuplicateAcrossChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		n := 0
		_, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "d.csv", Options: []string{"A", "B"}}, func() (store.Row, error) {
			n++
			switch {
			case n > 40000:
				return store.Row{}, io.EOF
			case n == 40000: // line 40,001: station 7777 again
				return station(n+1, []int64{1, 1}, "R", "7777"), nil
			}
			return station(n+1, []int64{1, 1}, "R", fmt.Sprint(n)), nil
		})
		if err == nil || !strings.Contains(err.Error(), "d.csv:40001") || !strings.Contains(err.Error(), "first at line 7778") {
			t.Fatalf("a station twice, chunks apart: %v", err)
		}
		assertEmpty(t, db, e.ID)
	})
}

// TestLeaseFilesLeftBehind: a lease file with no live import behind it (a
// process killed before its batch row committed, or after its final
// transaction) must not make the group commit pause after every commit
// for ever, and the next sweep removes it; a young file (the moment
// between an import creating it and locking it) and a locked one count as
// running and stay.
func TestLeaseFilesLeftBehind(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	old := time.Now().Add(-2 * time.Minute)
	orphan := store.LeasePath(db, "deadbeef")
	if err := os.WriteFile(orphan, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if !store.ImportRunning(db) {
		t.Fatal("a lease file just created does not count as an import running")
	}
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}
	if store.ImportRunning(db) {
		t.Fatal("an old, unlocked lease file counts as an import running")
	}
	live := store.LeasePath(db, "cafe")
	f, err := os.Create(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(live, old, old); err != nil {
		t.Fatal(err)
	}
	if !store.ImportRunning(db) {
		t.Fatal("a locked lease file does not count as an import running")
	}
	if err := db.SweepImports(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(orphan); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the sweep left the dead import's lease file: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("the sweep removed a live import's lease file: %v", err)
	}
}

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestMain lets the test binary stand in for the vigil program, so that a
// test can run it as a separate process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_AS_PROGRAM") == "1" {
		// As main does: SIGTERM and SIGINT cancel the context.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err := run(ctx, append([]string{"vigil"}, os.Args[1:]...), os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vigil:", err)
			os.Exit(exitCode(err))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// program returns a command that runs this test binary as vigil.
func program(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "VIGIL_AS_PROGRAM=1")
	return cmd
}

// writeBigCSV writes n stations in the format of testdata/small.json.
func writeBigCSV(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "Region;District;Station;Registered;Issued;In box;Invalid;Valid;Alpha;Beta;Gamma")
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "R%d;D%d;%d;1000;700;700;10;690;400;200;90\n", i%17, i%311, i)
	}
	w.Flush()
	f.Close()
	return p
}

// TestImportKilledLeavesNothing kills an import into a new election with
// SIGKILL in the middle and checks that the database is exactly as before:
// no protocol, batch or area of it, and no election either (issue 10: the
// election, its root area and configuration are created in the import's
// transaction).
func TestImportKilledLeavesNothing(t *testing.T) {
	csv := writeBigCSV(t, 400000)
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var addr string
			if engine == "sqlite" {
				addr = filepath.Join(t.TempDir(), "v.db")
			} else {
				addr = storetest.PostgresAddr(t)
			}
			ctx := context.Background()
			// A first, small import: it must survive the killed one intact.
			if out, err := program("import", "--db", addr, "--election", "e", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv").CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			cmd := program("import", "--db", addr, "--election", "e2", "--source", "official-final", "--mapping", "testdata/small.json", csv)
			// On PostgreSQL a dead import's batch is swept once its lease
			// (a row, renewed by the import) expires: 2 s here, not 30.
			cmd.Env = append(cmd.Env, "VIGIL_IMPORT_LEASE=2s")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// Wait until the import is writing, then kill it.
			deadline := time.Now().Add(2 * time.Minute)
			for !importWriting(t, db, addr) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the import never started writing")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("the import was not killed but ended: %v", err)
			}
			// The killed import's chunks are committed but pending: no
			// reader sees them, and the next open sweeps them (issue 9).
			// On PostgreSQL that is once the dead import's lease has
			// expired (2 s after its last renewal).
			db.Close()
			for try := 0; ; try++ {
				if db, err = store.Open(ctx, addr); err != nil {
					t.Fatal(err)
				}
				if count(t, db, `SELECT count(*) FROM batches`) == 1 || try == 50 {
					break
				}
				db.Close()
				time.Sleep(200 * time.Millisecond)
			}
			defer db.Close()
			if got := count(t, db, `SELECT count(*) FROM protocols`); got != 4 {
				t.Fatalf("after the kill: %d protocols, want the 4 of the first import", got)
			}
			if got := count(t, db, `SELECT count(*) FROM batches`); got != 1 {
				t.Fatalf("after the kill: %d batches, want 1", got)
			}
			if got := count(t, db, `SELECT count(*) FROM areas`); got != 1+2+3+4 {
				t.Fatalf("after the kill: %d areas, want 10", got)
			}
			if got := count(t, db, `SELECT count(*) FROM elections`); got != 1 {
				t.Fatalf("after the kill: %d elections, want the first import's only", got)
			}
			// Its protocols were logged chunk by chunk; the sweep's
			// tombstone accounts for them.
			a, err := db.AuditTransparencyLog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Problems) > 0 {
				t.Fatalf("log audit after the sweep: %v", a.Problems)
			}
		})
	}
}

func importWriting(t *testing.T, db *store.DB, addr string) bool {
	if db.Dialect == store.SQLite {
		st, err := os.Stat(addr + "-wal")
		return err == nil && st.Size() > 4<<20
	}
	return count(t, db, `SELECT count(*) FROM pg_stat_progress_copy WHERE tuples_processed > 0`) > 0
}

func count(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Package storetest runs storage tests against every database engine: a
// fresh SQLite file always, and a fresh PostgreSQL schema when
// VIGIL_TEST_POSTGRES names a server. In CI (CI=true) the PostgreSQL run is
// required: its absence fails the test instead of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
)

// EnvPostgres names the environment variable that holds the address of the
// PostgreSQL server for tests, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvPostgres = "VIGIL_TEST_POSTGRES"

// Each runs fn as a subtest once per engine, each on an empty database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// EachAddr runs fn as a subtest once per engine with the address of a new,
// empty database it has not opened (a file under t.TempDir, a new schema),
// for tests that open, close and reopen it themselves.
func EachAddr(t *testing.T, fn func(t *testing.T, addr string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "vigil.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresAddr(t)) })
}

// SQLite opens a migrated database in a new file under t.TempDir.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return Open(t, filepath.Join(t.TempDir(), "vigil.db"))
}

// Open opens (and migrates) the database at addr, closed when the test
// ends: another handle on one database, as a second instance has.
func Open(t testing.TB, addr string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresAddr returns the address of a new, empty schema on the test
// server (dropped when the test ends), or skips (fails in CI) without one.
func PostgresAddr(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: in CI the PostgreSQL tests must run", EnvPostgres)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a server address to run them", EnvPostgres)
	}
	var rb [6]byte
	rand.Read(rb[:])
	schema := "t_" + hex.EncodeToString(rb[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("creating test schema on %s: %v", base, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a migrated database in a new schema on the test server.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return Open(t, PostgresAddr(t))
}

// Rows is the next-row function of store.DB.Import over rows, in order:
// io.EOF after the last.
func Rows(rows []store.Row) func() (store.Row, error) {
	i := 0
	return func() (store.Row, error) {
		if i >= len(rows) {
			return store.Row{}, io.EOF
		}
		i++
		return rows[i-1], nil
	}
}

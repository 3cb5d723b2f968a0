package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestCaptureFlagsChanges serves an "official" results file on loopback,
// captures it, changes it, and expects the change flagged, both versions
// kept with their leaves, and each version imported.
func TestCaptureFlagsChanges(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { testCaptureFlagsChanges(t, engine) })
	}
}

func testCaptureFlagsChanges(t *testing.T, engine string) {
	orig, err := os.ReadFile("testdata/small.csv")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	content := orig
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/csv")
		w.Write(content)
	}))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "v.db")
	if engine == "postgres" {
		db = storetest.PostgresAddr(t)
	}
	u := srv.URL + "/results/final.csv"
	args := []string{"capture", "--db", db, "--url", u, "--election", "e1", "--mapping", "testdata/small.json", "--source", "official-preliminary"}

	out := mustVigil(t, args...)
	if !strings.Contains(out, "captured version 1") || strings.Contains(out, "CHANGED") {
		t.Fatalf("first capture: %s", out)
	}
	if out := mustVigil(t, args...); !strings.Contains(out, "unchanged") {
		t.Fatalf("second capture: %s", out)
	}
	// The administration alters a figure after publishing.
	lines := strings.Split(string(orig), "\n")
	altered := lines[1]
	fields := strings.Split(altered, ",")
	fields[len(fields)-1] = fields[len(fields)-1] + "7"
	lines[1] = strings.Join(fields, ",")
	mu.Lock()
	content = []byte(strings.Join(lines, "\n"))
	mu.Unlock()
	out = mustVigil(t, args...)
	if !strings.Contains(out, "CHANGED after first publication") || !strings.Contains(out, "- "+altered) || !strings.Contains(out, "+ "+lines[1]) {
		t.Fatalf("changed capture: %s", out)
	}

	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cs, err := d.Captures(context.Background(), u)
	if err != nil || len(cs) != 2 || cs[1].PreviousSHA256 != cs[0].SHA256 || cs[0].BatchID == 0 || cs[1].BatchID == 0 || !bytes.Equal(cs[0].Body, orig) {
		t.Fatalf("captures: %+v %v", cs, err)
	}
	if out := mustVigil(t, "log", "audit", "--db", db); !strings.Contains(out, "every row matches its leaf") {
		t.Fatalf("audit: %s", out)
	}
	// Rewriting the first captured version is caught.
	if _, err := d.Exec(`UPDATE official_captures SET sha256 = $1, body = $2 WHERE id = $3`, cs[1].SHA256, cs[1].Body, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("official_captures/%d: differs from its leaf", cs[0].ID)
	if out, err := vigil(t, "log", "audit", "--db", db); err == nil || !strings.Contains(out, ref) {
		t.Fatalf("audit missed a rewritten capture (want %q): %v\n%s", ref, err, out)
	}
}

// TestWatchKeepsFetching runs watch through a version, an outage and a
// changed version, then stops it: the outage is reported, the change flagged.
func TestWatchKeepsFetching(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { testWatchKeepsFetching(t, engine) })
	}
}

func testWatchKeepsFetching(t *testing.T, engine string) {
	var hits atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n := hits.Add(1); {
		case n == 1:
			w.Write([]byte("results v1\n"))
		case n == 2:
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		case n == 3:
			w.Write([]byte("results v2\n"))
		default:
			cancel()
			w.Write([]byte("results v2\n"))
		}
	}))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "v.db")
	if engine == "postgres" {
		db = storetest.PostgresAddr(t)
	}
	var out, errb bytes.Buffer
	err := run(ctx, []string{"vigil", "watch", "--db", db, "--url", srv.URL + "/r.txt", "--every", "1s"}, os.Getenv, strings.NewReader(""), &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "503") {
		t.Fatalf("the outage was not reported: %s", errb.String())
	}
	if !strings.Contains(out.String(), "CHANGED after first publication") {
		t.Fatalf("watch: %s", out.String())
	}
	// Both versions kept (the outage stores nothing, the repeat of v2
	// nothing new), each with its leaf.
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cs, err := d.Captures(context.Background(), srv.URL+"/r.txt")
	if err != nil || len(cs) != 2 || string(cs[0].Body) != "results v1\n" || string(cs[1].Body) != "results v2\n" || cs[1].PreviousSHA256 != cs[0].SHA256 {
		t.Fatalf("captures: %+v %v", cs, err)
	}
	if out := mustVigil(t, "log", "audit", "--db", db); !strings.Contains(out, "every row matches its leaf") {
		t.Fatalf("audit: %s", out)
	}
}

package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// seqOf reads the Vigil-Seq header of a portal response: "election:seq".
func seqOf(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	v := resp.Header.Get("Vigil-Seq")
	_, q, ok := strings.Cut(v, ":")
	n, err := strconv.ParseInt(q, 10, 64)
	if !ok || err != nil {
		t.Fatalf("response without a sequence (Vigil-Seq %q)", v)
	}
	return n
}

// until polls fn until it says true, and returns how long that took. The
// bound is generous (the CI machine may be loaded): the test asserts that
// the instances follow each other at all, through the change feed; the
// delay is logged, and docs/deploy.md gives the measured figures.
func until(t *testing.T, what string, fn func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !fn() {
		if time.Since(t0) > 30*time.Second {
			t.Fatalf("%s: not seen after 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := time.Since(t0)
	t.Logf("%s: seen after %v", what, d.Round(time.Millisecond))
	return d
}

// TestInstancesInStep runs two vigil serve processes on one PostgreSQL
// database: a change made through the CLI (an import, `election config`)
// and through one instance (a token revoked) is followed by the other,
// and a client that moves from an instance to the other never gets older
// results than it has seen.
func TestInstancesInStep(t *testing.T) {
	addr := storetest.PostgresAddr(t)
	dir := t.TempDir()
	mustVigil(t, "import", "--db", addr, "--election", "e1", "--source", "official-preliminary", "--mapping", "testdata/small.json", "testdata/small.csv")
	roster := filepath.Join(dir, "roster.csv")
	os.WriteFile(roster, []byte("id,name,phone\n101,A,+77010000101\n"), 0o644)
	mustVigil(t, "roster", "import", roster, "--db", addr, "--org", "Group")
	out := mustVigil(t, "user", "add", "--db", addr, "--org", "Group", "--username", "boss", "--role", "administrator", "--json")
	var user struct {
		Password string `json:"password"`
	}
	json.Unmarshal([]byte(out), &user)
	out = mustVigil(t, "token", "create", "--db", addr, "--org", "Group", "--observer", "101", "--json")
	var tok struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	json.Unmarshal([]byte(out), &tok)

	a := startServe(t, nil, "--db", addr, "--addr", "127.0.0.1:0", "--metrics-addr=", "--log-level", "warn")
	b := startServe(t, nil, "--db", addr, "--addr", "127.0.0.1:0", "--metrics-addr=", "--log-level", "warn")
	c := &http.Client{Timeout: 30 * time.Second}
	results := "/api/v1/elections/e1/results"
	seqAt := func(s *served, header ...string) int64 {
		resp, body := get(t, c, s.base+results, header...)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", results, resp.StatusCode, body)
		}
		return seqOf(t, resp)
	}
	s0 := seqAt(a)
	if sb := seqAt(b); sb != s0 {
		t.Fatalf("two instances on one database at sequences %d and %d", s0, sb)
	}

	// Through the CLI (another process): official results, then the
	// election's configuration.
	mustVigil(t, "import", "--db", addr, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	var s1 int64
	until(t, "an import through the CLI, on instance A", func() bool { s1 = seqAt(a); return s1 > s0 })
	// A client that saw s1 on A and moves to B is never served less, on
	// its very first request, whether B has heard of the change yet or not.
	if sb := seqAt(b, "Vigil-Seq", "1:"+strconv.FormatInt(s1, 10)); sb < s1 {
		t.Fatalf("results went backwards: the client saw sequence %d on A, B answered with %d", s1, sb)
	}
	until(t, "an import through the CLI, on instance B", func() bool { return seqAt(b) >= s1 })
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"tolerances": {"BOX_LE_ISSUED": {"absolute": 1}}}`), 0o644)
	mustVigil(t, "election", "config", "--db", addr, "--election", "e1", "--set", cfg)
	until(t, "election config through the CLI, on instance A", func() bool { return seqAt(a) > s1 })
	until(t, "election config through the CLI, on instance B", func() bool { return seqAt(b) > s1 })

	// Through instance A: a token revoked. B has the token's principal in
	// its cache; the change feed drops it there.
	me := func(s *served) int {
		resp, _ := get(t, c, s.base+"/api/v1/observe/me", "Authorization", "Bearer "+tok.Token)
		return resp.StatusCode
	}
	if code := me(b); code != 200 {
		t.Fatalf("the observer's token on B: %d", code)
	}
	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Timeout: 30 * time.Second, Jar: jar}
	resp, err := staff.Post(a.base+"/api/v1/observe/login", "application/json", strings.NewReader(`{"username":"boss","password":"`+user.Password+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login on A: %v %v", resp, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("DELETE", a.base+"/api/v1/observe/tokens/"+strconv.FormatInt(tok.ID, 10), nil)
	resp, err = staff.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoking on A: %v %v", resp, err)
	}
	resp.Body.Close()
	until(t, "a token revoked through instance A, on instance B", func() bool { return me(b) == http.StatusUnauthorized })
	if code := me(a); code != http.StatusUnauthorized {
		t.Fatalf("the revoked token still works on A: %d", code)
	}
}

// testDBEnv returns the address in the environment variable name, or
// skips (fails in CI, where .ci/run sets it).
func testDBEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: in CI this test must run (.ci/run sets it)", name)
		}
		t.Skipf("set %s to run this test (.ci/run shows how)", name)
	}
	return v
}

// withQuery returns addr with its query parameters set from extra's.
func withQuery(t *testing.T, addr string, kv ...string) string {
	t.Helper()
	u, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// TestServeReadReplica: with --db-read, the portal reads the streaming
// replica and staff writes go to the primary. The replica's replay is
// paused: a new import on the primary does not show on the portal (its
// sequence stays), a staff login (a session written) still works, and the
// import shows once the replay resumes.
func TestServeReadReplica(t *testing.T) {
	replica := testDBEnv(t, "VIGIL_TEST_REPLICA")
	addr := storetest.PostgresAddr(t)
	pu, _ := url.Parse(addr)
	raddr := withQuery(t, replica, "search_path", pu.Query().Get("search_path"))
	mustVigil(t, "import", "--db", addr, "--election", "e1", "--source", "official-preliminary", "--mapping", "testdata/small.json", "testdata/small.csv")
	out := mustVigil(t, "user", "add", "--db", addr, "--org", "Group", "--username", "boss", "--role", "administrator", "--json")
	var user struct {
		Password string `json:"password"`
	}
	json.Unmarshal([]byte(out), &user)
	rdb, err := sql.Open("pgx", raddr)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	until(t, "the schema on the replica", func() bool {
		var n int
		return rdb.QueryRow(`SELECT count(*) FROM users`).Scan(&n) == nil && n == 1
	})
	s := startServe(t, nil, "--db", addr, "--db-read", raddr, "--addr", "127.0.0.1:0", "--metrics-addr=", "--log-level", "warn")
	c := &http.Client{Timeout: 30 * time.Second}
	final := "/api/v1/elections/e1/results?source=official-final"
	resp, _ := get(t, c, s.base+final)
	s0 := seqOf(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("results: %d", resp.StatusCode)
	}

	if _, err := rdb.Exec(`SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if _, err := rdb.Exec(`SELECT pg_wal_replay_resume()`); err != nil {
				t.Error(err)
			}
		}
	}
	defer resume()
	mustVigil(t, "import", "--db", addr, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Timeout: 30 * time.Second, Jar: jar}
	lr, err := staff.Post(s.base+"/api/v1/observe/login", "application/json", strings.NewReader(`{"username":"boss","password":"`+user.Password+`"}`))
	if err != nil || lr.StatusCode != 200 {
		t.Fatalf("a staff login (a write) with the replica paused: %v %v", lr, err)
	}
	lr.Body.Close()
	// The portal, on the paused replica, still shows what it had.
	for range 3 {
		resp, body := get(t, c, s.base+final)
		if got := seqOf(t, resp); got != s0 {
			t.Fatalf("the portal moved to sequence %d (from %d) with the replica paused: it does not read the replica (%s)", got, s0, body)
		}
	}
	resume()
	until(t, "the import on the portal once the replica replays", func() bool {
		resp, _ := get(t, c, s.base+final)
		return seqOf(t, resp) > s0
	})
}

// TestServeBehindPgBouncer: the CLI and two instances through PgBouncer in
// transaction mode (query mode exec; the change feed LISTENs on the server
// itself), under concurrent requests, and the instances still follow a
// change made through the CLI.
func TestServeBehindPgBouncer(t *testing.T) {
	bouncer := testDBEnv(t, "VIGIL_TEST_PGBOUNCER")
	direct := testDBEnv(t, storetest.EnvPostgres)
	// PgBouncer passes no search_path: a database of its own, not a schema.
	var rb [6]byte
	rand.Read(rb[:])
	name := "vigil_pgb_" + hex.EncodeToString(rb[:])
	admin, err := sql.Open("pgx", direct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	// After the servers are stopped (cleanups run last first).
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("dropping the test database %s: %v", name, err)
		}
		admin.Close()
	})
	at := func(base string) string {
		u, _ := url.Parse(base)
		u.Path = "/" + name
		return u.String()
	}
	via, listen := at(bouncer), at(direct)
	cli := withQuery(t, via, "default_query_exec_mode", "exec")
	mustVigil(t, "import", "--db", cli, "--election", "e1", "--source", "official-preliminary", "--mapping", "testdata/small.json", "testdata/small.csv")
	args := []string{"--db", via, "--db-query-mode", "exec", "--db-listen", listen, "--db-max-conns", "8", "--addr", "127.0.0.1:0", "--metrics-addr=", "--log-level", "warn"}
	a := startServe(t, nil, args...)
	b := startServe(t, nil, args...)
	c := &http.Client{Timeout: 60 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan string, 400)
	for i := range 16 {
		srv := []*served{a, b}[i%2]
		wg.Go(func() {
			for j := range 20 {
				path := []string{"/api/v1/elections/e1/results", "/elections/e1", "/readyz"}[j%3]
				resp, err := c.Get(srv.base + path)
				if err != nil {
					errs <- err.Error()
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- path + ": " + resp.Status
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	resp, _ := get(t, c, b.base+"/api/v1/elections/e1/results")
	s0 := seqOf(t, resp)
	mustVigil(t, "import", "--db", cli, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	until(t, "an import through the CLI and PgBouncer, on instance B", func() bool {
		resp, _ := get(t, c, b.base+"/api/v1/elections/e1/results")
		return seqOf(t, resp) > s0
	})
}

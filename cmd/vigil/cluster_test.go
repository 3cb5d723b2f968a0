package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

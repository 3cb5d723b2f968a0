package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/gcpace"
	"github.com/vigil-elections/vigil/internal/observe/load"
	"github.com/vigil-elections/vigil/internal/store"
)

// syncBuffer collects a child's stderr while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// served is a vigil serve running as a child process.
type served struct {
	cmd     *exec.Cmd
	base    string // http(s)://127.0.0.1:port
	metrics string // http://127.0.0.1:port/metrics, or ""
	stderr  *syncBuffer
}

// startServe runs vigil serve (this test binary as the program) and waits
// for the lines that say where it listens.
func startServe(t *testing.T, env []string, args ...string) *served {
	t.Helper()
	cmd := program(append([]string{"serve"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	wantMetrics := !strings.Contains(strings.Join(args, " "), "--metrics-addr=") // --metrics-addr= turns it off
	timeout := time.After(30 * time.Second)
	for s.base == "" || (wantMetrics && s.metrics == "") {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("vigil serve ended before serving: %s", s.stderr.String())
			}
			if _, u, ok := strings.Cut(l, " on "); ok && strings.HasPrefix(l, "vigil: serving") {
				s.base = strings.TrimSuffix(u, "/")
			}
			if u, ok := strings.CutPrefix(l, "vigil: metrics on "); ok {
				s.metrics = u
			}
		case <-timeout:
			t.Fatalf("vigil serve did not start: %s", s.stderr.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return s
}

// stop sends SIGTERM and returns the process's exit error (nil: status 0).
func (s *served) stop(t *testing.T) error {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return s.cmd.Wait()
}

func get(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// logLines parses a JSON log.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// TestServeOperations runs vigil serve from a configuration file under a
// load of submissions, and checks the request log, the readiness probe,
// the metrics, and a SIGTERM that finishes the submissions in flight:
// exit status 0 and every acknowledged report in the database.
func TestServeOperations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "v.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	electionID, token, err := load.Setup(ctx, db, 200)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "vigil.toml")
	os.WriteFile(conf, []byte(`db = "`+dbPath+`"
addr = "127.0.0.1:0"
metrics_addr = "127.0.0.1:0"
log_format = "json"
log_level = "debug"
shutdown_timeout = "60s"
# One token sends every report of the load: no per-token limit here.
report_burst = 1000000
report_every = "1ns"
`), 0o600)
	s := startServe(t, nil, "--config", conf)
	c := &http.Client{Timeout: 30 * time.Second}

	resp, body := get(t, c, s.base+"/readyz", "X-Request-Id", "probe-1")
	if resp.StatusCode != 200 || !strings.Contains(body, `"ready"`) || !strings.Contains(body, `"warm_up":"done"`) || resp.Header.Get("X-Request-Id") != "probe-1" {
		t.Fatalf("readyz: %d %s, request id %q", resp.StatusCode, body, resp.Header.Get("X-Request-Id"))
	}
	if out := mustVigil(t, "health", "--url", s.base+"/readyz"); !strings.Contains(out, `"ready"`) {
		t.Fatalf("vigil health: %s", out)
	}
	resp, _ = get(t, c, s.base+"/no/such/page?secret=hunter2")
	if resp.StatusCode != 404 || len(resp.Header.Get("X-Request-Id")) < 16 {
		t.Fatalf("unknown page: %d, request id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}

	var mu sync.Mutex
	acked := map[int]bool{}
	const reports = 3000
	lctx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	done := make(chan load.Result, 1)
	go func() {
		done <- load.Run(lctx, load.Config{URL: s.base, Token: token, ElectionID: electionID, Stations: 200, Clients: 40,
			Reports: reports, Duration: 2 * time.Minute, Prefix: "ops", Retries: 2,
			OnAck: func(i int) { mu.Lock(); acked[i] = true; mu.Unlock() }})
	}()
	for deadline := time.Now().Add(time.Minute); ; {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d reports acknowledged in a minute", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, m := get(t, c, s.metrics)
	for _, want := range []string{
		`vigil_http_requests_total{code="200",route="GET /readyz"} 2`,
		// The portal's catch-all (an HTML 404 page) takes paths no other
		// route matches.
		`vigil_http_requests_total{code="404",route="GET /"} 1`,
		`vigil_submissions_total{channel="api",outcome="created"}`,
		`vigil_http_request_duration_seconds_bucket{route="POST /api/v1/elections/{election}/reports",le="+Inf"}`,
		`vigil_intake_batch_size_count`, `vigil_intake_queue_depth`, `vigil_intake_commit_duration_seconds_sum`,
		`go_sql_open_connections{db_name="vigil"}`, `go_sql_wait_count_total{db_name="vigil"}`,
		`vigil_live_streams 0`, `vigil_shutting_down 0`, `vigil_build_info{build_date=`,
		`vigil_cache_requests_total{cache="token",result="hit"}`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// 300 reports on 200 stations: stations that had one already folded
	// the next into their group's state.
	if !regexp.MustCompile(`\nvigil_observation_groups_total\{how="folded"\} [1-9]`).MatchString(m) {
		t.Errorf("metrics: no observation group folded:\n%s", regexp.MustCompile(`(?m)^vigil_observation_groups.*$`).FindAllString(m, -1))
	}
	if _, err := vigil(t, "health", "--url", s.base+"/no/such/page"); err == nil {
		t.Error("vigil health: a 404 counts as healthy")
	}
	// Every series the sample Grafana dashboard asks for exists.
	dash, err := os.ReadFile("../../docs/grafana-vigil.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`\b(?:vigil|go_sql|go_memstats|process)_[a-z_]+`).FindAllString(string(dash), -1) {
		if !strings.Contains(m, "\n"+name) {
			t.Errorf("docs/grafana-vigil.json asks for %s, which /metrics does not have", name)
		}
	}
	// SIGTERM with submissions in flight.
	if err := s.stop(t); err != nil {
		t.Fatalf("vigil serve after SIGTERM: %v (want exit status 0)\n%.3000s", err, s.stderr.String())
	}
	cancelLoad()
	<-done
	db, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := map[string]bool{}
	rows, err := db.Query(`SELECT client_id FROM reports`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		stored[id] = true
	}
	rows.Close()
	mu.Lock()
	for i := range acked {
		if !stored[load.ClientID("ops", i)] {
			t.Errorf("report %d was acknowledged but is not in the database", i)
		}
	}
	t.Logf("%d reports acknowledged before and during the shutdown, %d stored", len(acked), len(stored))
	mu.Unlock()

	log := s.stderr.String()
	if strings.Contains(log, token) || strings.Contains(log, "hunter2") || strings.Contains(log, "voters_so_far") {
		t.Error("the log holds a token, a query string or report content")
	}
	var sawProbe, sawSubmit, sawStop bool
	for _, l := range logLines(t, log) {
		switch {
		case l["msg"] == "request" && l["route"] == "GET /readyz" && l["request_id"] == "probe-1":
			sawProbe = true
			for _, k := range []string{"method", "route", "status", "bytes", "duration_ms", "request_id", "client"} {
				if _, ok := l[k]; !ok {
					t.Errorf("request line lacks %s: %v", k, l)
				}
			}
			if l["request_id"] != "probe-1" || l["status"] != 200.0 || l["client"] != "127.0.0.1" || l["level"] != "DEBUG" {
				t.Errorf("readyz line: %v", l)
			}
		case l["msg"] == "request" && l["route"] == "POST /api/v1/elections/{election}/reports" && l["status"] == 201.0:
			if l["user"] == "load-coordinator" && l["role"] == "coordinator" && l["org"] != nil && l["level"] == "INFO" {
				sawSubmit = true
			}
		case l["msg"] == "stopped":
			sawStop = true
		}
	}
	if !sawProbe || !sawSubmit || !sawStop {
		t.Errorf("log: readyz line %v, submission line with its user %v, stopped %v\n%.2000s", sawProbe, sawSubmit, sawStop, log)
	}
}

// startServeInProcess runs `vigil serve` in-process with the given arguments and
// environment and returns its base URL; the server stops with the test.
func startServeInProcess(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"vigil", "serve", "--addr", "127.0.0.1:0", "--metrics-addr", ""}, args...), func(k string) string { return env[k] },
			strings.NewReader(""), &out, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	re := regexp.MustCompile(`on (http://[^/]+)/`)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestServeTrustedProxy: the session cookie is Secure when a trusted proxy
// says the client used HTTPS, and only then; the proxies come from
// --trusted-proxy or VIGIL_TRUSTED_PROXIES.
func TestServeTrustedProxy(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	env := map[string]string{"VIGIL_PASSWORD": "correct horse battery"}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"vigil", "user", "add", "--db", db, "--org", "M", "--username", "admin", "--role", "administrator"},
		func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("user add: %v %s", err, errb.String())
	}
	secure := func(base string) bool {
		req, _ := http.NewRequest("POST", base+"/api/v1/observe/login", strings.NewReader(`{"username":"admin","password":"correct horse battery"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "vigil_session" {
				return c.Secure
			}
		}
		t.Fatal("no session cookie")
		return false
	}
	if secure(startServeInProcess(t, nil, "--db", db)) {
		t.Error("no trusted proxy: a forged X-Forwarded-Proto made the cookie Secure")
	}
	if !secure(startServeInProcess(t, nil, "--db", db, "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1")) {
		t.Error("--trusted-proxy 127.0.0.1: X-Forwarded-Proto https from it did not make the cookie Secure")
	}
	if !secure(startServeInProcess(t, map[string]string{"VIGIL_TRUSTED_PROXIES": "192.0.2.0/24, 127.0.0.0/8"}, "--db", db)) {
		t.Error("VIGIL_TRUSTED_PROXIES=…127.0.0.0/8: the cookie is not Secure")
	}
	if _, err := vigil(t, "serve", "--db", db, "--trusted-proxy", "not-a-network"); err == nil || !strings.Contains(err.Error(), "not-a-network") {
		t.Errorf("a bad --trusted-proxy: %v", err)
	}
}

// TestServeGCPace: vigil serve collects at gcpace.Server while it serves
// and puts the previous pace back when it stops; with GOGC set it leaves
// the pace alone.
func TestServeGCPace(t *testing.T) {
	pace := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	prev := debug.SetGCPercent(150)
	defer debug.SetGCPercent(prev)
	for _, c := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{}, gcpace.Server},
		{map[string]string{"GOGC": "150"}, 150},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan error, 1)
		db := filepath.Join(t.TempDir(), "v.db")
		go func() {
			done <- run(ctx, []string{"vigil", "serve", "--db", db, "--addr", "127.0.0.1:0", "--metrics-addr", ""}, func(k string) string { return c.env[k] },
				strings.NewReader(""), &out, &errb)
		}()
		for !strings.Contains(out.String(), "http://") {
			select {
			case err := <-done:
				t.Fatalf("serve ended: %v\n%s", err, errb.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
		if got := pace(); got != c.want {
			t.Errorf("GOGC %q: serving at pace %d, want %d", c.env["GOGC"], got, c.want)
		}
		cancel()
		<-done
		if got := pace(); got != 150 {
			t.Errorf("GOGC %q: after serving the pace is %d, want the previous 150", c.env["GOGC"], got)
		}
	}
}

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/metrics"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestReadyz: ready on a current schema; not ready while draining, or
// when the schema is not the one the binary expects.
func TestReadyz(t *testing.T) {
	db := storetest.SQLite(t)
	var log lockedBuffer
	h, err := site.New(db, web.Options{Logger: slog.New(slog.NewJSONHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.CloseObservation)
	srv := httptest.NewServer(h)
	defer srv.Close()
	ready := func() (int, string) {
		t.Helper()
		return webtest.Get(t, srv.URL+"/readyz", "")
	}
	if code, body := ready(); code != 200 || !strings.Contains(body, `"status":"ready"`) {
		t.Fatalf("fresh: %d %s", code, body)
	}
	// The warm-up (the observed elections' area indexes): not ready while
	// it runs; ready once it is done.
	release := h.HoldWarmUp()
	if code, body := ready(); code != 503 || !strings.Contains(body, `"warm_up":"loading the areas of the elections observed"`) {
		t.Fatalf("warming: %d %s", code, body)
	}
	release()
	// An election observed (the row a deployment or a report moves): the
	// warm-up loads its areas in the background, then says done.
	ctx := context.Background()
	org, err := db.EnsureOrganisation(ctx, "readyz", "")
	if err != nil {
		t.Fatal(err)
	}
	e := &election.Election{Name: "readyz", Kind: "presidential", Config: election.Config{AreaLevels: []string{"region", "station"}}}
	if err := db.CreateElection(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO obs_changes (org_id, election_id, n) VALUES ($1, $2, 1)`, org.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	h.WarmUp(ctx)
	for i := 0; ; i++ {
		code, body := ready()
		if code == 200 && strings.Contains(body, `"warm_up":"done"`) {
			break
		}
		if i == 200 {
			t.Fatalf("after the warm-up: %d %s", code, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(log.String(), `"msg":"warmed up","elections":1`) {
		t.Errorf("no warm-up of the observed election in the log:\n%s", log.String())
	}
	// A migration missing (as after a failed upgrade by another process).
	var latest int
	var name string
	if err := db.QueryRow(`SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1`).Scan(&latest, &name); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = $1`, latest); err != nil {
		t.Fatal(err)
	}
	if code, body := ready(); code != 503 || !strings.Contains(body, fmt.Sprintf(`this binary expects %d"`, latest)) {
		t.Fatalf("missing migration: %d %s", code, body)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, 'x')`, latest, name); err != nil {
		t.Fatal(err)
	}
	if code, _ := ready(); code != 200 {
		t.Fatalf("restored: %d", code)
	}
	h.Drain()
	if code, body := ready(); code != 503 || !strings.Contains(body, `"shutdown":"draining"`) {
		t.Fatalf("draining: %d %s", code, body)
	}
	// /healthz still says alive: draining is not dead.
	if code, _ := webtest.Get(t, srv.URL+"/healthz", ""); code != 200 {
		t.Fatalf("healthz while draining: %d", code)
	}
	db.Close()
	h2, _ := site.New(db, web.Options{})
	t.Cleanup(h2.CloseObservation)
	srv2 := httptest.NewServer(h2)
	defer srv2.Close()
	if code, body := webtest.Get(t, srv2.URL+"/readyz", ""); code != 503 || !strings.Contains(body, `"database":"unreachable"`) {
		t.Fatalf("closed database: %d %s", code, body)
	}
}

// TestRequestLog: one JSON line per request, with the route pattern, the
// request id (the client's, or a new one) and the signed-in user; the
// request id also on the lines a handler logs; the metrics count it.
func TestRequestLog(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	var log lockedBuffer
	h, err := site.New(fx.DB, web.Options{Logger: slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.CloseObservation)
	srv := httptest.NewServer(h)
	defer srv.Close()
	before := testutil.ToFloat64(metrics.HTTPRequests.WithLabelValues("GET /api/v1/observe/me", "200"))

	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/observe/me", nil)
	req.Header.Set("X-Request-Id", "rid-42")
	req.Header.Set("X-Forwarded-For", "203.0.113.9") // from a trusted proxy: the client
	req.AddCookie(fx.Cookies["analyst"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Request-Id") != "rid-42" {
		t.Fatalf("me: %d, id %q", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	// An id that is not plain text is replaced.
	req, _ = http.NewRequest("GET", srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "bad id\"{}")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if id := resp.Header.Get("X-Request-Id"); id == "bad id\"{}" || len(id) != 24 {
		t.Fatalf("unsafe request id kept or none made: %q", id)
	}
	if got := testutil.ToFloat64(metrics.HTTPRequests.WithLabelValues("GET /api/v1/observe/me", "200")); got != before+1 {
		t.Errorf("vigil_http_requests_total for /me: %v, want %v", got, before+1)
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	var me map[string]any
	for _, l := range lines {
		if l["msg"] == "request" && l["route"] == "GET /api/v1/observe/me" {
			me = l
		}
	}
	if me == nil {
		t.Fatalf("no request line for /me in %s", log.String())
	}
	if me["request_id"] != "rid-42" || me["method"] != "GET" || me["status"] != 200.0 || me["user"] != "analyst" || me["role"] != "analyst" ||
		me["org"] != float64(fx.OrgA.ID) || me["bytes"].(float64) <= 0 || me["duration_ms"] == nil || me["client"] != "203.0.113.9" {
		t.Errorf("request line: %v", me)
	}
	if strings.Contains(log.String(), fx.Cookies["analyst"].Value) {
		t.Error("the session cookie is in the log")
	}
}

// TestDisabledUserLocksOut: disabling a user (vigil user disable) ends their
// session and refuses their password.
func TestDisabledUserLocksOut(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	me := func() string {
		req, _ := http.NewRequest("GET", fx.Srv.URL+"/api/v1/observe/me", nil)
		req.AddCookie(fx.Cookies["analyst"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m struct{ Role string }
		json.NewDecoder(resp.Body).Decode(&m)
		return m.Role
	}
	if r := me(); r != "analyst" {
		t.Fatalf("before: %q", r)
	}
	u, err := fx.DB.UserByName(context.Background(), "analyst")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.DB.SetDisabled(context.Background(), u.ID, true, store.AuditEntry{OrgID: u.OrgID, Actor: "cli", Channel: "cli", Action: "user.disable"}); err != nil {
		t.Fatal(err)
	}
	if r := me(); r != "public" {
		t.Fatalf("the disabled user's session still works: %q", r)
	}
	resp, err := http.Post(fx.Srv.URL+"/api/v1/observe/login", "application/json", strings.NewReader(`{"username":"analyst","password":"`+webtest.Password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled user logged in: %d", resp.StatusCode)
	}
}

package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestLoginBudgetReservedBeforeCheck: 200 concurrent wrong logins from one
// address run at most the address's budget of argon2 checks (the attack
// run got 109 checks against a budget of 10).
func TestLoginBudgetReservedBeforeCheck(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	fx.H.FixClock(time.Now())
	before := fx.H.PasswordChecks()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := http.Post(fx.Srv.URL+"/api/v1/observe/login", "application/json", strings.NewReader(webtest.LoginBody("admin", fmt.Sprint("guess ", i))))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	checks := fx.H.PasswordChecks() - before
	t.Logf("200 concurrent wrong logins: %d password checks, answers %v", checks, codes)
	if checks > 10 || checks < 1 {
		t.Errorf("200 concurrent wrong logins ran %d password checks; the budget is 10", checks)
	}
	if int64(codes[401]) != checks || codes[429] != 200-int(checks) {
		t.Errorf("answers %v for %d checks: want a 401 per check and 429 for the rest", codes, checks)
	}
}

// TestLoginThrottlePerAddressAndAccount: failures for made-up names spend
// the attacker's address budget, not the real user's; a name's own budget
// caps guesses from many addresses, the same for a real and a made-up
// name (so the 429 does not tell which names exist).
func TestLoginThrottlePerAddressAndAccount(t *testing.T) {
	fx := behindProxy(t)
	const login = "/api/v1/observe/login"
	for i := range 12 {
		code, _ := fx.From(t, "198.51.100.1", "POST", login, webtest.LoginBody(fmt.Sprint("ghost", i), "whatever123"))
		if want := map[bool]int{true: 401, false: 429}[i < 10]; code != want {
			t.Fatalf("made-up name %d from the attacker's address: %d, want %d", i, code, want)
		}
	}
	if code, _ := fx.From(t, "198.51.100.1", "POST", login, webtest.LoginBody("admin", webtest.Password)); code != 429 {
		t.Errorf("the attacker's address is throttled, yet admin's login from it got %d", code)
	}
	if code, body := fx.From(t, "203.0.113.5", "POST", login, webtest.LoginBody("admin", webtest.Password)); code != 200 {
		t.Errorf("admin's right password from another address after failures for made-up names: %d %s", code, body)
	}
	// Many addresses against one name: a real one and a made-up one get
	// the same answers.
	for _, name := range []string{"analyst", "nobody-here"} {
		var got []string
		for i := range 12 {
			code, body := fx.From(t, fmt.Sprintf("192.0.2.%d", i+1), "POST", login, webtest.LoginBody(name, "wrong password"))
			got = append(got, fmt.Sprint(code, " ", strings.TrimSpace(body)))
		}
		for i, g := range got {
			wantCode := map[bool]string{true: "401", false: "429"}[i < 10]
			if !strings.HasPrefix(g, wantCode) {
				t.Errorf("%s, guess %d from its own address: %s, want %s", name, i, g, wantCode)
			}
		}
		if name == "analyst" {
			checks := fx.H.PasswordChecks()
			if code, _ := fx.From(t, "192.0.2.200", "POST", login, webtest.LoginBody(name, "yet another")); code != 429 {
				t.Errorf("an exhausted account from a fresh address: %d", code)
			}
			if fx.H.PasswordChecks() != checks {
				t.Errorf("a throttled attempt ran a password check")
			}
		}
	}
}

// TestBasicAuthSameAnswer: HTTP Basic (OpenRosa, the API) answers an
// unknown user and a wrong password alike, runs a password check for both,
// and throttles unknown users too.
func TestBasicAuthSameAnswer(t *testing.T) {
	fx := behindProxy(t)
	before := fx.H.PasswordChecks()
	c1, unknown := fx.From(t, "198.51.100.2", "GET", "/api/v1/observe/me", "", "no-such-user", "some password")
	c2, wrong := fx.From(t, "198.51.100.3", "GET", "/api/v1/observe/me", "", "admin", "some password")
	if c1 != 401 || c2 != 401 || unknown != wrong {
		t.Errorf("unknown user: %d %s; wrong password: %d %s; want the same 401", c1, unknown, c2, wrong)
	}
	if n := fx.H.PasswordChecks() - before; n != 2 {
		t.Errorf("%d password checks for one unknown user and one wrong password, want 2 (the same work)", n)
	}
	for i := range 11 {
		code, _ := fx.From(t, "198.51.100.4", "HEAD", fmt.Sprintf("/openrosa/%d/submission", fx.El.ID), "", fmt.Sprint("ghost", i), "some password")
		if want := map[bool]int{true: 401, false: 429}[i < 10]; code != want {
			t.Errorf("OpenRosa Basic, unknown user %d: %d, want %d", i, code, want)
		}
	}
	if code, _ := fx.From(t, "198.51.100.5", "GET", "/api/v1/observe/me", "", "admin", webtest.Password); code != 200 {
		t.Errorf("Basic with the right password from another address: %d", code)
	}
}

// TestCoordinatorScope: a coordinator of North neither revokes a South
// observer's token, nor reads South's drawn stations or assignments; an
// observer does not read the QC rules.
func TestCoordinatorScope(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	e := fmt.Sprintf("/api/v1/elections/%d", fx.El.ID)
	if code, out := fx.Do(t, "admin", "POST", e+"/deployments", map[string]any{"seed": "scope", "size": 6, "strata": []string{"region"}, "assign": false}); code != 201 {
		t.Fatalf("draw: %d %v", code, out)
	}
	regions := func(as string) map[string]bool {
		code, out := fx.Do(t, as, "GET", e+"/deployments/latest", nil)
		if code != 200 {
			t.Fatalf("%s deployment: %d %v", as, code, out)
		}
		byID := map[float64]string{}
		for _, st := range fx.Stations {
			byID[float64(st.ID)] = st.Path[0]
		}
		seen := map[string]bool{}
		for _, st := range out["stations"].([]any) {
			seen[byID[st.(map[string]any)["area_id"].(float64)]] = true
		}
		return seen
	}
	if got := regions("analyst"); !got["North"] || !got["South"] {
		t.Fatalf("the analyst's deployment has regions %v, want both", got)
	}
	if got := regions("coordinator"); !got["North"] || got["South"] {
		t.Errorf("the North coordinator's deployment has regions %v, want North only", got)
	}
	_, out := fx.Do(t, "coordinator", "GET", e+"/assignments", nil)
	if s := fmt.Sprint(out["assignments"]); strings.Contains(s, "South") || !strings.Contains(s, "North") {
		t.Errorf("the North coordinator's assignments: %s", s)
	}
	page := func(as string) string {
		req, _ := http.NewRequest("GET", fx.Srv.URL+"/observe/", nil)
		req.AddCookie(fx.Cookies[as])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if p := page("admin"); !strings.Contains(p, "PS 201") {
		t.Fatalf("the admin's /observe/ lacks South's PS 201: %s", p)
	}
	if p := page("coordinator"); strings.Contains(p, "PS 201") || !strings.Contains(p, "PS 101") {
		t.Errorf("the North coordinator's /observe/ page shows South's assignments (or lacks North's)")
	}
	south := fx.NewToken(t, "obs3")
	if code, _ := fx.Do(t, "coordinator", "DELETE", fmt.Sprintf("/api/v1/observe/tokens/%d", south), nil); code != 403 {
		t.Errorf("the North coordinator revoking a South observer's token: %d, want 403", code)
	}
	if code, _ := fx.Do(t, "coordinator", "DELETE", fmt.Sprintf("/api/v1/observe/tokens/%d", fx.NewToken(t, "obs2")), nil); code != 200 {
		t.Errorf("the North coordinator revoking a North observer's token: %d, want 200", code)
	}
	if code, _ := fx.Do(t, "admin", "DELETE", fmt.Sprintf("/api/v1/observe/tokens/%d", south), nil); code != 200 {
		t.Errorf("the admin revoking the South token (still valid after the coordinator's refusal): %d", code)
	}
	for _, as := range []string{"token:obs1", "token:obs3"} {
		if code, _ := fx.Do(t, as, "GET", "/api/v1/observe/qc-rules", nil); code != 403 {
			t.Errorf("%s reading the QC rules: %d, want 403", as, code)
		}
	}
}

// TestHTTPSBehindProxy: the session cookie is Secure, and HSTS is sent,
// when the client used HTTPS through a trusted proxy; a forged
// X-Forwarded-Proto from an untrusted peer changes neither.
func TestHTTPSBehindProxy(t *testing.T) {
	check := func(fx *webtest.ObsFixture, want bool) {
		t.Helper()
		req, _ := http.NewRequest("POST", fx.Srv.URL+"/api/v1/observe/login", strings.NewReader(webtest.LoginBody("admin", webtest.Password)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var secure bool
		for _, c := range resp.Cookies() {
			if c.Name == web.SessionCookie {
				secure = c.Secure
			}
		}
		hsts := resp.Header.Get("Strict-Transport-Security") != ""
		if resp.StatusCode != 200 || secure != want || hsts != want {
			t.Errorf("login with X-Forwarded-Proto: https: %d, Secure cookie %v, HSTS %v; want %v", resp.StatusCode, secure, hsts, want)
		}
	}
	check(behindProxy(t), true)
	check(webtest.NewObsFixture(t, storetest.SQLite(t)), false)
}

// The sign-in page answers a spent budget with 429, as the JSON login does
// (an attack rerun found it answering 401 with the right message).
func TestLoginPageThrottled(t *testing.T) {
	fx := behindProxy(t)
	post := func() (int, string) {
		req, _ := http.NewRequest("POST", fx.Srv.URL+"/login", strings.NewReader("username=admin&password=wrong+guess"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "198.51.100.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i := range 10 {
		if code, _ := post(); code != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i, code)
		}
	}
	code, body := post()
	if code != 429 || !strings.Contains(body, "too many failed logins") || !strings.Contains(body, "<form") {
		t.Fatalf("after the budget: %d, want 429 with the sign-in page saying why:\n%.300s", code, body)
	}
}

// behindProxy is a fixture whose server trusts the loopback as its reverse
// proxy, so that a test speaks from any client address with
// X-Forwarded-For; the login budgets' clock is stopped.
func behindProxy(t *testing.T) *webtest.ObsFixture {
	fx := webtest.NewObsFixtureWith(t, storetest.SQLite(t), web.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	fx.H.FixClock(time.Now())
	return fx
}

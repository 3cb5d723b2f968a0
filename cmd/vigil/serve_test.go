package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that the serving goroutine and the test may
// use at once.
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

// startServe runs `vigil serve` in-process with the given arguments and
// environment and returns its base URL; the server stops with the test.
func startServe(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"vigil", "serve", "--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] },
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
	if secure(startServe(t, nil, "--db", db)) {
		t.Error("no trusted proxy: a forged X-Forwarded-Proto made the cookie Secure")
	}
	if !secure(startServe(t, nil, "--db", db, "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1")) {
		t.Error("--trusted-proxy 127.0.0.1: X-Forwarded-Proto https from it did not make the cookie Secure")
	}
	if !secure(startServe(t, map[string]string{"VIGIL_TRUSTED_PROXIES": "192.0.2.0/24, 127.0.0.0/8"}, "--db", db)) {
		t.Error("VIGIL_TRUSTED_PROXIES=…127.0.0.0/8: the cookie is not Secure")
	}
	if _, err := vigil(t, "serve", "--db", db, "--trusted-proxy", "not-a-network"); err == nil || !strings.Contains(err.Error(), "not-a-network") {
		t.Errorf("a bad --trusted-proxy: %v", err)
	}
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and localhost and its key,
// and returns their paths and a client that trusts it.
func selfSigned(t *testing.T, dir string) (cert, key string, client *http.Client) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestServeTLS serves HTTPS directly with a generated certificate: the
// session cookie is Secure, and plain HTTP to the port is refused.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	cert, key, client := selfSigned(t, dir)
	env := map[string]string{"VIGIL_PASSWORD": "correct horse battery"}
	if _, err := vigilEnv(t, env, "user", "add", "--db", db, "--org", "M", "--username", "admin", "--role", "administrator"); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, nil, "--db", db, "--addr", "127.0.0.1:0", "--metrics-addr=", "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(s.base, "https://") {
		t.Fatalf("serving on %s", s.base)
	}
	resp, body := get(t, client, s.base+"/healthz")
	if resp.StatusCode != 200 || resp.TLS == nil || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz over TLS: %d %s", resp.StatusCode, body)
	}
	resp, err := client.Post(s.base+"/api/v1/observe/login", "application/json", strings.NewReader(`{"username":"admin","password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	secure := false
	for _, c := range resp.Cookies() {
		if c.Name == "vigil_session" {
			secure = c.Secure
		}
	}
	if resp.StatusCode != 200 || !secure {
		t.Fatalf("login over TLS: %d, Secure cookie %v", resp.StatusCode, secure)
	}
	plain := strings.Replace(s.base, "https://", "http://", 1)
	if r, err := http.Get(plain + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Fatal("plain HTTP answered on the TLS port")
		}
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	// A key that does not match is refused at start, not at the first request.
	_, otherKey, _ := selfSigned(t, t.TempDir())
	if _, err := vigil(t, "serve", "--db", db, "--tls-cert", cert, "--tls-key", otherKey); err == nil || !strings.Contains(err.Error(), "TLS certificate") {
		t.Fatalf("mismatched key: %v", err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestNginxProxy runs deploy/nginx/vigil.conf (Debian's nginx, addresses
// replaced) in front of vigil serve --trusted-proxy 127.0.0.1: HTTPS at
// nginx, the client's address from X-Forwarded-For in vigil's request
// log, the Secure cookie from X-Forwarded-Proto, nginx's request id, and
// plain HTTP redirected to HTTPS.
func TestNginxProxy(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
		if _, err := os.Stat(nginx); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("nginx is not installed: in CI the proxy test must run (.ci/run installs nginx-light)")
			}
			t.Skip("nginx is not installed (apt-get install nginx-light)")
		}
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	cert, key, client := selfSigned(t, dir)
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	env := map[string]string{"VIGIL_PASSWORD": "correct horse battery"}
	if _, err := vigilEnv(t, env, "user", "add", "--db", db, "--org", "M", "--username", "admin", "--role", "administrator"); err != nil {
		t.Fatal(err)
	}
	upstream := freePort(t)
	s := startServe(t, nil, "--db", db, "--addr", upstream, "--metrics-addr=", "--trusted-proxy", "127.0.0.1", "--log-format", "json")

	conf, err := os.ReadFile("../../deploy/nginx/vigil.conf")
	if err != nil {
		t.Fatal(err)
	}
	httpsAddr, httpAddr := freePort(t), freePort(t)
	site := strings.NewReplacer(
		"server 127.0.0.1:8080;", "server "+upstream+";",
		"listen 443 ssl http2;", "listen "+httpsAddr+" ssl http2;",
		"listen [::]:443 ssl http2;", "",
		"listen 80;", "listen "+httpAddr+";",
		"listen [::]:80;", "",
		"/etc/letsencrypt/live/vigil.example.org/fullchain.pem", cert,
		"/etc/letsencrypt/live/vigil.example.org/privkey.pem", key,
		"server_name vigil.example.org;", "server_name 127.0.0.1;",
	).Replace(string(conf))
	if strings.Contains(site, "server 127.0.0.1:8080") || strings.Contains(site, "/etc/letsencrypt/live/vigil.example.org/") || strings.Contains(site, "listen 443") {
		t.Fatalf("the test did not replace every address:\n%s", site)
	}
	os.WriteFile(filepath.Join(dir, "vigil.conf"), []byte(site), 0o644)
	for _, d := range []string{"logs", "tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	// One process (no master), so that stopping it leaves no worker.
	main := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log;
events { worker_connections 64; }
http {
    access_log %[1]s/logs/access.log;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    include %[1]s/vigil.conf;
}
`, dir)
	os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644)
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-c", filepath.Join(dir, "nginx.conf")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	base := "https://" + httpsAddr
	var resp *http.Response
	for i := 0; ; i++ {
		req, _ := http.NewRequest("POST", base+"/api/v1/observe/login", strings.NewReader(`{"username":"admin","password":"correct horse battery"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.5") // the client's own claim, kept left of nginx's
		if resp, err = client.Do(req); err == nil {
			break
		}
		if i == 100 {
			b, _ := os.ReadFile(filepath.Join(dir, "logs/error.log"))
			t.Fatalf("nginx does not answer: %v\n%s", err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp.Body.Close()
	secure := false
	for _, c := range resp.Cookies() {
		if c.Name == "vigil_session" {
			secure = c.Secure
		}
	}
	rid := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != 200 || !secure || len(rid) != 32 {
		t.Fatalf("login through nginx: %d, Secure cookie %v, request id %q", resp.StatusCode, secure, rid)
	}
	r, err := client.Get("http://" + httpAddr + "/observe")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(r.Header.Get("Location"), "https://") {
		t.Fatalf("plain HTTP: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range logLines(t, s.stderr.String()) {
		if l["msg"] == "request" && l["route"] == "POST /api/v1/observe/login" {
			found = true
			if l["client"] != "203.0.113.5" || l["request_id"] != rid {
				t.Errorf("vigil's log line behind nginx: %v (want client 203.0.113.5, request id %s)", l, rid)
			}
		}
	}
	if !found {
		t.Fatalf("no log line of the login:\n%s", s.stderr.String())
	}
}

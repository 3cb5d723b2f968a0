package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// vigilEnv runs vigil with its own environment.
func vigilEnv(t *testing.T, environ map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"vigil"}, args...), func(k string) string { return environ[k] }, strings.NewReader(""), &out, &errb)
	return out.String(), err
}

// TestReferenceConfig: deploy/vigil.toml has a key for every setting of
// serve and nothing else, and config check accepts it.
func TestReferenceConfig(t *testing.T) {
	var raw map[string]any
	if _, err := toml.DecodeFile("../../deploy/vigil.toml", &raw); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	serveFlags(fs, &serveConfig{})
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		if _, ok := raw[keyName(f.Name)]; !ok {
			t.Errorf("deploy/vigil.toml lacks %s", keyName(f.Name))
		}
	})
	// Its database directory does not exist here; config check does not
	// open the database.
	if _, err := vigilEnv(t, nil, "config", "check", "--config", "../../deploy/vigil.toml"); err != nil {
		t.Fatal(err)
	}
}

func TestConfigPrecedenceAndSecrets(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "v.toml")
	tokenFile := filepath.Join(dir, "twilio")
	os.WriteFile(tokenFile, []byte("tw-secret-from-file\n"), 0o600)
	os.WriteFile(conf, []byte(`addr = "127.0.0.1:1111"
metrics_addr = "127.0.0.1:2222"
log_level = "warn"
db = "postgres://vigil@db.example:5432/vigil"
twilio_auth_token_file = "`+tokenFile+`"
shutdown_timeout = "45s"
`), 0o600)
	env := map[string]string{"VIGIL_CONFIG": conf, "VIGIL_METRICS_ADDR": "127.0.0.1:3333", "VIGIL_DB_PASSWORD": "pg-secret", "VIGIL_TELERIVET_SECRET": "tr-secret"}
	out, err := vigilEnv(t, env, "config", "check", "--log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`addr = "127.0.0.1:1111"`, "# file", // from the file
		`metrics_addr = "127.0.0.1:3333"`, // the environment over the file
		`log_level = "debug"`,             // the command line over both
		`shutdown_timeout = "45s"`,
		`db = "postgres://vigil:xxxxx@db.example:5432/vigil"`,
		`# db_password = "xxxxx"`, "set (env)",
		"set (file " + tokenFile + ")",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config check lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"pg-secret", "tw-secret-from-file", "tr-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("config check shows a secret:\n%s", out)
		}
	}
	// The resolved secrets reach the settings, the password the URL.
	c, _, err := loadServeConfig((&env2{env}).e(), "serve", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.TwilioAuthToken != "tw-secret-from-file" || c.TelerivetSecret != "tr-secret" || c.DB != "postgres://vigil:pg-secret@db.example:5432/vigil" {
		t.Fatalf("resolved: %+v", c)
	}
	// The printed configuration reads back as a configuration file.
	back := filepath.Join(dir, "back.toml")
	os.WriteFile(back, []byte(strings.ReplaceAll(out, "xxxxx@", "@")), 0o600)
	if _, err := vigilEnv(t, nil, "config", "check", "--config", back); err != nil {
		t.Fatalf("config check output does not read back: %v", err)
	}

	for _, c := range []struct {
		file string
		env  map[string]string
		args []string
		want string
	}{
		{file: `nonsense = 1`, want: `unknown key "nonsense"`},
		{file: `twilio_auth_token = "x"`, want: "secrets are not read from the configuration file"},
		{file: `addr = [1]`, want: "want a string"},
		{file: `shutdown_timeout = "soon"`, want: "shutdown_timeout"},
		{file: `log_format = "xml"`, want: "--log-format"},
		{file: `tls_cert = "a.pem"`, want: "--tls-cert and --tls-key go together"},
		{file: `tls_cert = "a.pem"` + "\n" + `tls_key = "b.pem"`, want: "a.pem"},
		{file: `public_url = "vigil.example.org"`, want: "--public-url"},
		{file: "addr = \"x\"\n[[", want: "v.toml"},
		{env: map[string]string{"VIGIL_DB_PASSWORD": "p"}, want: "not a postgres:// URL"},
		{env: map[string]string{"VIGIL_SHUTDOWN_TIMEOUT": "-1s"}, want: "must be positive"},
		{env: map[string]string{"VIGIL_READ_TIMEOUT": "x"}, want: "VIGIL_READ_TIMEOUT"},
		{args: []string{"--db-password-file", filepath.Join(dir, "missing")}, want: "missing"},
		{args: []string{"--twilio-auth-token", "x"}, want: "flag provided but not defined"},
	} {
		os.WriteFile(conf, []byte(c.file), 0o600)
		e := map[string]string{"VIGIL_CONFIG": conf}
		for k, v := range c.env {
			e[k] = v
		}
		_, err := vigilEnv(t, e, append([]string{"config", "check"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("file %q env %v args %v: error %v, want %q", c.file, c.env, c.args, err, c.want)
		}
	}
}

type env2 struct{ m map[string]string }

func (x *env2) e() *env {
	return &env{getenv: func(k string) string { return x.m[k] }, stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
}

func TestConfigTrustedProxies(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "v.toml")
	os.WriteFile(conf, []byte(`trusted_proxies = ["10.0.0.0/8", "127.0.0.1"]`), 0o600)
	c, _, err := loadServeConfig((&env2{map[string]string{"VIGIL_CONFIG": conf}}).e(), "serve", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TrustedProxies.String(); got != "10.0.0.0/8,127.0.0.1/32" {
		t.Fatalf("from the file: %s", got)
	}
	c, _, err = loadServeConfig((&env2{map[string]string{"VIGIL_CONFIG": conf, "VIGIL_TRUSTED_PROXIES": "192.0.2.0/24"}}).e(), "serve", []string{"--trusted-proxy", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TrustedProxies.String(); got != "::1/128" {
		t.Fatalf("the command line over the environment and the file: %s", got)
	}
	os.WriteFile(conf, []byte(`trusted_proxies = ["nonsense"]`), 0o600)
	if _, _, err := loadServeConfig((&env2{map[string]string{"VIGIL_CONFIG": conf}}).e(), "serve", nil); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Fatalf("bad proxy: %v", err)
	}
}

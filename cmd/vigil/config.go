package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// Configuration of vigil serve. Every setting has one name, used three
// ways: the flag --metrics-addr, the environment variable
// VIGIL_METRICS_ADDR and the key metrics_addr of the TOML file given by
// --config (or VIGIL_CONFIG). The command line wins over the environment,
// the environment over the file, the file over the defaults.
//
// Secrets (the database password, the SMS gateways' tokens) are never
// flags, so that they never show in ps or a shell's history: each comes
// from its environment variable (VIGIL_TWILIO_AUTH_TOKEN) or from a file
// named by --twilio-auth-token-file / VIGIL_TWILIO_AUTH_TOKEN_FILE /
// twilio_auth_token_file (systemd's LoadCredential, Docker or Kubernetes
// secrets). deploy/vigil.toml is the reference file.

// serveConfig is everything vigil serve is told.
type serveConfig struct {
	DB                string
	Addr              string
	MetricsAddr       string
	PublicURL         string
	TLSCert, TLSKey   string
	LogFormat         string
	LogLevel          string
	ShutdownTimeout   time.Duration
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	TrustedProxies    proxyList
	Intake            web.IntakeLimits
	Pool              store.PoolOptions // --db-max-conns, --db-idle-time, …
	DBRead            string            // a read-only replica for the portal
	Chromium          string            // prints PDF drafts

	// Secrets.
	DBPassword      string
	TwilioAuthToken string
	TelerivetSecret string

	readDB *store.DB // opened from DBRead by serve

	logOpts logServeOpts // the transparency log's flags (log-key, log-every, log-witness)
	log     serveLog     // and what they resolve to

	file    string            // the config file read, if any
	sources map[string]string // setting → default, file, env or flag
	fs      *flag.FlagSet
}

// secret is a setting read only from the environment or a file.
type secret struct {
	name  string // twilio-auth-token: VIGIL_TWILIO_AUTH_TOKEN, --twilio-auth-token-file
	usage string
	dst   func(c *serveConfig) *string
}

var secrets = []secret{
	{"db-password", "the PostgreSQL password, put into the --db URL", func(c *serveConfig) *string { return &c.DBPassword }},
	{"twilio-auth-token", "Twilio's auth token, to verify its webhook's signatures (unset: the Twilio webhook is off)", func(c *serveConfig) *string { return &c.TwilioAuthToken }},
	{"telerivet-secret", "Telerivet's webhook secret (unset: the Telerivet webhook is off)", func(c *serveConfig) *string { return &c.TelerivetSecret }},
}

// plural names the environment variable and file key of the repeatable
// flags: --trusted-proxy A --trusted-proxy B, VIGIL_TRUSTED_PROXIES="A,B",
// trusted_proxies = ["A", "B"].
var plural = map[string]string{"trusted-proxy": "trusted-proxies"}

func envName(setting string) string {
	if p, ok := plural[setting]; ok {
		setting = p
	}
	return "VIGIL_" + strings.ToUpper(strings.ReplaceAll(setting, "-", "_"))
}

func keyName(setting string) string {
	if p, ok := plural[setting]; ok {
		setting = p
	}
	return strings.ReplaceAll(setting, "-", "_")
}

// flagName is the setting a file key names.
func flagName(key string) string {
	name := strings.ReplaceAll(key, "_", "-")
	for f, p := range plural {
		if name == p {
			return f
		}
	}
	return name
}

// proxyList is the repeatable --trusted-proxy; each value may itself be a
// comma-separated list (as the environment variable gives it).
type proxyList []netip.Prefix

func (l *proxyList) String() string {
	var s []string
	for _, p := range *l {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func (l *proxyList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		p, err := web.ParseTrustedProxy(f)
		if err != nil {
			return err
		}
		*l = append(*l, p)
	}
	return nil
}

// serveFlags defines every setting of serve on fs, bound to c.
func serveFlags(fs *flag.FlagSet, c *serveConfig) *string {
	config := fs.String("config", "", "read settings from this TOML `FILE` (also VIGIL_CONFIG; deploy/vigil.toml documents every key)")
	fs.StringVar(&c.DB, "db", defaultDB, "database: a SQLite file path or postgres://… (the password from VIGIL_DB_PASSWORD or --db-password-file)")
	fs.StringVar(&c.Addr, "addr", defaultAddr, "address to serve the portal, dashboard and API on, `HOST:PORT`")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", defaultMetricsAddr, "address of the Prometheus /metrics listener, `HOST:PORT` (empty: none)")
	fs.StringVar(&c.PublicURL, "public-url", "", "the `URL` clients reach vigil at, when a proxy makes it differ from the request (OpenRosa links, Twilio signatures)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM, with its chain)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "the private key `FILE` of --tls-cert (PEM)")
	fs.StringVar(&c.LogFormat, "log-format", "auto", "log format: text, json, or auto (text on a terminal, JSON otherwise)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "lowest level logged: debug, info, warn or error")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long requests in flight may take to finish")
	fs.DurationVar(&c.ReadHeaderTimeout, "read-header-timeout", 10*time.Second, "time allowed to read a request's headers")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", 60*time.Second, "time allowed to read a whole request")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", 120*time.Second, "time allowed to write a response (live streams are exempt)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", 120*time.Second, "how long an idle keep-alive connection stays open")
	d := web.DefaultIntakeLimits
	fs.IntVar(&c.Intake.ReportBurst, "report-burst", d.ReportBurst, "reports (and photos) one token or login may send at once")
	fs.DurationVar(&c.Intake.ReportEvery, "report-every", d.ReportEvery, "then one report per this time")
	fs.IntVar(&c.Intake.SMSBurst, "sms-burst", d.SMSBurst, "SMS one phone number may send at once")
	fs.DurationVar(&c.Intake.SMSEvery, "sms-every", d.SMSEvery, "then one SMS per this time")
	fs.DurationVar(&c.Intake.UnknownReplyEvery, "unknown-reply-every", d.UnknownReplyEvery, "at most one reply per this time to a number on no roster")
	fs.Int64Var(&c.Intake.MaxPhotoBytes, "max-photo-bytes", d.MaxPhotoBytes, "the largest photo accepted, in bytes")
	fs.IntVar(&c.Intake.MaxPhotosPerReport, "max-photos-per-report", d.MaxPhotosPerReport, "photos one report may have")
	fs.Int64Var(&c.Intake.MaxPhotoBytesOrg, "max-photo-bytes-org", d.MaxPhotoBytesOrg, "the bytes of photos one organisation may store")
	fs.IntVar(&c.Pool.MaxConns, "db-max-conns", 32, "PostgreSQL: the most connections this instance opens (instances × this must stay under the server's max_connections, or go through PgBouncer)")
	fs.DurationVar(&c.Pool.IdleTime, "db-idle-time", time.Minute, "PostgreSQL: close a connection idle this long (the pool shrinks when quiet)")
	fs.DurationVar(&c.Pool.StatementTimeout, "db-statement-timeout", 0, "PostgreSQL: cancel a statement running longer than this (0: the server's setting; behind PgBouncer set it on the role instead)")
	fs.StringVar(&c.Pool.QueryMode, "db-query-mode", "", "PostgreSQL: pgx's query mode: exec or simple_protocol behind PgBouncer in transaction mode (empty: prepared statements, or the URL's default_query_exec_mode)")
	fs.StringVar(&c.Pool.ListenAddr, "db-listen", "", "PostgreSQL: the `URL` of the server itself for the change feed's LISTEN, when --db is a pooler in transaction mode (empty: --db)")
	fs.StringVar(&c.DBRead, "db-read", "", "PostgreSQL: a read-only streaming replica's `URL` for the public portal's reads (empty: the primary)")
	fs.StringVar(&c.Chromium, "chromium", "", "the Chromium `PATH` that prints PDF drafts (empty: the system's, if any)")
	fs.Var(&c.TrustedProxies, "trusted-proxy", "a reverse proxy's network (`CIDR` or address) whose X-Forwarded-For/-Proto are believed; repeatable")
	for _, s := range secrets {
		fs.String(s.name+"-file", "", "read "+s.usage+" from this `FILE` (or set "+envName(s.name)+")")
	}
	return config
}

const defaultMetricsAddr = "127.0.0.1:9464"

// loadServeConfig resolves serve's settings from args, the environment
// and the configuration file.
func loadServeConfig(e *env, name string, args []string) (*serveConfig, []string, error) {
	c := &serveConfig{sources: map[string]string{}}
	fs := newFlags(e, name, "[--config FILE] [--db D] [--addr HOST:PORT] [--metrics-addr HOST:PORT] [--log-format F] [--log-level L] …")
	c.fs = fs
	config := serveFlags(fs, c)
	c.logOpts = logServeFlags(e, fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true; c.sources[f.Name] = "flag" })
	// The file first, then the environment over it.
	c.file = *config
	if c.file == "" {
		c.file = e.getenv("VIGIL_CONFIG")
	}
	if c.file != "" {
		if err := c.readFile(onCommandLine); err != nil {
			return nil, nil, err
		}
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" || onCommandLine[f.Name] {
			return
		}
		if v := e.getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s=%q: %v", envName(f.Name), v, err)
			}
			c.sources[f.Name] = "env"
		}
	})
	if envErr != nil {
		return nil, nil, usageError{envErr.Error()}
	}
	for _, s := range secrets {
		if err := c.readSecret(e, s); err != nil {
			return nil, nil, err
		}
	}
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	if c.log, err = c.logOpts.load(); err != nil {
		return nil, nil, err
	}
	return c, pos, nil
}

func (c *serveConfig) readFile(onCommandLine map[string]bool) error {
	var raw map[string]any
	if _, err := toml.DecodeFile(c.file, &raw); err != nil {
		return fmt.Errorf("config %s: %w", c.file, err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := flagName(k)
		for _, s := range secrets {
			if name == s.name {
				return fmt.Errorf("config %s: key %s: secrets are not read from the configuration file; set %s or %s_file", c.file, k, envName(s.name), k)
			}
		}
		f := c.fs.Lookup(name)
		if f == nil || name == "config" {
			return fmt.Errorf("config %s: unknown key %q (deploy/vigil.toml lists them)", c.file, k)
		}
		if onCommandLine[name] {
			continue
		}
		var v string
		switch x := raw[k].(type) {
		case string:
			v = x
		case int64:
			v = strconv.FormatInt(x, 10)
		case bool:
			v = strconv.FormatBool(x)
		case []any:
			if _, ok := plural[name]; !ok {
				return fmt.Errorf("config %s: key %s: want a string, not a list", c.file, k)
			}
			var parts []string
			for _, p := range x {
				ps, ok := p.(string)
				if !ok {
					return fmt.Errorf("config %s: key %s: want a list of strings", c.file, k)
				}
				parts = append(parts, ps)
			}
			v = strings.Join(parts, ",")
		default:
			return fmt.Errorf("config %s: key %s: want a string, not %T", c.file, k, x)
		}
		if v == "" && name == "log-witness" { // a list: empty is none
			continue
		}
		if err := c.fs.Set(name, v); err != nil {
			return fmt.Errorf("config %s: key %s = %q: %v", c.file, k, v, err)
		}
		c.sources[name] = "file"
	}
	return nil
}

func (c *serveConfig) readSecret(e *env, s secret) error {
	dst := s.dst(c)
	if v := e.getenv(envName(s.name)); v != "" {
		*dst = v
		c.sources[s.name] = "env"
		return nil
	}
	path := c.fs.Lookup(s.name + "-file").Value.String()
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", s.name+"-file", err)
	}
	// A file written by echo ends in a newline that is no part of the secret.
	*dst = strings.TrimRight(string(b), "\r\n")
	if *dst == "" {
		return fmt.Errorf("%s: %s is empty", s.name+"-file", path)
	}
	c.sources[s.name] = "file " + path
	return nil
}

func (c *serveConfig) validate() error {
	switch c.LogFormat {
	case "auto", "text", "json":
	default:
		return usagef("--log-format %q: want text, json or auto", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	if c.Addr == "" {
		return usagef("--addr: required")
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		return usagef("--metrics-addr %s: must differ from --addr (the metrics are not for the public)", c.MetricsAddr)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return fmt.Errorf("TLS certificate %s and key %s: %w", c.TLSCert, c.TLSKey, err)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--public-url %q: want http(s)://host[:port]", c.PublicURL)
		}
	}
	for name, n := range map[string]int64{"report-burst": int64(c.Intake.ReportBurst), "sms-burst": int64(c.Intake.SMSBurst),
		"max-photo-bytes": c.Intake.MaxPhotoBytes, "max-photos-per-report": int64(c.Intake.MaxPhotosPerReport), "max-photo-bytes-org": c.Intake.MaxPhotoBytesOrg} {
		if n <= 0 {
			return usagef("--%s %d: must be positive", name, n)
		}
	}
	for name, d := range map[string]time.Duration{"report-every": c.Intake.ReportEvery, "sms-every": c.Intake.SMSEvery, "unknown-reply-every": c.Intake.UnknownReplyEvery,
		"shutdown-timeout": c.ShutdownTimeout, "read-header-timeout": c.ReadHeaderTimeout,
		"read-timeout": c.ReadTimeout, "write-timeout": c.WriteTimeout, "idle-timeout": c.IdleTimeout} {
		if d <= 0 {
			return usagef("--%s %v: must be positive", name, d)
		}
	}
	if c.Pool.MaxConns <= 0 {
		return usagef("--db-max-conns %d: must be positive", c.Pool.MaxConns)
	}
	if c.Pool.IdleTime <= 0 {
		return usagef("--db-idle-time %v: must be positive", c.Pool.IdleTime)
	}
	if c.Pool.StatementTimeout < 0 {
		return usagef("--db-statement-timeout %v: cannot be negative", c.Pool.StatementTimeout)
	}
	if !slices.Contains(store.QueryModes, c.Pool.QueryMode) {
		return usagef("--db-query-mode %q: want one of %s", c.Pool.QueryMode, strings.Join(store.QueryModes[1:], ", "))
	}
	for name, v := range map[string]string{"db-read": c.DBRead, "db-listen": c.Pool.ListenAddr} {
		if v != "" && !store.IsPostgresAddr(v) {
			return usagef("--%s %q: want a postgres:// URL", name, store.MaskPassword(v))
		}
		if v != "" && !store.IsPostgresAddr(c.DB) {
			return usagef("--%s is for a PostgreSQL --db", name)
		}
	}
	if c.DBPassword != "" {
		if !store.IsPostgresAddr(c.DB) {
			return usagef("a database password is given but --db %q is not a postgres:// URL", c.DB)
		}
		for _, p := range []*string{&c.DB, &c.DBRead, &c.Pool.ListenAddr} {
			if *p == "" {
				continue
			}
			u, err := url.Parse(*p)
			if err != nil {
				return usagef("--db: %v", err)
			}
			if _, has := u.User.Password(); has {
				continue
			}
			user := "postgres"
			if u.User != nil {
				user = u.User.Username()
			}
			u.User = url.UserPassword(user, c.DBPassword)
			*p = u.String()
		}
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, usagef("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// newLogger makes the process's logger: JSON for machines (journald,
// a log shipper), text for a person at a terminal.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	l, _ := parseLevel(level)
	opts := &slog.HandlerOptions{Level: l}
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// print writes the resolved configuration as a TOML file (it can be
// read back with --config), each line saying where its value came from;
// secrets and the database URL's password are masked.
func (c *serveConfig) print(w io.Writer) {
	fmt.Fprintln(w, "# vigil serve: resolved configuration")
	if c.file != "" {
		fmt.Fprintf(w, "# configuration file: %s\n", c.file)
	}
	src := func(name string) string {
		if s := c.sources[name]; s != "" {
			return s
		}
		return "default"
	}
	c.fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		v := f.Value.String()
		if f.Name == "db" || f.Name == "db-read" || f.Name == "db-listen" {
			v = store.MaskPassword(v)
		}
		line := fmt.Sprintf("%s = %q", keyName(f.Name), v)
		fmt.Fprintf(w, "%-60s # %s\n", line, src(f.Name))
	})
	for _, s := range secrets {
		state := "unset"
		if *s.dst(c) != "" {
			state = "set (" + src(s.name) + ")"
		}
		fmt.Fprintf(w, "# %-58s # %s\n", keyName(s.name)+" = \"xxxxx\"", state)
	}
}

func init() {
	register(command{name: "config check", summary: "validate serve's configuration and print what it resolves to (secrets masked)", run: runConfigCheck})
}

func runConfigCheck(ctx context.Context, e *env, args []string) error {
	c, pos, err := loadServeConfig(e, "config check", args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("config check: unexpected argument %q", pos[0])
	}
	c.print(e.stdout)
	fmt.Fprintln(e.stdout, "# ok")
	return nil
}

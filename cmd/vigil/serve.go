package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-elections/vigil/internal/chromium"
	"github.com/vigil-elections/vigil/internal/gcpace"
	"github.com/vigil-elections/vigil/internal/metrics"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

func init() {
	register(command{name: "serve", summary: "serve the portal, the dashboard and the JSON API", run: runServe})
}

const defaultDB = "vigil.db"
const defaultAddr = "127.0.0.1:8080"

func runServe(ctx context.Context, e *env, args []string) error {
	cfg, pos, err := loadServeConfig(e, "serve", args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve: unexpected argument %q", pos[0])
	}
	logger := newLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	d, err := store.OpenWith(ctx, cfg.DB, cfg.Pool)
	if err != nil {
		return err
	}
	defer d.Close()
	if cfg.DBRead != "" {
		rd, err := store.OpenReplica(ctx, cfg.DBRead, cfg.Pool)
		if err != nil {
			return err
		}
		defer rd.Close()
		cfg.readDB = rd
	}
	return serveDB(ctx, e, d, cfg, logger)
}

// serveLog is the transparency log's part of serving: the key that signs
// checkpoints, how often, and the witnesses whose cosignatures are taken.
type serveLog struct {
	skey, vkey string
	every      time.Duration
	witnesses  []string
}

type logServeOpts struct {
	key       *string
	every     *time.Duration
	witnesses *multiFlag
}

func logServeFlags(e *env, fs *flag.FlagSet) logServeOpts {
	o := logServeOpts{witnesses: &multiFlag{}}
	o.key = fs.String("log-key", e.getenv("VIGIL_LOG_KEY_FILE"), "the transparency log's secret key file (vigil log keygen), kept outside the database; default $VIGIL_LOG_KEY_FILE. Without it no checkpoint is signed")
	o.every = fs.Duration("log-every", 10*time.Second, "sign a checkpoint this often while the log grows")
	fs.Var(o.witnesses, "log-witness", "a witness's public key (or its file) whose cosignatures /log/cosignature accepts; repeat for several")
	return o
}

func (o logServeOpts) load() (serveLog, error) {
	sl := serveLog{every: *o.every}
	if *o.key != "" {
		k, err := readKeyFile(*o.key)
		if err != nil {
			return sl, err
		}
		if _, err := note.NewSigner(k); err != nil {
			return sl, fmt.Errorf("log key %s: %w", *o.key, err)
		}
		sl.skey = k
		// The public key, written beside the secret one by keygen, is
		// served at /log/key and checks witnesses' cosignatures.
		if b, err := os.ReadFile(*o.key + ".pub"); err == nil {
			sl.vkey = strings.TrimSpace(string(b))
		}
	}
	if sl.every <= 0 {
		return sl, usagef("serve: --log-every must be positive")
	}
	for _, w := range *o.witnesses {
		k, err := readKeyArg(w)
		if err != nil {
			return sl, err
		}
		if _, err := translog.NewCosignatureVerifier(k); err != nil {
			return sl, err
		}
		sl.witnesses = append(sl.witnesses, k)
	}
	return sl, nil
}

// serveDB serves an open database until ctx is cancelled, then shuts down
// gracefully: /readyz turns 503, the listeners stop accepting, requests in
// flight finish (for at most cfg.ShutdownTimeout), live streams end, and the
// report writer commits what it has queued. A clean shutdown returns nil
// (exit status 0), also when the timeout cut slow requests short: every
// report acknowledged before is committed, and one not yet acknowledged
// is sent again by its client under the same client id.
func serveDB(ctx context.Context, e *env, d *store.DB, cfg *serveConfig, logger *slog.Logger) error {
	defer gcpace.Set(e.getenv, gcpace.Server)()
	b := buildInfo()
	metrics.SetBuildInfo(b.Version, b.Commit, b.Date, b.GoVersion)
	metrics.WatchDB(d.DB, "vigil")
	metrics.ShuttingDown.Set(0)
	d.OnImport = func(rows int, t time.Duration) {
		metrics.ImportRows.Add(float64(rows))
		metrics.ImportDuration.Observe(t.Seconds())
		logger.Info("import committed", "rows", rows, "duration_ms", t.Milliseconds())
	}
	sl := cfg.log
	if cfg.Chromium == "" {
		cfg.Chromium = chromium.Find(e.getenv)
	}
	h, err := site.New(d, web.Options{Logger: logger, PublicURL: cfg.PublicURL, TrustedProxies: cfg.TrustedProxies, Intake: cfg.Intake,
		TwilioAuthToken: cfg.TwilioAuthToken, TelerivetSecret: cfg.TelerivetSecret, LogVKey: sl.vkey, Witnesses: sl.witnesses,
		Chromium: cfg.Chromium, ReadDB: cfg.readDB})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		h.CloseObservation()
		return err
	}
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          errLog,
	}
	var msrv *http.Server
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		mln, err = net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			h.CloseObservation()
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	}
	// Once both listeners are open (a failure above closes the
	// observation, which would cut it short): while it runs, /readyz keeps
	// a load balancer's traffic away.
	h.WarmUp(ctx)
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(e.stdout, "vigil: serving %s on %s://%s/\n", d.Addr, scheme, ln.Addr())
	attrs := []any{"db", d.Addr, "addr", ln.Addr().String(), "tls", cfg.TLSCert != "", "version", b.Version}
	if mln != nil {
		fmt.Fprintf(e.stdout, "vigil: metrics on http://%s/metrics\n", mln.Addr())
		attrs = append(attrs, "metrics_addr", mln.Addr().String())
	}
	logger.Info("serving", attrs...)

	if sl.skey != "" {
		cctx, stopSigning := context.WithCancel(ctx)
		defer stopSigning()
		go checkpointer(cctx, d, sl.skey, sl.every, func(f string, a ...any) { logger.Error(fmt.Sprintf(f, a...)) })
	}
	errc := make(chan error, 2)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	if msrv != nil {
		go func() {
			if err := msrv.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics listener: %w", err)
			}
		}()
	}
	var serveErr error
	select {
	case serveErr = <-errc:
		logger.Error("server stopped", "err", serveErr)
	case <-ctx.Done():
		logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	}
	h.Drain()
	metrics.ShuttingDown.Set(1)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running after the timeout are cut off; their
		// clients retry.
		logger.Warn("shutdown timeout: closing the connections still open", "timeout", cfg.ShutdownTimeout.String(), "err", err)
		srv.Close()
	}
	// No request is in flight now: stop the report writer (every report it
	// acknowledged is already committed, and it commits what is queued).
	h.CloseObservation()
	if msrv != nil {
		msrv.Close()
	}
	logger.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

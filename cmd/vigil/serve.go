package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
	"github.com/vigil-elections/vigil/internal/web"
)

func init() {
	register(command{name: "serve", summary: "serve the portal, the dashboard and the JSON API", run: runServe})
}

const defaultDB = "vigil.db"
const defaultAddr = "127.0.0.1:8080"

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "[--db D] [--addr HOST:PORT] [--trusted-proxy CIDR]… [--log-key FILE] [--log-every 10s] [--log-witness PUB]…")
	db := dbFlag(fs)
	addr := fs.String("addr", defaultAddr, "address to listen on")
	var proxies []netip.Prefix
	fs.Func("trusted-proxy", "a reverse proxy's network (CIDR or address) whose X-Forwarded-For/-Proto are believed; repeatable (default: $VIGIL_TRUSTED_PROXIES, comma-separated)",
		func(v string) error {
			p, err := web.ParseTrustedProxy(v)
			if err != nil {
				return err
			}
			proxies = append(proxies, p)
			return nil
		})
	lo := logServeFlags(e, fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	sl, err := lo.load()
	if err != nil {
		return err
	}
	if proxies == nil {
		var err error
		if proxies, err = envProxies(e.getenv("VIGIL_TRUSTED_PROXIES")); err != nil {
			return usagef("VIGIL_TRUSTED_PROXIES: %v", err)
		}
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	return serveDB(ctx, e, d, *addr, web.Options{TrustedProxies: proxies}, sl)
}

// envProxies reads VIGIL_TRUSTED_PROXIES: CIDRs or addresses separated by
// commas. The flags, when given, replace it.
func envProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		p, err := web.ParseTrustedProxy(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
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
// gracefully, letting requests in flight finish.
func serveDB(ctx context.Context, e *env, d *store.DB, addr string, opt web.Options, sl serveLog) error {
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	opt.Logger = logger
	opt.LogVKey, opt.Witnesses = sl.vkey, sl.witnesses
	h, err := web.New(d, opt)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(e.stdout, "vigil: serving %s on http://%s/\n", d.Addr, ln.Addr())
	if sl.skey != "" {
		cctx, stopSigning := context.WithCancel(ctx)
		defer stopSigning()
		go checkpointer(cctx, d, sl.skey, sl.every, func(f string, a ...any) { logger.Error(fmt.Sprintf(f, a...)) })
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	// No request is in flight now: stop the report writer (every report it
	// acknowledged is already committed).
	h.CloseObservation()
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

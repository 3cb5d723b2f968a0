package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

func init() {
	register(command{name: "serve", summary: "serve the portal, the dashboard and the JSON API", run: runServe})
}

const defaultDB = "vigil.db"
const defaultAddr = "127.0.0.1:8080"

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "[--db D] [--addr HOST:PORT] [--trusted-proxy CIDR]…")
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
	if _, err := parseFlags(fs, args); err != nil {
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
	return serveDB(ctx, e, d, *addr, web.Options{TrustedProxies: proxies})
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

// serveDB serves an open database until ctx is cancelled, then shuts down
// gracefully, letting requests in flight finish.
func serveDB(ctx context.Context, e *env, d *store.DB, addr string, opt web.Options) error {
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	opt.Logger = logger
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

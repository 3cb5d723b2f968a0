package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	fs := newFlags(e, "serve", "[--db D] [--addr HOST:PORT]")
	db := dbFlag(fs)
	addr := fs.String("addr", defaultAddr, "address to listen on")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	return serveDB(ctx, e, d, *addr)
}

// serveDB serves an open database until ctx is cancelled, then shuts down
// gracefully, letting requests in flight finish.
func serveDB(ctx context.Context, e *env, d *store.DB, addr string) error {
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	h, err := web.New(d, web.Options{Logger: logger})
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

// Package web is the core of vigil's HTTP face, which the rooms (web/portal,
// web/observeapi, web/dashboard, web/gateway, …) mount their routes on: the
// server and its options, authentication, rendering, languages, the change
// feed and the caches keyed on it. Handlers return errors; one adapter maps
// them to responses. Pages are rendered into a buffer before any byte is written, so
// a failing template never sends half a page.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures a Server. cmd/vigil fills it from flags, the
// environment and the configuration file; nothing in this package reads
// the environment itself.
type Options struct {
	Logger *slog.Logger

	// PublicURL is the scheme and host clients reach vigil at
	// (https://vigil.example.org), when a proxy in front makes it differ
	// from what a request says: OpenRosa's links and Twilio's signature
	// need it.
	PublicURL string
	// TwilioAuthToken verifies Twilio's webhook signatures (empty: the
	// Twilio webhook is off).
	TwilioAuthToken string
	// TelerivetSecret is the shared secret of Telerivet's webhook (empty:
	// off).
	TelerivetSecret string
	// LogVKey is the transparency log's public key, served at /log/key and
	// used to check witnesses' cosignatures and the portal's bundles;
	// Witnesses the witnesses' public keys whose cosignatures the log
	// accepts (docs/evidence.md).
	LogVKey   string
	Witnesses []string
	// TrustedProxies are the networks of the reverse proxies in front of
	// the server: only from a peer inside one are X-Forwarded-For and
	// X-Forwarded-Proto read (see Client). None by default.
	TrustedProxies []netip.Prefix
	// Intake bounds reports, SMS and photos per observer, number and
	// organisation; zero fields take DefaultIntakeLimits.
	Intake IntakeLimits
	// Chromium is the browser that prints PDF drafts (cmd/vigil finds it:
	// --chromium, VIGIL_CHROMIUM or the system's); empty: no PDF.
	Chromium string
	// ReadDB, when set, is a read-only replica the public portal reads
	// from (--db-read); staff pages and every write use the primary.
	ReadDB *store.DB
}

// Server serves vigil over HTTP: the core that every room (internal/web/*)
// mounts its routes on.
type Server struct {
	db      *store.DB
	opt     Options
	log     *slog.Logger
	mux     *RouteMux
	handler http.Handler // mux inside the request log
	pages   *template.Template
	start   time.Time
	// trusted are the reverse proxies whose forwarding headers count.
	trusted []netip.Prefix

	draining atomic.Bool  // set by Drain: /readyz says no
	warm     atomic.Int32 // WarmUp's progress: warmNone, warmRunning, warmDone

	tallies tallies
	portal  portal // the public portal's languages and caches (portal.go)

	// pdb is where the portal reads: the replica, or db.
	pdb *store.DB

	// Each area's state, made when first used (a Server built by hand in
	// a test has none until then).
	observeSt *observeState // set by New
	intakeMu  sync.Mutex
	intakeSt  *intakeState
	tokens    sync.Map      // token hash → *cachedPrincipal (auth.go)
	tokenGen  atomic.Uint64 // moves whenever the token cache is dropped (dropTokens)
	geo       struct {
		sync.Mutex
		m map[int64]*elGeo
	}

	logVKey   string
	witnesses []string
}

// New builds the core of the server and parses every template (failing
// fast on a broken one). It registers no route: internal/web/site mounts
// the core's routes and every room's, in the order of the route table.
func New(db *store.DB, opt Options) (*Server, error) {
	s := &Server{db: db, opt: opt, log: opt.Logger, mux: newRouteMux(), start: time.Now(), trusted: opt.TrustedProxies, logVKey: opt.LogVKey, witnesses: opt.Witnesses}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = slog.New(contextHandler{s.log.Handler()})
	s.handler = s.logRequests(s.mux)
	t, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s.pages = t
	if err := s.newPortal(); err != nil {
		return nil, fmt.Errorf("loading the languages: %w", err)
	}
	s.intakeSt = newIntakeState(opt.Intake)
	s.observeSt = newObserveState(s)
	s.pdb = db
	if opt.ReadDB != nil {
		s.pdb = opt.ReadDB
	}
	s.followChanges()
	go dummyHash() // ready before the first login (auth.go)
	return s, nil
}

// RouteMux is the server's ServeMux, remembering every pattern registered
// through it, so that a test can walk every route (each must have a row in
// the authorisation table of routes_access_test.go).
type RouteMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *RouteMux { return &RouteMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern and records the pattern.
func (m *RouteMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern and records the pattern.
func (m *RouteMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// DB is the primary database: staff pages and every write use it.
func (s *Server) DB() *store.DB { return s.db }

// Log is the server's logger; its lines carry the request's id.
func (s *Server) Log() *slog.Logger { return s.log }

// Mux is where the rooms register their routes.
func (s *Server) Mux() *RouteMux { return s.mux }

// Options are the options the server was built with.
func (s *Server) Options() Options { return s.opt }

// Routes returns the pattern of every route the server serves, in the
// order they were registered.
func (s *Server) Routes() []string { return slices.Clone(s.mux.patterns) }

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.securityHeaders(w, r)
	if s.handler == nil { // a Server built by hand in a test, not by New
		s.mux.ServeHTTP(w, r)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// HealthRoutes registers the probes (/healthz, /readyz) and the static
// files: the first routes of the table.
func (s *Server) HealthRoutes() {
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.db.PingContext(r.Context()); err != nil {
		WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "database unavailable"})
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": string(s.db.Dialect), "uptime_seconds": int(time.Since(s.start).Seconds())})
}

// readyz says whether this process should be sent traffic: the database
// answers, its schema is the one this binary expects, and the server is
// not shutting down. A load balancer polls it; 503 takes the process out
// of rotation without killing it (that is what /healthz is for).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{"database": "ok", "schema": "ok", "shutdown": "no"}
	ready := true
	if err := s.db.PingContext(r.Context()); err != nil {
		checks["database"], ready = "unreachable", false
		s.log.WarnContext(r.Context(), "readyz: database unreachable", "err", err)
	} else if st, err := s.db.Schema(r.Context()); err != nil {
		checks["schema"], ready = "unreadable", false
		s.log.WarnContext(r.Context(), "readyz: reading the schema version", "err", err)
	} else if !st.Current() {
		checks["schema"], ready = fmt.Sprintf("at %d, this binary expects %d", st.Applied, st.Latest), false
	}
	switch s.warm.Load() {
	case warmRunning:
		checks["warm_up"], ready = "loading the areas of the elections observed", false
	case warmDone:
		checks["warm_up"] = "done"
	}
	if s.draining.Load() {
		checks["shutdown"], ready = "draining", false
	}
	status, code := "ready", http.StatusOK
	if !ready {
		status, code = "not ready", http.StatusServiceUnavailable
	}
	WriteJSON(w, code, map[string]any{"status": status, "checks": checks})
}

// WarmUp's states (Server.warm).
const (
	warmNone int32 = iota
	warmRunning
	warmDone
)

// WarmUp loads, in the background, what the first requests after a start
// would otherwise wait for: the observation service's index of the areas
// of the newest elections observed (observe.Service.AreasToWarm and
// WarmAreas; seconds at 1,000,000 stations, every report naming its
// station by number waiting for it). /readyz answers 503 until it is done,
// so that a load balancer sends a restarted instance no traffic before. A
// load that fails is logged and left to the first report that needs it.
// Cancelling ctx, or CloseObservation, stops it.
func (s *Server) WarmUp(ctx context.Context) {
	st := s.obs()
	if st == nil {
		return
	}
	// Listed before the server serves: with nothing to load (a new
	// database, a results-only site) the first /readyz says ready.
	ids, err := st.svc.AreasToWarm(ctx)
	if err != nil {
		s.log.Error("warm-up", "err", err)
	}
	if len(ids) == 0 {
		s.warm.Store(warmDone)
		return
	}
	s.warm.Store(warmRunning)
	go func() {
		defer s.warm.Store(warmDone)
		t0 := time.Now()
		if err := st.svc.WarmAreas(ctx, ids); err != nil {
			// Not when the process is stopping (ctx, or the service
			// closed before the load began).
			if !errors.Is(err, context.Canceled) {
				s.log.Error("warm-up", "err", err)
			}
			return
		}
		s.log.Info("warmed up", "elections", len(ids), "duration_ms", time.Since(t0).Milliseconds())
	}()
}

// Drain marks the server as shutting down: /readyz answers 503 from now
// on, so that a load balancer stops sending requests while the ones in
// flight finish.
func (s *Server) Drain() { s.draining.Store(true) }

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// WriteJSON answers v as JSON with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
	w.Write([]byte{'\n'})
}

// wantsHTML says whether an error should be answered as a page: never
// under /api/ (JSON stays JSON), and elsewhere unless the client asked for
// JSON and not HTML, so that a person who mistypes an address reads a page.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "text/html") {
		return true
	}
	return !strings.Contains(accept, "json")
}

// Render executes a page template into a buffer, then writes it.
func (s *Server) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := s.templatesFor(w, r).ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	body := buf.Bytes()
	// Pages rendered per request (the dashboard's is some 60 KB) go
	// compressed to a client that takes gzip; the portal's cached pages are
	// compressed once in their cache.
	w.Header().Add("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		if zb := gzipped(body, gzip.DefaultCompression); zb != nil {
			w.Header().Set("Content-Encoding", "gzip")
			body = zb
		}
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, e *Error) {
	data := map[string]any{"Status": status, "Error": e, "C": PageCommon{Title: "", Path: r.URL.Path, URI: r.URL.RequestURI()}}
	if status == http.StatusUnauthorized {
		data["Login"] = "/login?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if err := s.Render(w, r, status, "error.html", data); err != nil {
		http.Error(w, e.Message, status)
	}
}

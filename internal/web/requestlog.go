package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/metrics"
)

// Every request gets an id (the client's X-Request-Id when it sent a sane
// one, so that a proxy's id follows the request through, else a new one),
// sent back in X-Request-Id and added to every log line written for the
// request; when it is answered, one log line says what was asked and how
// it went, and the metrics count it. The line carries the route pattern,
// not the path, the status and sizes, the client and who was signed in:
// never a query string, a header, a credential or a body.

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

type reqInfoKey struct{}

// reqInfo is what the handlers learn that the request log wants: the
// principal is found deep inside (authed) on a request copy the outer
// middleware never sees, so it is recorded here.
type reqInfo struct {
	id string
	mu sync.Mutex
	p  access.Principal
	ok bool
}

func requestInfo(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	return ri
}

// notePrincipal records who made the request, for its log line.
func notePrincipal(ctx context.Context, p access.Principal) {
	if ri := requestInfo(ctx); ri != nil && p.Role != access.Public {
		ri.mu.Lock()
		ri.p, ri.ok = p, true
		ri.mu.Unlock()
	}
}

// RequestID returns the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	if ri := requestInfo(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// requestID is the client's id when it is short and plain (it goes into
// logs and a header), else a fresh random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); id != "" && len(id) <= 128 && plainID(id) {
		return id
	}
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func plainID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=') {
			return false
		}
	}
	return true
}

// clientAddress is the address a request came from, for logs: through
// the trusted proxies' X-Forwarded-For (Client).
func (s *Server) clientAddress(r *http.Request) string {
	if a := s.ClientAddr(r); a.IsValid() {
		return a.String()
	}
	return r.RemoteAddr
}

// statusRecorder remembers the status and size of a response. Unwrap lets
// http.ResponseController reach the connection's Flush and deadlines (the
// event streams need both).
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusRecorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// quietRoutes are polled by machines (load balancers, Prometheus): their
// lines are logged at debug level, so that the log at info level is
// people's requests.
var quietRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// logRequests wraps h with the request id, the request log line and the
// request metrics.
func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: requestID(r)}
		w.Header().Set(RequestIDHeader, ri.id)
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			// A panic is answered by net/http (it closes the
			// connection); it is still logged and counted as a 500.
			p := recover()
			if p != nil && rec.status == 0 {
				rec.status = http.StatusInternalServerError
			}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			d := time.Since(start)
			// r.Pattern is set by the mux on this very request.
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			metrics.ObserveRequest(route, rec.status, rec.bytes, d)
			level := slog.LevelInfo
			switch {
			case rec.status >= 500:
				level = slog.LevelError
			case quietRoutes[route]:
				level = slog.LevelDebug
			}
			ctx := r.Context()
			if s.log.Enabled(ctx, level) {
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.Int("status", rec.status),
					slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000),
					slog.String("client", s.clientAddress(r)),
				}
				ri.mu.Lock()
				if ri.ok {
					attrs = append(attrs, slog.Int64("org", ri.p.OrgID), slog.String("user", ri.p.Name), slog.String("role", string(ri.p.Role)))
				}
				ri.mu.Unlock()
				s.log.LogAttrs(ctx, level, "request", attrs...)
			}
			if p != nil {
				panic(p)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

// contextHandler adds the request id of the record's context to every log
// line written with a request's context (s.log.ErrorContext(r.Context(), …)).
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

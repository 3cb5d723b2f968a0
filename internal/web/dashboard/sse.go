package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/metrics"
	"github.com/vigil-elections/vigil/internal/web"
)

// Live coverage over server-sent events. Each connected dashboard has one
// stream; the server reads the observation's change counter (one row of
// obs_changes, moved by every transaction that changes the aggregates)
// every dashPoll, and when it has changed sends the coverage table again, rendered
// in the reader's language, as one "coverage" event whose id is the stamp
// (a reconnecting EventSource sends it back as Last-Event-ID, so nothing is
// sent twice), followed by a "counts" event with the lengths of the page's
// lists (incidents, QC queue, open conflicts) for its table of contents. Streams with the same scope share the rendered table per
// stamp. A comment line every dashHeartbeat keeps proxies from closing an
// idle stream; a stream ends when the client goes, when the server shuts
// down, or after dashStreamMax (the browser reconnects by itself). At most
// dashMaxStreams are open at once; more get 429 and the page keeps its
// table (with a reload link).
const (
	dashPoll       = 2 * time.Second
	dashHeartbeat  = 15 * time.Second
	dashStreamMax  = 30 * time.Minute
	dashMaxStreams = 64
)

// dashLimits are a server's stream settings (the constants above; tests
// shorten them).
type dashLimits struct {
	poll, heartbeat, max time.Duration
	streams              int
}

func (s *room) dashEvents(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.ReadFindings)
	if err != nil {
		return err
	}
	st := s.st
	st.mu.Lock()
	lim := st.limits
	if st.live >= lim.streams {
		st.mu.Unlock()
		return web.Errorf(web.TooMany, "too many live dashboards open: reload the page for the current figures")
	}
	st.live++
	st.mu.Unlock()
	metrics.LiveStreams.Inc()
	defer func() {
		st.mu.Lock()
		st.live--
		st.mu.Unlock()
		metrics.LiveStreams.Dec()
	}()

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's WriteTimeout is for pages, not streams
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: 5000\n: vigil coverage of %s\n\n", strings.ReplaceAll(e.Name, "\n", " ")); err != nil {
		return nil
	}
	if rc.Flush() != nil {
		return nil
	}

	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("since")
	}
	ctx := r.Context()
	shutdown := st.shutdownOf(r)
	poll := time.NewTicker(lim.poll)
	defer poll.Stop()
	beat := time.NewTicker(lim.heartbeat)
	defer beat.Stop()
	end := time.NewTimer(lim.max)
	defer end.Stop()
	send := func() bool {
		stamp, err := s.ObsStamp(r.Context(), p.OrgID, e.ID)
		if err != nil {
			if ctx.Err() == nil {
				s.Log().Warn("dashboard events: reading the stamp", "err", err)
			}
			return ctx.Err() == nil
		}
		if stamp == last {
			return true
		}
		frag, counts, err := s.coverageFragment(r, p, stamp)
		if err != nil {
			if ctx.Err() == nil {
				s.Log().Warn("dashboard events: coverage", "err", err)
			}
			return ctx.Err() == nil
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "event: coverage\nid: %s\n", stamp)
		for _, line := range strings.Split(strings.TrimRight(string(frag), "\n"), "\n") {
			b.WriteString("data: ")
			b.WriteString(strings.TrimRight(line, "\r"))
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
		fmt.Fprintf(&b, "event: counts\ndata: %s\n\n", counts)
		if _, err := w.Write(b.Bytes()); err != nil {
			return false
		}
		last = stamp
		return rc.Flush() == nil
	}
	if !send() {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-shutdown:
			return nil
		case <-end.C:
			return nil
		case <-beat.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil || rc.Flush() != nil {
				return nil
			}
		case <-poll.C:
			if !send() {
				return nil
			}
		}
	}
}

// shutdownOf returns a channel closed when the http.Server that serves r
// shuts down. http.Server.Shutdown waits for connections to go idle, which
// a stream never does; so the first stream of each server registers an
// OnShutdown hook that ends them all (a nil channel, never closed, when r
// did not come through an http.Server).
func (st *dashState) shutdownOf(r *http.Request) <-chan struct{} {
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if hs == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.shutdown == nil {
		st.shutdown = map[*http.Server]chan struct{}{}
	}
	ch, ok := st.shutdown[hs]
	if !ok {
		ch = make(chan struct{})
		st.shutdown[hs] = ch
		hs.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}

// coverageFragment renders the coverage table of the request's scope at
// stamp, and the counts of the page's lists (JSON), once per scope,
// language and stamp however many streams watch it.
func (s *room) coverageFragment(r *http.Request, p access.Principal, stamp string) ([]byte, []byte, error) {
	c := s.CatalogueFor(r)
	key := fmt.Sprintf("%d|%s|%q|%q|%s|%s", p.OrgID, p.Role, p.Area, dashArea(r), r.PathValue("election"), c.Tag)
	st := s.st
	st.mu.Lock()
	if cc, ok := st.cov[key]; ok && cc.stamp == stamp {
		st.mu.Unlock()
		return cc.html, cc.counts, nil
	}
	st.mu.Unlock()
	src, err := s.dashSource(r)
	if err != nil {
		return nil, nil, err
	}
	cov, err := s.dashCoverageFor(r, src, stamp)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.RenderBytes(r, "dashboard-coverage", cov)
	if err != nil {
		return nil, nil, err
	}
	inc, qc, _, open, err := src.counts(r.Context(), s.DB())
	if err != nil {
		return nil, nil, err
	}
	counts, _ := json.Marshal(map[string]int{"incidents": inc, "qc": qc, "conflicts": open})
	st.mu.Lock()
	if len(st.cov) > 256 {
		clear(st.cov)
	}
	st.cov[key] = covCached{stamp: stamp, html: b, counts: counts}
	st.mu.Unlock()
	return b, counts, nil
}

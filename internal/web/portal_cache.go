package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/metrics"
	"github.com/vigil-elections/vigil/internal/tally"
)

type cachedElection struct {
	e          *election.Election
	at         time.Time
	refreshing bool
}

// cachedStamp is the sequence an election's pages are keyed on, and when
// it last advanced.
type cachedStamp struct {
	seq int64
	at  time.Time
}

type cachedPage struct {
	body        []byte
	gz          *lazyGzip // body gzipped, made for the first reader that takes gzip
	etag        string
	contentType string
	stamp       string // of the data the page shows
	building    bool   // a newer one is being rendered
	// The page shows the data of sequence lo at least (read before it was
	// built) and hi at most (after): a client that has seen hi must never
	// be served a page whose lo is lower.
	lo, hi int64
}

// PortalElection finds the election of the path like electionParam, from a
// cache refreshed in the background once it is portalTTL old (the other
// requests go on with the election they have; a deleted election goes
// from the cache at the refresh).
func (s *Server) PortalElection(r *http.Request) (*election.Election, error) {
	key := r.PathValue("election")
	now := time.Now()
	s.portal.mu.Lock()
	c, ok := s.portal.elections[key]
	if ok && now.Sub(c.at) >= portalTTL && !c.refreshing {
		c.refreshing = true
		s.portal.elections[key] = c
		bg := r.Clone(context.WithoutCancel(r.Context()))
		go s.refreshElection(key, bg)
	}
	s.portal.mu.Unlock()
	if ok {
		return c.e, nil
	}
	e, err := s.ElectionParam(r)
	if err != nil {
		return nil, err
	}
	s.portal.mu.Lock()
	if len(s.portal.elections) > 1024 {
		clear(s.portal.elections)
	}
	s.portal.elections[key] = cachedElection{e: e, at: now}
	s.portal.mu.Unlock()
	return e, nil
}

func (s *Server) refreshElection(key string, r *http.Request) {
	at := time.Now()
	e, err := s.ElectionParam(r)
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	if err != nil {
		delete(s.portal.elections, key) // the next request asks the database itself
		return
	}
	s.portal.elections[key] = cachedElection{e: e, at: at}
}

// stampTTL is how often the portal's sequence may advance: portalTTL, or
// five times the last recomputation of a tabulation when that is longer
// (at most 1.5 s, for changes to show within 2 s), so that a large
// election under a steady stream of protocols spends at most a fifth of a
// core recomputing (when recomputing takes under 300 ms).
func (s *Server) stampTTL() time.Duration {
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	return max(portalTTL, min(1500*time.Millisecond, 5*s.portal.recompute))
}

// portalTally is tallyAt, timing the recomputations for stampTTL.
func (s *Server) portalTally(ctx context.Context, e *election.Election, sel tally.Selector, stamp string) (*TallyEntry, error) {
	t0 := time.Now()
	ent, err := s.tallyAt(ctx, e, sel, stamp)
	if d := time.Since(t0); err == nil && d > 5*time.Millisecond {
		s.portal.mu.Lock()
		s.portal.recompute = d
		s.portal.mu.Unlock()
	}
	return ent, err
}

// servePage writes a page from the cache under key, rendered from the data
// as of stamp. A page not in the cache is built at once. A page built from
// an older stamp is served as it is while one background build renders the
// new one (stale while revalidating): on election night, when protocols
// arrive every second and each changes the stamp, no reader waits for a
// recomputed tabulation. build renders the page for a request like r.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, key, stamp, contentType string, build func(r *http.Request) ([]byte, error)) error {
	election, _, stamped := parseStamp(stamp)
	var seen int64
	if stamped {
		seen = seenSeq(r, election)
	}
	s.portal.mu.Lock()
	p, ok := s.portal.pages[key]
	if ok && p.lo < seen {
		// Older than what this client has already been shown (by another
		// instance): never serve it, build the page now.
		ok = false
	}
	if ok && p.stamp != stamp && !p.building {
		p.building = true
		s.portal.pages[key] = p
		// The request's context ends with this response; the rebuild
		// keeps its values (none matter) but not its cancellation.
		bg := r.Clone(context.WithoutCancel(r.Context()))
		go s.rebuildPage(key, stamp, contentType, build, bg)
	}
	s.portal.mu.Unlock()
	switch {
	case !ok:
		metrics.CacheRequests.WithLabelValues("portal_page", "miss").Inc()
	case p.stamp != stamp:
		metrics.CacheRequests.WithLabelValues("portal_page", "stale").Inc()
	default:
		metrics.CacheRequests.WithLabelValues("portal_page", "hit").Inc()
	}
	if !ok {
		body, err := build(r)
		if err != nil {
			return err
		}
		p = s.storePage(key, stamp, contentType, body)
	}
	if stamped {
		markSeq(w, r, election, p.hi)
	}
	if s.portal.langs != nil && strings.HasPrefix(contentType, "text/html") {
		s.portal.langs.remember(w, r)
	}
	h := w.Header()
	h.Set("Content-Type", p.contentType)
	h.Set("ETag", p.etag)
	h.Set("Vary", "Accept-Language, Cookie, Accept-Encoding")
	h.Set("Cache-Control", "public, max-age=0, must-revalidate")
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == p.etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if acceptsGzip(r) {
		if gz := p.gz.bytes(p.body); gz != nil {
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Length", strconv.Itoa(len(gz)))
			_, err := w.Write(gz)
			return err
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(p.body)))
	_, err := w.Write(p.body)
	return err
}

func (s *Server) rebuildPage(key, stamp, contentType string, build func(r *http.Request) ([]byte, error), r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	body, err := build(r.WithContext(ctx))
	if err != nil {
		s.log.Warn("portal: rebuilding a page", "key", key, "err", err)
		s.portal.mu.Lock()
		if p, ok := s.portal.pages[key]; ok {
			p.building = false
			s.portal.pages[key] = p
		}
		s.portal.mu.Unlock()
		return
	}
	s.storePage(key, stamp, contentType, body)
}

// storePage caches a rendered page, evicting an eighth of the cache, in the
// map's random order, when it is full: the national and regional pages,
// asked all the time, come back at once if they go, and a crawl of every
// station cannot push them out for good.
func (s *Server) storePage(key, stamp, contentType string, body []byte) cachedPage {
	sum := sha256.Sum256(body)
	p := cachedPage{body: body, gz: &lazyGzip{}, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: contentType, stamp: stamp}
	if election, seq, ok := parseStamp(stamp); ok {
		// A change committed while the page was built may show in it: hi
		// is the latest sequence this process knows of now.
		p.lo = seq
		hi, _ := s.rdb().Changes().Seq(context.Background(), election, portalKinds...)
		p.hi = max(seq, hi)
	}
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	if len(s.portal.pages) >= maxCachedPages {
		n := 0
		for k := range s.portal.pages {
			delete(s.portal.pages, k)
			if n++; n >= maxCachedPages/8 {
				break
			}
		}
	}
	s.portal.pages[key] = p
	return p
}

// lazyGzip is a cached page's compressed body, made once, by the first
// request that accepts gzip: most cold pages (a crawl of every station, a
// client without gzip) are asked once, or never by a gzip client, and
// compressing each of them when it was cached cost more than rendering it.
// Later readers of the same page share the one compression.
type lazyGzip struct {
	once sync.Once
	gz   []byte // nil when compression does not pay
}

func (z *lazyGzip) bytes(body []byte) []byte {
	z.once.Do(func() { z.gz = gzipped(body, pageGzipLevel) })
	return z.gz
}

// pageGzipLevel compresses the pages: gzip's default level. On the
// portal's pages (5–60 KB of HTML and JSON) level 9 saves about 1 % more
// bytes for twice the time, and a page is compressed once per stamp
// (docs/performance.md, "Station pages").
const pageGzipLevel = gzip.DefaultCompression

// gzipWriters pools writers per level: a new gzip.Writer allocates some
// 800 KB of tables, which made the allocation, not the compression, the
// larger cost of a small page.
var gzipWriters = map[int]*sync.Pool{}

func init() {
	for _, lvl := range []int{gzip.DefaultCompression, gzip.BestCompression} {
		gzipWriters[lvl] = &sync.Pool{New: func() any {
			zw, _ := gzip.NewWriterLevel(io.Discard, lvl)
			return zw
		}}
	}
}

// gzipped compresses b at level (one of gzipWriters' levels) with a pooled
// writer; nil when compression does not pay.
func gzipped(b []byte, level int) []byte {
	if len(b) < 1024 {
		return nil
	}
	pool := gzipWriters[level]
	zw := pool.Get().(*gzip.Writer)
	defer pool.Put(zw)
	var buf bytes.Buffer
	buf.Grow(len(b) / 3)
	zw.Reset(&buf)
	zw.Write(b)
	if zw.Close() != nil || buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip
// with a weight above zero (RFC 9110 §12.5.3: "gzip;q=0" refuses it).
func acceptsGzip(r *http.Request) bool {
	rest := r.Header.Get("Accept-Encoding")
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		enc, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}

// pageKey identifies a rendered page: the path, the query without lang and
// the language.
func (s *Server) pageKey(r *http.Request) string {
	q := r.URL.Query()
	q.Del("lang")
	tag := "en"
	if s.portal.langs != nil {
		tag = s.portal.langs.pick(r).Tag
	}
	return r.URL.Path + "?" + q.Encode() + "|" + tag
}

// renderBytes executes a page template of the request's language into bytes.
func (s *Server) renderBytes(r *http.Request, name string, data any) ([]byte, error) {
	t := s.pages
	if ls := s.portal.langs; ls != nil {
		t = ls.pages[ls.pick(r).Tag]
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

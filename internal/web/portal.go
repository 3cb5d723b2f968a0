package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/tally"
)

// The public portal: results at every level down to each polling station,
// every protocol version side by side, the map, the open data, the
// forensic charts, in every language of i18n/.
//
// Pages and the portal's results JSON are served from caches keyed by the
// election's protocol stamp (max protocol id and count): a page is rendered
// once per stamp, language and query, and then served as bytes with an
// ETag. The stamp itself is re-read at most every portalTTL, so on election
// night the portal is at most that far behind the database, and serving a
// page costs no database query at all.
const portalTTL = 500 * time.Millisecond

// maxCachedPages bounds the rendered-page cache (about 60 MB of pages at
// most).
const maxCachedPages = 4096

type portal struct {
	langs *languages

	mu        sync.Mutex
	elections map[string]cachedElection
	stamps    map[int64]cachedStamp
	recompute time.Duration // the last recomputation of a tabulation (guarded by mu)
	pages     map[string]cachedPage
	diffs     map[string]*diffSet // by election id and stamp

	linksOnce sync.Once
	links     []navLink // optional pages of other areas (findings, recommendations)

	charts chartCache
}

type cachedElection struct {
	e  *election.Election
	at time.Time
}

type cachedStamp struct {
	stamp      string
	at         time.Time
	refreshing bool
}

type cachedPage struct {
	body        []byte
	gz          []byte // body gzipped, when that is smaller
	etag        string
	contentType string
	stamp       string // of the data the page shows
	building    bool   // a newer one is being rendered
}

// navLink is an entry of the election navigation.
type navLink struct {
	Key    string // i18n key of the label
	Path   string // under /elections/{id}, or from the root when Global
	Global bool
}

// portalFuncs are the template functions of the portal that do not depend
// on the language.
var portalFuncs = template.FuncMap{
	"pct": func(x float64) string { return pctString(x) },
	"barWidth": func(x float64) template.CSS {
		return template.CSS("width:" + strconv.FormatFloat(clamp01(x)*100, 'f', 1, 64) + "%")
	},
	"sourceKey": func(s election.Source) string {
		return "source." + string(s)
	},
	"add": func(a, b int) int { return a + b },
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
	// query returns base with keys set; a plain string, so html/template
	// still vets it as a URL.
	"query": func(base string, kv ...string) string { return withQuery(base, kv...) },
	"figureKey": func(name string) string {
		return "figure." + name
	},
}

func clamp01(x float64) float64 {
	if x < 0 || x != x {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// pctString writes a fraction as a percentage with two decimals, "–" when
// unknown (negative or NaN).
func pctString(x float64) string {
	if x < 0 || x != x {
		return "–"
	}
	return strconv.FormatFloat(100*x, 'f', 2, 64) + "\u00a0%"
}

// withQuery returns base with the given key/value pairs set (an empty value
// removes the key).
func withQuery(base string, kv ...string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (s *Server) portalRoutes() {
	langs, err := loadCatalogues()
	if err != nil {
		// The catalogues are embedded: a broken one is a build defect.
		panic(err)
	}
	if err := langs.bindLanguages(s.pages); err != nil {
		panic(err)
	}
	s.portal.langs = langs
	s.portal.elections = map[string]cachedElection{}
	s.portal.stamps = map[int64]cachedStamp{}
	s.portal.pages = map[string]cachedPage{}
	s.portal.diffs = map[string]*diffSet{}

	s.mux.Handle("GET /{$}", s.serve(s.pageHome))
	s.mux.Handle("GET /elections/{election}", s.serve(s.pageElection))
	s.mux.Handle("GET /elections/{election}/areas/{area}", s.serve(s.pageArea))
	s.mux.Handle("GET /api/v1/elections/{election}/results", s.serve(s.apiResults))
	s.mux.Handle("GET /static/vendor/", vendorHandler())
	s.geoRoutes()
	s.openDataRoutes()
	s.forensicsRoutes()
}

// templatesFor returns the template set of the request's language and
// remembers an explicit choice in a cookie.
func (s *Server) templatesFor(w http.ResponseWriter, r *http.Request) *template.Template {
	ls := s.portal.langs
	if ls == nil {
		return s.pages
	}
	ls.remember(w, r)
	return ls.pages[ls.pick(r).Tag]
}

// portalElection finds the election of the path like electionParam, from a
// cache at most portalTTL old.
func (s *Server) portalElection(r *http.Request) (*election.Election, error) {
	key := r.PathValue("election")
	now := time.Now()
	s.portal.mu.Lock()
	c, ok := s.portal.elections[key]
	s.portal.mu.Unlock()
	if ok && now.Sub(c.at) < portalTTL {
		return c.e, nil
	}
	e, err := s.electionParam(r)
	if err != nil {
		return nil, err
	}
	s.portal.mu.Lock()
	if len(s.portal.elections) > 1024 {
		clear(s.portal.elections)
	}
	s.portal.elections[key] = cachedElection{e, now}
	s.portal.mu.Unlock()
	return e, nil
}

// portalStamp returns the election's protocol stamp, at most portalTTL old
// plus the time one stamp query takes: when the cached stamp is stale, one
// request refreshes it in the background while the others go on with the
// one they have (only the very first request of an election waits).
func (s *Server) portalStamp(ctx context.Context, id int64) (string, error) {
	now := time.Now()
	s.portal.mu.Lock()
	c, ok := s.portal.stamps[id]
	if ok && now.Sub(c.at) >= s.stampTTL() && !c.refreshing {
		c.refreshing = true
		s.portal.stamps[id] = c
		go s.refreshStamp(id)
	}
	s.portal.mu.Unlock()
	if ok {
		return c.stamp, nil
	}
	st, err := s.protocolStamp(ctx, id)
	if err != nil {
		return "", err
	}
	s.portal.mu.Lock()
	s.portal.stamps[id] = cachedStamp{stamp: st, at: now}
	s.portal.mu.Unlock()
	return st, nil
}

// stampTTL is how long a stamp is trusted: portalTTL, or five times the
// last recomputation of a tabulation when that is longer (at most 10 s),
// so that a large election under a steady stream of protocols spends at
// most a fifth of a core recomputing.
func (s *Server) stampTTL() time.Duration {
	return max(portalTTL, min(10*time.Second, 5*s.portal.recompute))
}

// portalTally is tallyAt, timing the recomputations for stampTTL.
func (s *Server) portalTally(ctx context.Context, e *election.Election, sel tally.Selector, stamp string) (*tallyEntry, error) {
	t0 := time.Now()
	ent, err := s.tallyAt(ctx, e, sel, stamp)
	if d := time.Since(t0); err == nil && d > 5*time.Millisecond {
		s.portal.mu.Lock()
		s.portal.recompute = d
		s.portal.mu.Unlock()
	}
	return ent, err
}

func (s *Server) refreshStamp(id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	at := time.Now()
	st, err := s.protocolStamp(ctx, id)
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	c := s.portal.stamps[id]
	c.refreshing = false
	if err != nil {
		s.log.Warn("portal: reading the protocol stamp", "election", id, "err", err)
	} else {
		c.stamp, c.at = st, at
	}
	s.portal.stamps[id] = c
}

// servePage writes a page from the cache under key, rendered from the data
// as of stamp. A page not in the cache is built at once. A page built from
// an older stamp is served as it is while one background build renders the
// new one (stale while revalidating): on election night, when protocols
// arrive every second and each changes the stamp, no reader waits for a
// recomputed tabulation. build renders the page for a request like r.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, key, stamp, contentType string, build func(r *http.Request) ([]byte, error)) error {
	s.portal.mu.Lock()
	p, ok := s.portal.pages[key]
	if ok && p.stamp != stamp && !p.building {
		p.building = true
		s.portal.pages[key] = p
		// The request's context ends with this response; the rebuild
		// keeps its values (none matter) but not its cancellation.
		bg := r.Clone(context.WithoutCancel(r.Context()))
		go s.rebuildPage(key, stamp, contentType, build, bg)
	}
	s.portal.mu.Unlock()
	if !ok {
		body, err := build(r)
		if err != nil {
			return err
		}
		p = s.storePage(key, stamp, contentType, body)
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
	if p.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(p.gz)))
		_, err := w.Write(p.gz)
		return err
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
	p := cachedPage{body: body, gz: gzipped(body), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, contentType: contentType, stamp: stamp}
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

// gzipped compresses b once, for every reader whose browser accepts it;
// nil when compression does not pay.
func gzipped(b []byte) []byte {
	if len(b) < 1024 {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if zw.Close() != nil || buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" {
			return !strings.Contains(strings.ReplaceAll(q, " ", ""), "q=0") || strings.Contains(q, "q=0.")
		}
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

// electionLinks lists the election's pages for the navigation; findings and
// recommendations appear only once their routes exist (other areas of
// vigil register them): per election first, else mission-wide.
func (s *Server) electionLinks(e *election.Election) []navLink {
	s.portal.linksOnce.Do(func() {
		for _, cands := range [][]navLink{
			{{"nav.findings", "/findings", false}, {"nav.findings", "/findings", true}},
			{{"nav.recommendations", "/recommendations", false}, {"nav.recommendations", "/recommendations", true}},
		} {
			for _, l := range cands {
				path := l.Path
				if !l.Global {
					path = "/elections/1" + l.Path
				}
				req, _ := http.NewRequest("GET", path, nil)
				if _, pattern := s.mux.Handler(req); pattern != "" && !strings.HasSuffix(pattern, "/") {
					s.portal.links = append(s.portal.links, l)
					break
				}
			}
		}
	})
	links := []navLink{{"nav.results", "/areas/root", false}, {"nav.map", "/map", false}, {"nav.forensics", "/forensics", false}, {"nav.data", "/data", false}}
	return append(links, s.portal.links...)
}

// pageCommon is what every portal page's layout needs.
type pageCommon struct {
	Title    string
	Election *election.Election
	Links    []navLink
	Current  string // the nav key of this page
	Path     string // the request path
	URI      string // the request URI, for the language switch (which keeps the query)
}

func (s *Server) common(r *http.Request, e *election.Election, title, current string) pageCommon {
	c := pageCommon{Title: title, Election: e, Current: current, Path: r.URL.Path, URI: r.URL.RequestURI()}
	if e != nil {
		c.Links = s.electionLinks(e)
	}
	return c
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request) error {
	es, err := s.db.Elections(r.Context())
	if err != nil {
		return err
	}
	var global []navLink
	for _, l := range s.electionLinks(nil) {
		if l.Global {
			global = append(global, l)
		}
	}
	return s.render(w, r, http.StatusOK, "home.html", map[string]any{"C": s.common(r, nil, "", ""), "Elections": es, "Global": global})
}

func (s *Server) pageElection(w http.ResponseWriter, r *http.Request) error {
	e, err := s.portalElection(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/elections/"+strconv.FormatInt(e.ID, 10)+"/areas/root", http.StatusSeeOther)
	return nil
}

// crumb is one ancestor in the breadcrumb.
type crumb struct {
	ID   int64
	Name string
}

// childRow is one child area in the list of an area page.
type childRow struct {
	ID         int64
	Name       string
	Station    bool
	Stations   int
	Registered int64
	Turnout    float64 // −1 when unknown
	Shares     []float64
	Differs    int // stations under it whose protocol versions disagree
}

// optionShare is one option's result at an area.
type optionShare struct {
	Name       string
	AgainstAll bool
	Votes      int64
	Share      float64
	Leader     bool
}

type areaPage struct {
	C             pageCommon
	Area          *election.Area
	Crumbs        []crumb
	Source        string // the ?source= value, "" for the default
	Sources       []election.Source
	Stations      int
	Expected      int // stations under the area
	Figures       map[string]int64
	Turnout       float64
	Options       []optionShare
	Children      []childRow
	ChildCount    int
	ChildStations bool
	Sort, Dir     string
	Filter        string
	OnlyDiff      bool
	ChildLevel    string
	Base          string // the request URI, for the sort links
	// Station pages.
	Protocols []*election.Protocol
	Figs      []figureRow
	Votes     []voteRow
	Flags     []election.Flag
	Photos    map[int64]string // protocol id → photo URL (observation reports may carry one)
	FlagCount map[int64]int    // protocol id → failed controls
	Differs   bool
	// Higher areas: the commission's summary protocols against the sum of
	// the stations' protocols (the first column).
	Summaries []*election.Protocol
	SumFigs   []figureRow
	SumVotes  []voteRow
}

// voteRow is one option across a station's protocol versions.
type voteRow struct {
	Name   string
	Values []figureCell
}

func (s *Server) pageArea(w http.ResponseWriter, r *http.Request) error {
	e, err := s.portalElection(r)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	stamp, err := s.portalStamp(r.Context(), e.ID)
	if err != nil {
		return err
	}
	return s.servePage(w, r, s.pageKey(r), stamp, "text/html; charset=utf-8", func(r *http.Request) ([]byte, error) {
		ent, err := s.portalTally(r.Context(), e, sel, stamp)
		if err != nil {
			return nil, err
		}
		i, err := areaIndex(r, e, ent.result.Index)
		if err != nil {
			return nil, err
		}
		data, err := s.areaData(r, e, ent, i)
		if err != nil {
			return nil, err
		}
		return s.renderBytes(r, "area.html", data)
	})
}

// areaIndex resolves the {area} of the path ("root" or an id) in the index.
func areaIndex(r *http.Request, e *election.Election, ix *tally.Index) (int, error) {
	key := r.PathValue("area")
	if key == "root" || key == "" {
		if roots := ix.Roots(); len(roots) > 0 {
			return int(roots[0]), nil
		}
		return 0, Errorf(NotFound, "election %q has no areas", e.Name)
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return 0, Errorf(Invalid, "area %q: want a number or \"root\"", key)
	}
	i, ok := ix.Lookup(id)
	if !ok {
		return 0, Errorf(NotFound, "area %d is not in election %q", id, e.Name)
	}
	return i, nil
}

func turnoutOf(f election.Figures) float64 {
	reg, ok := f.Get(election.Registered)
	iss, ok2 := f.Get(election.BallotsIssued)
	if !ok || !ok2 || reg <= 0 {
		return -1
	}
	return float64(iss) / float64(reg)
}

func (s *Server) areaData(r *http.Request, e *election.Election, ent *tallyEntry, i int) (*areaPage, error) {
	res := ent.result
	ix := res.Index
	a := ix.Area(i)
	d := &areaPage{Area: a, Source: r.URL.Query().Get("source"), Sources: election.Sources[:4], Base: r.URL.RequestURI()}
	d.C = s.common(r, e, a.Name, "nav.results")
	for p := a.ParentID; p != 0; {
		j, ok := ix.Lookup(p)
		if !ok {
			break
		}
		pa := ix.Area(j)
		d.Crumbs = append([]crumb{{pa.ID, pa.Name}}, d.Crumbs...)
		p = pa.ParentID
	}
	if a.Level == 0 {
		d.C.Title = e.Name
	}
	node := res.Node(i, a.Level+1)
	d.Stations = node.Stations
	d.Expected = len(ix.Stations(i))
	d.Figures = node.Figures.Map()
	d.Turnout = turnoutOf(node.Figures)
	valid := node.Figures.Value(election.Valid)
	lead := -1
	for k, v := range node.Votes {
		if lead < 0 || v > node.Votes[lead] {
			lead = k
		}
	}
	for _, o := range e.Options {
		if o.Position >= len(node.Votes) {
			continue
		}
		v := node.Votes[o.Position]
		sh := -1.0
		if valid > 0 {
			sh = float64(v) / float64(valid)
		}
		d.Options = append(d.Options, optionShare{Name: o.Name, AgainstAll: o.Kind == election.AgainstAll, Votes: v, Share: sh, Leader: o.Position == lead && v > 0})
	}
	diffs := s.diffsFor(e, ent)
	if len(node.Children) > 0 {
		d.ChildLevel = levelName(e, node.Children[0].Area.Level)
		d.ChildCount = len(node.Children)
		d.ChildStations = node.Children[0].Area.Station
		q := r.URL.Query()
		d.Sort, d.Dir, d.Filter, d.OnlyDiff = q.Get("sort"), q.Get("dir"), strings.TrimSpace(q.Get("q")), q.Get("differs") == "1"
		filter := strings.ToLower(d.Filter)
		for _, c := range node.Children {
			if filter != "" && !strings.Contains(strings.ToLower(c.Area.Name), filter) {
				continue
			}
			j, _ := ix.Lookup(c.Area.ID)
			row := childRow{ID: c.Area.ID, Name: c.Area.Name, Station: c.Area.Station, Stations: c.Stations,
				Registered: c.Figures.Value(election.Registered), Turnout: turnoutOf(c.Figures), Differs: diffs.under(ix, j)}
			cv := c.Figures.Value(election.Valid)
			for _, o := range e.Options {
				sh := -1.0
				if cv > 0 && o.Position < len(c.Votes) {
					sh = float64(c.Votes[o.Position]) / float64(cv)
				}
				row.Shares = append(row.Shares, sh)
			}
			if d.OnlyDiff && row.Differs == 0 {
				continue
			}
			d.Children = append(d.Children, row)
		}
		sortChildren(d.Children, d.Sort, d.Dir == "desc")
	}
	if !a.Station && a.Level > 0 {
		ps, err := s.db.AreaProtocols(r.Context(), e.ID, a.ID)
		if err != nil {
			return nil, err
		}
		if len(ps) > 0 {
			// The stations' sum as a protocol of its own, the reference
			// column every summary version is compared with.
			sum := &election.Protocol{Source: "", Figures: node.Figures, Votes: node.Votes}
			cols := append([]*election.Protocol{sum}, ps...)
			d.Summaries = ps
			d.SumFigs = compareRows(cols, 0)
			d.SumVotes = compareVotes(e, cols, 0)
		}
	}
	if a.Station {
		ps, err := s.db.AreaProtocols(r.Context(), e.ID, a.ID)
		if err != nil {
			return nil, err
		}
		// Columns in the order the versions arise: preliminary, final,
		// observer, recount, summary; versions in order within a source.
		sort.SliceStable(ps, func(i, j int) bool {
			if ps[i].Source != ps[j].Source {
				return sourceRank(ps[i].Source) < sourceRank(ps[j].Source)
			}
			return ps[i].Version < ps[j].Version
		})
		d.Protocols = ps
		d.Figs = figureRows(ps)
		d.Votes = voteRows(e, ps)
		flagged := map[int64]map[string]bool{}
		d.FlagCount = map[int64]int{}
		for _, p := range ps {
			fl := election.Check(e, p)
			d.Flags = append(d.Flags, fl...)
			d.FlagCount[p.ID] = len(fl)
			for _, f := range fl {
				if flagged[p.ID] == nil {
					flagged[p.ID] = map[string]bool{}
				}
				for name := range f.Figures {
					flagged[p.ID][name] = true
				}
				if f.Item != "" {
					flagged[p.ID][f.Item] = true
				}
			}
		}
		markFlagged(e, ps, d.Figs, d.Votes, flagged)
		d.Photos = s.protocolPhotos(r.Context(), ps)
		d.Differs = diffs.areas[a.ID]
	}
	return d, nil
}

func sourceRank(s election.Source) int {
	for i, x := range election.Sources {
		if x == s {
			return i
		}
	}
	return len(election.Sources)
}

// protocolPhotos returns the photo of each protocol that has one, by
// protocol id. Observation reports will carry photos of the protocols
// observers copied; until they do, there are none. The station page shows
// each one beside its version's column.
func (s *Server) protocolPhotos(_ context.Context, _ []*election.Protocol) map[int64]string {
	return nil
}

func levelName(e *election.Election, level int) string {
	if level >= 1 && level <= len(e.Config.AreaLevels) {
		return e.Config.AreaLevels[level-1]
	}
	return ""
}

func sortChildren(rows []childRow, key string, desc bool) {
	less := func(a, b *childRow) bool { return a.Name < b.Name }
	switch {
	case key == "stations":
		less = func(a, b *childRow) bool { return a.Stations < b.Stations }
	case key == "registered":
		less = func(a, b *childRow) bool { return a.Registered < b.Registered }
	case key == "turnout":
		less = func(a, b *childRow) bool { return a.Turnout < b.Turnout }
	case key == "differs":
		less = func(a, b *childRow) bool { return a.Differs < b.Differs }
	case strings.HasPrefix(key, "option"):
		k, err := strconv.Atoi(strings.TrimPrefix(key, "option"))
		if err == nil && len(rows) > 0 && k >= 0 && k < len(rows[0].Shares) {
			less = func(a, b *childRow) bool { return a.Shares[k] < b.Shares[k] }
		}
	case key == "" || key == "name":
		if !desc {
			return // the index's order: stations by number, areas as imported
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(&rows[j], &rows[i])
		}
		return less(&rows[i], &rows[j])
	})
}

// figureRow is one figure across a station's protocol versions, with the
// versions that differ from the official final one (else the first) marked.
type figureRow struct {
	Name   string
	Values []figureCell
}

type figureCell struct {
	Value   int64
	Known   bool
	Differs bool
	Flagged bool // an arithmetic control failed on this figure of this version
}

// reference is the version the others are compared with: the latest
// official final protocol, else the first.
func reference(ps []*election.Protocol) int {
	ref := 0
	for i, p := range ps {
		if p.Source == election.OfficialFinal {
			ref = i
		}
	}
	return ref
}

func figureRows(ps []*election.Protocol) []figureRow {
	if len(ps) == 0 {
		return nil
	}
	return compareRows(ps, reference(ps))
}

// compareRows lays out every figure any of ps states, marking the values
// that differ from ps[refIdx].
func compareRows(ps []*election.Protocol, refIdx int) []figureRow {
	ref := ps[refIdx]
	var rows []figureRow
	for f := election.Figure(0); f < election.NumFigures; f++ {
		row := figureRow{Name: f.String()}
		known := false
		first, fok := ref.Figures.Get(f)
		for _, p := range ps {
			v, ok := p.Figures.Get(f)
			known = known || ok
			row.Values = append(row.Values, figureCell{Value: v, Known: ok, Differs: ok && fok && v != first})
		}
		if known {
			rows = append(rows, row)
		}
	}
	return rows
}

func voteRows(e *election.Election, ps []*election.Protocol) []voteRow {
	if len(ps) == 0 {
		return nil
	}
	return compareVotes(e, ps, reference(ps))
}

func compareVotes(e *election.Election, ps []*election.Protocol, refIdx int) []voteRow {
	ref := ps[refIdx]
	var rows []voteRow
	for _, o := range e.Options {
		row := voteRow{Name: o.Name}
		for _, p := range ps {
			c := figureCell{}
			if o.Position < len(p.Votes) {
				c.Value, c.Known = p.Votes[o.Position], true
				c.Differs = o.Position < len(ref.Votes) && c.Value != ref.Votes[o.Position]
			}
			row.Values = append(row.Values, c)
		}
		rows = append(rows, row)
	}
	return rows
}

// markFlagged marks the cells of the figures (and, for the sum of the
// votes, every vote) that a failed control read, version by version.
func markFlagged(e *election.Election, ps []*election.Protocol, figs []figureRow, votes []voteRow, flagged map[int64]map[string]bool) {
	for k, p := range ps {
		set := flagged[p.ID]
		if len(set) == 0 {
			continue
		}
		for i := range figs {
			if set[figs[i].Name] {
				figs[i].Values[k].Flagged = true
			}
		}
		for i := range votes {
			if set["options_total"] || set["votes:"+votes[i].Name] || set[votes[i].Name] {
				votes[i].Values[k].Flagged = true
			}
		}
	}
}

// diffSet marks the stations whose latest protocol versions of different
// sources (official preliminary and final, observer, recount) disagree.
type diffSet struct {
	areas map[int64]bool
}

func (d *diffSet) under(ix *tally.Index, i int) int {
	if len(d.areas) == 0 {
		return 0
	}
	a := ix.Area(i)
	if a.Station {
		if d.areas[a.ID] {
			return 1
		}
		return 0
	}
	n := 0
	for _, j := range ix.Stations(i) {
		if d.areas[ix.Area(int(j)).ID] {
			n++
		}
	}
	return n
}

func (s *Server) diffsFor(e *election.Election, ent *tallyEntry) *diffSet {
	key := strconv.FormatInt(e.ID, 10) + "|" + ent.stamp
	s.portal.mu.Lock()
	d, ok := s.portal.diffs[key]
	s.portal.mu.Unlock()
	if ok {
		return d
	}
	d = &diffSet{areas: map[int64]bool{}}
	first := map[int64]*election.Protocol{}
	for _, p := range ent.all {
		if p.Source == election.Summary {
			continue
		}
		q, ok := first[p.AreaID]
		if !ok {
			first[p.AreaID] = p
			continue
		}
		if d.areas[p.AreaID] {
			continue
		}
		if !sameCount(p, q) {
			d.areas[p.AreaID] = true
		}
	}
	s.portal.mu.Lock()
	if len(s.portal.diffs) > 64 {
		clear(s.portal.diffs)
	}
	s.portal.diffs[key] = d
	s.portal.mu.Unlock()
	return d
}

// sameCount reports whether two protocols agree on every figure both state
// and on every vote.
func sameCount(p, q *election.Protocol) bool {
	for f := election.Figure(0); f < election.NumFigures; f++ {
		a, ok1 := p.Figures.Get(f)
		b, ok2 := q.Figures.Get(f)
		if ok1 && ok2 && a != b {
			return false
		}
	}
	if len(p.Votes) != len(q.Votes) {
		return false
	}
	for k := range p.Votes {
		if p.Votes[k] != q.Votes[k] {
			return false
		}
	}
	return true
}

// apiResults is the portal's results JSON: an area (?area=, the root by
// default) and its children down to ?level= levels below (1 by default),
// under ?source=, from the same cache as the pages.
func (s *Server) apiResults(w http.ResponseWriter, r *http.Request) error {
	e, err := s.portalElection(r)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	level := 1
	if l := r.URL.Query().Get("level"); l != "" {
		if level, err = strconv.Atoi(l); err != nil || level < 0 || level > 8 {
			return &Error{Code: Invalid, Message: "level: want a whole number from 0 to 8", Field: "level"}
		}
	}
	stamp, err := s.portalStamp(r.Context(), e.ID)
	if err != nil {
		return err
	}
	key := r.URL.Path + "?" + r.URL.RawQuery + "|json"
	return s.servePage(w, r, key, stamp, "application/json; charset=utf-8", func(r *http.Request) ([]byte, error) {
		ent, err := s.portalTally(r.Context(), e, sel, stamp)
		if err != nil {
			return nil, err
		}
		i := 0
		if a := r.URL.Query().Get("area"); a != "" && a != "root" {
			id, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				return nil, &Error{Code: Invalid, Message: "area: want an area id", Field: "area"}
			}
			var ok bool
			if i, ok = ent.result.Index.Lookup(id); !ok {
				return nil, Errorf(NotFound, "area %d is not in election %q", id, e.Name)
			}
		} else if roots := ent.result.Index.Roots(); len(roots) > 0 {
			i = int(roots[0])
		}
		node := ent.result.Node(i, level+ent.result.Index.Area(i).Level)
		var buf bytes.Buffer
		buf.WriteString(`{"election":`)
		writeJSONTo(&buf, map[string]any{"id": e.ID, "name": e.Name})
		buf.WriteString(`,"stamp":`)
		writeJSONTo(&buf, stamp)
		buf.WriteString(`,"result":`)
		writeJSONTo(&buf, node)
		buf.WriteString("}\n")
		return buf.Bytes(), nil
	})
}

func writeJSONTo(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		buf.WriteString("null")
		return
	}
	buf.Write(b)
}

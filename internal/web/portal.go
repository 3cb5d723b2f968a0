package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
)

// The public portal's share of the core: the languages every room renders
// in, the navigation and layout of its pages (PageCommon), and its caches
// keyed on the change feed. The portal's handlers are the room
// internal/web/portal; the open data, findings and recommendations pages
// use the same layout and election cache.
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

	linksOnce sync.Once
	links     []navLink // optional pages of other areas (findings, recommendations)
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
	"pct":      func(x float64) string { return pctString(x) },
	"barWidth": func(x float64) template.CSS { return template.CSS(BarWidth(x)) },
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
}

// BarWidth is the style of a share's bar: its width in per cent of the
// cell, the share clamped to [0, 1].
func BarWidth(x float64) string {
	return "width:" + strconv.FormatFloat(clamp01(x)*100, 'f', 1, 64) + "%"
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

// newPortal loads the languages (every room renders its pages in them)
// and makes the portal's caches.
func (s *Server) newPortal() error {
	langs, err := loadCatalogues()
	if err != nil {
		// The catalogues are embedded: a broken one is a build defect.
		return err
	}
	if err := langs.bindLanguages(s.pages); err != nil {
		return err
	}
	s.portal.langs = langs
	s.portal.elections = map[string]cachedElection{}
	s.portal.stamps = map[int64]cachedStamp{}
	s.portal.pages = map[string]cachedPage{}
	return nil
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
	links := []navLink{{"nav.results", "/areas/root", false}, {"nav.map", "/map", false}, {"nav.copies", "/copies", false}, {"nav.forensics", "/forensics", false}, {"nav.controls", "/controls", false}, {"nav.data", "/data", false}}
	return append(links, s.portal.links...)
}

// navCache keeps one language's rendering of each election's navigation
// (the template "enav", through the function enav): the same for every
// page of the election but for its current entry, and half a dozen
// reflective template calls a link, a sixth of a station page's
// rendering.
type navCache struct {
	t  *template.Template // the language's template set
	mu sync.Mutex
	m  map[string]template.HTML
}

func (nc *navCache) render(c PageCommon) (template.HTML, error) {
	var k strings.Builder
	if c.Election != nil {
		k.WriteString(strconv.FormatInt(c.Election.ID, 10))
		k.WriteString("\x00" + c.Election.Title() + "\x00" + c.Current)
		for _, l := range c.Links {
			k.WriteString("\x00" + l.Key + "\x00" + l.Path + "\x00" + strconv.FormatBool(l.Global))
		}
	}
	key := k.String()
	nc.mu.Lock()
	h, ok := nc.m[key]
	nc.mu.Unlock()
	if ok {
		return h, nil
	}
	var b bytes.Buffer
	if err := nc.t.ExecuteTemplate(&b, "enav", c); err != nil {
		return "", err
	}
	h = template.HTML(b.String())
	nc.mu.Lock()
	if nc.m == nil || len(nc.m) >= 1024 { // elections × pages: a few dozen
		nc.m = map[string]template.HTML{}
	}
	nc.m[key] = h
	nc.mu.Unlock()
	return h, nil
}

// PageCommon is what every portal page's layout needs.
type PageCommon struct {
	Title    string
	Election *election.Election
	Links    []navLink
	Current  string // the nav key of this page
	Path     string // the request path
	URI      string // the request URI, for the language switch (which keeps the query)
}

// Common is the layout's data of a page of election e (nil: no election),
// titled title, with current the key of its entry in the navigation.
func (s *Server) Common(r *http.Request, e *election.Election, title, current string) PageCommon {
	c := PageCommon{Title: title, Election: e, Current: current, Path: r.URL.Path, URI: r.URL.RequestURI()}
	if e != nil {
		c.Links = s.electionLinks(e)
	}
	return c
}

// URLKey is the election's key in URLs: its name when it is URL-safe, which
// makes the open data's addresses readable and stable.
func URLKey(e *election.Election) string {
	for _, c := range e.Name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return strconv.FormatInt(e.ID, 10)
		}
	}
	if _, err := strconv.ParseInt(e.Name, 10, 64); err == nil {
		return strconv.FormatInt(e.ID, 10)
	}
	return e.Name
}

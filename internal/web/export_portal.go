package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

// What the portal room (internal/web/portal) uses of the core: the page
// cache keyed on the change feed, the tabulations, the geography, the
// languages. Thin wrappers, so that the core's own files keep their names.

// PortalDB is where the portal reads: the replica (Options.ReadDB) when
// there is one, else the primary.
func (s *Server) PortalDB() *store.DB { return s.rdb() }

// PortalStamp is the key the portal's caches of election id are built on
// for this request ("election:seq"): the change sequence as this instance
// follows it, advanced at once when the client has seen a later one.
func (s *Server) PortalStamp(r *http.Request, id int64) (string, error) {
	return s.portalStamp(r, id)
}

// ServePage writes the page cached under key as of stamp, building it with
// build when it is missing and rebuilding it in the background when it is
// of an older stamp (stale while revalidating), with its ETag, sequence
// and gzip.
func (s *Server) ServePage(w http.ResponseWriter, r *http.Request, key, stamp, contentType string, build func(r *http.Request) ([]byte, error)) error {
	return s.servePage(w, r, key, stamp, contentType, build)
}

// PageKey identifies a rendered page in the cache: the path, the query
// without lang, and the language.
func (s *Server) PageKey(r *http.Request) string { return s.pageKey(r) }

// PortalTally is the tabulation of e under sel as of a stamp the caller
// has just read, timed so that the portal's sequence advances no faster
// than tabulations are recomputed.
func (s *Server) PortalTally(ctx context.Context, e *election.Election, sel tally.Selector, stamp string) (*TallyEntry, error) {
	return s.portalTally(ctx, e, sel, stamp)
}

// Stamp is the change stamp the entry was tabulated at.
func (t *TallyEntry) Stamp() string { return t.stamp }

// GlobalLinks are the mission-wide pages (findings, recommendations) that
// exist on this server, for the home page.
func (s *Server) GlobalLinks() []navLink {
	var global []navLink
	for _, l := range s.electionLinks(nil) {
		if l.Global {
			global = append(global, l)
		}
	}
	return global
}

// ExclusionText is a forensic test's exclusion reason or fall-back in the
// request's language.
func (s *Server) ExclusionText(r *http.Request, why string) string {
	return exclusionText(s.portal.langs.pick(r), why)
}

// ForensicWarnings are a forensic test's warnings and notes in the
// request's language.
func (s *Server) ForensicWarnings(r *http.Request, english []string, notes []forensics.Note) []string {
	return forensicWarnings(s.portal.langs.pick(r), english, notes)
}

// Geography is an election's stored outlines and station points, loaded
// once per change of the election (the portal's map and the staff report
// page read it).
type Geography = elGeo

// Geography returns the election's stored geography (possibly empty).
func (s *Server) Geography(ctx context.Context, e *election.Election) (*Geography, error) {
	return s.geography(ctx, e)
}

// Shape is the outline of area id as GeoJSON MultiPolygon coordinates, nil
// when the election has none.
func (g *Geography) Shape(id int64) json.RawMessage { return g.shapes[id] }

// HasLevel says whether areas of the level have outlines.
func (g *Geography) HasLevel(level int) bool { return g.levels[level] }

// Point is station id's [longitude, latitude], when known.
func (g *Geography) Point(id int64) ([2]float64, bool) {
	p, ok := g.points[id]
	return p, ok
}

// HasPoints says whether any station's location is known.
func (g *Geography) HasPoints() bool { return len(g.points) > 0 }

// Synthetic says whether the outlines are the demo's invented ones.
func (g *Geography) Synthetic() bool { return g.synthetic }

// Sources are the files the outlines came from.
func (g *Geography) Sources() []string { return g.sources }

// PctString writes a fraction as a percentage with two decimals, "–" when
// unknown (negative or NaN).
func PctString(x float64) string { return pctString(x) }

// WithQuery returns base with the key/value pairs set (an empty value
// removes the key).
func WithQuery(base string, kv ...string) string { return withQuery(base, kv...) }

// WriteJSONTo appends v as JSON to buf ("null" when it does not encode).
func WriteJSONTo(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		buf.WriteString("null")
		return
	}
	buf.Write(b)
}

// VendorHandler serves static/vendor (htmx, Leaflet), gzipped once at the
// best level; the portal registers it at /static/vendor/.
func VendorHandler() http.Handler { return vendorHandler() }

// levelName stayed in the core for the dashboard's coverage
// (dashboard.go) when the portal's area pages moved out.
func levelName(e *election.Election, level int) string { return e.Config.LevelName(level) }

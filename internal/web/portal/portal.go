package portal

import (
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/web"
)

// resultsRoutes registers the results API (elections, areas, protocols,
// batches, tally, flags, comparison): public JSON, read as of the latest
// change (web.Server.TallyFor), not from the page cache.
func (s *room) resultsRoutes() {
	s.Mux().Handle("GET /api/v1/elections", s.Serve(s.apiElections))
	s.Mux().Handle("GET /api/v1/elections/{election}", s.Serve(s.apiElection))
	s.Mux().Handle("GET /api/v1/elections/{election}/areas/{area}", s.Serve(s.apiArea))
	s.Mux().Handle("GET /api/v1/elections/{election}/areas/{area}/protocols", s.Serve(s.apiAreaProtocols))
	s.Mux().Handle("GET /api/v1/elections/{election}/batches", s.Serve(s.apiBatches))
	s.Mux().Handle("GET /api/v1/elections/{election}/tally", s.Serve(s.apiTally))
	s.Mux().Handle("GET /api/v1/elections/{election}/flags", s.Serve(s.apiFlags))
	s.Mux().Handle("GET /api/v1/elections/{election}/compare", s.Serve(s.apiCompare))
}

// pageRoutes registers the portal's pages: the home page, results, areas,
// the results JSON of the pages, search, copies, the vendored scripts and
// the map.
func (s *room) pageRoutes() {
	s.Mux().Handle("GET /{$}", s.Serve(s.pageHome))
	s.Mux().Handle("GET /elections/{election}", s.Serve(s.pageElection))
	s.Mux().Handle("GET /elections/{election}/areas/{area}", s.Serve(s.pageArea))
	s.Mux().Handle("GET /api/v1/elections/{election}/results", s.Serve(s.apiResults))
	s.Mux().Handle("GET /elections/{election}/search", s.Serve(s.pageSearch))
	s.Mux().Handle("GET /elections/{election}/copies", s.Serve(s.pageCopies))
	s.Mux().Handle("GET /static/vendor/", web.VendorHandler())
	s.Mux().Handle("GET /api/v1/elections/{election}/geojson", s.Serve(s.apiGeoJSON))
	s.Mux().Handle("GET /elections/{election}/map", s.Serve(s.pageMap))
}

// forensicsRoutes registers the forensics page and the controls' page.
func (s *room) forensicsRoutes() {
	s.Mux().Handle("GET /elections/{election}/forensics", s.Serve(s.pageForensics))
	s.Mux().Handle("GET /elections/{election}/controls", s.Serve(s.pageControls))
}

func (s *room) pageHome(w http.ResponseWriter, r *http.Request) error {
	es, err := s.PortalDB().Elections(r.Context())
	if err != nil {
		return err
	}
	return s.Render(w, r, http.StatusOK, "home.html", map[string]any{"C": s.Common(r, nil, "", ""), "Elections": es, "Global": s.GlobalLinks()})
}

func (s *room) pageElection(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	// The query goes along: a link to /elections/{slug}?lang=kk (or
	// ?source=) must open the results in that language (or source).
	to := "/elections/" + strconv.FormatInt(e.ID, 10) + "/areas/root"
	if q := r.URL.RawQuery; q != "" {
		to += "?" + q
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

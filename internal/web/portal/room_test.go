package portal_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/portal"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestPortalAloneOnACore mounts only the portal's three groups on a bare
// core: the room needs no other room, and its navigation links to no page
// that is not there (findings and recommendations are other rooms').
func TestPortalAloneOnACore(t *testing.T) {
	db := storetest.SQLite(t)
	if _, err := demo.Write(t.Context(), db, demo.Generate(11, demo.Params{Stations: 200, ObservedShare: 0.1})); err != nil {
		t.Fatal(err)
	}
	s, err := web.New(db, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	portal.MountResults(s)
	portal.Mount(s)
	portal.MountForensics(s)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	for _, path := range []string{"/", "/elections/1/areas/root", "/elections/1/map", "/elections/1/copies",
		"/elections/1/forensics", "/elections/1/controls", "/elections/1/search?q=1", "/static/vendor/htmx.min.js"} {
		if code, body := webtest.Get(t, srv.URL+path, "text/html"); code != 200 {
			t.Errorf("GET %s: %d %.300s", path, code, body)
		}
	}
	for _, path := range []string{"/api/v1/elections", "/api/v1/elections/1/tally", "/api/v1/elections/1/results", "/api/v1/elections/1/compare"} {
		if code, body := webtest.Get(t, srv.URL+path, "application/json"); code != 200 || !strings.HasPrefix(body, "{") {
			t.Errorf("GET %s: %d %.300s", path, code, body)
		}
	}
	_, page := webtest.Get(t, srv.URL+"/elections/1/areas/root", "text/html")
	for _, missing := range []string{"/findings", "/recommendations"} {
		if code, _ := webtest.Get(t, srv.URL+"/elections/1"+missing, "text/html"); code != 404 {
			t.Fatalf("%s answers %d on a core without its room", missing, code)
		}
		if strings.Contains(page, `href="/elections/1`+missing+`"`) || strings.Contains(page, `href="`+missing+`"`) {
			t.Errorf("the area page links to %s, which this server does not serve", missing)
		}
	}
}

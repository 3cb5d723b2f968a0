package web

import (
	"net/http"
)

// PagesRoutes registers the pages that answer for the rest: the "not
// found" page every unknown address gets (a page for a person, JSON under
// /api/). (The staff's report pages behind the dashboard's links follow it
// in the route table: web/dashboard.MountReports.)
func (s *Server) PagesRoutes() {
	// "GET /" is the least specific pattern: it answers only what no other
	// route does.
	s.mux.Handle("GET /", s.Serve(s.notFound))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return Errorf(NotFound, "there is no page at %s", r.URL.Path)
}

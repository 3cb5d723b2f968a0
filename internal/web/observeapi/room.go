// Package observeapi is the room of the observer API and the observers'
// own pages: reports (submitted, listed, reviewed), forms and their
// pictures, the roster and tokens, QC rules, the audit log, conflicts and
// their resolution, the findings, assignments and deployments (JSON under
// /api/v1/); the offline web form and the sign-in pages; the review page;
// reports' photos. Reports go through the core's observation pipeline, as
// the gateways' do; the checked writes a review or a resolution makes are
// the core's (web.Server.ReviewReport, Resolve), shared with the dashboard.
package observeapi

import (
	"net/http"
	"sync"

	"github.com/vigil-elections/vigil/internal/web"
)

// room is the observer API's view of the core, with its cache of findings
// answers.
type room struct {
	*web.Server
	findings bodyCache
}

// Mount registers the photos' routes and the observer API's on the core
// s (together in the route table).
func Mount(s *web.Server) {
	r := &room{Server: s}
	r.photoRoutes()
	r.apiRoutes()
}

// MountPages registers the sign-in pages, the offline web form and the
// review page, which follow the gateways in the route table. They keep no
// state.
func MountPages(s *web.Server) {
	r := &room{Server: s}
	r.pageRoutes()
	r.reviewRoutes()
}

// photoRoutes registers the upload and the reading of reports' photos.
func (s *room) photoRoutes() {
	s.Mux().Handle("POST /api/v1/elections/{election}/reports/{id}/photos", http.NewCrossOriginProtection().Handler(s.Serve(s.Authed(s.apiReportPhoto))))
	s.Mux().Handle("GET /elections/{election}/photos/{id}", s.Serve(s.pagePhoto))
}

// bodyCache keeps rendered answers, keyed by what they depend on (the
// change counter among it): a stale entry is never hit, only crowded out.
// The observer API keeps one per server (its findings answers).
type bodyCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *bodyCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *bodyCache) put(key string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 64 {
		c.m = map[string][]byte{}
	}
	c.m[key] = v
}

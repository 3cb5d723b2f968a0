// Package site assembles vigil's web server: it builds the core
// (internal/web) and mounts every room's routes on it, in the order of the
// route table. cmd/vigil and the tests that need the whole server call New;
// a room's own tests may mount that room alone on a core.
package site

import (
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/dashboard"
	"github.com/vigil-elections/vigil/internal/web/findings"
	"github.com/vigil-elections/vigil/internal/web/gateway"
	"github.com/vigil-elections/vigil/internal/web/integrityapi"
	"github.com/vigil-elections/vigil/internal/web/observeapi"
	"github.com/vigil-elections/vigil/internal/web/opendata"
	"github.com/vigil-elections/vigil/internal/web/portal"
	"github.com/vigil-elections/vigil/internal/web/recommendations"
	"github.com/vigil-elections/vigil/internal/web/transparency"
)

// New builds the whole server: the core with every room mounted.
func New(db *store.DB, opt web.Options) (*web.Server, error) {
	s, err := web.New(db, opt)
	if err != nil {
		return nil, err
	}
	// The order is the route table's (Server.Routes lists the patterns in
	// it, and the authorisation test walks them so).
	s.HealthRoutes()
	portal.MountResults(s)
	integrityapi.Mount(s)
	findings.Mount(s)
	observeapi.Mount(s)
	gateway.Mount(s)
	observeapi.MountPages(s)
	recommendations.Mount(s)
	portal.Mount(s)
	opendata.Mount(s)
	portal.MountForensics(s)
	dashboard.Mount(s)
	transparency.Mount(s)
	s.PagesRoutes()
	dashboard.MountReports(s)
	return s, nil
}

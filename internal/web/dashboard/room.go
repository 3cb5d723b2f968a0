// Package dashboard is the room of the mission's dashboard, for its staff:
// coverage by area (live over server-sent events), incidents and their
// triage, the quality-control queue, conflicts with a form to resolve
// each, the PVT on the stored sample, and the staff's page of one report.
// Its actions are the core's checked writes (web.Server.ReviewReport,
// Resolve), the same the observer API makes.
package dashboard

import "github.com/vigil-elections/vigil/internal/web"

// room is the dashboard's view of the core, with its state: the PVT cache,
// the coverage fragments and the live streams.
type room struct {
	*web.Server
	st *dashState
}

// Mount registers the dashboard's routes on the core s.
func Mount(s *web.Server) { newRoom(s).routes() }

// MountReports registers the staff's report pages, which come after the
// catch-all page in the route table. They keep no state.
func MountReports(s *web.Server) { (&room{Server: s}).reportRoutes() }

func newRoom(s *web.Server) *room { return &room{Server: s, st: newDashState()} }

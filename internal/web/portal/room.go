// Package portal is the room of the public portal: the results at every
// level down to each polling station with every protocol version side by
// side, the results API, search, the observers' copies against the
// official protocols, the map, the forensics pages and the arithmetic
// controls, in every language of the core's catalogues. Its pages are
// served from the core's page cache, keyed on the change feed
// (web.Server.ServePage).
package portal

import "github.com/vigil-elections/vigil/internal/web"

// Room is the portal on one core, with the caches only the portal reads.
// The route table puts the portal's routes in three places (the results
// API first among the public API, the pages after the recommendations,
// the forensics and controls after the open data): site.New makes one
// Room and mounts each group where it belongs.
type Room struct {
	*web.Server
	diffs  diffCache  // stations whose sources disagree, by tabulation (area.go)
	charts chartCache // the forensics pages' statistics (forensics.go)
}

// New makes the portal room of the core s; it registers no route.
func New(s *web.Server) *Room { return &Room{Server: s} }

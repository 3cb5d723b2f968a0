// Package portal is the room of the public portal: the results at every
// level down to each polling station with every protocol version side by
// side, the results API, search, the observers' copies against the
// official protocols, the map, the forensics pages and the arithmetic
// controls, in every language of the core's catalogues. Its pages are
// served from the core's page cache, keyed on the change feed
// (web.Server.ServePage).
package portal

import "github.com/vigil-elections/vigil/internal/web"

// room is the portal's view of the core, with the caches only the portal
// reads. The route table puts the portal's routes in three places (the
// results API first among the public API, the pages after the
// recommendations, the forensics and controls after the open data), so the
// room has a Mount for each; each makes its own room, and each cache is
// filled and read by the routes of one of them only.
type room struct {
	*web.Server
	diffs  diffCache  // stations whose sources disagree, by tabulation (Mount: area.go)
	charts chartCache // the forensics page's statistics (MountForensics: forensics.go)
}

// MountResults registers the results API on the core s.
func MountResults(s *web.Server) { (&room{Server: s}).resultsRoutes() }

// Mount registers the portal's pages on the core s.
func Mount(s *web.Server) { (&room{Server: s}).pageRoutes() }

// MountForensics registers the forensics and controls pages on the core s.
func MountForensics(s *web.Server) { (&room{Server: s}).forensicsRoutes() }

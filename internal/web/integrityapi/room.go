// Package integrityapi is the room of the integrity API: on the published
// results, the forensic tests (integer percentages, fingerprint, Shpilkin,
// last digits, observed against unobserved stations) and the PVT, computed
// with the code of `vigil forensics` and `vigil pvt --db`
// (internal/integrity/stored).
package integrityapi

import "github.com/vigil-elections/vigil/internal/web"

// room is the integrity API's view of the core, with its cache of results.
type room struct {
	*web.Server
	computed computed
}

// Mount registers the integrity API's routes on the core s.
func Mount(s *web.Server) { (&room{Server: s}).routes() }

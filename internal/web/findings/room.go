// Package findings is the room of the published findings: a mission's
// staff publish their organisation's current findings, the public reads
// every publication of an election frozen as it was published, and the
// statement drawn from it with a page per figure.
package findings

import "github.com/vigil-elections/vigil/internal/web"

// room is the published findings' view of the core.
type room struct{ *web.Server }

// Mount registers the published findings' routes on the core s.
func Mount(s *web.Server) { (&room{s}).routes() }

// Package recommendations is the room of the missions' recommendations
// and their follow-up over cycles: the public reads (the reports are
// public documents), the staff's writes, proposals from evidence and the
// drafts of a final report.
package recommendations

import "github.com/vigil-elections/vigil/internal/web"

// room is the recommendations' view of the core.
type room struct{ *web.Server }

// Mount registers the recommendations' routes on the core s: writes for
// the staff of the organisation that owns the mission.
func Mount(s *web.Server) { (&room{s}).routes() }

// Package opendata is the room of the open data: every election's results
// per polling station, protocols and checks as CSV, JSON and XLSX, with a
// page describing each table and its columns.
package opendata

import "github.com/vigil-elections/vigil/internal/web"

// room is the open data's view of the core.
type room struct{ *web.Server }

// Mount registers the open data's routes on the core s.
func Mount(s *web.Server) { (&room{s}).routes() }

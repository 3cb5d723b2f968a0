// Package gateway is the room of the channels that bring observers'
// reports from outside the observer API: the SMS webhooks (Twilio,
// Telerivet) and the OpenRosa server that ODK Collect talks to. Reports go
// through the core's observation pipeline like the API's.
package gateway

import "github.com/vigil-elections/vigil/internal/web"

// room is the gateways' view of the core.
type room struct{ *web.Server }

// Mount registers the gateways' routes on the core s.
func Mount(s *web.Server) {
	r := &room{s}
	r.openRosaRoutes()
	r.smsRoutes()
}

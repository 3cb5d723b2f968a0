package web

import (
	"testing"
	"time"
)

// SetDashLimits sets the live dashboard's stream limit, poll and heartbeat
// intervals for one test.
func SetDashLimits(t testing.TB, maxStreams int, poll, heartbeat time.Duration) {
	m, p, h := dashMaxStreams, dashPoll, dashHeartbeat
	dashMaxStreams, dashPoll, dashHeartbeat = maxStreams, poll, heartbeat
	t.Cleanup(func() { dashMaxStreams, dashPoll, dashHeartbeat = m, p, h })
}

// LiveStreams is the number of open dashboard event streams.
func LiveStreams(s *Server) int {
	st := s.dash()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.live
}

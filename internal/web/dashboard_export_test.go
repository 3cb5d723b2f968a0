package web

import "time"

// SetDashLimits sets a server's live-dashboard stream limit, poll and
// heartbeat intervals (tests shorten them).
func SetDashLimits(s *Server, maxStreams int, poll, heartbeat time.Duration) {
	st := s.dash()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.limits.streams, st.limits.poll, st.limits.heartbeat = maxStreams, poll, heartbeat
}

// LiveStreams is the number of open dashboard event streams.
func LiveStreams(s *Server) int {
	st := s.dash()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.live
}

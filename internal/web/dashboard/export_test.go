package dashboard

import (
	"time"

	"github.com/vigil-elections/vigil/internal/web"
)

// MountStreams mounts the dashboard alone on the core s with its live
// streams' limit, poll and heartbeat intervals shortened, and returns how
// many of its event streams are open (the test of the streams' bounds).
func MountStreams(s *web.Server, maxStreams int, poll, heartbeat time.Duration) (live func() int) {
	r := newRoom(s)
	r.st.limits.streams, r.st.limits.poll, r.st.limits.heartbeat = maxStreams, poll, heartbeat
	r.routes()
	return func() int {
		r.st.mu.Lock()
		defer r.st.mu.Unlock()
		return r.st.live
	}
}

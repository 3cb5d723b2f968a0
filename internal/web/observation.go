package web

import (
	"time"

	"github.com/vigil-elections/vigil/internal/metrics"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

// observeState is the observation's part of a Server, shared by the
// rooms that take reports (observer API, gateways) and read them
// (dashboard): the submission pipeline (its group-commit writer) and the
// logins' failure budget.
type observeState struct {
	svc    *observe.Service
	budget failureBudget
}

// newObserveState starts the submission pipeline.
func newObserveState(s *Server) *observeState {
	st := &observeState{svc: observe.New(s.db)}
	st.svc.SetLogger(s.log)
	metrics.WatchObservationGroups(store.ObservationGroupCounts)
	st.svc.OnCommit(func(batch, queued int, d time.Duration) {
		metrics.IntakeBatchSize.Observe(float64(batch))
		metrics.IntakeQueueDepth.Set(float64(queued))
		metrics.IntakeCommitDuration.Observe(d.Seconds())
	})
	return st
}

// Observation returns the server's observation service (started by
// New), for other areas (the dashboard) that read through it.
func (s *Server) Observation() *observe.Service {
	if s.observeSt != nil {
		return s.observeSt.svc
	}
	return nil
}

func (s *Server) obs() *observeState { return s.observeSt }

// CloseObservation stops the observation writer after the queued reports
// are committed. Call it after the HTTP server has shut down.
func (s *Server) CloseObservation() {
	if s.observeSt != nil {
		s.observeSt.svc.Close()
	}
}

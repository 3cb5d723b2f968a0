package web

import (
	"context"
	"errors"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/metrics"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

// SubmitReport submits through the observation service and counts the
// outcome per channel, for every channel (API, web form, OpenRosa, SMS).
func (s *Server) SubmitReport(ctx context.Context, sub observe.Submission) (*observe.Receipt, error) {
	rc, err := s.obs().svc.Submit(ctx, sub)
	metrics.Submissions.WithLabelValues(sub.Channel, submissionOutcome(rc, err)).Inc()
	return rc, err
}

func submissionOutcome(rc *observe.Receipt, err error) string {
	var ve *observe.ValidationError
	var ie *observe.InputError
	switch {
	case err == nil && rc.Duplicate:
		return "duplicate"
	case err == nil:
		return "created"
	case errors.As(err, &ve), errors.As(err, &ie),
		errors.Is(err, access.ErrForbidden), errors.Is(err, access.ErrUnauthenticated), errors.Is(err, store.ErrNotFound):
		return "rejected"
	}
	return "error"
}

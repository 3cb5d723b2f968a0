package web

import (
	"errors"
	"fmt"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/tally"
	"log/slog"
	"net/http"

	"github.com/vigil-elections/vigil/internal/store"
)

// Code classifies an error for the client; it maps to one HTTP status here
// and nowhere else.
type Code string

// The error codes clients see.
const (
	Invalid      Code = "invalid"
	NotFound     Code = "not_found"
	Conflict     Code = "conflict"
	Unauthorized Code = "unauthorized"
	Forbidden    Code = "forbidden"
	TooMany      Code = "too_many_requests"
	// Unprocessable: the request is well formed but the election's data
	// cannot answer it (too few stations for a test, no votes to decide).
	Unprocessable Code = "unprocessable"
	Internal      Code = "internal"
)

var statusOf = map[Code]int{
	Invalid:       http.StatusBadRequest,
	NotFound:      http.StatusNotFound,
	Conflict:      http.StatusConflict,
	Unauthorized:  http.StatusUnauthorized,
	Forbidden:     http.StatusForbidden,
	TooMany:       http.StatusTooManyRequests,
	Unprocessable: http.StatusUnprocessableEntity,
	Internal:      http.StatusInternalServerError,
}

// Error is an error meant for the client: its message is shown as is.
// Any other error is logged and shown as "internal error" only.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf makes a client error.
func Errorf(code Code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// clientError turns any error into what the client may see.
func clientError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Code: NotFound, Message: err.Error()}, true
	}
	if errors.Is(err, forensics.ErrNotEnoughData) || errors.Is(err, tally.ErrNoVotes) {
		return &Error{Code: Unprocessable, Message: err.Error()}, true
	}
	return &Error{Code: Internal, Message: "internal error"}, false
}

// HandlerFunc is a handler that may fail; serve renders its error.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Serve adapts a HandlerFunc: internal errors are logged with the request
// and shown to the client without detail.
func (s *Server) Serve(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		ce, known := clientError(err)
		if !known {
			s.log.ErrorContext(r.Context(), "request failed", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		}
		status := statusOf[ce.Code]
		if wantsHTML(r) {
			s.renderErrorPage(w, r, status, ce)
			return
		}
		WriteJSON(w, status, map[string]any{"error": ce})
	})
}

package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
)

// What the rooms share of the transparency log (its routes are the
// web/transparency room's): the keys the server was given and the check of
// a bundle against them.

// LogVKey is the log's public key (Options.LogVKey), "" when not given.
func (s *Server) LogVKey() string { return s.logVKey }

// Witnesses are the public keys of the witnesses whose cosignatures the
// log accepts (Options.Witnesses).
func (s *Server) Witnesses() []string { return s.witnesses }

// VerifiedLine verifies a bundle with the server's own keys, for the
// portal's "verified against checkpoint N, cosigned by …" (the reader is
// told how to check it without trusting the server).
func (s *Server) VerifiedLine(b *translog.Bundle, err error) string {
	if err != nil || s.logVKey == "" {
		return ""
	}
	v, err := translog.VerifyBundle(b, s.logVKey, s.witnesses...)
	if err != nil {
		return "NOT verified: " + err.Error()
	}
	return v.Summary()
}

// Publication is the publication the path names ({election}, {id}).
func (s *Server) Publication(r *http.Request) (*store.PublishedFindings, error) {
	e, err := s.ElectionParam(r)
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, Errorf(NotFound, "no publication %q", r.PathValue("id"))
	}
	return s.db.PublishedFindingsByID(r.Context(), e.ID, id)
}

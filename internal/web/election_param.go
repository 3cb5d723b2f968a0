package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/election"
)

// ElectionParam finds the election named in the path, by name or by id.
func (s *Server) ElectionParam(r *http.Request) (*election.Election, error) {
	key := r.PathValue("election")
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		return s.db.Election(r.Context(), id)
	}
	return s.db.ElectionByName(r.Context(), key)
}

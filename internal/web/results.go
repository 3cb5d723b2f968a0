package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/election"
)

func (s *Server) ResultsRoutes() {
	s.mux.Handle("GET /api/v1/elections", s.Serve(s.apiElections))
	s.mux.Handle("GET /api/v1/elections/{election}", s.Serve(s.apiElection))
	s.mux.Handle("GET /api/v1/elections/{election}/areas/{area}", s.Serve(s.apiArea))
	s.mux.Handle("GET /api/v1/elections/{election}/areas/{area}/protocols", s.Serve(s.apiAreaProtocols))
	s.mux.Handle("GET /api/v1/elections/{election}/batches", s.Serve(s.apiBatches))
	s.mux.Handle("GET /api/v1/elections/{election}/tally", s.Serve(s.apiTally))
	s.mux.Handle("GET /api/v1/elections/{election}/flags", s.Serve(s.apiFlags))
	s.mux.Handle("GET /api/v1/elections/{election}/compare", s.Serve(s.apiCompare))
	// The pages of the portal are registered by portalRoutes (portal.go).
}

// ElectionParam finds the election named in the path, by name or by id.
func (s *Server) ElectionParam(r *http.Request) (*election.Election, error) {
	key := r.PathValue("election")
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		return s.db.Election(r.Context(), id)
	}
	return s.db.ElectionByName(r.Context(), key)
}

func (s *Server) areaParam(r *http.Request, e *election.Election) (election.Area, error) {
	key := r.PathValue("area")
	if key == "root" {
		return s.rdb().AreaByPath(r.Context(), e.ID, nil)
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return election.Area{}, Errorf(Invalid, "area %q: want a number or \"root\"", key)
	}
	return s.rdb().Area(r.Context(), e.ID, id)
}

func (s *Server) apiElections(w http.ResponseWriter, r *http.Request) error {
	es, err := s.rdb().Elections(r.Context())
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"elections": es})
	return nil
}

func (s *Server) apiElection(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	counts, err := s.rdb().SourceCounts(r.Context(), e.ID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"election": e, "protocols_by_source": counts})
	return nil
}

// electionArea finds the election and the area the path names.
func (s *Server) electionArea(r *http.Request) (*election.Election, election.Area, error) {
	e, err := s.ElectionParam(r)
	if err != nil {
		return nil, election.Area{}, err
	}
	a, err := s.areaParam(r, e)
	return e, a, err
}

func (s *Server) apiArea(w http.ResponseWriter, r *http.Request) error {
	e, a, err := s.electionArea(r)
	if err != nil {
		return err
	}
	children, err := s.rdb().Children(r.Context(), e.ID, a.ID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"area": a, "children": children})
	return nil
}

func (s *Server) apiAreaProtocols(w http.ResponseWriter, r *http.Request) error {
	e, a, err := s.electionArea(r)
	if err != nil {
		return err
	}
	ps, err := s.rdb().AreaProtocols(r.Context(), e.ID, a.ID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"area": a, "options": e.Options, "protocols": ps})
	return nil
}

func (s *Server) apiBatches(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	bs, err := s.rdb().Batches(r.Context(), e.ID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"batches": bs})
	return nil
}

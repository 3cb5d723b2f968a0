package web

import (
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/election"
)

func (s *Server) resultsRoutes() {
	s.mux.Handle("GET /api/v1/elections", s.serve(s.apiElections))
	s.mux.Handle("GET /api/v1/elections/{election}", s.serve(s.apiElection))
	s.mux.Handle("GET /api/v1/elections/{election}/areas/{area}", s.serve(s.apiArea))
	s.mux.Handle("GET /api/v1/elections/{election}/areas/{area}/protocols", s.serve(s.apiAreaProtocols))
	s.mux.Handle("GET /api/v1/elections/{election}/batches", s.serve(s.apiBatches))
	s.mux.Handle("GET /api/v1/elections/{election}/tally", s.serve(s.apiTally))
	s.mux.Handle("GET /api/v1/elections/{election}/flags", s.serve(s.apiFlags))
	s.mux.Handle("GET /api/v1/elections/{election}/compare", s.serve(s.apiCompare))
	s.mux.Handle("GET /{$}", s.serve(s.pageHome))
	s.mux.Handle("GET /elections/{election}", s.serve(s.pageElection))
	s.mux.Handle("GET /elections/{election}/areas/{area}", s.serve(s.pageArea))
}

// electionParam finds the election named in the path, by name or by id.
func (s *Server) electionParam(r *http.Request) (*election.Election, error) {
	key := r.PathValue("election")
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		return s.db.Election(r.Context(), id)
	}
	return s.db.ElectionByName(r.Context(), key)
}

func (s *Server) areaParam(r *http.Request, e *election.Election) (election.Area, error) {
	key := r.PathValue("area")
	if key == "root" {
		return s.db.AreaByPath(r.Context(), e.ID, nil)
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return election.Area{}, Errorf(Invalid, "area %q: want a number or \"root\"", key)
	}
	return s.db.Area(r.Context(), e.ID, id)
}

func (s *Server) apiElections(w http.ResponseWriter, r *http.Request) error {
	es, err := s.db.Elections(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"elections": es})
	return nil
}

func (s *Server) apiElection(w http.ResponseWriter, r *http.Request) error {
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	counts, err := s.db.SourceCounts(r.Context(), e.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"election": e, "protocols_by_source": counts})
	return nil
}

func (s *Server) apiArea(w http.ResponseWriter, r *http.Request) error {
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	a, err := s.areaParam(r, e)
	if err != nil {
		return err
	}
	children, err := s.db.Children(r.Context(), e.ID, a.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"area": a, "children": children})
	return nil
}

func (s *Server) apiAreaProtocols(w http.ResponseWriter, r *http.Request) error {
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	a, err := s.areaParam(r, e)
	if err != nil {
		return err
	}
	ps, err := s.db.AreaProtocols(r.Context(), e.ID, a.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"area": a, "options": e.Options, "protocols": ps})
	return nil
}

func (s *Server) apiBatches(w http.ResponseWriter, r *http.Request) error {
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	bs, err := s.db.Batches(r.Context(), e.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": bs})
	return nil
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request) error {
	es, err := s.db.Elections(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "home.html", map[string]any{"Elections": es})
}

func (s *Server) pageElection(w http.ResponseWriter, r *http.Request) error {
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	root, err := s.db.AreaByPath(r.Context(), e.ID, nil)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/elections/"+strconv.FormatInt(e.ID, 10)+"/areas/"+strconv.FormatInt(root.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) pageArea(w http.ResponseWriter, r *http.Request) error {
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	a, err := s.areaParam(r, e)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	ent, err := s.tallyFor(r.Context(), e, sel)
	if err != nil {
		return err
	}
	i, ok := ent.result.Index.Lookup(a.ID)
	if !ok {
		return Errorf(NotFound, "area %d", a.ID)
	}
	node := ent.result.Node(i, a.Level+1)
	var protocols []*election.Protocol
	var flags []election.Flag
	if a.Station {
		if protocols, err = s.db.AreaProtocols(r.Context(), e.ID, a.ID); err != nil {
			return err
		}
		for _, p := range protocols {
			flags = append(flags, election.Check(e, p)...)
		}
	}
	return s.render(w, r, http.StatusOK, "area.html", map[string]any{
		"Election": e, "Area": a, "Node": node, "Protocols": protocols, "Flags": flags,
		"Figures": figureRows(protocols),
	})
}

// figureRow is one figure across a station's protocol versions, with the
// versions that differ from the first marked.
type figureRow struct {
	Name   string
	Values []figureCell
}

type figureCell struct {
	Value   int64
	Known   bool
	Differs bool
}

func figureRows(ps []*election.Protocol) []figureRow {
	if len(ps) == 0 {
		return nil
	}
	var rows []figureRow
	for f := election.Figure(0); f < election.NumFigures; f++ {
		row := figureRow{Name: f.String()}
		any := false
		for _, p := range ps {
			v, ok := p.Figures.Get(f)
			any = any || ok
			first, fok := ps[0].Figures.Get(f)
			row.Values = append(row.Values, figureCell{Value: v, Known: ok, Differs: ok && fok && v != first})
		}
		if any {
			rows = append(rows, row)
		}
	}
	return rows
}

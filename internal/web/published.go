package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

// Published findings: a mission's staff publish the current findings of
// their organisation (POST …/findings/publish); the public reads every
// publication of an election, each frozen as it was published.
func (s *Server) PublishedRoutes() {
	s.mux.Handle("POST /api/v1/elections/{election}/findings/publish", http.NewCrossOriginProtection().Handler(s.Serve(s.Authed(s.apiPublishFindings))))
	s.mux.Handle("GET /api/v1/elections/{election}/findings/published", s.Serve(s.apiPublishedFindings))
	s.mux.Handle("GET /api/v1/elections/{election}/findings/published/{id}", s.Serve(s.apiPublishedOne))
	s.mux.Handle("GET /elections/{election}/findings", s.Serve(s.pagePublishedFindings))
	s.mux.Handle("GET /elections/{election}/findings/{id}", s.Serve(s.pagePublishedStatement))
	s.statementRoutes()
}

func (s *Server) apiPublishFindings(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.electionAs(r, access.PublishFindings)
	if err != nil {
		return err
	}
	// The audit entry in the publication's transaction; its detail (the
	// publication's id) is filled there.
	pub, err := observe.Publish(r.Context(), s.db, p, e.ID, p.Name, s.auditEntry(r, "findings.publish", "election:"+strconv.FormatInt(e.ID, 10), nil))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, map[string]any{"published": pub})
	return nil
}

func (s *Server) apiPublishedFindings(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	ps, err := s.db.PublishedFindingsOf(r.Context(), e.ID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"published": ps})
	return nil
}

func (s *Server) publication(r *http.Request) (*store.PublishedFindings, error) {
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

func (s *Server) apiPublishedOne(w http.ResponseWriter, r *http.Request) error {
	p, err := s.publication(r)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"published": p, "findings": json.RawMessage(p.Findings)})
	return nil
}

type publishedPage struct {
	C        pageCommon
	List     []store.PublishedFindings
	Key      string
	Verified map[int64]string // publication → "verified against checkpoint N, cosigned by …"
}

func (s *Server) pagePublishedFindings(w http.ResponseWriter, r *http.Request) error {
	e, err := s.portalElection(r)
	if err != nil {
		return err
	}
	ps, err := s.db.PublishedFindingsOf(r.Context(), e.ID)
	if err != nil {
		return err
	}
	// Each publication's bundle, verified here with the log's public key as
	// a reader's `vigil verify` would (the page says how to do it oneself).
	v := map[int64]string{}
	for _, p := range ps {
		b, err := s.db.FindingsBundle(r.Context(), e.ID, p.ID)
		if line := s.verifiedLine(b, err); line != "" {
			v[p.ID] = line
		}
	}
	return s.Render(w, r, http.StatusOK, "findings_public.html", publishedPage{C: s.common(r, e, e.Title(), "nav.findings"), List: ps, Key: urlKey(e), Verified: v})
}

package findings

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// Published findings: a mission's staff publish the current findings of
// their organisation (POST …/findings/publish); the public reads every
// publication of an election, each frozen as it was published.
func (s *room) routes() {
	s.Mux().Handle("POST /api/v1/elections/{election}/findings/publish", http.NewCrossOriginProtection().Handler(s.Serve(s.Authed(s.apiPublishFindings))))
	s.Mux().Handle("GET /api/v1/elections/{election}/findings/published", s.Serve(s.apiPublishedFindings))
	s.Mux().Handle("GET /api/v1/elections/{election}/findings/published/{id}", s.Serve(s.apiPublishedOne))
	s.Mux().Handle("GET /elections/{election}/findings", s.Serve(s.pagePublishedFindings))
	s.Mux().Handle("GET /elections/{election}/findings/{id}", s.Serve(s.pagePublishedStatement))
	s.statementRoutes()
}

func (s *room) apiPublishFindings(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.PublishFindings)
	if err != nil {
		return err
	}
	// The audit entry in the publication's transaction; its detail (the
	// publication's id) is filled there.
	pub, err := observe.Publish(r.Context(), s.DB(), p, e.ID, p.Name, s.AuditEntry(r, "findings.publish", "election:"+strconv.FormatInt(e.ID, 10), nil))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"published": pub})
	return nil
}

func (s *room) apiPublishedFindings(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	ps, err := s.DB().PublishedFindingsOf(r.Context(), e.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"published": ps})
	return nil
}

func (s *room) apiPublishedOne(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Publication(r)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"published": p, "findings": json.RawMessage(p.Findings)})
	return nil
}

type publishedPage struct {
	C        web.PageCommon
	List     []store.PublishedFindings
	Key      string
	Verified map[int64]string // publication → "verified against checkpoint N, cosigned by …"
}

func (s *room) pagePublishedFindings(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	ps, err := s.DB().PublishedFindingsOf(r.Context(), e.ID)
	if err != nil {
		return err
	}
	// Each publication's bundle, verified here with the log's public key as
	// a reader's `vigil verify` would (the page says how to do it oneself).
	v := map[int64]string{}
	for _, p := range ps {
		b, err := s.DB().FindingsBundle(r.Context(), e.ID, p.ID)
		if line := s.VerifiedLine(b, err); line != "" {
			v[p.ID] = line
		}
	}
	return s.Render(w, r, http.StatusOK, "findings_public.html", publishedPage{C: s.Common(r, e, e.Title(), "nav.findings"), List: ps, Key: web.URLKey(e), Verified: v})
}

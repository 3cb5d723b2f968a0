package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

// The review page: what a coordinator or analyst works through on
// election day — the conflicts between observers of one station, with a
// button per value to choose it, and the reports QC flagged or
// quarantined, to verify or quarantine. Plain forms, no script; the same
// checks as the API (scope, audit), channel "web".
func (s *Server) observeReviewRoutes() {
	csrf := http.NewCrossOriginProtection()
	page := func(pattern string, fn handlerFunc) {
		s.mux.Handle(pattern, csrf.Handler(s.serve(s.requireRole(Staff, fn))))
	}
	page("GET /observe/review/{election}", s.pageReview)
	page("POST /observe/review/{election}/resolve", s.pageResolve)
	page("POST /observe/review/{election}/status", s.pageStatus)
}

type conflictRow struct {
	observe.Conflict
	Place   string
	Choices []conflictChoice
}

type conflictChoice struct {
	JSON    string
	Label   string
	Reports []int64
}

func (s *Server) pageReview(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.dataset(r, access.ReviewReport)
	if err != nil {
		return err
	}
	var rows []conflictRow
	for _, c := range observe.Conflicts(ds.Obs, ds.Resolved) {
		if c.Resolved != nil {
			continue
		}
		row := conflictRow{Conflict: c}
		if a := ds.Areas[c.AreaID]; a != nil {
			row.Place = strings.Join(a.Path, " › ")
		}
		for _, v := range c.Values {
			row.Choices = append(row.Choices, conflictChoice{JSON: string(v.Value), Label: strings.Trim(string(v.Value), `"`), Reports: v.Reports})
		}
		rows = append(rows, row)
	}
	var flagged []*store.Report
	for _, o := range ds.Obs {
		rep := ds.Reports[o.ReportID]
		if rep.Status == store.StatusFlagged || rep.Status == store.StatusQuarantined {
			flagged = append(flagged, rep)
		}
	}
	return s.render(w, r, http.StatusOK, "observe_review.html", map[string]any{
		"Election": ds.Election, "Conflicts": rows, "Flagged": flagged, "Done": r.URL.Query().Get("done")})
}

func (s *Server) reviewBack(w http.ResponseWriter, r *http.Request, done string) {
	http.Redirect(w, r, "/observe/review/"+url.PathEscape(r.PathValue("election"))+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

func (s *Server) pageResolve(w http.ResponseWriter, r *http.Request) error {
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return Errorf(Invalid, "bad form")
	}
	area, err := strconv.ParseInt(r.PostForm.Get("area_id"), 10, 64)
	if err != nil {
		return Errorf(Invalid, "area_id %q: want a number", r.PostForm.Get("area_id"))
	}
	in := store.Resolution{AreaID: area, Phase: r.PostForm.Get("phase"), Question: r.PostForm.Get("question"), Value: json.RawMessage(r.PostForm.Get("value"))}
	if err := s.resolve(r, e.ID, &in, "web"); err != nil {
		return err
	}
	s.reviewBack(w, r, "resolved "+in.Question)
	return nil
}

func (s *Server) pageStatus(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		return Errorf(Invalid, "bad form")
	}
	id, err := strconv.ParseInt(r.PostForm.Get("report"), 10, 64)
	if err != nil {
		return Errorf(Invalid, "report: want a number")
	}
	rep, err := s.db.Report(r.Context(), s.principal(r).OrgID, id)
	if err != nil {
		return err
	}
	if err := s.review(r, rep, reviewIn{Status: r.PostForm.Get("status")}, "web"); err != nil {
		return err
	}
	s.reviewBack(w, r, "report "+strconv.FormatInt(id, 10)+" "+r.PostForm.Get("status"))
	return nil
}

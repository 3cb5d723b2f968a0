package observeapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// The review page: what a coordinator or analyst works through on
// election day — the conflicts between observers of one station, with a
// button per value to choose it, and the reports QC flagged or
// quarantined, to verify or quarantine. Plain forms, no script; the same
// checks as the API (scope, audit), channel "web".
func (s *room) reviewRoutes() {
	csrf := http.NewCrossOriginProtection()
	page := func(pattern string, fn web.HandlerFunc) {
		s.Mux().Handle(pattern, csrf.Handler(s.Serve(s.RequireRole(web.Staff, fn))))
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

func (s *room) pageReview(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	if err := s.Check(r, access.ReviewReport, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	ctx := r.Context()
	cs, err := observe.ConflictsOf(ctx, s.DB(), p, e.ID, true)
	if err != nil {
		return err
	}
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.AreaID)
	}
	paths, err := s.DB().AreaPaths(ctx, ids)
	if err != nil {
		return err
	}
	var rows []conflictRow
	for _, c := range cs {
		row := conflictRow{Conflict: c}
		if path, ok := paths[c.AreaID]; ok {
			row.Place = strings.Join(path, " › ")
		}
		for _, v := range c.Values {
			row.Choices = append(row.Choices, conflictChoice{JSON: string(v.Value), Label: strings.Trim(string(v.Value), `"`), Reports: v.Reports})
		}
		rows = append(rows, row)
	}
	sc, err := observe.ScopeOf(ctx, s.DB(), p, e.ID)
	if err != nil {
		return err
	}
	var flagged []*store.Report
	switch {
	case sc.Outside:
	case !sc.Kept:
		// A coordinator of one station: the station's reports.
		ds, err := observe.Load(ctx, s.DB(), p, e.ID)
		if err != nil {
			return err
		}
		for _, o := range ds.Obs {
			rep := ds.Reports[o.ReportID]
			if rep.Status == store.StatusFlagged || rep.Status == store.StatusQuarantined {
				flagged = append(flagged, rep)
			}
		}
	default:
		if flagged, err = s.DB().ReviewList(ctx, p.OrgID, e.ID, sc.Node, "flagged", 0); err != nil {
			return err
		}
	}
	return s.Render(w, r, http.StatusOK, "observe_review.html", map[string]any{
		"Election": e, "Conflicts": rows, "Flagged": flagged, "Done": r.URL.Query().Get("done")})
}

func (s *room) reviewBack(w http.ResponseWriter, r *http.Request, done string) {
	http.Redirect(w, r, "/observe/review/"+url.PathEscape(r.PathValue("election"))+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

func (s *room) pageResolve(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "bad form")
	}
	area, err := strconv.ParseInt(r.PostForm.Get("area_id"), 10, 64)
	if err != nil {
		return web.Errorf(web.Invalid, "area_id %q: want a number", r.PostForm.Get("area_id"))
	}
	in := store.Resolution{AreaID: area, Phase: r.PostForm.Get("phase"), Question: r.PostForm.Get("question"), Value: json.RawMessage(r.PostForm.Get("value"))}
	if err := s.Resolve(r, e.ID, &in, "web"); err != nil {
		return err
	}
	s.reviewBack(w, r, "resolved "+in.Question)
	return nil
}

func (s *room) pageStatus(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "bad form")
	}
	id, err := strconv.ParseInt(r.PostForm.Get("report"), 10, 64)
	if err != nil {
		return web.Errorf(web.Invalid, "report: want a number")
	}
	rep, err := s.DB().Report(r.Context(), s.Principal(r).OrgID, id)
	if err != nil {
		return err
	}
	if err := s.ReviewReport(r, rep, web.ReviewIn{Status: r.PostForm.Get("status")}, "web"); err != nil {
		return err
	}
	s.reviewBack(w, r, "report "+strconv.FormatInt(id, 10)+" "+r.PostForm.Get("status"))
	return nil
}

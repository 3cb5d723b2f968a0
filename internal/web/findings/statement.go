package findings

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// The published statement as the public reads it: drawn from the frozen
// findings of the publication (the figures are those published, not
// today's), inside the portal's header, in the reader's language. Every
// figure links to a public page of that figure: what it counts, by region,
// and the numbers of the reports behind it. The reports themselves stay
// with the mission; that page links its staff to them.

func (s *room) statementRoutes() {
	s.Mux().Handle("GET /elections/{election}/findings/{id}/figure", s.Serve(s.pageStatementFigure))
}

// stmtRow is one line of a statement's table; Link is the figure's page.
type stmtRow struct {
	Name               string
	Count, Of          int
	Link               string
	Share, CI          float64
	CIHigh             float64
	Deployed, Missing  int
	Reported, Conflict int
}

type stmtPhase struct {
	Phase              string
	Negative, Observed int
	NegLink, ObsLink   string
	Share, CILow, CIHi float64
	Indicators         []stmtRow
	Regions            []stmtRow
}

type statementPage struct {
	C         web.PageCommon
	Pub       *store.PublishedFindings
	F         *observe.Findings
	Coverage  []stmtRow
	CovShare  float64
	Phases    []stmtPhase
	Incidents []stmtRow
	JSON      string
}

// publicationView loads a publication with its election and frozen findings.
func (s *room) publicationView(r *http.Request) (*election.Election, *store.PublishedFindings, *observe.Findings, error) {
	e, err := s.PortalElection(r)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := s.Publication(r)
	if err != nil {
		return nil, nil, nil, err
	}
	var f observe.Findings
	if err := json.Unmarshal([]byte(p.Findings), &f); err != nil {
		return nil, nil, nil, fmt.Errorf("publication %d: findings: %w", p.ID, err)
	}
	return e, p, &f, nil
}

func figureLink(base string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return base + "?" + q.Encode()
}

// pagePublishedStatement serves the statement of a publication.
func (s *room) pagePublishedStatement(w http.ResponseWriter, r *http.Request) error {
	e, p, f, err := s.publicationView(r)
	if err != nil {
		return err
	}
	base := "/elections/" + web.URLKey(e) + "/findings/" + strconv.FormatInt(p.ID, 10) + "/figure"
	d := statementPage{C: s.Common(r, e, e.Title(), "nav.findings"), Pub: p, F: f,
		CovShare: observe.Share(f.Coverage.Total.Reported, f.Coverage.Total.Deployed),
		JSON:     "/api/v1/elections/" + web.URLKey(e) + "/findings/published/" + strconv.FormatInt(p.ID, 10)}
	for _, reg := range observe.SortedKeys(f.Coverage.ByArea) {
		c := f.Coverage.ByArea[reg]
		d.Coverage = append(d.Coverage, stmtRow{Name: reg, Deployed: c.Deployed, Reported: c.Reported, Missing: c.Missing, Conflict: c.Conflict})
	}
	for _, ph := range observe.ReportedPhases {
		pn := string(ph)
		pf := f.Phases[pn]
		if pf == nil {
			pf = &observe.PhaseFindings{}
		}
		sp := stmtPhase{Phase: pn, Negative: pf.Negative, Observed: pf.Observed, Share: pf.Share, CILow: pf.CI95[0], CIHi: pf.CI95[1],
			NegLink: figureLink(base, "phase", pn, "negative", "1"), ObsLink: figureLink(base, "phase", pn)}
		for _, ind := range observe.SortedKeys(pf.Indicators) {
			st := pf.Indicators[ind]
			sp.Indicators = append(sp.Indicators, stmtRow{Name: ind, Count: st.Reported, Of: st.Observed, Share: st.Share, CI: st.CI95[0], CIHigh: st.CI95[1],
				Link: figureLink(base, "phase", pn, "indicator", ind)})
		}
		for _, reg := range observe.SortedKeys(f.ByArea) {
			rf := f.ByArea[reg][pn]
			if rf == nil || rf.Observed == 0 {
				continue
			}
			sp.Regions = append(sp.Regions, stmtRow{Name: reg, Count: rf.Negative, Of: rf.Observed, Share: rf.Share, CI: rf.CI95[0], CIHigh: rf.CI95[1],
				Link: figureLink(base, "phase", pn, "negative", "1", "region", reg)})
		}
		d.Phases = append(d.Phases, sp)
	}
	for _, c := range observe.SortedKeys(f.Incidents) {
		st := f.Incidents[c]
		d.Incidents = append(d.Incidents, stmtRow{Name: c, Count: st.Reported, Of: st.Confirmed, Link: figureLink(base, "phase", "incident", "category", c)})
	}
	return s.Render(w, r, http.StatusOK, "statement.html", d)
}

type figurePage struct {
	C                  web.PageCommon
	Pub                *store.PublishedFindings
	Back               string
	Phase, Indicator   string
	Region, Category   string
	Negative, Incident bool
	Count, Of          int
	Share, CILow, CIHi float64
	HasShare           bool
	Reports            []int64
	Regions            []stmtRow
	Staff              string // the staff's list of the same reports
}

// pageStatementFigure shows one figure of a statement: its count, its
// breakdown by region, and the numbers of the reports behind it.
func (s *room) pageStatementFigure(w http.ResponseWriter, r *http.Request) error {
	e, p, f, err := s.publicationView(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := figurePage{C: s.Common(r, e, e.Title(), "nav.findings"), Pub: p,
		Back:  "/elections/" + web.URLKey(e) + "/findings/" + strconv.FormatInt(p.ID, 10),
		Phase: q.Get("phase"), Indicator: q.Get("indicator"), Region: q.Get("region"), Category: q.Get("category"), Negative: q.Get("negative") == "1"}
	self := "/elections/" + web.URLKey(e) + "/findings/" + strconv.FormatInt(p.ID, 10) + "/figure"
	d.Staff = figureLink("/observe/reports/"+strconv.FormatInt(e.ID, 10), "phase", d.Phase, "negative", q.Get("negative"), "indicator", d.Indicator, "region", d.Region, "category", d.Category)
	if d.Phase == "incident" {
		st := f.Incidents[d.Category]
		if st == nil {
			return web.Errorf(web.NotFound, "the statement has no incidents of category %q", d.Category)
		}
		d.Incident, d.Count, d.Of, d.Reports = true, st.Reported, st.Confirmed, st.Reports
		return s.Render(w, r, http.StatusOK, "statement_figure.html", d)
	}
	known := false
	for _, ph := range observe.ReportedPhases {
		known = known || string(ph) == d.Phase
	}
	if !known {
		return &web.Error{Code: web.Invalid, Field: "phase", Message: fmt.Sprintf("phase %q: want opening, voting, counting, tabulation or incident", d.Phase)}
	}
	pick := func(pf *observe.PhaseFindings) (count, of int, share float64, ci [2]float64, reports []int64, ok bool) {
		if pf == nil {
			return 0, 0, 0, ci, nil, false
		}
		if d.Indicator != "" {
			st := pf.Indicators[d.Indicator]
			if st == nil {
				return 0, 0, 0, ci, nil, false
			}
			return st.Reported, st.Observed, st.Share, st.CI95, st.Reports, true
		}
		if d.Negative {
			return pf.Negative, pf.Observed, pf.Share, pf.CI95, pf.NegativeReports, true
		}
		return pf.Observed, pf.Observed, 1, [2]float64{1, 1}, pf.ObservedReports, true
	}
	var pf *observe.PhaseFindings
	if d.Region != "" {
		if f.ByArea[d.Region] == nil {
			return web.Errorf(web.NotFound, "the statement has no region %q", d.Region)
		}
		pf = f.ByArea[d.Region][d.Phase]
	} else {
		pf = f.Phases[d.Phase]
	}
	count, of, share, ci, reports, ok := pick(pf)
	if !ok {
		return web.Errorf(web.NotFound, "the statement has no such figure")
	}
	d.Count, d.Of, d.Share, d.CILow, d.CIHi, d.Reports = count, of, share, ci[0], ci[1], reports
	d.HasShare = d.Negative || d.Indicator != ""
	if d.Region == "" {
		for _, reg := range observe.SortedKeys(f.ByArea) {
			c, o, sh, rci, _, ok := pick(f.ByArea[reg][d.Phase])
			if !ok || o == 0 {
				continue
			}
			d.Regions = append(d.Regions, stmtRow{Name: reg, Count: c, Of: o, Share: sh, CI: rci[0], CIHigh: rci[1],
				Link: figureLink(self, "phase", d.Phase, "negative", q.Get("negative"), "indicator", d.Indicator, "region", reg)})
		}
	}
	return s.Render(w, r, http.StatusOK, "statement_figure.html", d)
}

package recommendations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/pdf"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/recommend/draft"
	"github.com/vigil-elections/vigil/internal/recommend/evidence"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// Recommendations and their follow-up: public reads (the reports are
// public documents), writes for the staff of the mission's organisation.

// staffCheck decides whether the request may write the records of a
// mission owned by organisation (its name): nil, or a client error
// (Unauthorized, Forbidden). It is a parameter of the routes, so that the
// rule lives in one place and tests can supply their own.
type staffCheck func(r *http.Request, organisation string) error

// anyOrganisation, given to a staffCheck, asks only whether the caller is
// staff of some organisation: the first question of every write, asked
// before the body is read, so that the public learns nothing from
// validation messages. (No organisation can be named so: names are text
// without control characters.)
const anyOrganisation = "\x00any"

// staffOf is the rule in force: the request's principal (a staff session
// or token, as auth.go establishes it) must be an administrator or analyst
// of the organisation that owns the mission.
func (s *room) staffOf(r *http.Request, organisation string) error {
	p := s.Principal(r)
	res := access.Resource{OrgID: -1}
	if organisation == anyOrganisation {
		res.OrgID = p.OrgID
	} else if o, err := s.DB().OrganisationByName(r.Context(), organisation); err == nil {
		res.OrgID = o.ID
	}
	if err := access.Check(p, access.ManageRecommendations, res); err != nil {
		if errors.Is(err, access.ErrUnauthenticated) {
			if organisation == anyOrganisation {
				return web.Errorf(web.Unauthorized, "writing recommendations needs a staff login")
			}
			return web.Errorf(web.Unauthorized, "writing the recommendations of %q needs a staff login", organisation)
		}
		return web.Errorf(web.Forbidden, "%v", err)
	}
	return nil
}

func (s *room) routes() {
	s.recommendRoutesWith(s.staffOf, evidence.Sources(s.DB()))
}

// recommendRoutesWith registers the routes with the staff rule for writes
// and the sources of evidence for proposals and drafts.
func (s *room) recommendRoutesWith(staff staffCheck, src recommend.Sources) {
	h := &recHandlers{s: s, staff: staff, src: src}
	// Writes may come from a browser with a staff session cookie: refuse
	// cross-origin ones.
	csrf := http.NewCrossOriginProtection()
	write := func(pattern string, fn web.HandlerFunc) {
		s.Mux().Handle(pattern, csrf.Handler(s.Serve(func(w http.ResponseWriter, r *http.Request) error {
			if err := staff(r, anyOrganisation); err != nil {
				return err
			}
			return fn(w, r)
		})))
	}
	s.Mux().Handle("GET /api/v1/recommendations", s.Serve(h.apiList))
	s.Mux().Handle("GET /api/v1/recommendations/summary", s.Serve(h.apiSummary))
	s.Mux().Handle("GET /api/v1/recommendations/missions", s.Serve(h.apiMissions))
	s.Mux().Handle("GET /api/v1/recommendations/proposals", s.Serve(h.apiProposals))
	s.Mux().Handle("GET /api/v1/recommendations/export", s.Serve(h.apiExport))
	s.Mux().Handle("GET /api/v1/recommendations/{id}", s.Serve(h.apiOne))
	write("POST /api/v1/recommendations/missions", h.apiCreateMission)
	write("POST /api/v1/recommendations/reports", h.apiCreateReport)
	write("POST /api/v1/recommendations", h.apiCreate)
	write("POST /api/v1/recommendations/{id}/assessments", h.apiAssess)
	write("POST /api/v1/recommendations/import", h.apiImport)
	// The index reads the session (when there is one) only to show each
	// mission's draft links to that mission's staff, the drafts' only readers.
	s.Mux().Handle("GET /recommendations", s.Serve(s.Authed(h.pageIndex)))
	s.Mux().Handle("GET /recommendations/missions/{mission}/draft", s.Serve(h.pageDraft))
	s.Mux().Handle("GET /recommendations/{id}", s.Serve(h.pageOne))
}

type recHandlers struct {
	s     *room
	staff staffCheck
	src   recommend.Sources
}

func (h *recHandlers) db() *store.DB { return h.s.DB() }

// invalid turns the checker's errors (fields, references) into a client
// error that lists them; other errors pass through.
func invalid(err error) error {
	var pe *recommend.PosError
	var fe *recommend.FieldError
	if errors.As(err, &pe) || errors.As(err, &fe) {
		return &web.Error{Code: web.Invalid, Message: strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return err
}

func countryParam(r *http.Request) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("country")))
	if c != "" && (len(c) != 2 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		return "", web.Errorf(web.Invalid, "country %q: want an ISO 3166-1 alpha-2 code", c)
	}
	return c, nil
}

// listed is a recommendation as lists show it: with its latest status.
type listed struct {
	*recommend.Recommendation
	Country    string           `json:"country"`
	ReportDate string           `json:"report_date"`
	Status     recommend.Status `json:"status,omitempty"`
	AssessedBy string           `json:"assessed_by,omitempty"`
}

func (h *recHandlers) apiList(w http.ResponseWriter, r *http.Request) error {
	country, err := countryParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var area recommend.Area
	if a := q.Get("area"); a != "" {
		if area, err = recommend.ParseArea(a); err != nil {
			return web.Errorf(web.Invalid, "%s", err.Error())
		}
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	if err != nil {
		return err
	}
	ds.Sort()
	x := recommend.NewIndex(ds)
	out := []listed{}
	for _, rec := range ds.Recommendations {
		if (area != "" && rec.Area != area) || (q.Get("report") != "" && rec.ReportKey != q.Get("report")) {
			continue
		}
		l := listed{Recommendation: rec, Country: x.Country(rec.ReportKey), ReportDate: x.Reports[rec.ReportKey].Date}
		if a := x.Latest(rec.Ref()); a != nil {
			l.Status, l.AssessedBy = a.Status, a.ReportKey
		}
		out = append(out, l)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"country": country, "recommendations": out})
	return nil
}

func (h *recHandlers) apiSummary(w http.ResponseWriter, r *http.Request) error {
	country, err := countryParam(r)
	if err != nil {
		return err
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	if err != nil {
		return err
	}
	if country == "" {
		web.WriteJSON(w, http.StatusOK, map[string]any{"countries": recommend.Compare(ds)})
		return nil
	}
	web.WriteJSON(w, http.StatusOK, recommend.Summarise(ds, country))
	return nil
}

func (h *recHandlers) apiMissions(w http.ResponseWriter, r *http.Request) error {
	country, err := countryParam(r)
	if err != nil {
		return err
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	if err != nil {
		return err
	}
	ds.Sort()
	web.WriteJSON(w, http.StatusOK, map[string]any{"missions": ds.Missions, "reports": ds.Reports})
	return nil
}

// recByID loads the recommendation named in the path and its country's
// records.
func (h *recHandlers) recByID(r *http.Request) (string, *recommend.Dataset, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return "", nil, web.Errorf(web.NotFound, "recommendation %q: want a number", r.PathValue("id"))
	}
	ref, country, err := h.db().RecommendationRef(r.Context(), id)
	if err != nil {
		return "", nil, err
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	return ref, ds, err
}

func (h *recHandlers) apiOne(w http.ResponseWriter, r *http.Request) error {
	ref, ds, err := h.recByID(r)
	if err != nil {
		return err
	}
	x := recommend.NewIndex(ds)
	web.WriteJSON(w, http.StatusOK, map[string]any{"recommendation": x.Recs[ref], "report": x.Reports[x.Recs[ref].ReportKey],
		"mission": x.MissionOf(x.Recs[ref].ReportKey), "history": x.History(ref)})
	return nil
}

// apiProposals proposes assessments for a report's follow-up. Proposals
// quote the mission's observation findings before they are published, so
// they are for the mission's staff.
func (h *recHandlers) apiProposals(w http.ResponseWriter, r *http.Request) error {
	report := r.URL.Query().Get("report")
	if report == "" {
		return web.Errorf(web.Invalid, "report: the assessing report's key is required")
	}
	org, err := h.reportOrg(r, report)
	if err != nil {
		return err
	}
	if err := h.staff(r, org); err != nil {
		return err
	}
	country, err := h.db().ReportCountry(r.Context(), report)
	if err != nil {
		return err
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	if err != nil {
		return err
	}
	ps, err := recommend.ProposeAll(r.Context(), recommend.NewIndex(ds), report, h.src.Results, h.src.Findings)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"report": report, "proposals": ps})
	return nil
}

func (h *recHandlers) apiExport(w http.ResponseWriter, r *http.Request) error {
	country, err := countryParam(r)
	if err != nil {
		return err
	}
	f := recommend.Format(r.URL.Query().Get("format"))
	if f == "" {
		f = recommend.JSON
	}
	if f != recommend.JSON && f != recommend.CSV {
		return web.Errorf(web.Invalid, "format %q: want json or csv", f)
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := recommend.Write(&buf, ds, f); err != nil {
		return err
	}
	name := "recommendations"
	if country != "" {
		name += "-" + strings.ToLower(country)
	}
	ct := "application/json; charset=utf-8"
	if f == recommend.CSV {
		ct = "text/csv; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, f))
	_, err = w.Write(buf.Bytes())
	return err
}

// decodeBody reads one JSON object, refusing unknown fields and bodies
// over 1 MiB.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return web.Errorf(web.Invalid, "request body: %s", err.Error())
	}
	return nil
}

// missionOrg returns the owning organisation of a mission, by key.
func (h *recHandlers) missionOrg(r *http.Request, mission string) (string, error) {
	_, org, err := h.db().MissionCountry(r.Context(), mission)
	if errors.Is(err, store.ErrNotFound) {
		return "", web.Errorf(web.Invalid, "mission: no mission %q", mission)
	}
	return org, err
}

// reportOrg returns the owning organisation of a report's mission.
func (h *recHandlers) reportOrg(r *http.Request, report string) (string, error) {
	ds, err := h.db().Recommendations(r.Context(), "")
	if err != nil {
		return "", err
	}
	m := recommend.NewIndex(ds).MissionOf(report)
	if m == nil {
		return "", web.Errorf(web.Invalid, "report: no report %q", report)
	}
	return m.Organisation, nil
}

func (h *recHandlers) apiCreateMission(w http.ResponseWriter, r *http.Request) error {
	var m recommend.Mission
	if err := decodeBody(r, &m); err != nil {
		return err
	}
	if strings.TrimSpace(m.Organisation) == "" {
		return &web.Error{Code: web.Invalid, Field: "organisation", Message: "organisation: missing (whose staff may write the mission's records)"}
	}
	if err := h.staff(r, m.Organisation); err != nil {
		return err
	}
	m.ID = 0
	if _, err := recommend.Import(r.Context(), h.db(), &recommend.Dataset{Missions: []*recommend.Mission{&m}}); err != nil {
		return invalid(err)
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"mission": m})
	return nil
}

func (h *recHandlers) apiCreateReport(w http.ResponseWriter, r *http.Request) error {
	var rep recommend.Report
	if err := decodeBody(r, &rep); err != nil {
		return err
	}
	org, err := h.missionOrg(r, rep.MissionKey)
	if err != nil {
		return err
	}
	if err := h.staff(r, org); err != nil {
		return err
	}
	rep.ID, rep.MissionID = 0, 0
	if _, err := recommend.Import(r.Context(), h.db(), &recommend.Dataset{Reports: []*recommend.Report{&rep}}); err != nil {
		return invalid(err)
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"report": rep})
	return nil
}

func (h *recHandlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var rec recommend.Recommendation
	if err := decodeBody(r, &rec); err != nil {
		return err
	}
	org, err := h.reportOrg(r, rec.ReportKey)
	if err != nil {
		return err
	}
	if err := h.staff(r, org); err != nil {
		return err
	}
	rec.ID, rec.ReportID = 0, 0
	if _, err := recommend.Import(r.Context(), h.db(), &recommend.Dataset{Recommendations: []*recommend.Recommendation{&rec}}); err != nil {
		return invalid(err)
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"recommendation": rec})
	return nil
}

// assessRequest is the body of POST …/{id}/assessments. With
// accept_proposal, the status, reasoning and evidence come from vigil's
// proposal (reasoning and evidence given are appended).
type assessRequest struct {
	Report         string `json:"report"`
	Status         string `json:"status"`
	Reasoning      string `json:"reasoning"`
	Evidence       string `json:"evidence"`
	AcceptProposal bool   `json:"accept_proposal"`
}

func (h *recHandlers) apiAssess(w http.ResponseWriter, r *http.Request) error {
	var req assessRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	ref, ds, err := h.recByID(r)
	if err != nil {
		return err
	}
	org, err := h.reportOrg(r, req.Report)
	if err != nil {
		return err
	}
	if err := h.staff(r, org); err != nil {
		return err
	}
	a := &recommend.Assessment{Recommendation: ref, ReportKey: req.Report, Status: recommend.Status(req.Status),
		Reasoning: req.Reasoning, Evidence: req.Evidence}
	var proposal *recommend.Proposal
	if req.AcceptProposal {
		x := recommend.NewIndex(ds)
		if x.Reports[req.Report] == nil {
			return web.Errorf(web.Invalid, "report: %q is not a report on %s", req.Report, x.Country(x.Recs[ref].ReportKey))
		}
		p, err := recommend.Propose(r.Context(), x, ref, req.Report, h.src.Results, h.src.Findings)
		if err != nil {
			return err
		}
		if !p.OK {
			return web.Errorf(web.Conflict, "no proposal to accept: %s", p.Reasoning)
		}
		proposal = &p
		a.Status, a.Proposed = p.Status, true
		a.Reasoning = strings.TrimSpace(p.Reasoning + " " + req.Reasoning)
		a.Evidence = strings.TrimSpace(p.Evidence + " " + req.Evidence)
	}
	if err := recommend.Assess(r.Context(), h.db(), a); err != nil {
		return invalid(err)
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"assessment": a, "proposal": proposal})
	return nil
}

// apiImport imports a file (the body; JSON or CSV by ?format= or the
// Content-Type) all or nothing. The caller must be staff of every
// organisation whose missions the file adds to.
func (h *recHandlers) apiImport(w http.ResponseWriter, r *http.Request) error {
	f := recommend.Format(r.URL.Query().Get("format"))
	if f == "" {
		f = recommend.JSON
		if strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			f = recommend.CSV
		}
	}
	if f != recommend.JSON && f != recommend.CSV {
		return web.Errorf(web.Invalid, "format %q: want json or csv", f)
	}
	ds, err := recommend.Read(io.LimitReader(r.Body, 16<<20), "request body", f)
	if err != nil {
		return invalid(err)
	}
	if len(ds.Missions)+len(ds.Reports)+len(ds.Recommendations)+len(ds.Assessments) == 0 {
		return web.Errorf(web.Invalid, "the file holds no records")
	}
	existing, err := h.db().Recommendations(r.Context(), "")
	if err != nil {
		return err
	}
	x := recommend.NewIndex(recommend.Merge(existing, ds))
	orgs := map[string]bool{}
	for _, m := range ds.Missions {
		orgs[m.Organisation] = true
	}
	for _, key := range reportKeysOf(ds) {
		if m := x.MissionOf(key); m != nil {
			orgs[m.Organisation] = true
		}
	}
	names := make([]string, 0, len(orgs))
	for o := range orgs {
		names = append(names, o)
	}
	slices.Sort(names)
	for _, o := range names {
		if err := h.staff(r, o); err != nil {
			return err
		}
	}
	st, err := recommend.Import(r.Context(), h.db(), ds)
	if err != nil {
		return invalid(err)
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"imported": st})
	return nil
}

// reportKeysOf lists the reports that the records of ds add to: those
// of reports, recommendations and (assessing) assessments.
func reportKeysOf(ds *recommend.Dataset) []string {
	var out []string
	for _, r := range ds.Reports {
		out = append(out, r.Key)
	}
	for _, r := range ds.Recommendations {
		out = append(out, r.ReportKey)
	}
	for _, a := range ds.Assessments {
		out = append(out, a.ReportKey)
	}
	return out
}

// Pages.

type areaChains struct {
	Area   recommend.Area
	Chains []recommend.Chain
}

type countryView struct {
	Country     string
	Summary     recommend.CountrySummary
	Areas       []areaChains
	Assessments []assessmentView
	Missions    []missionView
}

type missionView struct {
	*recommend.Mission
	Reports []*recommend.Report
	Drafts  bool // the reader is the mission's staff and may open its drafts
}

type assessmentView struct {
	recommend.AssessmentSummary
	Implemented string
	Bars        []bar
	AreaRows    []areaRow
}

type bar struct {
	Status  recommend.Status
	Count   int
	Percent string
}

type areaRow struct {
	Area   recommend.Area
	Counts recommend.Counts
}

func barsOf(c recommend.Counts) []bar {
	var out []bar
	for _, st := range recommend.Statuses {
		n := c.Get(st)
		if n == 0 {
			continue
		}
		out = append(out, bar{Status: st, Count: n, Percent: fmt.Sprintf("%.1f%%", 100*float64(n)/float64(c.Total()))})
	}
	return out
}

func (h *recHandlers) pageIndex(w http.ResponseWriter, r *http.Request) error {
	country, err := countryParam(r)
	if err != nil {
		return err
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	if err != nil {
		return err
	}
	if country == "" {
		return h.s.Render(w, r, http.StatusOK, "recommendations.html", map[string]any{"Countries": recommend.Compare(ds)})
	}
	x := recommend.NewIndex(ds)
	v := countryView{Country: country, Summary: recommend.Summarise(ds, country)}
	for _, a := range v.Summary.Assessments {
		av := assessmentView{AssessmentSummary: a, Implemented: fmt.Sprintf("%.0f %%", 100*a.Implemented), Bars: barsOf(a.Counts)}
		for _, ar := range recommend.Areas {
			if c, ok := a.ByArea[ar]; ok {
				av.AreaRows = append(av.AreaRows, areaRow{Area: ar, Counts: c})
			}
		}
		v.Assessments = append(v.Assessments, av)
	}
	ds.Sort()
	for _, m := range ds.Missions {
		mv := missionView{Mission: m, Drafts: h.staff(r, m.Organisation) == nil}
		for _, r := range ds.Reports {
			if r.MissionKey == m.Key {
				mv.Reports = append(mv.Reports, r)
			}
		}
		v.Missions = append(v.Missions, mv)
	}
	for _, c := range x.Chains(country) {
		if n := len(v.Areas); n == 0 || v.Areas[n-1].Area != c.Latest.Area {
			v.Areas = append(v.Areas, areaChains{Area: c.Latest.Area})
		}
		v.Areas[len(v.Areas)-1].Chains = append(v.Areas[len(v.Areas)-1].Chains, c)
	}
	anyDrafts := false
	for _, m := range v.Missions {
		anyDrafts = anyDrafts || m.Drafts
	}
	return h.s.Render(w, r, http.StatusOK, "recommendations.html", map[string]any{"Country": v, "Drafts": anyDrafts})
}

func (h *recHandlers) pageOne(w http.ResponseWriter, r *http.Request) error {
	ref, ds, err := h.recByID(r)
	if err != nil {
		return err
	}
	x := recommend.NewIndex(ds)
	rec := x.Recs[ref]
	return h.s.Render(w, r, http.StatusOK, "recommendation.html", map[string]any{
		"Ref": ref, "Rec": rec, "Country": x.Country(rec.ReportKey), "History": x.History(ref),
	})
}

// pageDraft drafts a mission's statement or final report. Drafts hold
// unpublished findings, so they are for the mission's staff.
func (h *recHandlers) pageDraft(w http.ResponseWriter, r *http.Request) error {
	mission := r.PathValue("mission")
	country, org, err := h.db().MissionCountry(r.Context(), mission)
	if err != nil {
		return err
	}
	if err := h.staff(r, org); err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = string(recommend.StatementDraft)
	}
	k, err := recommend.ParseDraftKind(kind)
	if err != nil {
		return web.Errorf(web.Invalid, "%s", err.Error())
	}
	ds, err := h.db().Recommendations(r.Context(), country)
	if err != nil {
		return err
	}
	// In the reader's language (?lang=, the cookie, Accept-Language), as
	// every page; the PDF too.
	d, err := recommend.BuildDraftIn(r.Context(), ds, mission, k, h.src, h.s.Lang(r))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := draft.WriteHTML(&buf, d); err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "pdf" {
		return h.servePDF(w, r, buf.Bytes(), mission+"-"+string(k)+".pdf")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

// servePDF prints an HTML draft with the server's Chromium
// (Options.Chromium); without one, 501 says so.
func (h *recHandlers) servePDF(w http.ResponseWriter, r *http.Request, html []byte, name string) error {
	chromium := h.s.Options().Chromium
	if chromium == "" {
		// Not a client error: the server lacks the printer.
		http.Error(w, "no Chromium on this server to print PDF; ask for the HTML draft and print it", http.StatusNotImplemented)
		return nil
	}
	dir, err := os.MkdirTemp("", "vigil-draft-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "draft.pdf")
	if err := pdf.Print(r.Context(), chromium, html, out); err != nil {
		return err
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s"`, name))
	_, err = w.Write(b)
	return err
}

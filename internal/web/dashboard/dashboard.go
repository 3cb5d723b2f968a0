package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// The mission's dashboard, for its staff (administrators, analysts, and
// coordinators inside their area): coverage by area, live over server-sent
// events on election night; incidents and their triage; the quality-control
// queue; the conflicts between observers of one station, with a form to
// resolve each; the PVT on the stored sample with its convergence chart.
//
// Every page and action asks access.Check with the principal's scope:
// observe.Load already narrows the reports and the deployment to a
// coordinator's area, and each action is the core's checked write that the
// observation API's handlers make too (web.Server.ReviewReport, Resolve),
// so the rules live in one place. The page works without JavaScript (plain
// forms post to /dashboard/…, which make the same writes and redirect
// back); with it, static/dashboard.js sends the forms to the JSON API
// directly and swaps in the coverage table when the server pushes a new
// one.
func (s *room) routes() {
	csrf := http.NewCrossOriginProtection()
	h := func(pattern string, fn web.HandlerFunc) {
		s.Mux().Handle(pattern, csrf.Handler(s.Serve(s.staffPage(fn))))
	}
	h("GET /dashboard/{$}", s.dashIndex)
	h("GET /dashboard/{election}", s.dashPage)
	h("GET /dashboard/{election}/events", s.dashEvents)
	h("POST /dashboard/{election}/reports/{id}", s.dashReview)
	h("POST /dashboard/{election}/conflicts", s.dashResolve)
}

// staffPage lets only staff through; the public asking for a page is sent
// to the login, which comes back here.
func (s *room) staffPage(h web.HandlerFunc) web.HandlerFunc {
	return s.Authed(func(w http.ResponseWriter, r *http.Request) error {
		if s.Principal(r).Role == access.Public && r.Method == http.MethodGet && !strings.HasSuffix(r.URL.Path, "/events") {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		return s.RequireRole(web.Staff, h)(w, r)
	})
}

// dashIndex opens the dashboard of the organisation's current election.
func (s *room) dashIndex(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	id, err := s.DB().CurrentElection(r.Context(), p.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(web.NotFound, "no election in the database")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/dashboard/"+itoa64(id), http.StatusSeeOther)
	return nil
}

// dashArea is the drill-down prefix of the coverage table: ?a=Region&a=District.
func dashArea(r *http.Request) []string {
	var out []string
	for _, a := range r.URL.Query()["a"] {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	if len(out) > 8 {
		out = out[:8]
	}
	return out
}

func areaQuery(path []string) string {
	q := url.Values{}
	for _, a := range path {
		q.Add("a", a)
	}
	return q.Encode()
}

// covRow is one line of the coverage table.
type covRow struct {
	Name     string
	Query    string // the drill-down query of this area; "" for a station
	Deployed int
	Reported int
	Missing  int
	Conflict int
}

// Share is the reported share of the deployed stations.
func (c covRow) Share() float64 {
	if c.Deployed == 0 {
		return 0
	}
	return float64(c.Reported) / float64(c.Deployed)
}

// dashCoverage is the coverage table of one drill-down level.
type dashCoverage struct {
	Election int64
	Area     []string
	Crumbs   []dashCrumb
	Level    string // the level the rows are, e.g. "region"
	Rows     []covRow
	Total    covRow
	Stamp    string // the reports' stamp it was computed at (for the live updates)
	Events   string // the server-sent events URL
}

type dashCrumb struct{ Name, Query string }

// coverageOf counts the deployed stations under prefix by the next level
// down, as observe.Compute counts them: reported when a usable report
// (not quarantined, not an incident) names the station, in conflict when
// reported with an unresolved conflict, missing otherwise.
func coverageOf(ds *observe.Dataset, prefix []string) (rows []covRow, total covRow) {
	reported := map[int64]bool{}
	for _, o := range ds.Obs {
		if o.Status != store.StatusQuarantined && o.AreaID != 0 && o.Phase != form.Incident {
			reported[o.AreaID] = true
		}
	}
	conflicted := map[int64]bool{}
	for _, c := range observe.Conflicts(ds.Obs, ds.Resolved) {
		if c.Resolved == nil {
			conflicted[c.AreaID] = true
		}
	}
	byName := map[string]*covRow{}
	for id := range ds.Deployed {
		a := ds.Areas[id]
		if a == nil || len(a.Path) <= len(prefix) || !access.InArea(prefix, a.Path) {
			continue
		}
		name := a.Path[len(prefix)]
		row := byName[name]
		if row == nil {
			row = &covRow{Name: name}
			if len(a.Path) > len(prefix)+1 {
				row.Query = areaQuery(a.Path[:len(prefix)+1])
			}
			byName[name] = row
		}
		for _, c := range []*covRow{row, &total} {
			c.Deployed++
			switch {
			case !reported[id]:
				c.Missing++
			case conflicted[id]:
				c.Reported++
				c.Conflict++
			default:
				c.Reported++
			}
		}
	}
	for _, row := range byName {
		rows = append(rows, *row)
	}
	sort.Slice(rows, func(i, j int) bool { return naturalLess(rows[i].Name, rows[j].Name) })
	return rows, total
}

// naturalLess orders "District 2" before "District 10".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da != "" && db != "" {
			na, _ := strconv.ParseInt(da, 10, 64)
			nb, _ := strconv.ParseInt(db, 10, 64)
			if na != nb {
				return na < nb
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && i < 18 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// dashCoverageFor builds the coverage table of the request's drill-down.
func (s *room) dashCoverageFor(r *http.Request, src *dashSrc, stamp string) (dashCoverage, error) {
	e := src.e
	prefix := dashArea(r)
	rows, total, err := src.coverage(r.Context(), s.DB(), prefix)
	if err != nil {
		return dashCoverage{}, err
	}
	c := dashCoverage{Election: e.ID, Area: prefix, Rows: rows, Total: total, Stamp: stamp,
		Level: web.LevelName(e, len(prefix)+1)}
	for i := range prefix {
		c.Crumbs = append(c.Crumbs, dashCrumb{Name: prefix[i], Query: areaQuery(prefix[:i+1])})
	}
	c.Events = "/dashboard/" + itoa64(e.ID) + "/events"
	if q := areaQuery(prefix); q != "" {
		c.Events += "?" + q
	}
	return c, nil
}

// dashIncident is one incident report for the list.
type dashIncident struct {
	ID       int64
	Place    string
	Time     string
	Category string
	Text     string
	Triage   string
	CanAct   bool
}

// dashQueued is one report of the quality-control queue.
type dashQueued struct {
	ID     int64
	Form   string
	Place  string
	Status string
	QC     []string
	CanAct bool
}

// dashConflict is one conflict with its choices.
type dashConflict struct {
	AreaID   int64
	Place    string
	Phase    string
	Question string
	Label    string
	Choices  []dashChoice
	Resolved string // the chosen value's label, when resolved
	CanAct   bool
}

type dashChoice struct {
	Raw     string // the JSON value, posted back as is
	Label   string
	Reports []int64
}

func placeOf(path []string) string {
	if len(path) == 0 {
		return "–"
	}
	return strings.Join(path, " / ")
}

// valueLabel writes an answer for people: a choice's label, yes/no, or
// the value itself.
func valueLabel(q *form.Question, raw json.RawMessage, lang string, yes, no string) string {
	var v form.Value
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	if b, ok := v.Bool(); ok {
		if b {
			return yes
		}
		return no
	}
	if t, ok := v.Text(); ok && q != nil {
		if c, ok := q.Choice(t); ok {
			return c.Label.In(lang)
		}
	}
	return v.String()
}

// dashData is the dashboard page.
type dashData struct {
	Title     string
	URI       string
	Election  *election.Election
	P         access.Principal
	Org       string
	Coverage  dashCoverage
	Incidents []dashIncident
	IncTotal  int
	Queue     []dashQueued
	QTotal    int
	Conflicts []dashConflict
	Resolved  int
	CTotal    int
	Triage    []string
	PVT       *dashPVT
	PVTError  string
	Flash     string
	Findings  string
	Forensics string
}

// dashLists caps each list on the page; the API has the rest.
const dashLists = 200

func (s *room) dashPage(w http.ResponseWriter, r *http.Request) error {
	src, err := s.dashSource(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	e := src.e
	c := s.CatalogueFor(r)
	stamp, err := s.ObsStamp(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	cov, err := s.dashCoverageFor(r, src, stamp)
	if err != nil {
		return err
	}
	d := dashData{Title: c.T("dash.title"), URI: r.URL.RequestURI(), Election: e, P: p, Triage: observe.TriageStates,
		Coverage:  cov,
		Findings:  fmt.Sprintf("/api/v1/elections/%d/findings?format=html", e.ID),
		Forensics: fmt.Sprintf("/elections/%d/forensics", e.ID)}
	if o, err := s.DB().Organisation(r.Context(), p.OrgID); err == nil {
		d.Org = o.Name
	}
	switch r.URL.Query().Get("done") {
	case "review":
		d.Flash = c.T("dash.flash.review")
	case "resolve":
		d.Flash = c.T("dash.flash.resolve")
	}
	if src.ds == nil {
		if err := s.dashListsFromAggregates(r, src, &d, c); err != nil {
			return err
		}
	} else {
		s.dashListsFromReports(r, src.ds, &d, c)
	}
	if pv, err := s.dashPVTFor(r, e, c); err != nil {
		d.PVTError = err.Error()
	} else {
		d.PVT = pv
	}
	return s.Render(w, r, http.StatusOK, "dashboard.html", d)
}

// dashListsFromReports fills the page's lists from the reports (a
// coordinator of one station).
func (s *room) dashListsFromReports(r *http.Request, ds *observe.Dataset, d *dashData, c *web.Catalogue) {
	p := s.Principal(r)
	lang := c.Tag
	d.IncTotal, d.QTotal, _ = listCounts(ds)
	obsOf := map[int64]*observe.Obs{}
	for i := range ds.Obs {
		obsOf[ds.Obs[i].ReportID] = &ds.Obs[i]
	}
	ids := make([]int64, 0, len(ds.Reports))
	for id := range ds.Reports {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		rep := ds.Reports[id]
		res := access.Resource{OrgID: rep.OrgID, Area: web.NonNilArea(rep.AreaPath)}
		o := obsOf[id]
		if rep.Phase == string(form.Incident) {
			if len(d.Incidents) >= dashLists {
				continue
			}
			in := dashIncident{ID: id, Place: placeOf(rep.AreaPath), Triage: rep.Triage,
				CanAct: s.Check(r, access.TriageIncident, res) == nil}
			if in.Triage == "" {
				in.Triage = "new"
			}
			if o != nil {
				if v, ok := o.Answers["category"]; ok {
					b, _ := json.Marshal(v)
					in.Category = valueLabel(o.Form.Question("category"), b, lang, c.T("dash.yes"), c.T("dash.no"))
				}
				if v, ok := o.Answers["incident_time"]; ok {
					in.Time = v.String()
				}
				if v, ok := o.Answers["description"]; ok {
					in.Text = clipText(v.String(), 160)
				}
			}
			d.Incidents = append(d.Incidents, in)
			continue
		}
		if rep.Status == store.StatusFlagged || rep.Status == store.StatusQuarantined {
			if len(d.Queue) < dashLists {
				d.Queue = append(d.Queue, dashQueued{ID: id, Form: rep.FormKey, Place: placeOf(rep.AreaPath), Status: rep.Status,
					QC: rep.QC, CanAct: s.Check(r, access.ReviewReport, res) == nil})
			}
		}
	}
	// Flagged before quarantined: the flagged still wait for a decision.
	sort.SliceStable(d.Queue, func(i, j int) bool {
		return d.Queue[i].Status == store.StatusFlagged && d.Queue[j].Status != store.StatusFlagged
	})
	for _, cf := range observe.Conflicts(ds.Obs, ds.Resolved) {
		d.CTotal++
		if cf.Resolved != nil {
			d.Resolved++
		}
		if len(d.Conflicts) >= dashLists {
			continue
		}
		var path []string
		if a := ds.Areas[cf.AreaID]; a != nil {
			path = a.Path
		}
		dc := dashConflict{AreaID: cf.AreaID, Place: placeOf(path), Phase: cf.Phase, Question: cf.Question, Label: cf.Question,
			CanAct: s.Check(r, access.ResolveConflict, access.Resource{OrgID: p.OrgID, Area: web.NonNilArea(path)}) == nil}
		var q *form.Question
		if len(cf.Values) > 0 && len(cf.Values[0].Reports) > 0 {
			if o := obsOf[cf.Values[0].Reports[0]]; o != nil {
				if q = o.Form.Question(cf.Question); q != nil {
					dc.Label = q.Label.In(lang)
				}
			}
		}
		for _, v := range cf.Values {
			dc.Choices = append(dc.Choices, dashChoice{Raw: string(v.Value), Label: valueLabel(q, v.Value, lang, c.T("dash.yes"), c.T("dash.no")), Reports: v.Reports})
		}
		if cf.Resolved != nil {
			dc.Resolved = valueLabel(q, cf.Resolved, lang, c.T("dash.yes"), c.T("dash.no"))
		}
		d.Conflicts = append(d.Conflicts, dc)
	}
	// Unresolved first.
	sort.SliceStable(d.Conflicts, func(i, j int) bool { return d.Conflicts[i].Resolved == "" && d.Conflicts[j].Resolved != "" })
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// dashReview is the form fallback of a QC or triage action: the same
// checked write as the API's PATCH of a report (web.Server.ReviewReport,
// audited on the API's channel, as when the script sends it).
func (s *room) dashReview(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "bad form")
	}
	rep, err := s.ReportParam(r)
	if err != nil {
		return err
	}
	in := web.ReviewIn{Status: r.PostForm.Get("status"), Triage: r.PostForm.Get("triage"), Note: r.PostForm.Get("note")}
	if err := s.ReviewReport(r, rep, in, "api"); err != nil {
		return err
	}
	return s.backToDashboard(w, r, "review", "#qc")
}

// dashResolve is the form fallback of resolving a conflict: the same
// checked write as the API's POST of a resolution (web.Server.Resolve).
func (s *room) dashResolve(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "bad form")
	}
	area, err := strconv.ParseInt(r.PostForm.Get("area_id"), 10, 64)
	if err != nil {
		return web.Errorf(web.Invalid, "area_id: want a number")
	}
	// The value is stored as the API stores a JSON body's: compact.
	var value bytes.Buffer
	if json.Compact(&value, []byte(r.PostForm.Get("value"))) != nil {
		return web.Errorf(web.Invalid, "value: choose one of the answers")
	}
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	in := store.Resolution{AreaID: area, Phase: r.PostForm.Get("phase"), Question: r.PostForm.Get("question"), Value: json.RawMessage(value.Bytes())}
	if err := s.Resolve(r, e.ID, &in, "api"); err != nil {
		return err
	}
	return s.backToDashboard(w, r, "resolve", "#conflicts")
}

func (s *room) backToDashboard(w http.ResponseWriter, r *http.Request, done, anchor string) error {
	q := url.Values{}
	for _, a := range r.PostForm["a"] {
		q.Add("a", a)
	}
	q.Set("done", done)
	http.Redirect(w, r, "/dashboard/"+url.PathEscape(r.PathValue("election"))+"?"+q.Encode()+anchor, http.StatusSeeOther)
	return nil
}

// dashState is the dashboard room's state: the PVT cache, the coverage
// fragments and the live connections.
type dashState struct {
	mu     sync.Mutex
	pvt    map[string]*dashPVTEntry // by election, stamp and language
	live   int                      // open event streams
	cov    map[string]covCached     // coverage fragments by scope and stamp
	limits dashLimits
	// shutdown is closed when the http.Server shuts down (shutdownOf).
	shutdown map[*http.Server]chan struct{}
}

type covCached struct {
	stamp  string
	html   []byte
	counts []byte
}

// listCounts counts what the page lists: incident reports, reports flagged
// or quarantined, and conflicts not yet resolved.
func listCounts(ds *observe.Dataset) (incidents, qc, open int) {
	for _, rep := range ds.Reports {
		switch {
		case rep.Phase == string(form.Incident):
			incidents++
		case rep.Status == store.StatusFlagged || rep.Status == store.StatusQuarantined:
			qc++
		}
	}
	for _, c := range observe.Conflicts(ds.Obs, ds.Resolved) {
		if c.Resolved == nil {
			open++
		}
	}
	return incidents, qc, open
}

func newDashState() *dashState {
	return &dashState{pvt: map[string]*dashPVTEntry{}, cov: map[string]covCached{},
		limits: dashLimits{poll: dashPoll, heartbeat: dashHeartbeat, max: dashStreamMax, streams: dashMaxStreams}}
}

// Unresolved counts the conflicts still waiting for a decision.
func (d dashData) Unresolved() int { return d.CTotal - d.Resolved }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/agg"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// Obs is one report as findings see it: the pure input of Compute. After
// MergeVisits, one observation: the reports of one visit merged.
type Obs struct {
	ReportID int64
	// Visit names who visited: reports of the same place, phase and visit
	// (the two observers of a team, a coordinator re-entering their
	// report) are one observation. Empty: the report is its own visit.
	Visit     string
	ReportIDs []int64 // the reports merged into this observation; nil: ReportID alone
	Phase     form.Phase
	AreaID    int64
	Region    string // the level-1 area ("" when the report has no place)
	Status    string
	Triage    string // of an incident report
	Form      *form.Form
	Answers   form.Answers
}

// PhaseFindings are the figures of one phase.
//
// Intervals (ci95) are cluster-robust: observations of one team (Obs.Visit;
// an observation without a team is its own cluster) are a cluster, and the
// design effect and cluster count are given beside each share
// (ClusterWilson). Where every observation is its own cluster the interval
// is the simple Wilson interval (ci_method "wilson").
type PhaseFindings struct {
	Observed     int        `json:"observed"` // reports with an overall assessment
	Negative     int        `json:"negative"` // assessed bad or very bad
	Share        float64    `json:"share"`
	CI95         [2]float64 `json:"ci95"`
	Clusters     int        `json:"clusters"`
	DesignEffect float64    `json:"design_effect"`
	CIMethod     string     `json:"ci_method"`
	clusters     map[string]*Cluster
	Indicators   map[string]*IndicatorStat `json:"indicators"`
	// The reports behind the figures: every figure of a statement can be
	// shown with its evidence.
	NegativeReports []int64 `json:"negative_reports"`
	ObservedReports []int64 `json:"observed_reports"`
}

// IndicatorStat is one key indicator in one phase.
type IndicatorStat struct {
	Observed     int        `json:"observed"` // reports that answered it
	Reported     int        `json:"reported"` // reports that saw the problem
	Share        float64    `json:"share"`
	CI95         [2]float64 `json:"ci95"`
	Clusters     int        `json:"clusters"`
	DesignEffect float64    `json:"design_effect"`
	CIMethod     string     `json:"ci_method"`
	Reports      []int64    `json:"reports"` // the ones that saw it
	clusters     map[string]*Cluster
}

// Coverage counts, for one area, the deployed places by what is known of
// them.
type Coverage struct {
	Deployed int `json:"deployed"` // stations in the deployment (or assigned)
	Reported int `json:"reported"` // with at least one usable report
	Missing  int `json:"missing"`  // deployed, no usable report
	Conflict int `json:"conflict"` // reported, with an unresolved conflict
}

// Findings are the quantitative findings of one organisation in one
// election: by phase, by region and phase, and the coverage.
type Findings struct {
	Election string                               `json:"election"`
	Phases   map[string]*PhaseFindings            `json:"phases"`
	ByArea   map[string]map[string]*PhaseFindings `json:"by_area"`
	Coverage CoverageReport                       `json:"coverage"`
	// Incidents counts the incident reports by category (the incident
	// form's "category" answer; "" when not given), with their reports.
	Incidents map[string]*IncidentStat `json:"incidents"`
	// Quarantined reports are excluded from every figure; their number is
	// stated so that nobody wonders.
	Quarantined int `json:"quarantined"`
}

// IncidentStat is the incidents of one category.
type IncidentStat struct {
	Reported  int     `json:"reported"`
	Confirmed int     `json:"confirmed"` // triaged as confirmed
	Reports   []int64 `json:"reports"`
}

// CoverageReport is the coverage in total and by region.
type CoverageReport struct {
	Total  Coverage             `json:"total"`
	ByArea map[string]*Coverage `json:"by_area"`
}

// ReportedPhases are the phases findings give, in the order of the day.
var ReportedPhases = []form.Phase{form.Opening, form.Voting, form.Counting, form.Tabulation}

// Compute derives the findings from reports. deployed maps each deployed
// station's id to its region; conflicts lists the station ids with an
// unresolved conflict. Quarantined reports count for nothing.
func Compute(obs []Obs, deployed map[int64]string, conflicts map[int64]bool) *Findings {
	f := &Findings{Phases: map[string]*PhaseFindings{}, ByArea: map[string]map[string]*PhaseFindings{}, Incidents: map[string]*IncidentStat{},
		Coverage: CoverageReport{ByArea: map[string]*Coverage{}}}
	for _, ph := range ReportedPhases {
		f.Phases[string(ph)] = newPhase()
	}
	reported := map[int64]bool{}
	for _, o := range obs {
		if o.Status == store.StatusQuarantined {
			f.Quarantined++
			continue
		}
		if o.AreaID != 0 && o.Phase != form.Incident {
			reported[o.AreaID] = true
		}
		if o.Phase == form.Incident {
			cat, _ := o.Answers["category"].Text()
			st := f.Incidents[cat]
			if st == nil {
				st = &IncidentStat{Reports: []int64{}}
				f.Incidents[cat] = st
			}
			st.Reported++
			if o.Triage == "confirmed" {
				st.Confirmed++
			}
			st.Reports = append(st.Reports, o.ids()...)
			continue
		}
		pf := f.Phases[string(o.Phase)]
		if pf == nil {
			continue
		}
		byRegion := f.ByArea[o.Region]
		if byRegion == nil {
			byRegion = map[string]*PhaseFindings{}
			for _, ph := range ReportedPhases {
				byRegion[string(ph)] = newPhase()
			}
			f.ByArea[o.Region] = byRegion
		}
		for _, target := range []*PhaseFindings{pf, byRegion[string(o.Phase)]} {
			add(target, o)
		}
	}
	for _, pf := range f.Phases {
		finish(pf)
	}
	for _, m := range f.ByArea {
		for _, pf := range m {
			finish(pf)
		}
	}
	for id, region := range deployed {
		c := f.Coverage.ByArea[region]
		if c == nil {
			c = &Coverage{}
			f.Coverage.ByArea[region] = c
		}
		for _, cov := range []*Coverage{c, &f.Coverage.Total} {
			cov.Deployed++
			if reported[id] {
				cov.Reported++
				if conflicts[id] {
					cov.Conflict++
				}
			} else {
				cov.Missing++
			}
		}
	}
	return f
}

func newPhase() *PhaseFindings {
	return &PhaseFindings{Indicators: map[string]*IndicatorStat{}, CI95: [2]float64{0, 1}, NegativeReports: []int64{}, ObservedReports: []int64{}}
}

func (o Obs) ids() []int64 {
	if o.ReportIDs != nil {
		return o.ReportIDs
	}
	return []int64{o.ReportID}
}

// cluster is the observation's cluster: its team (Visit), or itself.
func (o Obs) cluster() string {
	if o.Visit != "" {
		return o.Visit
	}
	return fmt.Sprintf("report:%d", o.ReportID)
}

func count(m *map[string]*Cluster, key string, hit bool) {
	if *m == nil {
		*m = map[string]*Cluster{}
	}
	c := (*m)[key]
	if c == nil {
		c = &Cluster{}
		(*m)[key] = c
	}
	c.Units++
	if hit {
		c.Hits++
	}
}

func add(pf *PhaseFindings, o Obs) {
	if v, ok := o.Answers[form.OverallID]; ok {
		if g, ok := v.Text(); ok {
			pf.Observed++
			pf.ObservedReports = append(pf.ObservedReports, o.ids()...)
			if form.Negative(g) {
				pf.Negative++
				pf.NegativeReports = append(pf.NegativeReports, o.ids()...)
			}
			count(&pf.clusters, o.cluster(), form.Negative(g))
		}
	}
	for ind, seen := range o.Form.Indicators(o.Answers) {
		st := pf.Indicators[ind]
		if st == nil {
			st = &IndicatorStat{Reports: []int64{}}
			pf.Indicators[ind] = st
		}
		st.Observed++
		if seen {
			st.Reported++
			st.Reports = append(st.Reports, o.ids()...)
		}
		count(&st.clusters, o.cluster(), seen)
	}
}

func clustersOf(m map[string]*Cluster) []Cluster {
	out := make([]Cluster, 0, len(m))
	for _, k := range SortedKeys(m) {
		out = append(out, *m[k])
	}
	return out
}

func finish(pf *PhaseFindings) {
	cs := ClusterWilson(clustersOf(pf.clusters))
	pf.Share, pf.CI95, pf.Clusters, pf.DesignEffect, pf.CIMethod = cs.Share, cs.CI95, cs.Clusters, cs.DesignEffect, cs.Method
	for _, st := range pf.Indicators {
		cs := ClusterWilson(clustersOf(st.clusters))
		st.Share, st.CI95, st.Clusters, st.DesignEffect, st.CIMethod = cs.Share, cs.CI95, cs.Clusters, cs.DesignEffect, cs.Method
	}
}

// MergeVisits turns reports into observations: the usable reports of one
// place, phase and visit become one observation, whose answer to each
// question is the one its reports agree on; a question they answer
// differently is left out of that observation (it counts for nothing
// until a coordinator resolves it). Quarantined reports pass through
// untouched (Compute counts and excludes them). Order: by first report.
func MergeVisits(obs []Obs) []Obs {
	type key struct {
		area  int64
		phase form.Phase
		visit string
	}
	idx := map[key]int{}
	var out []Obs
	var groups [][]Obs
	for _, o := range obs {
		// Incidents are events, not visits: two reports are two incidents.
		if o.Status == store.StatusQuarantined || o.Visit == "" || o.AreaID == 0 || o.Phase == form.Incident {
			out = append(out, o)
			groups = append(groups, nil)
			continue
		}
		k := key{o.AreaID, o.Phase, o.Visit}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, o)
			groups = append(groups, []Obs{o})
			continue
		}
		groups[i] = append(groups[i], o)
	}
	for i, g := range groups {
		if len(g) < 2 {
			continue
		}
		m := g[0]
		m.Answers = form.Answers{}
		m.ReportIDs = nil
		values := map[string]map[string]form.Value{}
		for _, o := range g {
			m.ReportIDs = append(m.ReportIDs, o.ReportID)
			if o.Status == store.StatusVerified {
				m.Status = store.StatusVerified
			}
			for q, v := range o.Answers {
				b, _ := json.Marshal(v)
				if values[q] == nil {
					values[q] = map[string]form.Value{}
				}
				values[q][string(b)] = v
			}
		}
		for q, vs := range values {
			if len(vs) == 1 {
				for _, v := range vs {
					m.Answers[q] = v
				}
			}
		}
		out[i] = m
	}
	return out
}

// Conflict is one question on which the usable reports of one station and
// phase disagree (the aggregates keep the same type).
type Conflict = agg.Conflict

// ConflictValue is one of the values given, and who gave it.
type ConflictValue = agg.ConflictValue

// Conflicts finds, among usable (not quarantined) reports, the questions
// that reports of the same station and phase answer differently. A
// question one report leaves unanswered is not a conflict. resolved maps
// "area/phase/question" to the value a coordinator chose.
func Conflicts(obs []Obs, resolved map[string]json.RawMessage) []Conflict {
	type key struct {
		area  int64
		phase form.Phase
	}
	groups := map[key][]Obs{}
	for _, o := range obs {
		if o.Status == store.StatusQuarantined || o.AreaID == 0 || o.Phase == form.Incident {
			continue
		}
		k := key{o.AreaID, o.Phase}
		groups[k] = append(groups[k], o)
	}
	var out []Conflict
	for k, g := range groups {
		if len(g) < 2 {
			continue
		}
		qs := map[string]bool{}
		for _, o := range g {
			for q := range o.Answers {
				qs[q] = true
			}
		}
		for q := range qs {
			vals := map[string][]int64{}
			for _, o := range g {
				if v, ok := o.Answers[q]; ok {
					b, _ := json.Marshal(v)
					vals[string(b)] = append(vals[string(b)], o.ReportID)
				}
			}
			if len(vals) < 2 {
				continue
			}
			c := Conflict{AreaID: k.area, Phase: string(k.phase), Question: q}
			for v, ids := range vals {
				c.Values = append(c.Values, ConflictValue{Value: json.RawMessage(v), Reports: ids})
			}
			sort.Slice(c.Values, func(i, j int) bool { return c.Values[i].Reports[0] < c.Values[j].Reports[0] })
			c.Resolved = resolved[fmt.Sprintf("%d/%s/%s", k.area, k.phase, q)]
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.AreaID != b.AreaID {
			return a.AreaID < b.AreaID
		}
		if a.Phase != b.Phase {
			return a.Phase < b.Phase
		}
		return a.Question < b.Question
	})
	return out
}

// Dataset is everything findings and conflicts are computed from, loaded
// once.
type Dataset struct {
	Election *election.Election
	Areas    map[int64]*election.Area
	Obs      []Obs
	Reports  map[int64]*store.Report
	Deployed map[int64]string
	Resolved map[string]json.RawMessage
}

// Load reads an organisation's reports in an election, with their forms,
// the deployment (or, without one, the assigned stations) and the
// resolutions. The principal's scope filters the reports (a coordinator
// sees their area).
func Load(ctx context.Context, db *store.DB, p access.Principal, electionID int64) (*Dataset, error) {
	e, err := db.Election(ctx, electionID)
	if err != nil {
		return nil, err
	}
	areas, err := db.Areas(ctx, electionID)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Election: e, Areas: map[int64]*election.Area{}, Reports: map[int64]*store.Report{}, Deployed: map[int64]string{}, Resolved: map[string]json.RawMessage{}}
	for i := range areas {
		ds.Areas[areas[i].ID] = &areas[i]
	}
	region := func(id int64) string {
		if a := ds.Areas[id]; a != nil && len(a.Path) > 0 {
			return a.Path[0]
		}
		return ""
	}
	reports, err := db.Reports(ctx, store.ReportFilter{OrgID: p.OrgID, ElectionID: electionID})
	if err != nil {
		return nil, err
	}
	teamOf := map[int64]int64{}
	observers, err := db.Observers(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	for _, o := range observers {
		teamOf[o.ID] = o.TeamID
	}
	visit := func(r *store.Report) string {
		switch {
		case r.ObserverID != 0 && teamOf[r.ObserverID] != 0:
			return fmt.Sprintf("team:%d", teamOf[r.ObserverID])
		case r.ObserverID != 0:
			return fmt.Sprintf("observer:%d", r.ObserverID)
		case r.UserID != 0:
			return fmt.Sprintf("user:%d", r.UserID)
		}
		return ""
	}
	forms := map[int64]*form.Form{}
	for _, r := range reports {
		if !access.CanSeeReport(p, r.OrgID, r.AreaPath, r.ObserverID) {
			continue
		}
		f := forms[r.FormID]
		if f == nil {
			sf, err := db.FormByID(ctx, r.FormID)
			if err != nil {
				return nil, err
			}
			f = form.BindElection(sf.Form, e)
			forms[r.FormID] = f
		}
		var a form.Answers
		if err := json.Unmarshal(r.Answers, &a); err != nil {
			return nil, fmt.Errorf("report %d: %w", r.ID, err)
		}
		ds.Reports[r.ID] = r
		ds.Obs = append(ds.Obs, Obs{ReportID: r.ID, Visit: visit(r), Phase: form.Phase(r.Phase), AreaID: r.AreaID, Region: region(r.AreaID), Status: r.Status, Triage: r.Triage, Form: f, Answers: a})
	}
	inScope := func(id int64) bool {
		a := ds.Areas[id]
		return a != nil && (p.Role != access.Coordinator || access.InArea(p.Area, a.Path))
	}
	if d, err := db.LatestDeployment(ctx, p.OrgID, electionID); err == nil {
		for _, s := range d.Stations {
			if inScope(s.AreaID) {
				ds.Deployed[s.AreaID] = region(s.AreaID)
			}
		}
	} else {
		as, err := db.Assignments(ctx, p.OrgID, electionID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if inScope(a.AreaID) && ds.Areas[a.AreaID].Station {
				ds.Deployed[a.AreaID] = region(a.AreaID)
			}
		}
	}
	res, err := db.Resolutions(ctx, p.OrgID, electionID)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		ds.Resolved[fmt.Sprintf("%d/%s/%s", r.AreaID, r.Phase, r.Question)] = r.Value
	}
	return ds, nil
}

// Findings computes the dataset's findings. A coordinator's resolution
// replaces the conflicting answers of every report of its station and
// phase before counting.
func (ds *Dataset) Findings() *Findings {
	obs := ds.resolvedObs()
	conflicted := map[int64]bool{}
	for _, c := range Conflicts(ds.Obs, ds.Resolved) {
		if c.Resolved == nil {
			conflicted[c.AreaID] = true
		}
	}
	f := Compute(MergeVisits(obs), ds.Deployed, conflicted)
	f.Election = ds.Election.Name
	return f
}

func (ds *Dataset) resolvedObs() []Obs {
	if len(ds.Resolved) == 0 {
		return ds.Obs
	}
	out := make([]Obs, len(ds.Obs))
	for i, o := range ds.Obs {
		out[i] = o
		var copied bool
		for q := range o.Answers {
			raw, ok := ds.Resolved[fmt.Sprintf("%d/%s/%s", o.AreaID, o.Phase, q)]
			if !ok {
				continue
			}
			var v form.Value
			if json.Unmarshal(raw, &v) != nil {
				continue
			}
			if !copied {
				out[i].Answers = form.Answers{}
				for k, x := range o.Answers {
					out[i].Answers[k] = x
				}
				copied = true
			}
			out[i].Answers[q] = v
		}
	}
	return out
}

// SortedKeys returns a map's keys in order, for stable output.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

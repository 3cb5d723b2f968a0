package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// dashSrc is what the dashboard reads: the observation aggregates in the
// principal's scope (O(rows shown) per page), or, for a coordinator whose
// area is a single station (whose figures are not kept as a node), the
// reports themselves (ds), which for one station are few.
type dashSrc struct {
	e     *election.Election
	p     access.Principal
	scope observe.Scope
	ds    *observe.Dataset
}

// dashSource checks that the principal may read the organisation's
// findings and opens the dashboard's source in their scope.
func (s *room) dashSource(r *http.Request) (*dashSrc, error) {
	e, p, err := s.ElectionAs(r, access.ReadFindings)
	if err != nil {
		return nil, err
	}
	sc, err := observe.ScopeOf(r.Context(), s.DB(), p, e.ID)
	if err != nil {
		return nil, err
	}
	src := &dashSrc{e: e, p: p, scope: sc}
	if !sc.Kept {
		if src.ds, err = observe.Load(r.Context(), s.DB(), p, e.ID); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// coverage counts the deployed stations under prefix by the next level
// down, as coverageOf does from the reports.
func (src *dashSrc) coverage(ctx context.Context, db *store.DB, prefix []string) (rows []covRow, total covRow, err error) {
	if src.ds != nil {
		rows, total = coverageOf(src.ds, prefix)
		return rows, total, nil
	}
	sc := src.scope
	if sc.Outside {
		return nil, total, nil
	}
	add := func(row covRow) {
		rows = append(rows, row)
		total.Deployed += row.Deployed
		total.Reported += row.Reported
		total.Missing += row.Missing
		total.Conflict += row.Conflict
	}
	switch {
	case access.InArea(sc.Path, prefix):
		node, _, err := db.ObsNodeOf(ctx, src.e.ID, prefix)
		if errors.Is(err, store.ErrNotFound) {
			return nil, total, nil
		} else if err != nil {
			return nil, total, err
		}
		children, err := db.ObsChildren(ctx, src.p.OrgID, src.e.ID, node)
		if err != nil {
			return nil, total, err
		}
		for _, c := range children {
			if c.Deployed == 0 {
				continue
			}
			row := covRow{Name: c.Name, Deployed: int(c.Deployed), Reported: int(c.Reported), Missing: int(c.Deployed - c.Reported), Conflict: int(c.Conflicted)}
			if !c.Station {
				row.Query = areaQuery(append(append([]string{}, prefix...), c.Name))
			}
			add(row)
		}
	case access.InArea(prefix, sc.Path):
		// Above a coordinator's area: the one line that leads to it, with
		// the area's own counts.
		n, err := db.ObsNodeCounts(ctx, src.p.OrgID, src.e.ID, sc.Node)
		if err != nil {
			return nil, total, err
		}
		if n.Deployed > 0 {
			add(covRow{Name: sc.Path[len(prefix)], Query: areaQuery(sc.Path[:len(prefix)+1]), Deployed: int(n.Deployed), Reported: int(n.Reported),
				Missing: int(n.Deployed - n.Reported), Conflict: int(n.Conflicted)})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return naturalLess(rows[i].Name, rows[j].Name) })
	return rows, total, nil
}

// counts are the lengths of the page's lists: incident reports, reports
// flagged or quarantined, conflicts; open the unresolved ones.
func (src *dashSrc) counts(ctx context.Context, db *store.DB) (incidents, qc, conflicts, open int, err error) {
	if src.ds != nil {
		incidents, qc, open = listCounts(src.ds)
		return incidents, qc, len(observe.Conflicts(src.ds.Obs, src.ds.Resolved)), open, nil
	}
	if src.scope.Outside {
		return 0, 0, 0, 0, nil
	}
	n, err := db.ObsNodeCounts(ctx, src.p.OrgID, src.e.ID, src.scope.Node)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return int(n.Incidents), int(n.Queued), int(n.Conflicts), int(n.Open), nil
}

// dashLists fills the page's lists from the aggregates: the first
// dashLists incident reports and queued reports by id, and the first
// dashLists conflicts by station, phase and question, as dashPage does
// from the reports.
func (s *room) dashListsFromAggregates(r *http.Request, src *dashSrc, d *dashData, c *web.Catalogue) error {
	ctx := r.Context()
	lang := c.Tag
	var err error
	d.IncTotal, d.QTotal, d.CTotal, _, err = src.counts(ctx, s.DB())
	if err != nil {
		return err
	}
	if src.scope.Outside {
		return nil
	}
	org, eid, node := src.p.OrgID, src.e.ID, src.scope.Node
	incidents, err := s.DB().ReviewList(ctx, org, eid, node, "incident", dashLists)
	if err != nil {
		return err
	}
	queued, err := s.DB().ReviewList(ctx, org, eid, node, "queue", dashLists)
	if err != nil {
		return err
	}
	conflicts, err := s.DB().ObsConflicts(ctx, org, eid, node, false, dashLists)
	if err != nil {
		return err
	}
	var firsts []int64
	for _, cf := range conflicts {
		if len(cf.Values) > 0 && len(cf.Values[0].Reports) > 0 {
			firsts = append(firsts, cf.Values[0].Reports[0])
		}
	}
	formOf, err := s.DB().ReportForms(ctx, org, firsts)
	if err != nil {
		return err
	}
	formIDs := []int64{}
	for _, rep := range incidents {
		formIDs = append(formIDs, rep.FormID)
	}
	for _, f := range formOf {
		formIDs = append(formIDs, f)
	}
	forms, err := s.DB().FormsByID(ctx, formIDs)
	if err != nil {
		return err
	}
	for _, rep := range incidents {
		res := access.Resource{OrgID: rep.OrgID, Area: web.NonNilArea(rep.AreaPath)}
		in := dashIncident{ID: rep.ID, Place: placeOf(rep.AreaPath), Triage: rep.Triage, CanAct: s.Check(r, access.TriageIncident, res) == nil}
		if in.Triage == "" {
			in.Triage = "new"
		}
		var a form.Answers
		if err := json.Unmarshal(rep.Answers, &a); err != nil {
			return fmt.Errorf("report %d: %w", rep.ID, err)
		}
		if v, ok := a["category"]; ok {
			b, _ := json.Marshal(v)
			var q *form.Question
			if sf := forms[rep.FormID]; sf != nil {
				q = sf.Form.Question("category")
			}
			in.Category = valueLabel(q, b, lang, c.T("dash.yes"), c.T("dash.no"))
		}
		if v, ok := a["incident_time"]; ok {
			in.Time = v.String()
		}
		if v, ok := a["description"]; ok {
			in.Text = clipText(v.String(), 160)
		}
		d.Incidents = append(d.Incidents, in)
	}
	for _, rep := range queued {
		res := access.Resource{OrgID: rep.OrgID, Area: web.NonNilArea(rep.AreaPath)}
		d.Queue = append(d.Queue, dashQueued{ID: rep.ID, Form: rep.FormKey, Place: placeOf(rep.AreaPath), Status: rep.Status,
			QC: rep.QC, CanAct: s.Check(r, access.ReviewReport, res) == nil})
	}
	sort.SliceStable(d.Queue, func(i, j int) bool {
		return d.Queue[i].Status == store.StatusFlagged && d.Queue[j].Status != store.StatusFlagged
	})
	var areaIDs []int64
	for _, cf := range conflicts {
		areaIDs = append(areaIDs, cf.AreaID)
	}
	paths, err := s.DB().AreaPaths(ctx, areaIDs)
	if err != nil {
		return err
	}
	n, err := s.DB().ObsNodeCounts(ctx, org, eid, node)
	if err != nil {
		return err
	}
	d.Resolved = int(n.Conflicts - n.Open)
	for _, cf := range conflicts {
		path := paths[cf.AreaID]
		dc := dashConflict{AreaID: cf.AreaID, Place: placeOf(path), Phase: cf.Phase, Question: cf.Question, Label: cf.Question,
			CanAct: s.Check(r, access.ResolveConflict, access.Resource{OrgID: org, Area: web.NonNilArea(path)}) == nil}
		var q *form.Question
		if len(cf.Values) > 0 && len(cf.Values[0].Reports) > 0 {
			if sf := forms[formOf[cf.Values[0].Reports[0]]]; sf != nil {
				if q = sf.Form.Question(cf.Question); q != nil {
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
	sort.SliceStable(d.Conflicts, func(i, j int) bool { return d.Conflicts[i].Resolved == "" && d.Conflicts[j].Resolved != "" })
	return nil
}

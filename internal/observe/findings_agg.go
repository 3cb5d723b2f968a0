package observe

import (
	"context"
	"errors"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/agg"
	"github.com/vigil-elections/vigil/internal/store"
)

// Scope is the part of an election a principal's findings cover: a node
// of the aggregates (0 the whole country) with its path.
type Scope struct {
	Node int64
	Path []string
	// Kept is false when the node's figures are not kept (a coordinator
	// whose area is one station): findings are then computed from the
	// reports, which for one station is cheap.
	Kept bool
	// Outside is true when the principal's area is not an area of the
	// election: nothing is visible.
	Outside bool
}

// ScopeOf is the principal's scope in an election: a coordinator's area,
// everyone else the whole country.
func ScopeOf(ctx context.Context, db *store.DB, p access.Principal, electionID int64) (Scope, error) {
	if p.Role != access.Coordinator || len(p.Area) == 0 {
		return Scope{Kept: true}, nil
	}
	node, station, err := db.ObsNodeOf(ctx, electionID, p.Area)
	if errors.Is(err, store.ErrNotFound) {
		return Scope{Path: p.Area, Outside: true, Kept: true}, nil
	}
	if err != nil {
		return Scope{}, err
	}
	return Scope{Node: node, Path: p.Area, Kept: !station}, nil
}

// FindingsOf reads the findings of the principal's organisation in an
// election, in the principal's scope, from the aggregates the store keeps
// (O(regions), not O(reports)); with reports, the report ids behind each
// figure too (O(observations) rows, small ones). The figures are those of
// Dataset.Findings, which computes them from scratch.
func FindingsOf(ctx context.Context, db *store.DB, p access.Principal, electionID int64, reports bool) (*Findings, error) {
	e, err := db.Election(ctx, electionID)
	if err != nil {
		return nil, err
	}
	sc, err := ScopeOf(ctx, db, p, electionID)
	if err != nil {
		return nil, err
	}
	if !sc.Kept {
		ds, err := Load(ctx, db, p, electionID)
		if err != nil {
			return nil, err
		}
		return ds.Findings(), nil
	}
	f := &Findings{Election: e.Name, Phases: map[string]*PhaseFindings{}, ByArea: map[string]map[string]*PhaseFindings{}, Incidents: map[string]*IncidentStat{},
		Coverage: CoverageReport{ByArea: map[string]*Coverage{}}}
	for _, ph := range ReportedPhases {
		f.Phases[string(ph)] = finishedPhase()
	}
	if sc.Outside {
		return f, nil
	}
	org, election := p.OrgID, electionID
	node, err := db.ObsNodeCounts(ctx, org, election, sc.Node)
	if err != nil {
		return nil, err
	}
	f.Quarantined = int(node.Quarantined)
	f.Coverage.Total = coverageOfNode(node)
	// The regions: below the country, its level-1 areas; inside a
	// coordinator's area, that area under its region's name.
	regions := map[int64]string{}
	if sc.Node == 0 {
		children, err := db.ObsChildren(ctx, org, election, 0)
		if err != nil {
			return nil, err
		}
		for _, c := range children {
			regions[c.ID] = c.Name
			if c.Deployed > 0 {
				cv := coverageOfNode(c)
				f.Coverage.ByArea[c.Name] = &cv
			}
		}
	} else {
		regions[sc.Node] = sc.Path[0]
		if node.Deployed > 0 {
			cv := coverageOfNode(node)
			f.Coverage.ByArea[sc.Path[0]] = &cv
		}
	}
	nodes := []int64{sc.Node}
	for id := range regions {
		if id != sc.Node {
			nodes = append(nodes, id)
		}
	}
	stats, err := db.ObsStats(ctx, org, election, nodes)
	if err != nil {
		return nil, err
	}
	byNode := map[int64]map[string]*PhaseFindings{}
	phases := func(id int64) map[string]*PhaseFindings {
		if id == sc.Node {
			return f.Phases
		}
		m := byNode[id]
		if m == nil {
			m = map[string]*PhaseFindings{}
			for _, ph := range ReportedPhases {
				m[string(ph)] = finishedPhase()
			}
			byNode[id] = m
		}
		return m
	}
	regionUnits := map[int64]bool{}
	for _, s := range stats {
		if s.N == 0 {
			continue // a count that went up and down again
		}
		if s.Phase == "incident" {
			if s.Node == sc.Node {
				st := &IncidentStat{Reported: int(s.N), Confirmed: int(s.X), Reports: []int64{}}
				f.Incidents[s.Item] = st
			}
			continue
		}
		var m map[string]*PhaseFindings
		if s.Node == sc.Node {
			m = f.Phases
		} else if _, ok := regions[s.Node]; ok {
			m = phases(s.Node)
		}
		if pf := m[s.Phase]; pf != nil {
			applyStat(pf, s.Item, s.Stats)
		}
		if s.Item == agg.Units && s.N > 0 {
			if _, ok := regions[s.Node]; ok {
				regionUnits[s.Node] = true
			}
		}
	}
	for id, name := range regions {
		if !regionUnits[id] {
			continue
		}
		if id == sc.Node {
			// Inside a coordinator's area, its region's figures are its own.
			f.ByArea[name] = clonePhases(f.Phases)
			continue
		}
		f.ByArea[name] = byNode[id]
	}
	if reports {
		if err := fillReports(ctx, db, f, org, election, sc, regions); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func coverageOfNode(n store.ObsNode) Coverage {
	return Coverage{Deployed: int(n.Deployed), Reported: int(n.Reported), Missing: int(n.Deployed - n.Reported), Conflict: int(n.Conflicted)}
}

// applyStat sets one item's figures in a phase.
func applyStat(pf *PhaseFindings, item string, st agg.Stats) {
	cs := ClusterStats(st)
	switch {
	case item == agg.Overall:
		pf.Observed, pf.Negative = int(st.N), int(st.X)
		pf.Share, pf.CI95, pf.Clusters, pf.DesignEffect, pf.CIMethod = cs.Share, cs.CI95, cs.Clusters, cs.DesignEffect, cs.Method
	case len(item) > len(agg.Indicator) && item[:len(agg.Indicator)] == agg.Indicator:
		ind := item[len(agg.Indicator):]
		is := &IndicatorStat{Observed: int(st.N), Reported: int(st.X), Reports: []int64{}}
		is.Share, is.CI95, is.Clusters, is.DesignEffect, is.CIMethod = cs.Share, cs.CI95, cs.Clusters, cs.DesignEffect, cs.Method
		pf.Indicators[ind] = is
	}
}

// finishedPhase is a phase with the figures Compute gives one nobody
// assessed (its overall statistic, when there is one, replaces them).
func finishedPhase() *PhaseFindings {
	pf := newPhase()
	cs := ClusterStats(agg.Stats{})
	pf.Share, pf.CI95, pf.Clusters, pf.DesignEffect, pf.CIMethod = cs.Share, cs.CI95, cs.Clusters, cs.DesignEffect, cs.Method
	return pf
}

func clonePhases(m map[string]*PhaseFindings) map[string]*PhaseFindings {
	out := map[string]*PhaseFindings{}
	for k, pf := range m {
		c := *pf
		c.Indicators = map[string]*IndicatorStat{}
		for ind, st := range pf.Indicators {
			s := *st
			c.Indicators[ind] = &s
		}
		out[k] = &c
	}
	return out
}

// fillReports adds the report ids behind each figure, from the stored
// observations.
func fillReports(ctx context.Context, db *store.DB, f *Findings, org, election int64, sc Scope, regions map[int64]string) error {
	return db.ObsUnits(ctx, org, election, sc.Node, func(u *store.ObsUnit) error {
		if u.Phase == "incident" {
			for _, h := range u.Hits {
				if st := f.Incidents[h.Item]; st != nil {
					st.Reports = append(st.Reports, u.Reports...)
				}
			}
			return nil
		}
		targets := [2]*PhaseFindings{f.Phases[u.Phase]}
		if name, ok := regions[u.Region]; ok && sc.Node == 0 {
			if m := f.ByArea[name]; m != nil {
				targets[1] = m[u.Phase]
			}
		} else if sc.Node != 0 {
			if m := f.ByArea[sc.Path[0]]; m != nil {
				targets[1] = m[u.Phase]
			}
		}
		neg, observed := u.Hit(agg.Overall)
		for _, pf := range targets {
			if pf == nil {
				continue
			}
			if observed {
				pf.ObservedReports = append(pf.ObservedReports, u.Reports...)
				if neg {
					pf.NegativeReports = append(pf.NegativeReports, u.Reports...)
				}
			}
			for _, h := range u.Hits {
				if h.Hit && len(h.Item) > len(agg.Indicator) && h.Item[:len(agg.Indicator)] == agg.Indicator {
					if st := pf.Indicators[h.Item[len(agg.Indicator):]]; st != nil {
						st.Reports = append(st.Reports, u.Reports...)
					}
				}
			}
		}
		return nil
	})
}

// ConflictsOf lists the conflicts in the principal's scope (unresolved
// only when open), from the aggregates: the same list Conflicts computes
// from the reports.
func ConflictsOf(ctx context.Context, db *store.DB, p access.Principal, electionID int64, open bool) ([]Conflict, error) {
	sc, err := ScopeOf(ctx, db, p, electionID)
	if err != nil {
		return nil, err
	}
	if sc.Outside {
		return []Conflict{}, nil
	}
	if !sc.Kept {
		ds, err := Load(ctx, db, p, electionID)
		if err != nil {
			return nil, err
		}
		out := []Conflict{}
		for _, c := range Conflicts(ds.Obs, ds.Resolved) {
			if !open || c.Resolved == nil {
				out = append(out, c)
			}
		}
		return out, nil
	}
	return db.ObsConflicts(ctx, p.OrgID, electionID, sc.Node, open, 0)
}

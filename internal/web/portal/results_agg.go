package portal

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
)

// The results that one source gives are read from the aggregates the store
// maintains as protocols arrive (store/aggregates.go): an area page, the
// tally API and the results JSON cost the rows they show, whatever the
// size of the election. A fallback list of sources (?source=a,b) is still
// tabulated in memory from the protocols (web.Server.PortalTally).

// singleSource reports the one source of sel, if it names one.
func singleSource(sel tally.Selector) (election.Source, bool) {
	if len(sel.Sources) == 1 {
		return sel.Sources[0], true
	}
	if len(sel.Sources) == 0 {
		return tally.DefaultSources[0], len(tally.DefaultSources) == 1
	}
	return "", false
}

// resultArea resolves an area key ("root", "" or an id) of an election;
// bad and missing ids answer as areaIndex and areaIndexParam do.
func (s *room) resultArea(ctx context.Context, e *election.Election, key string, field string) (election.Area, error) {
	if key == "" || key == "root" {
		a, err := s.DB().RootArea(ctx, e.ID)
		if errors.Is(err, store.ErrNotFound) {
			return a, web.Errorf(web.NotFound, "election %q has no areas", e.Name)
		}
		return a, err
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		if field != "" {
			return election.Area{}, &web.Error{Code: web.Invalid, Message: "area: want an area id", Field: field}
		}
		return election.Area{}, web.Errorf(web.Invalid, "area %q: want a number or \"root\"", key)
	}
	a, err := s.DB().Area(ctx, e.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, web.Errorf(web.NotFound, "area %d is not in election %q", id, e.Name)
	}
	return a, err
}

// aggNode returns the tally node of an area and depth levels below it, for
// one source, from the aggregates, with the aggregates' rows.
func (s *room) aggNode(ctx context.Context, e *election.Election, src election.Source, a election.Area, depth int) (*tally.Node, []*store.AreaResult, error) {
	rows, err := s.DB().ResultTree(ctx, e.ID, src, a.ID, depth)
	if err != nil {
		return nil, nil, err
	}
	sums := make([]tally.AreaSums, len(rows))
	for i, r := range rows {
		sums[i] = tally.AreaSums{Area: r.Area, Stations: r.Stations, Figures: r.Figures, Votes: r.Votes}
	}
	return tally.TreeOf(e, sums), rows, nil
}

// areaDataAgg is areaData from the aggregates.
func (s *room) areaDataAgg(ctx context.Context, d *areaPage, e *election.Election, src election.Source, a election.Area, q url.Values) error {
	ancestors, err := s.DB().AreaAncestors(ctx, e.ID, a.ID)
	if err != nil {
		return err
	}
	for _, pa := range ancestors {
		d.Crumbs = append(d.Crumbs, crumb{pa.ID, pa.Name})
	}
	if len(d.Crumbs) > 0 && d.Crumbs[0].Name == e.Name {
		d.Crumbs[0].Name = e.Title() // the root area is named by the election's slug
	}
	node, rows, err := s.aggNode(ctx, e, src, a, 1)
	if err != nil {
		return err
	}
	d.Area = node.Area
	if d.Expected, err = s.DB().StationsUnder(ctx, e.ID, a); err != nil {
		return err
	}
	d.fillTotals(e, node, q)
	if len(node.Children) > 0 {
		differs := make(map[int64]int, len(rows))
		for _, r := range rows {
			differs[r.Area.ID] = r.Differs
		}
		d.fillChildren(e, node, q, func(c *tally.Node) int { return differs[c.Area.ID] })
	}
	if !a.Station {
		if d.Padded, err = s.paddedBelowAgg(ctx, e, a); err != nil {
			return err
		}
	}
	if err := s.fillProtocols(ctx, e, d, node); err != nil {
		return err
	}
	if a.Station {
		d.Differs = rows[0].Differs > 0
	}
	return nil
}

// paddedBelowAgg is paddedBelow from the aggregates: every current summary
// protocol under a against the sums of its stations' official final
// protocols.
func (s *room) paddedBelowAgg(ctx context.Context, e *election.Election, a election.Area) ([]paddedSummary, error) {
	ps, areas, err := s.DB().SummaryProtocols(ctx, e.ID, a)
	if err != nil {
		return nil, err
	}
	rep := election.NewReport()
	path := map[int64]string{}
	for i, p := range ps {
		if areas[i].Station {
			continue
		}
		rows, err := s.DB().ResultTree(ctx, e.ID, tally.DefaultSources[0], p.AreaID, 0)
		if err != nil {
			return nil, err
		}
		n, err := s.DB().StationsUnder(ctx, e.ID, areas[i])
		if err != nil {
			return nil, err
		}
		rep.CheckSummaryTotals(e, p, rows[0].SummaryTotals(n, len(e.Options)))
		path[p.AreaID] = strings.Join(areas[i].Path, " / ")
	}
	byArea := map[int64]*paddedSummary{}
	var out []*paddedSummary
	for _, f := range rep.Flags {
		if f.Code != election.CodeSummaryFigure && f.Code != election.CodeSummaryVotes {
			continue
		}
		p := byArea[f.AreaID]
		if p == nil {
			p = &paddedSummary{ID: f.AreaID, Path: path[f.AreaID]}
			byArea[f.AreaID] = p
			out = append(out, p)
		}
		if !slices.Contains(p.Codes, f.Code) {
			p.Codes = append(p.Codes, f.Code)
		}
		diff := f.Difference
		if diff < 0 {
			diff = -diff
		}
		p.Most = max(p.Most, diff)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Most > out[j].Most })
	res := make([]paddedSummary, len(out))
	for i, p := range out {
		res[i] = *p
	}
	return res, nil
}

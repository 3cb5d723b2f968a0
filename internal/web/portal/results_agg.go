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

// resultArea resolves an area key ("root", "" or an id) of an election,
// from the portal's database, where its results are read too; bad and
// missing ids answer as areaIndex and areaIndexParam do.
func (s *room) resultArea(ctx context.Context, e *election.Election, key string, field string) (election.Area, error) {
	id, err := areaKey(key, field)
	if err != nil || id == 0 {
		return s.rootArea(ctx, s.PortalDB(), e, err)
	}
	a, err := s.PortalDB().Area(ctx, e.ID, id)
	return a, areaNotFound(e, id, err)
}

// resultAreaUp is resultArea with the area's ancestors (root first), read
// in one statement from the portal's database, for a results page.
func (s *room) resultAreaUp(ctx context.Context, e *election.Election, key string) (election.Area, []election.Area, error) {
	id, err := areaKey(key, "")
	if err != nil || id == 0 {
		a, err := s.rootArea(ctx, s.PortalDB(), e, err)
		return a, nil, err
	}
	a, up, err := s.PortalDB().AreaWithAncestors(ctx, e.ID, id)
	return a, up, areaNotFound(e, id, err)
}

// areaKey parses an area key: 0 for the root.
func areaKey(key, field string) (int64, error) {
	if key == "" || key == "root" {
		return 0, nil
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		if field != "" {
			return 0, &web.Error{Code: web.Invalid, Message: "area: want an area id", Field: field}
		}
		return 0, web.Errorf(web.Invalid, "area %q: want a number or \"root\"", key)
	}
	return id, nil
}

// rootArea is the election's root area, unless err (areaKey's) is set.
func (s *room) rootArea(ctx context.Context, db *store.DB, e *election.Election, err error) (election.Area, error) {
	if err != nil {
		return election.Area{}, err
	}
	a, err := db.RootArea(ctx, e.ID)
	if errors.Is(err, store.ErrNotFound) {
		return a, web.Errorf(web.NotFound, "election %q has no areas", e.Name)
	}
	return a, err
}

func areaNotFound(e *election.Election, id int64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(web.NotFound, "area %d is not in election %q", id, e.Name)
	}
	return err
}

// aggNode returns the tally node of an area and depth levels below it, for
// one source, from the aggregates, with the aggregates' rows.
func (s *room) aggNode(ctx context.Context, e *election.Election, src election.Source, a election.Area, depth int) (*tally.Node, []*store.AreaResult, error) {
	rows, err := s.PortalDB().ResultTree(ctx, e.ID, src, a.ID, depth)
	if err != nil {
		return nil, nil, err
	}
	return nodeOf(e, rows), rows, nil
}

func nodeOf(e *election.Election, rows []*store.AreaResult) *tally.Node {
	sums := make([]tally.AreaSums, len(rows))
	for i, r := range rows {
		sums[i] = tally.AreaSums{Area: r.Area, Stations: r.Stations, Figures: r.Figures, Votes: r.Votes}
	}
	return tally.TreeOf(e, sums)
}

// areaDataAgg is areaData from the aggregates, for area a below ancestors
// (root first). A polling station's page reads its results and versions
// in one statement (StationResults): with its area and breadcrumbs, two
// statements a cold page, plus one for photos when an observer's copy is
// among its versions.
func (s *room) areaDataAgg(ctx context.Context, d *areaPage, e *election.Election, src election.Source, a election.Area, ancestors []election.Area, q url.Values) error {
	for _, pa := range ancestors {
		d.Crumbs = append(d.Crumbs, crumb{pa.ID, pa.Name})
	}
	if len(d.Crumbs) > 0 && d.Crumbs[0].Name == e.Name {
		d.Crumbs[0].Name = e.Title() // the root area is named by the election's slug
	}
	if a.Station {
		r, ps, err := s.PortalDB().StationResults(ctx, e.ID, src, a)
		if err != nil {
			return err
		}
		node := nodeOf(e, []*store.AreaResult{r})
		d.Area = node.Area
		d.Expected = 1
		d.fillTotals(e, node, q)
		s.fillStationProtocols(ctx, e, d, ps)
		d.Differs = r.Differs > 0
		return nil
	}
	node, rows, err := s.aggNode(ctx, e, src, a, 1)
	if err != nil {
		return err
	}
	d.Area = node.Area
	if d.Expected, err = s.PortalDB().StationsUnder(ctx, e.ID, a); err != nil {
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
	if d.Padded, err = s.paddedBelowAgg(ctx, e, a); err != nil {
		return err
	}
	return s.fillProtocols(ctx, e, d, node)
}

// paddedBelowAgg is paddedBelow from the aggregates: every current summary
// protocol under a against the sums of its stations' official final
// protocols.
func (s *room) paddedBelowAgg(ctx context.Context, e *election.Election, a election.Area) ([]paddedSummary, error) {
	ps, areas, err := s.PortalDB().SummaryProtocols(ctx, e.ID, a)
	if err != nil {
		return nil, err
	}
	rep := election.NewReport()
	path := map[int64]string{}
	for i, p := range ps {
		if areas[i].Station {
			continue
		}
		rows, err := s.PortalDB().ResultTree(ctx, e.ID, tally.DefaultSources[0], p.AreaID, 0)
		if err != nil {
			return nil, err
		}
		n, err := s.PortalDB().StationsUnder(ctx, e.ID, areas[i])
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

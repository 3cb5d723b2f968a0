package portal

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/chart"
)

// crumb is one ancestor in the breadcrumb.
type crumb struct {
	ID   int64
	Name string
}

// childRow is one child area in the list of an area page.
type childRow struct {
	ID         int64
	Name       string
	Station    bool
	Stations   int
	Registered int64
	Turnout    float64 // −1 when unknown
	Shares     []float64
	Differs    int // stations under it whose protocol versions disagree
}

// optionShare is one option's result at an area.
type optionShare struct {
	Name       string
	AgainstAll bool
	Votes      int64
	Share      float64
	Leader     bool
}

type areaPage struct {
	C             web.PageCommon
	Area          *election.Area
	Crumbs        []crumb
	Source        string          // the ?source= value, "" for the default
	ByVotes       bool            // ?order=votes: the options by votes, not ballot order
	Padded        []paddedSummary // summaries below this area that differ from their stations' sum
	Sources       []election.Source
	Stations      int
	Expected      int // stations under the area
	Figures       map[string]int64
	Turnout       float64
	Options       []optionShare
	OptionRows    template.HTML // Options written out (writeCells)
	Children      []childRow
	ChildCount    int
	ChildStations bool
	Sort, Dir     string
	Filter        string
	OnlyDiff      bool
	ChildLevel    string
	Base          string // the request URI, for the sort links
	// Station pages.
	Protocols []*election.Protocol
	Figs      []figureRow
	Votes     []voteRow
	Flags     []election.Flag
	Photos    map[int64]string // protocol id → photo URL (observation reports may carry one)
	FlagCount map[int64]int    // protocol id → failed controls
	Differs   bool
	// Higher areas: the commission's summary protocols against the sum of
	// the stations' protocols (the first column).
	Summaries []*election.Protocol
	// The versions' and the summaries' column heads, written out
	// (writeCells).
	VersionHeads, SummaryHeads template.HTML
	VersionRows, SummaryRows   template.HTML // Figs and Votes, SumFigs and SumVotes written out
	SourceOptions              template.HTML // the source selector's options written out
	SumFigs                    []figureRow
	SumVotes                   []voteRow
}

// voteRow is one option across a station's protocol versions.
type voteRow struct {
	Name   string
	Values []figureCell
	Cells  template.HTML // Values written out (writeCells)
}

func (s *room) pageArea(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	return s.ServePage(w, r, s.PageKey(r), stamp, "text/html; charset=utf-8", func(r *http.Request) ([]byte, error) {
		if src, ok := singleSource(sel); ok {
			a, up, err := s.resultAreaUp(r.Context(), e, r.PathValue("area"))
			if err != nil {
				return nil, err
			}
			d := s.newAreaPage(r, e, &a)
			if err := s.areaDataAgg(r.Context(), d, e, src, a, up, r.URL.Query()); err != nil {
				return nil, err
			}
			d.writeCells(s.CatalogueFor(r))
			return s.RenderBytes(r, "area.html", d)
		}
		ent, err := s.PortalTally(r.Context(), e, sel, stamp)
		if err != nil {
			return nil, err
		}
		i, err := areaIndex(r, e, ent.Result.Index)
		if err != nil {
			return nil, err
		}
		data, err := s.areaData(r, e, ent, i)
		if err != nil {
			return nil, err
		}
		data.writeCells(s.CatalogueFor(r))
		return s.RenderBytes(r, "area.html", data)
	})
}

// areaIndex resolves the {area} of the path ("root" or an id) in the index.
func areaIndex(r *http.Request, e *election.Election, ix *tally.Index) (int, error) {
	key := r.PathValue("area")
	if key == "root" || key == "" {
		if roots := ix.Roots(); len(roots) > 0 {
			return int(roots[0]), nil
		}
		return 0, web.Errorf(web.NotFound, "election %q has no areas", e.Name)
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return 0, web.Errorf(web.Invalid, "area %q: want a number or \"root\"", key)
	}
	i, ok := ix.Lookup(id)
	if !ok {
		return 0, web.Errorf(web.NotFound, "area %d is not in election %q", id, e.Name)
	}
	return i, nil
}

func turnoutOf(f election.Figures) float64 {
	reg, ok := f.Get(election.Registered)
	iss, ok2 := f.Get(election.BallotsIssued)
	if !ok || !ok2 || reg <= 0 {
		return -1
	}
	return float64(iss) / float64(reg)
}

func (s *room) areaData(r *http.Request, e *election.Election, ent *web.TallyEntry, i int) (*areaPage, error) {
	res := ent.Result
	ix := res.Index
	a := ix.Area(i)
	d := s.newAreaPage(r, e, a)
	for p := a.ParentID; p != 0; {
		j, ok := ix.Lookup(p)
		if !ok {
			break
		}
		pa := ix.Area(j)
		d.Crumbs = append([]crumb{{pa.ID, pa.Name}}, d.Crumbs...)
		p = pa.ParentID
	}
	if len(d.Crumbs) > 0 && d.Crumbs[0].Name == e.Name {
		d.Crumbs[0].Name = e.Title() // the root area is named by the election's slug
	}
	node := res.Node(i, a.Level+1)
	d.Expected = len(ix.Stations(i))
	d.fillTotals(e, node, r.URL.Query())
	diffs := s.diffsFor(e, ent)
	if len(node.Children) > 0 {
		d.fillChildren(e, node, r.URL.Query(), func(c *tally.Node) int {
			j, _ := ix.Lookup(c.Area.ID)
			return diffs.under(ix, j)
		})
	}
	if !a.Station {
		d.Padded = paddedBelow(e, ent, a)
	}
	if err := s.fillProtocols(r.Context(), e, d, node); err != nil {
		return nil, err
	}
	if a.Station {
		d.Differs = diffs.areas[a.ID]
	}
	return d, nil
}

// newAreaPage starts the page of area a: its titles and links.
func (s *room) newAreaPage(r *http.Request, e *election.Election, a *election.Area) *areaPage {
	d := &areaPage{Area: a, Source: r.URL.Query().Get("source"), Sources: election.Sources[:4], Base: r.URL.RequestURI()}
	title := e.Title()
	if a.ParentID != 0 {
		title = a.Name + " · " + title
	}
	d.C = s.Common(r, e, title, "nav.results")
	if a.Level == 0 {
		d.C.Title = e.Title()
	}
	return d
}

// fillTotals sets the area's own figures and options from its node.
func (d *areaPage) fillTotals(e *election.Election, node *tally.Node, q url.Values) {
	d.Stations = node.Stations
	d.Figures = node.Figures.Map()
	d.Turnout = turnoutOf(node.Figures)
	valid := node.Figures.Value(election.Valid)
	lead := -1
	for k, v := range node.Votes {
		if lead < 0 || v > node.Votes[lead] {
			lead = k
		}
	}
	for _, o := range e.Options {
		if o.Position >= len(node.Votes) {
			continue
		}
		v := node.Votes[o.Position]
		sh := -1.0
		if valid > 0 {
			sh = float64(v) / float64(valid)
		}
		d.Options = append(d.Options, optionShare{Name: o.Name, AgainstAll: o.Kind == election.AgainstAll, Votes: v, Share: sh, Leader: o.Position == lead && v > 0})
	}
	// Ballot order by default (what the ballot and the protocol show); by
	// votes on request.
	if d.ByVotes = q.Get("order") == "votes"; d.ByVotes {
		sort.SliceStable(d.Options, func(i, j int) bool { return d.Options[i].Votes > d.Options[j].Votes })
	}
}

// fillChildren lists the node's children, filtered and sorted as the query
// asks; differs counts a child's stations whose sources disagree.
func (d *areaPage) fillChildren(e *election.Election, node *tally.Node, q url.Values, differs func(c *tally.Node) int) {
	d.ChildLevel = e.Config.LevelName(node.Children[0].Area.Level)
	d.ChildCount = len(node.Children)
	d.ChildStations = node.Children[0].Area.Station
	d.Sort, d.Dir, d.Filter, d.OnlyDiff = q.Get("sort"), q.Get("dir"), strings.TrimSpace(q.Get("q")), q.Get("differs") == "1"
	filter := strings.ToLower(d.Filter)
	for _, c := range node.Children {
		if filter != "" && !strings.Contains(strings.ToLower(c.Area.Name), filter) {
			continue
		}
		row := childRow{ID: c.Area.ID, Name: c.Area.Name, Station: c.Area.Station, Stations: c.Stations,
			Registered: c.Figures.Value(election.Registered), Turnout: turnoutOf(c.Figures), Differs: differs(c)}
		cv := c.Figures.Value(election.Valid)
		for _, o := range e.Options {
			sh := -1.0
			if cv > 0 && o.Position < len(c.Votes) {
				sh = float64(c.Votes[o.Position]) / float64(cv)
			}
			row.Shares = append(row.Shares, sh)
		}
		if d.OnlyDiff && row.Differs == 0 {
			continue
		}
		d.Children = append(d.Children, row)
	}
	sortChildren(d.Children, d.Sort, d.Dir == "desc")
}

// fillProtocols lays out the protocols of the area itself: a higher
// area's summary versions against its stations' sum (node), a station's
// every version with its failed controls.
func (s *room) fillProtocols(ctx context.Context, e *election.Election, d *areaPage, node *tally.Node) error {
	a := d.Area
	if !a.Station && a.Level > 0 {
		ps, err := s.PortalDB().AreaProtocols(ctx, e.ID, a.ID)
		if err != nil {
			return err
		}
		if len(ps) > 0 {
			// The stations' sum as a protocol of its own, the reference
			// column every summary version is compared with.
			sum := &election.Protocol{Source: "", Figures: node.Figures, Votes: node.Votes}
			cols := append([]*election.Protocol{sum}, ps...)
			d.Summaries = ps
			d.SumFigs = compareRows(cols, 0)
			d.SumVotes = compareVotes(e, cols, 0)
		}
	}
	if a.Station {
		ps, err := s.PortalDB().AreaProtocols(ctx, e.ID, a.ID)
		if err != nil {
			return err
		}
		s.fillStationProtocols(ctx, e, d, ps)
	}
	return nil
}

// fillStationProtocols lays out a station's every version (ps) with its
// failed controls and photos.
func (s *room) fillStationProtocols(ctx context.Context, e *election.Election, d *areaPage, ps []*election.Protocol) {
	// Columns in the order the versions arise: preliminary, final,
	// observer, recount, summary; versions in order within a source.
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Source != ps[j].Source {
			return sourceRank(ps[i].Source) < sourceRank(ps[j].Source)
		}
		return ps[i].Version < ps[j].Version
	})
	d.Protocols = ps
	d.Figs = figureRows(ps)
	d.Votes = voteRows(e, ps)
	flagged := map[int64]map[string]bool{}
	d.FlagCount = map[int64]int{}
	for _, p := range ps {
		fl := election.Check(e, p)
		d.Flags = append(d.Flags, fl...)
		d.FlagCount[p.ID] = len(fl)
		for _, f := range fl {
			if flagged[p.ID] == nil {
				flagged[p.ID] = map[string]bool{}
			}
			for name := range f.Figures {
				flagged[p.ID][name] = true
			}
			if f.Item != "" {
				flagged[p.ID][f.Item] = true
			}
		}
	}
	markFlagged(e, ps, d.Figs, d.Votes, flagged)
	d.Photos = s.protocolPhotos(ctx, e, ps)
}

// writeCells writes the cells of the versions' and the summaries' tables,
// then those tables' heads and rows, the votes table's rows and the source
// selector's options: what the template wrote with reflective calls on
// every page. A station page has a cell per figure and version, each half
// a dozen such calls: a quarter of the page's rendering.
func (d *areaPage) writeCells(c *web.Catalogue) {
	differs := web.EscapeText(c.T("station.differs_cell"))
	flagged := web.EscapeText(c.T("station.flagged_cell"))
	var b strings.Builder
	write := func(vs []figureCell) template.HTML {
		b.Reset()
		for _, v := range vs {
			b.WriteString(`<td class="n`)
			if v.Differs {
				b.WriteString(" diff")
			}
			if v.Flagged {
				b.WriteString(" flagged")
			}
			b.WriteString(`">`)
			if v.Flagged {
				b.WriteString(`<span aria-hidden="true">⚠ </span>`)
			}
			if v.Known {
				b.WriteString(web.EscapeText(chart.FormatInt(v.Value)))
				if v.Differs {
					b.WriteString(` <span class="sr">(` + differs + `)</span>`)
				}
			} else {
				b.WriteString("–")
			}
			if v.Flagged {
				b.WriteString(` <span class="sr">(` + flagged + `)</span>`)
			}
			b.WriteString("</td>")
		}
		return template.HTML(b.String())
	}
	for _, rows := range [][]figureRow{d.Figs, d.SumFigs} {
		for i := range rows {
			rows[i].Cells = write(rows[i].Values)
		}
	}
	d.OptionRows = writeOptionRows(c, d.Options)
	d.VersionHeads = writeVersionHeads(c, d.Protocols, d.FlagCount)
	d.SummaryHeads = writeVersionHeads(c, d.Summaries, nil)
	for _, rows := range [][]voteRow{d.Votes, d.SumVotes} {
		for i := range rows {
			rows[i].Cells = write(rows[i].Values)
		}
	}
	d.VersionRows = writeVersionRows(c, d.Figs, d.Votes)
	d.SummaryRows = writeVersionRows(c, d.SumFigs, d.SumVotes)
	d.SourceOptions = writeSourceOptions(c, d.Sources, d.Source)
}

// writeSourceOptions writes the options of the page's source selector,
// the one asked for (?source=, else the official final protocols)
// selected, as the template wrote them: five reflective calls a source on
// every page.
func writeSourceOptions(c *web.Catalogue, sources []election.Source, asked string) template.HTML {
	if asked == "" {
		asked = string(election.OfficialFinal)
	}
	var b strings.Builder
	for _, src := range sources {
		b.WriteString(`<option value="`)
		b.WriteString(web.EscapeText(string(src)))
		b.WriteString(`"`)
		if string(src) == asked {
			b.WriteString(" selected")
		}
		b.WriteString(">")
		b.WriteString(web.EscapeText(c.T("source." + string(src))))
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// writeVersionRows writes the body of a table of protocol versions (or of
// summaries): a row a figure, a blank line, a row an option, each row its
// name and its cells (writeCells), as the template wrote them: three
// reflective calls a row on every station page.
func writeVersionRows(c *web.Catalogue, figs []figureRow, votes []voteRow) template.HTML {
	var b strings.Builder
	for _, f := range figs {
		b.WriteString(`<tr><th scope="row">`)
		b.WriteString(web.EscapeText(c.T("figure." + f.Name)))
		b.WriteString("</th>")
		b.WriteString(string(f.Cells))
		b.WriteString("</tr>\n")
	}
	b.WriteString("\n")
	againstAll := web.EscapeText(c.T("option.against_all"))
	for _, v := range votes {
		b.WriteString(`<tr><th scope="row">`)
		if v.Name == "Against all" {
			b.WriteString(againstAll)
		} else {
			b.WriteString(web.EscapeText(v.Name))
		}
		b.WriteString("</th>")
		b.WriteString(string(v.Cells))
		b.WriteString("</tr>\n")
	}
	return template.HTML(b.String())
}

// writeOptionRows writes the rows of the votes table, as the template
// wrote them: six reflective calls an option on every page.
func writeOptionRows(c *web.Catalogue, os []optionShare) template.HTML {
	var b strings.Builder
	againstAll := web.EscapeText(c.T("option.against_all"))
	for _, o := range os {
		b.WriteString("<tr")
		if o.Leader {
			b.WriteString(` class="leader"`)
		}
		b.WriteString(`><th scope="row">`)
		if o.AgainstAll {
			b.WriteString(againstAll)
		} else {
			b.WriteString(web.EscapeText(o.Name))
		}
		b.WriteString(`</th><td class="n">`)
		b.WriteString(web.EscapeText(chart.FormatInt(o.Votes)))
		b.WriteString(`</td><td class="n">`)
		b.WriteString(web.EscapeText(c.Pct(o.Share)))
		b.WriteString(`</td><td class="bar" aria-hidden="true"><span style="`)
		b.WriteString(web.EscapeText(web.BarWidth(o.Share)))
		b.WriteString("\"></span></td></tr>\n")
	}
	return template.HTML(b.String())
}

// writeVersionHeads writes the column heads of a table of protocol
// versions, as the template wrote them: each version's source and number,
// and a badge with its failed controls when flagCount has them.
func writeVersionHeads(c *web.Catalogue, ps []*election.Protocol, flagCount map[int64]int) template.HTML {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(`<th scope="col" class="n" data-source="`)
		b.WriteString(web.EscapeText(string(p.Source)))
		b.WriteString(`">`)
		b.WriteString(web.EscapeText(c.T("source." + string(p.Source))))
		b.WriteString(" v")
		b.WriteString(web.EscapeText(strconv.Itoa(p.Version)))
		if n := flagCount[p.ID]; n != 0 {
			b.WriteString(` <a class="badge" href="#flags-h" title="`)
			b.WriteString(web.EscapeText(c.N("station.flags_n", n)))
			b.WriteString(`">⚠ `)
			b.WriteString(web.EscapeText(strconv.Itoa(n)))
			b.WriteString("</a>")
		}
		b.WriteString("</th>")
	}
	return template.HTML(b.String())
}

func sourceRank(s election.Source) int {
	for i, x := range election.Sources {
		if x == s {
			return i
		}
	}
	return len(election.Sources)
}

// protocolPhotos returns the photo of each protocol that has one, by
// protocol id: the protocol photo sent with the observation report that
// created an observer version. The station page shows each one beside its
// version's column.
func (s *room) protocolPhotos(ctx context.Context, e *election.Election, ps []*election.Protocol) map[int64]string {
	var ids []int64
	for _, p := range ps {
		if p.Source == election.Observer {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m, err := s.PortalDB().ProtocolPhotos(ctx, e.ID, ids, form.ProtocolPhotoID)
	if err != nil {
		s.Log().Error("protocol photos", "err", err)
		return nil
	}
	out := map[int64]string{}
	for pid, phs := range m {
		if len(phs) > 0 {
			out[pid] = fmt.Sprintf("/elections/%d/photos/%d", e.ID, phs[len(phs)-1])
		}
	}
	return out
}

func sortChildren(rows []childRow, key string, desc bool) {
	less := func(a, b *childRow) bool { return a.Name < b.Name }
	switch {
	case key == "stations":
		less = func(a, b *childRow) bool { return a.Stations < b.Stations }
	case key == "registered":
		less = func(a, b *childRow) bool { return a.Registered < b.Registered }
	case key == "turnout":
		less = func(a, b *childRow) bool { return a.Turnout < b.Turnout }
	case key == "differs":
		less = func(a, b *childRow) bool { return a.Differs < b.Differs }
	case strings.HasPrefix(key, "option"):
		k, err := strconv.Atoi(strings.TrimPrefix(key, "option"))
		if err == nil && len(rows) > 0 && k >= 0 && k < len(rows[0].Shares) {
			less = func(a, b *childRow) bool { return a.Shares[k] < b.Shares[k] }
		}
	case key == "" || key == "name":
		if !desc {
			return // the index's order: stations by number, areas as imported
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(&rows[j], &rows[i])
		}
		return less(&rows[i], &rows[j])
	})
}

// figureRow is one figure across a station's protocol versions, with the
// versions that differ from the official final one (else the first) marked.
type figureRow struct {
	Name   string
	Values []figureCell
	Cells  template.HTML // Values written out (writeCells)
}

type figureCell struct {
	Value   int64
	Known   bool
	Differs bool
	Flagged bool // an arithmetic control failed on this figure of this version
}

// reference is the version the others are compared with: the latest
// official final protocol, else the first.
func reference(ps []*election.Protocol) int {
	ref := 0
	for i, p := range ps {
		if p.Source == election.OfficialFinal {
			ref = i
		}
	}
	return ref
}

func figureRows(ps []*election.Protocol) []figureRow {
	if len(ps) == 0 {
		return nil
	}
	return compareRows(ps, reference(ps))
}

// compareRows lays out every figure any of ps states, marking the values
// that differ from ps[refIdx].
func compareRows(ps []*election.Protocol, refIdx int) []figureRow {
	ref := ps[refIdx]
	var rows []figureRow
	for f := election.Figure(0); f < election.NumFigures; f++ {
		row := figureRow{Name: f.String()}
		known := false
		first, fok := ref.Figures.Get(f)
		for _, p := range ps {
			v, ok := p.Figures.Get(f)
			known = known || ok
			row.Values = append(row.Values, figureCell{Value: v, Known: ok, Differs: ok && fok && v != first})
		}
		if known {
			rows = append(rows, row)
		}
	}
	return rows
}

func voteRows(e *election.Election, ps []*election.Protocol) []voteRow {
	if len(ps) == 0 {
		return nil
	}
	return compareVotes(e, ps, reference(ps))
}

func compareVotes(e *election.Election, ps []*election.Protocol, refIdx int) []voteRow {
	ref := ps[refIdx]
	var rows []voteRow
	for _, o := range e.Options {
		row := voteRow{Name: o.Name}
		for _, p := range ps {
			c := figureCell{}
			if o.Position < len(p.Votes) {
				c.Value, c.Known = p.Votes[o.Position], true
				c.Differs = o.Position < len(ref.Votes) && c.Value != ref.Votes[o.Position]
			}
			row.Values = append(row.Values, c)
		}
		rows = append(rows, row)
	}
	return rows
}

// markFlagged marks the cells of the figures (and, for the sum of the
// votes, every vote) that a failed control read, version by version.
func markFlagged(e *election.Election, ps []*election.Protocol, figs []figureRow, votes []voteRow, flagged map[int64]map[string]bool) {
	for k, p := range ps {
		set := flagged[p.ID]
		if len(set) == 0 {
			continue
		}
		for i := range figs {
			if set[figs[i].Name] {
				figs[i].Values[k].Flagged = true
			}
		}
		for i := range votes {
			if set["options_total"] || set["votes:"+votes[i].Name] || set[votes[i].Name] {
				votes[i].Values[k].Flagged = true
			}
		}
	}
}

// diffSet marks the stations whose latest protocol versions of different
// sources (official preliminary and final, observer, recount) disagree.
type diffSet struct {
	areas map[int64]bool
}

func (d *diffSet) under(ix *tally.Index, i int) int {
	if len(d.areas) == 0 {
		return 0
	}
	a := ix.Area(i)
	if a.Station {
		if d.areas[a.ID] {
			return 1
		}
		return 0
	}
	n := 0
	for _, j := range ix.Stations(i) {
		if d.areas[ix.Area(int(j)).ID] {
			n++
		}
	}
	return n
}

// diffCache keeps the diffSet of the latest tabulations, by election and
// stamp: computing one scans every protocol.
type diffCache struct {
	mu sync.Mutex
	m  map[string]*diffSet
}

func (s *room) diffsFor(e *election.Election, ent *web.TallyEntry) *diffSet {
	key := strconv.FormatInt(e.ID, 10) + "|" + ent.Stamp()
	c := &s.diffs
	c.mu.Lock()
	d, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return d
	}
	d = &diffSet{areas: map[int64]bool{}}
	first := map[int64]*election.Protocol{}
	for _, p := range ent.All {
		if p.Source == election.Summary {
			continue
		}
		q, ok := first[p.AreaID]
		if !ok {
			first[p.AreaID] = p
			continue
		}
		if d.areas[p.AreaID] {
			continue
		}
		if !sameCount(p, q) {
			d.areas[p.AreaID] = true
		}
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 64 {
		c.m = map[string]*diffSet{}
	}
	c.m[key] = d
	c.mu.Unlock()
	return d
}

// sameCount reports whether two protocols agree on every figure both state
// and on every vote.
func sameCount(p, q *election.Protocol) bool {
	for f := election.Figure(0); f < election.NumFigures; f++ {
		a, ok1 := p.Figures.Get(f)
		b, ok2 := q.Figures.Get(f)
		if ok1 && ok2 && a != b {
			return false
		}
	}
	if len(p.Votes) != len(q.Votes) {
		return false
	}
	for k := range p.Votes {
		if p.Votes[k] != q.Votes[k] {
			return false
		}
	}
	return true
}

// apiResults is the portal's results JSON: an area (?area=, the root by
// default) and its children down to ?level= levels below (1 by default),
// under ?source=, from the same cache as the pages.
func (s *room) apiResults(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	level, err := levelParam(r)
	if err != nil {
		return err
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	key := r.URL.Path + "?" + r.URL.RawQuery + "|json"
	return s.ServePage(w, r, key, stamp, "application/json; charset=utf-8", func(r *http.Request) ([]byte, error) {
		node, err := s.resultsNode(r, e, sel, level, stamp)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		buf.WriteString(`{"election":`)
		web.WriteJSONTo(&buf, map[string]any{"id": e.ID, "name": e.Name})
		buf.WriteString(`,"stamp":`)
		web.WriteJSONTo(&buf, stamp)
		buf.WriteString(`,"result":`)
		web.WriteJSONTo(&buf, node)
		buf.WriteString("}\n")
		return buf.Bytes(), nil
	})
}

// resultsNode is the node of ?area= and level levels below it under sel:
// from the aggregates for one source, else from the tabulation as of stamp
// ("" for the current one).
func (s *room) resultsNode(r *http.Request, e *election.Election, sel tally.Selector, level int, stamp string) (*tally.Node, error) {
	if src, ok := singleSource(sel); ok {
		a, err := s.resultArea(r.Context(), e, r.URL.Query().Get("area"), "area")
		if err != nil {
			return nil, err
		}
		node, _, err := s.aggNode(r.Context(), e, src, a, level)
		return node, err
	}
	var ent *web.TallyEntry
	var err error
	if stamp == "" {
		ent, err = s.TallyFor(r.Context(), e, sel)
	} else {
		ent, err = s.PortalTally(r.Context(), e, sel, stamp)
	}
	if err != nil {
		return nil, err
	}
	i, err := areaIndexParam(r, e, ent.Result.Index)
	if err != nil {
		return nil, err
	}
	return ent.Result.Node(i, level+ent.Result.Index.Area(i).Level), nil
}

// paddedSummary is a commission's summary protocol that differs from the
// sum of its stations' protocols, listed on every page above it.
type paddedSummary struct {
	ID    int64
	Path  string
	Codes []string
	Most  int64 // the largest difference of one figure or option
}

// paddedBelow finds the summary protocols under area a (or a's own) that
// fail SUMMARY_FIGURE or SUMMARY_VOTES: what the district page shows, where
// the region's and the nation's readers will also see it.
func paddedBelow(e *election.Election, ent *web.TallyEntry, a *election.Area) []paddedSummary {
	rep := tally.CheckAll(e, ent.Result.Index, ent.All, tally.Selector{})
	byArea := map[int64]*paddedSummary{}
	var out []*paddedSummary
	for _, f := range rep.Flags {
		if f.Code != election.CodeSummaryFigure && f.Code != election.CodeSummaryVotes {
			continue
		}
		i, ok := ent.Result.Index.Lookup(f.AreaID)
		if !ok {
			continue
		}
		fa := ent.Result.Index.Area(i)
		if len(fa.Path) < len(a.Path) || !slices.Equal(fa.Path[:len(a.Path)], a.Path) {
			continue
		}
		p := byArea[f.AreaID]
		if p == nil {
			p = &paddedSummary{ID: f.AreaID, Path: strings.Join(fa.Path, " / ")}
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
	return res
}

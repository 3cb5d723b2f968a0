package dashboard

import (
	"errors"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/chart"
)

// The PVT on the stored deployment, as `vigil pvt --db` and the integrity
// API compute it (integrity/stored.BuildPVT): the frame is every station of the election, the
// sample the stations whose observers sent their protocol (source
// observer), each station's arrival its protocol's Received time, strata
// the first area level, and the official shares those of official-final.
// Linearised intervals only: the page must come quickly, and the bootstrap
// agrees with them on samples of this size (pvt's own tests).

// dashPVT is the PVT section of the dashboard.
type dashPVT struct {
	Leader   string
	Estimate float64 // the leader's share, per cent
	CI95     pvt.Interval
	Official float64 // the leader's official share, NaN when unknown
	Reports  int
	Stations int
	Strata   int
	Chart    template.HTML
	Verdicts []string
	// Warnings of the estimate and the reason a verdict is withheld (the
	// package's English sentences).
	Warnings []string
	Withheld string
}

// HasOfficial says whether the official share is known.
func (d *dashPVT) HasOfficial() bool { return !math.IsNaN(d.Official) }

type dashPVTEntry struct {
	pv  *dashPVT
	err error
}

// pvtCheckpoints is about how many points the convergence chart has.
const pvtCheckpoints = 40

// pvtStratum is the PVT's stratification on the dashboard: the first area
// level (the regions), as the integrity API's default.
const pvtStratum = "1"

// dashPVTFor computes (or takes from the cache, by protocol stamp and
// language) the PVT section.
func (s *room) dashPVTFor(r *http.Request, e *election.Election, c *web.Catalogue) (*dashPVT, error) {
	// The results' change counter moves with every protocol committed (and
	// configuration change): one row, where counting the protocols took
	// 0.3–0.8 s of every dashboard at 1,000,000 stations.
	stamp, err := s.DB().ResultsStamp(r.Context(), e.ID)
	if err != nil {
		return nil, err
	}
	key := itoa64(e.ID) + "|" + stamp + "|" + c.Tag
	st := s.st
	st.mu.Lock()
	ent, ok := st.pvt[key]
	st.mu.Unlock()
	if ok {
		return ent.pv, ent.err
	}
	// From the store's counts and aggregates: reading every station (the
	// whole tabulation) took 88 % of a cold dashboard at 1,000,000 stations.
	spec := stored.PVTSpec{Sample: election.Observer, Official: election.OfficialFinal, Stratum: pvtStratum}
	in, err := stored.BuildPVTStore(r.Context(), s.DB(), e, spec)
	if errors.Is(err, stored.ErrRead) {
		return nil, err
	}
	if errors.Is(err, stored.ErrStratumNotLevel) {
		pstamp, terr := s.DB().ProtocolStamp(r.Context(), e.ID) // the tabulations' own stamp
		if terr != nil {
			return nil, terr
		}
		tent, terr := s.TallyAt(r.Context(), e, tally.Selector{}, pstamp)
		if terr != nil {
			return nil, terr
		}
		tent.Hold(func() {
			in, err = stored.BuildPVT(e, tent.Result.Index, tent.All, spec)
		})
	}
	var pv *dashPVT
	if err == nil {
		pv, err = buildPVT(in, c)
	}
	switch {
	case errors.Is(err, pvt.ErrTooFewReports), err != nil && strings.Contains(err.Error(), "no sample"):
		err = errors.New(c.T("dash.pvt.no_sample"))
	case err != nil:
		// The stored election does not fit the PVT (say, stations without
		// an area above them): said on the page, not a failed page.
		err = errors.New(c.T("dash.pvt.cannot") + " " + err.Error())
	}
	st.mu.Lock()
	if len(st.pvt) > 64 {
		clear(st.pvt)
	}
	st.pvt[key] = &dashPVTEntry{pv, err}
	st.mu.Unlock()
	return pv, err
}

// buildPVT estimates, follows the estimate by arrival and writes the
// verdicts in the reader's language.
func buildPVT(in *stored.PVTInput, c *web.Catalogue) (*dashPVT, error) {
	cfg := pvt.Config{MinReports: 2, CannotWin: in.CannotWin}
	every := max(1, len(in.Reports)/pvtCheckpoints)
	cps, err := pvt.Converge(in.Strata, in.Options, in.Reports, cfg, every, 0)
	if err != nil {
		return nil, err
	}
	if len(cps) == 0 {
		return nil, pvt.ErrTooFewReports
	}
	final := cps[len(cps)-1].Result
	leader := final.Options[0].Name
	if final.Lead != nil {
		leader = final.Lead.Leader
	}
	lf := final.Option(leader)
	pv := &dashPVT{Leader: leader, Estimate: lf.Estimate, CI95: lf.CI95, Official: math.NaN(), Reports: len(in.Reports),
		Stations: frameSize(in.Strata), Strata: final.Strata.Used}
	if o, ok := in.Official[leader]; ok {
		pv.Official = o
	}
	xs, ys, lo, hi, off := []float64{}, []float64{}, []float64{}, []float64{}, []float64{}
	for _, cp := range cps {
		f := cp.Result.Option(leader)
		if f == nil {
			continue
		}
		xs = append(xs, float64(cp.Reports))
		ys = append(ys, f.Estimate)
		lo = append(lo, f.CI95[0])
		hi = append(hi, f.CI95[1])
		off = append(off, pv.Official)
	}
	series := []chart.LineSeries{{Name: c.T("dash.pvt.series_estimate", leader), X: xs, Y: ys, Lo: lo, Hi: hi, Color: "#0b5394"}}
	if pv.HasOfficial() {
		series = append(series, chart.LineSeries{Name: c.T("dash.pvt.series_official"), X: xs, Y: off, Color: "#a3001b", Dash: true})
	}
	pv.Chart = chart.Line(chart.Options{Title: c.T("dash.pvt.chart_title", leader), Desc: c.T("dash.pvt.chart_desc", leader),
		XLabel: c.T("dash.pvt.x"), YLabel: c.T("dash.pvt.y", leader), Height: 300,
		YFormat: func(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) + "%" }}, series...)
	// In the reader's language (the package writes English).
	pv.Warnings = web.PVTWarnings(c, final.Warnings, final.Notes)
	pv.Withheld = web.WithheldText(c, final)
	if in.Official != nil {
		vs, err := pvt.Compare(final, in.Official)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			pv.Verdicts = append(pv.Verdicts, verdictSentence(c, v, final))
		}
	}
	return pv, nil
}

// verdictSentence is pvt's verdict in the reader's language (pvt.Compare
// writes English only).
func verdictSentence(c *web.Catalogue, v pvt.Verdict, res *pvt.Result) string {
	f := func(x float64) string {
		s := strconv.FormatFloat(x, 'f', 2, 64)
		if d := c.Message("num.decimal"); d != "" && d != "." {
			s = strings.Replace(s, ".", d, 1)
		}
		return s
	}
	name := v.Option
	if v.Withheld {
		return c.T("dash.verdict.withheld", name, web.WithheldText(c, res))
	}
	key := "dash.verdict"
	if res.Lead != nil && v.Option == res.Lead.Name {
		name = c.T("dash.verdict.lead", res.Lead.Leader, res.Lead.RunnerUp)
		key = "dash.verdict.margin"
	}
	switch {
	case v.Inside95:
		return c.T(key+".in95", name, f(v.Official), f(v.CI95[0]), f(v.CI95[1]))
	case v.Inside99:
		return c.T(key+".in99", name, f(v.Official), f(v.CI95[0]), f(v.CI95[1]), f(v.CI99[0]), f(v.CI99[1]))
	}
	return c.T(key+".out99", name, f(v.Official), f(v.CI99[0]), f(v.CI99[1]))
}

func frameSize(strata []pvt.Stratum) int {
	n := 0
	for _, s := range strata {
		n += s.N
	}
	return n
}

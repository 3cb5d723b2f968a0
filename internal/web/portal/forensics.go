package portal

import (
	"context"
	"fmt"
	"html/template"
	"maps"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/chart"
)

// The forensics page: the tests of internal/integrity/forensics run on the
// official final results, drawn as SVG, each with a sentence on how to read
// it. The statistics are computed once per protocol stamp (the integer
// test with integerReplicates replicates, enough for a page; the command
// line runs more) and the page is cached per language like the others.

const (
	integerReplicates = 200
	turnoutBins       = 500 // 0.2 % each
	shareBins         = 200 // 0.5 % each
	fingerprintBins   = 60
)

// forensicsMaxAge is how long the statistics of one stamp serve newer
// stamps: on election night every arriving protocol changes the stamp, and
// the tests (the integer test simulates every station 200 times) are not
// worth rerunning every second for a picture that changes slowly.
const forensicsMaxAge = 2 * time.Minute

type chartCache struct {
	mu sync.Mutex
	m  map[int64]*chartEntry // by election
}

type chartEntry struct {
	once   sync.Once
	at     time.Time // when computed
	stamp  string
	stats  *forensicStats
	err    error
	failed bool // err != nil: the next reader tries again
}

// forensicStats is what the page draws, independent of the language.
type forensicStats struct {
	Leader       string
	Stations     int
	Turnout      []float64 // stations per 0.2 % turnout bin
	Share        []float64 // stations per 0.5 % leader-share bin
	Integer      forensics.IntegerResult
	IntegerErr   string
	Finger       forensics.FingerprintResult
	FingerErr    string
	Digits       forensics.DigitResult
	DigitsErr    string
	Shpilkin     forensics.ShpilkinResult
	ShpilkinErr  string
	Control      forensics.ControlResult
	ControlErr   string
	ControlN     int
	CtrlTurnout  float64 // turnout at the control stations
	OtherTurnout float64
	CtrlShare    float64 // leader share at the control stations
	OtherShare   float64
	At           time.Time // when computed
	// Excluded names the stations every test leaves out, by reason.
	Excluded stored.Exclusions
}

// forensicsFor returns the statistics of an election's official final
// results: those of stamp, or of an earlier stamp less than
// forensicsMaxAge old.
func (s *room) forensicsFor(ctx context.Context, e *election.Election, stamp string) (*forensicStats, error) {
	c := &s.charts
	c.mu.Lock()
	if c.m == nil {
		c.m = map[int64]*chartEntry{}
	}
	ce, ok := c.m[e.ID]
	if !ok || ce.failed || (ce.stamp != stamp && !ce.at.IsZero() && time.Since(ce.at) >= forensicsMaxAge) {
		ce = &chartEntry{stamp: stamp}
		c.m[e.ID] = ce
	}
	c.mu.Unlock()
	ce.once.Do(func() {
		// Computed for every later reader too: a client that leaves must
		// not cancel it.
		ctx := context.WithoutCancel(ctx)
		sel := tally.Selector{Sources: []election.Source{election.OfficialFinal}}
		var st *forensicStats
		ent, err := s.PortalTally(ctx, e, sel, ce.stamp)
		if err == nil {
			st, err = computeForensics(e, ent)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		ce.at = time.Now()
		ce.stats, ce.err, ce.failed = st, err, err != nil
		if st != nil {
			st.At = ce.at.UTC()
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return ce.stats, ce.err
}

func computeForensics(e *election.Election, ent *web.TallyEntry) (*forensicStats, error) {
	ix := ent.Result.Index
	chosen, _ := tally.Choose(ix, ent.All, tally.Selector{Sources: []election.Source{election.OfficialFinal}})
	observed := map[int64]bool{}
	for _, p := range ent.All {
		if p.Source == election.Observer {
			observed[p.AreaID] = true
		}
	}
	// The leader: the option with the most votes overall.
	root := 0
	if roots := ix.Roots(); len(roots) > 0 {
		root = int(roots[0])
	}
	votes := ent.Result.Votes(root)
	li := 0
	for k, v := range votes {
		if v > votes[li] {
			li = k
		}
	}
	st := &forensicStats{Turnout: make([]float64, turnoutBins), Share: make([]float64, shareBins)}
	for _, o := range e.Options {
		if o.Position == li {
			st.Leader = o.Name
		}
	}
	var stations []forensics.Station
	var leaderVotes, ballots []int64
	// The stations every test leaves out, counted by each result's
	// "excluded" and named on the page (issue 14): as the API and the
	// command line reckon them (stored.StationsListed).
	rows, listed, refused := stored.StationsListed(ix, chosen, li)
	st.Excluded = listed
	var cV, cG, cR, cL, oV, oG, oR, oL int64
	for _, row := range rows {
		a, fs := row.Area, row.Station
		if len(a.Path) > 1 {
			fs.Group = a.Path[0] + " / " + a.Path[1]
		}
		fs.Control = observed[a.ID]
		stations = append(stations, fs)
		leaderVotes = append(leaderVotes, fs.L)
		ballots = append(ballots, fs.R)
		if fs.V > 0 {
			t := fs.Turnout()
			st.Turnout[min(turnoutBins-1, max(0, int(t*turnoutBins)))]++
		}
		if fs.R > 0 {
			sh := fs.Share()
			st.Share[min(shareBins-1, max(0, int(sh*shareBins)))]++
		}
		if fs.Control {
			cV, cG, cR, cL = cV+fs.V, cG+fs.G, cR+fs.R, cL+fs.L
			st.ControlN++
		} else {
			oV, oG, oR, oL = oV+fs.V, oG+fs.G, oR+fs.R, oL+fs.L
		}
	}
	st.Stations = len(stations)
	st.CtrlTurnout, st.OtherTurnout = ratio(cG, cV), ratio(oG, oV)
	st.CtrlShare, st.OtherShare = ratio(cL, cR), ratio(oL, oR)
	var err error
	if st.Integer, err = forensics.IntegerTest(stations, forensics.IntegerOptions{Replicates: integerReplicates, Seed: 1}); err != nil {
		st.IntegerErr = err.Error()
	}
	st.Integer.Excluded = forensics.MergeExcluded(st.Integer.Excluded, refused)
	if st.Finger, err = forensics.Fingerprint(stations, forensics.FingerprintOptions{TurnoutBins: fingerprintBins, ShareBins: fingerprintBins, Seed: 1}); err != nil {
		st.FingerErr = err.Error()
	}
	st.Finger.Excluded = forensics.MergeExcluded(st.Finger.Excluded, refused)
	if st.Digits, err = forensics.Digits(forensics.DigitSeries{Name: st.Leader, Counts: leaderVotes, Totals: ballots, Denominator: forensics.DigitDenominator}); err != nil {
		st.DigitsErr = err.Error()
	}
	st.Digits.Excluded = forensics.MergeExcluded(st.Digits.Excluded, refused)
	if st.Shpilkin, err = forensics.Shpilkin(stations, forensics.ShpilkinOptions{Seed: 1}); err != nil {
		st.ShpilkinErr = err.Error()
	}
	st.Shpilkin.Excluded = forensics.MergeExcluded(st.Shpilkin.Excluded, refused)
	if st.ControlN == 0 {
		st.ControlErr = "no control stations"
	} else if st.Control, err = forensics.ControlComparison(stations, forensics.ControlOptions{Seed: 1}); err != nil {
		st.ControlErr = err.Error()
	}
	st.Control.Excluded = forensics.MergeExcluded(st.Control.Excluded, refused)
	return st, nil
}

// isSpike reports whether bin i starts at a whole percentage and stands
// well above its neighbours (by more than three Poisson standard deviations
// of their mean): the integer-percentage spikes the chart marks in red.
func isSpike(bins []float64, i int) bool {
	per := len(bins) / 100
	if per == 0 || i%per != 0 || i < 2 || i+2 >= len(bins) {
		return false
	}
	m := (bins[i-2] + bins[i-1] + bins[i+1] + bins[i+2]) / 4
	return bins[i] > m+3*math.Sqrt(m+1)
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func pctTick(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) + "%" }

func fracTick(x float64) string {
	return strconv.FormatFloat(math.Round(x*1000)/10, 'f', -1, 64) + "%"
}

type forensicsPage struct {
	C              web.PageCommon
	S              *forensicStats
	TurnoutChart   template.HTML
	ShareChart     template.HTML
	IntegerChart   template.HTML
	FingerChart    template.HTML
	DigitsChart    template.HTML
	ControlChart   template.HTML
	ShpilkinChart  template.HTML
	IntegerRows    []integerRow
	ControlGroups  []forensics.ControlGroup
	ControlExcessP float64 // the excess as a share of the official leader votes in those districts
	// Caveats of each test: its intervals, exclusions, fall-backs and
	// warnings, as sentences in the reader's language (the reasons and
	// warnings themselves are the package's, in English).
	Caveats map[string]caveats
	// Excluded lists the stations every test leaves out, by reason, the
	// first excludedShown of each on the page (the API lists them all).
	Excluded []exclusionList
	APIBase  string // the election's forensics API, for the full lists
}

// excludedShown is how many stations of one reason the page names.
const excludedShown = 100

type exclusionList struct {
	Reason   string
	Stations []stored.Listed
	N, More  int
}

type caveats struct {
	Intervals []string
	Excluded  string
	Fallbacks string
	Warnings  []string
}

// lang is the request's language as the page writes in it: the
// catalogue's messages and the statistics' reasons and warnings.
type lang struct {
	*web.Catalogue
	s *room
	r *http.Request
}

// exclusion is an exclusion reason or a fall-back in the language.
func (c lang) exclusion(why string) string { return c.s.ExclusionText(c.r, why) }

// warnings are a test's warnings and notes in the language.
func (c lang) warnings(english []string, notes []forensics.Note) []string {
	return c.s.ForensicWarnings(c.r, english, notes)
}

// countsList is "reason: 3; other reason: 1" (sorted, the reasons in c's
// language), or the catalogue's "none".
func countsList(c lang, m map[string]int) string {
	if len(m) == 0 {
		return c.T("forensics.none")
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, c.exclusion(k)+": "+chart.FormatInt(int64(m[k])))
	}
	return strings.Join(parts, "; ")
}

func newCaveats(c lang, excluded, fallbacks map[string]int, warnings []string) caveats {
	cv := caveats{Excluded: countsList(c, excluded), Warnings: warnings}
	if len(fallbacks) > 0 {
		cv.Fallbacks = countsList(c, fallbacks)
	}
	return cv
}

// ciSentence is "name: 95 % interval lo–hi (bootstrap, …)" or the reason
// there is none.
func ciSentence(c lang, name string, ci *forensics.CI, format string, reps int, seed uint64) string {
	if ci == nil {
		return c.T("forensics.no_interval", name)
	}
	return c.T("forensics.interval", name, fmt.Sprintf(format, ci[0]), fmt.Sprintf(format, ci[1]), reps, seed)
}

type integerRow struct {
	Key  string
	Stat forensics.IntegerStat
}

func (s *room) pageForensics(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	return s.ServePage(w, r, s.PageKey(r), stamp, "text/html; charset=utf-8", func(r *http.Request) ([]byte, error) {
		st, err := s.forensicsFor(r.Context(), e, stamp)
		if err != nil {
			return nil, err
		}
		c := lang{s.CatalogueFor(r), s, r}
		p := &forensicsPage{C: s.Common(r, e, e.Title(), "nav.forensics"), S: st, APIBase: "/api/v1/elections/" + e.Name + "/forensics/"}
		for _, why := range slices.Sorted(maps.Keys(st.Excluded)) {
			l := st.Excluded[why]
			p.Excluded = append(p.Excluded, exclusionList{Reason: c.exclusion(why), Stations: l[:min(excludedShown, len(l))], N: len(l), More: max(0, len(l)-excludedShown)})
		}
		marks := make([]float64, 0, 20)
		for m := 5.0; m < 100; m += 5 {
			marks = append(marks, m)
		}
		p.TurnoutChart = chart.Histogram(chart.Options{Title: c.T("forensics.turnout.title"), Desc: c.T("forensics.turnout.how"),
			XLabel: c.T("forensics.axis.turnout"), YLabel: c.T("forensics.axis.stations"), XMin: 0, XMax: 100, XFormat: pctTick, Marks: marks},
			st.Turnout, func(i int) bool { return isSpike(st.Turnout, i) })
		p.ShareChart = chart.Histogram(chart.Options{Title: c.T("forensics.share.title", st.Leader), Desc: c.T("forensics.share.how"),
			XLabel: c.T("forensics.axis.share", st.Leader), YLabel: c.T("forensics.axis.stations"), XMin: 0, XMax: 100, XFormat: pctTick, Marks: marks},
			st.Share, nil)
		if st.IntegerErr == "" {
			var labels []string
			var obs, exp []float64
			for _, k := range []string{"result", "turnout", "either"} {
				is := st.Integer.Criteria[k]
				p.IntegerRows = append(p.IntegerRows, integerRow{k, is})
				labels = append(labels, c.T("forensics.integer."+k))
				obs = append(obs, is.Observed)
				exp = append(exp, is.Expected)
			}
			p.IntegerChart = chart.Bar(chart.Options{Title: c.T("forensics.integer.title"), Desc: c.T("forensics.integer.how"),
				YLabel: c.T("forensics.axis.stations"), Height: 220}, labels, obs, exp)
		}
		if st.FingerErr == "" {
			h := st.Finger.Histogram
			p.FingerChart = chart.HeatMap(chart.Options{Title: c.T("forensics.finger.title"), Desc: c.T("forensics.finger.how"),
				XLabel: c.T("forensics.axis.turnout"), YLabel: c.T("forensics.axis.share", st.Leader), XMin: 0, XMax: 100, YMin: 0, YMax: 100,
				XFormat: pctTick, YFormat: pctTick}, h.Counts)
		}
		if st.DigitsErr == "" {
			labels := make([]string, 10)
			obs := make([]float64, 10)
			exp := make([]float64, 10)
			n := 0
			for _, f := range st.Digits.LastDigits {
				n += f
			}
			for d := range 10 {
				labels[d] = strconv.Itoa(d)
				if n > 0 {
					obs[d] = float64(st.Digits.LastDigits[d]) / float64(n)
				}
				exp[d] = 0.1
			}
			p.DigitsChart = chart.Bar(chart.Options{Title: c.T("forensics.digits.title", st.Leader), Desc: c.T("forensics.digits.how"),
				YLabel: c.T("forensics.axis.frequency"), YFormat: fracTick, Height: 220}, labels, obs, exp)
		}
		if st.ShpilkinErr == "" {
			var x, l, o []float64
			for _, b := range st.Shpilkin.Bins {
				x = append(x, float64(b.Turnout)+0.5)
				l = append(l, float64(b.L))
				o = append(o, float64(b.O))
			}
			p.ShpilkinChart = chart.Line(chart.Options{Title: c.T("forensics.shpilkin.title"), Desc: c.T("forensics.shpilkin.how"),
				XLabel: c.T("forensics.axis.turnout"), YLabel: c.T("forensics.axis.votes"), XMin: 0, XMax: 100, XFormat: pctTick,
				Marks: []float64{st.Shpilkin.PeakTurnout + 0.5}},
				chart.LineSeries{Name: st.Leader, X: x, Y: l}, chart.LineSeries{Name: c.T("forensics.shpilkin.others"), X: x, Y: o, Color: "#b45f06"})
		}
		if st.ControlErr == "" {
			labels := []string{c.T("forensics.control.turnout_ctrl"), c.T("forensics.control.turnout_other"), c.T("forensics.control.share_ctrl"), c.T("forensics.control.share_other")}
			p.ControlChart = chart.Bar(chart.Options{Title: c.T("forensics.control.title"), Desc: c.T("forensics.control.how"),
				YLabel: "%", YFormat: fracTick, YMax: 1, Height: 220}, labels, []float64{st.CtrlTurnout, st.OtherTurnout, st.CtrlShare, st.OtherShare}, nil)
			groups := append([]forensics.ControlGroup(nil), st.Control.Groups...)
			sort.SliceStable(groups, func(i, j int) bool { return groups[i].Excess > groups[j].Excess })
			p.ControlGroups = groups[:min(10, len(groups))]
			if st.Control.Official > 0 {
				p.ControlExcessP = st.Control.ExcessExact / float64(st.Control.Official)
			}
		}
		p.Caveats = map[string]caveats{
			"integer":  newCaveats(c, st.Integer.Excluded, st.Integer.Fallbacks, c.warnings(st.Integer.Warnings, st.Integer.Notes)),
			"finger":   newCaveats(c, st.Finger.Excluded, st.Finger.Fallbacks, c.warnings(st.Finger.Warnings, st.Finger.Notes)),
			"digits":   newCaveats(c, st.Digits.Excluded, nil, c.warnings(st.Digits.Warnings, st.Digits.Notes)),
			"shpilkin": newCaveats(c, st.Shpilkin.Excluded, st.Shpilkin.Fallbacks, c.warnings(st.Shpilkin.Warnings, st.Shpilkin.Notes)),
			"control":  newCaveats(c, st.Control.Excluded, st.Control.Fallbacks, c.warnings(st.Control.Warnings, st.Control.Notes)),
		}
		if st.FingerErr == "" {
			f := st.Finger
			fc := p.Caveats["finger"]
			for _, x := range []struct {
				name string
				v    float64
				ci   *forensics.CI
			}{{"τ", f.Tau, f.TauCI95}, {"ν", f.Nu, f.NuCI95}, {"σ_τ", f.SigmaTau, f.SigmaTauCI95}, {"σ_ν", f.SigmaNu, f.SigmaNuCI95}, {"θ", f.Theta, f.ThetaCI95}} {
				fc.Intervals = append(fc.Intervals, ciSentence(c, fmt.Sprintf("%s = %.3f", x.name, x.v), x.ci, "%.3f", f.Replicates, f.Seed))
			}
			p.Caveats["finger"] = fc
		}
		if st.ShpilkinErr == "" {
			sh := st.Shpilkin
			sc := p.Caveats["shpilkin"]
			sc.Intervals = append(sc.Intervals,
				ciSentence(c, c.T("forensics.excess")+" "+chart.FormatInt(sh.Excess), sh.ExcessCI95, "%.0f", sh.Replicates, sh.Seed),
				ciSentence(c, fmt.Sprintf("%s %.2f %%", c.T("forensics.shpilkin.corrected"), sh.LeaderShareCorrected), sh.LeaderShareCorrectedCI95, "%.2f", sh.Replicates, sh.Seed),
				c.T("forensics.shpilkin.peak_range", chart.FormatInt(sh.ExcessPeakRange[0]), chart.FormatInt(sh.ExcessPeakRange[1])))
			p.Caveats["shpilkin"] = sc
		}
		if st.ControlErr == "" {
			ct := st.Control
			cc := p.Caveats["control"]
			cc.Intervals = append(cc.Intervals, ciSentence(c, c.T("forensics.excess")+" "+chart.FormatInt(ct.Excess), ct.ExcessCI95, "%.0f", ct.Replicates, ct.Seed))
			p.Caveats["control"] = cc
		}
		return s.RenderBytes(r, "forensics.html", p)
	})
}

package election

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// The arithmetic controls run on every protocol. Codes are stable: they are
// keys of Config.Tolerances, of the JSON that `vigil check` writes, and of
// docs/controls.md. Never renumber or reuse one; add new codes instead.
//
// They follow the controls of two systems in real use, cited per code:
//   - tally-ho (Carter Center / Ona's tally system, used in Libya and
//     Afghanistan), tally_ho/libs/verify/quarantine_checks.py: each
//     "quarantine check" compares two sides of a reconciliation form and
//     allows a tolerance given either as an absolute value or as a
//     percentage, which is what Tolerance models here.
//   - Abacus (the Dutch Kiesraad's counting software), whose validation
//     rules are numbered F.2xx (errors) and W.2xx (warnings) in
//     documentatie/use-cases/validatieregels-plausibiliteitschecks-tellingen.md.
const (
	// CodeValidInvalidBox: valid + invalid = ballots in the box.
	// tally-ho pass_ballot_inside_box_trigger; Abacus F.203 (E+F+G = H).
	CodeValidInvalidBox = "VALID_INVALID_BOX"
	// CodeBoxIssued: ballots in the box ≤ ballots issued.
	// tally-ho pass_voter_cards_trigger; Abacus W.203 compares admitted
	// voters (D) with votes cast (H).
	CodeBoxIssued = "BOX_LE_ISSUED"
	// CodeIssuedRegistered: ballots issued ≤ registered (+ supplementary).
	// tally-ho pass_overvote / pass_registrants_trigger.
	CodeIssuedRegistered = "ISSUED_LE_REGISTERED"
	// CodeReceivedBalance: ballots received = issued + cancelled (+ lost).
	// tally-ho pass_ballots_number_validation / pass_ballot_papers_trigger.
	CodeReceivedBalance = "RECEIVED_BALANCE"
	// CodeOptionsValid: the votes of all options add up to the valid ballots.
	// tally-ho pass_candidates_votes_trigger; Abacus F.202 (E.1…E.n = E).
	CodeOptionsValid = "OPTIONS_SUM_VALID"
	// CodeTurnout: ballots counted ≤ registered (+ supplementary): turnout
	// of at most 100 %. Runs also where ballots issued are not published.
	CodeTurnout = "TURNOUT_LE_100"
	// CodeIssuedParts: the stated total of ballots issued equals the sum of
	// its stated parts (early, in the station, mobile box). Abacus F.201
	// (A + B = D) is the same kind of rule: parts against a stated total.
	CodeIssuedParts = "ISSUED_PARTS_SUM"
	// CodeNegative: a figure or an option's votes is negative.
	// Abacus rejects these at input (series F.0xx).
	CodeNegative = "NEGATIVE_FIGURE"
	// CodeMissing: an essential figure (Config.Essential) is absent.
	// Abacus W.204 (total votes cast empty or 0) is one case.
	CodeMissing = "MISSING_FIGURE"
	// CodeSummaryFigure: a higher-level summary protocol's figure differs
	// from the sum of that figure over its stations' protocols.
	CodeSummaryFigure = "SUMMARY_FIGURE"
	// CodeSummaryVotes: a summary protocol's votes for an option differ
	// from the sum over its stations' protocols.
	CodeSummaryVotes = "SUMMARY_VOTES"
	// CodeSummaryStations: some stations under a summary protocol have no
	// protocol of the chosen source, so the summary cannot be compared
	// with its stations (OSCE/ODIHR's recurring recommendation: publish
	// disaggregated results).
	CodeSummaryStations = "SUMMARY_STATIONS_MISSING"
)

// Control describes one control: its code, its message and the figures it
// reads. Controls is the one table of these texts.
type Control struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Figures []string `json:"figures"`
	// Rule is the arithmetic, for documentation.
	Rule string `json:"rule"`
}

// Controls lists every control in the order they run. Messages are English
// and written for a reader of the report, not for a data-entry clerk.
var Controls = []Control{
	{CodeMissing, "an essential figure is missing from the protocol", []string{"(Config.Essential)"}, "every essential figure stated"},
	{CodeNegative, "a figure is negative", []string{"(any)"}, "every figure and vote ≥ 0"},
	{CodeValidInvalidBox, "valid and invalid ballots do not add up to the ballots in the box", []string{"valid", "invalid", "ballots_in_box"}, "valid + invalid = ballots_in_box"},
	{CodeBoxIssued, "more ballots in the box than ballots issued", []string{"ballots_in_box", "ballots_issued"}, "ballots_in_box ≤ ballots_issued"},
	{CodeIssuedRegistered, "more ballots issued than voters registered", []string{"ballots_issued", "registered", "registered_supplementary"}, "ballots_issued ≤ registered + registered_supplementary"},
	{CodeTurnout, "turnout above 100 %: more ballots counted than voters registered", []string{"valid", "invalid", "ballots_in_box", "registered", "registered_supplementary"}, "valid + invalid (else ballots_in_box) ≤ registered + registered_supplementary"},
	{CodeReceivedBalance, "ballots received do not equal ballots issued plus cancelled (plus lost)", []string{"ballots_received", "ballots_issued", "ballots_cancelled", "ballots_lost"}, "ballots_received = ballots_issued + ballots_cancelled + ballots_lost"},
	{CodeIssuedParts, "the parts of ballots issued do not add up to the stated total", []string{"ballots_issued", "ballots_issued_early", "ballots_issued_station", "ballots_issued_mobile"}, "ballots_issued = early + station + mobile"},
	{CodeOptionsValid, "the votes of the options do not add up to the valid ballots", []string{"valid", "votes"}, "Σ votes = valid"},
	{CodeSummaryFigure, "a figure of the summary protocol differs from the sum of its stations' protocols", []string{"(each figure)"}, "summary figure = Σ station figures"},
	{CodeSummaryVotes, "an option's votes in the summary protocol differ from the sum of its stations' protocols", []string{"(each option)"}, "summary votes = Σ station votes"},
	{CodeSummaryStations, "some stations under the summary protocol have no protocol to compare it with", []string{"(stations)"}, "every station under the summary has a protocol"},
}

var issuedParts = []Figure{BallotsIssuedEarly, BallotsIssuedStation, BallotsIssuedMobile}

var messages = func() map[string]string {
	m := make(map[string]string, len(Controls))
	for _, c := range Controls {
		m[c.Code] = c.Message
	}
	return m
}()

// ControlMessage returns the message of a control code, or "" if unknown.
func ControlMessage(code string) string { return messages[code] }

// DefaultEssential are the figures MISSING_FIGURE requires when
// Config.Essential is nil: without them a protocol has no result.
var DefaultEssential = []string{"registered", "valid", "votes"}

// Flag is one failed control on one protocol. Figures holds the values the
// control read, by figure name; derived sums have descriptive keys
// ("options_total", "registered_total", "stations_total"), and option votes
// are keyed "votes:" + the option's name. Difference is left side minus
// right side of the rule (for "≤" rules, the excess).
type Flag struct {
	// Station is the area's path, set by the caller, which knows the
	// areas; Check leaves it empty.
	Station    string           `json:"station,omitempty"`
	Code       string           `json:"code"`
	Message    string           `json:"message"`
	AreaID     int64            `json:"area_id"`
	ProtocolID int64            `json:"protocol_id,omitempty"`
	Source     Source           `json:"source,omitempty"`
	Version    int              `json:"version,omitempty"`
	Item       string           `json:"item,omitempty"` // the figure or option a per-item flag is about
	Figures    map[string]int64 `json:"figures"`
	Difference int64            `json:"difference"`
}

// Report accumulates the controls over many protocols: per code, how many
// protocols could be checked (all the figures the control needs were
// present) and how many were flagged, and the flags themselves. Its JSON is
// what `vigil check --json` prints. A Report is not safe for concurrent use.
type Report struct {
	// Protocols is how many protocols went through Check, Summaries how
	// many summary protocols through CheckSummary.
	Protocols int `json:"protocols"`
	Summaries int `json:"summaries"`
	// Counts is, per code, the number of protocols with at least one flag
	// of that code. Every code of Controls is present.
	Counts map[string]int `json:"counts"`
	// Checked is, per code, the number of protocols the control could run
	// on; a control is skipped, not flagged, when a figure it needs is
	// absent.
	Checked map[string]int `json:"checked"`
	Flags   []Flag         `json:"flags"`
}

// NewReport returns an empty report with every code counted at zero.
func NewReport() *Report {
	r := &Report{Counts: map[string]int{}, Checked: map[string]int{}, Flags: []Flag{}}
	for _, c := range Controls {
		r.Counts[c.Code] = 0
		r.Checked[c.Code] = 0
	}
	return r
}

// Check runs the arithmetic controls on one protocol and returns its flags
// (nil when it passes). Tolerances come from e.Config.Tolerances.
func Check(e *Election, p *Protocol) []Flag { return NewReport().Check(e, p) }

// CheckSummary compares a higher-level summary protocol with the sum of its
// stations' protocols (children, one per station, of the chosen source):
// one flag per differing figure, one per differing option, each with both
// values. A figure is compared only when the summary and every child state
// it (ballots issued may be derived from its parts on both sides). A nil
// child is a station without a protocol: then nothing is compared, and the
// summary gets one SUMMARY_STATIONS_MISSING flag instead.
func CheckSummary(e *Election, summary *Protocol, children []*Protocol) []Flag {
	return NewReport().CheckSummary(e, summary, children)
}

type checker struct {
	e       *Election
	p       *Protocol
	r       *Report
	flags   []Flag
	flagged map[string]bool
}

func (r *Report) newChecker(e *Election, p *Protocol) *checker {
	return &checker{e: e, p: p, r: r}
}

func (c *checker) checked(code string) { c.r.Checked[code]++ }

func (c *checker) flag(code, item string, figs map[string]int64, diff int64) {
	c.flags = append(c.flags, Flag{
		Code: code, Message: messages[code], AreaID: c.p.AreaID, ProtocolID: c.p.ID,
		Source: c.p.Source, Version: c.p.Version, Item: item, Figures: figs, Difference: diff,
	})
	if !c.flagged[code] {
		if c.flagged == nil {
			c.flagged = map[string]bool{}
		}
		c.flagged[code] = true
		c.r.Counts[code]++
	}
}

func (c *checker) tol(code string) Tolerance { return c.e.Config.Tolerances[code] }

// eq flags left ≠ right beyond the code's tolerance. figs builds the
// flag's figures, only when there is a flag: most protocols pass, and
// building maps for them would dominate the time of a check.
func (c *checker) eq(code string, left, right int64, figs func() map[string]int64) {
	c.checked(code)
	if d := left - right; d != 0 && !c.tol(code).Allows(d, left, right) {
		c.flag(code, "", figs(), d)
	}
}

// le flags left > right beyond the code's tolerance.
func (c *checker) le(code string, left, right int64, figs func() map[string]int64) {
	c.checked(code)
	if d := left - right; d > 0 && !c.tol(code).Allows(d, left, right) {
		c.flag(code, "", figs(), d)
	}
}

func (c *checker) done() []Flag {
	c.r.Flags = append(c.r.Flags, c.flags...)
	return c.flags
}

// Check runs the controls on p, adds the result to r and returns p's flags.
func (r *Report) Check(e *Election, p *Protocol) []Flag {
	r.Protocols++
	c := r.newChecker(e, p)
	f := p.Figures
	get := f.Get

	// Missing essential figures.
	c.checked(CodeMissing)
	ess := e.Config.Essential
	if ess == nil {
		ess = DefaultEssential
	}
	for _, name := range ess {
		if name == "votes" {
			if len(e.Options) > 0 && len(p.Votes) < len(e.Options) {
				c.flag(CodeMissing, "votes", map[string]int64{"options": int64(len(e.Options)), "votes_given": int64(len(p.Votes))}, int64(len(p.Votes)-len(e.Options)))
			}
			continue
		}
		if fig, ok := ParseFigure(name); ok {
			if _, ok := get(fig); !ok {
				c.flag(CodeMissing, name, map[string]int64{}, 0)
			}
		}
	}

	// Negative figures and votes.
	c.checked(CodeNegative)
	for fig := Figure(0); fig < NumFigures; fig++ {
		if f.Has(fig) && f.v[fig] < 0 {
			c.flag(CodeNegative, fig.String(), map[string]int64{fig.String(): f.v[fig]}, f.v[fig])
		}
	}
	for i, n := range p.Votes {
		if n < 0 {
			name := c.optionName(i)
			c.flag(CodeNegative, name, map[string]int64{"votes:" + name: n}, n)
		}
	}

	valid, hasValid := get(Valid)
	invalid, hasInvalid := get(Invalid)
	box, hasBox := get(BallotsInBox)
	issued, hasIssued := get(BallotsIssued)
	reg, hasReg := get(Registered)
	supp, hasSupp := get(RegisteredSupplementary)

	if hasValid && hasInvalid && hasBox {
		c.eq(CodeValidInvalidBox, valid+invalid, box, func() map[string]int64 {
			return map[string]int64{"valid": valid, "invalid": invalid, "ballots_in_box": box}
		})
	}
	if hasBox && hasIssued {
		c.le(CodeBoxIssued, box, issued, func() map[string]int64 {
			return map[string]int64{"ballots_in_box": box, "ballots_issued": issued}
		})
	}
	if hasReg {
		regTotal := reg + supp
		regFigs := func(m map[string]int64) map[string]int64 {
			m["registered"] = reg
			if hasSupp {
				m["registered_supplementary"] = supp
				m["registered_total"] = regTotal
			}
			return m
		}
		if hasIssued {
			c.le(CodeIssuedRegistered, issued, regTotal, func() map[string]int64 {
				return regFigs(map[string]int64{"ballots_issued": issued})
			})
		}
		if cast, ok := f.Ballots(); ok {
			c.le(CodeTurnout, cast, regTotal, func() map[string]int64 {
				m := map[string]int64{}
				if hasValid && hasInvalid {
					m["valid"], m["invalid"] = valid, invalid
				} else {
					m["ballots_in_box"] = box
				}
				return regFigs(m)
			})
		}
	}
	if recv, ok := get(BallotsReceived); ok && hasIssued {
		if canc, ok := get(BallotsCancelled); ok {
			right := issued + canc
			lost, hasLost := get(BallotsLost)
			right += lost
			c.eq(CodeReceivedBalance, recv, right, func() map[string]int64 {
				m := map[string]int64{"ballots_received": recv, "ballots_issued": issued, "ballots_cancelled": canc}
				if hasLost {
					m["ballots_lost"] = lost
				}
				return m
			})
		}
	}
	if f.Has(BallotsIssued) {
		var sum int64
		parts := 0
		for _, part := range issuedParts {
			if f.Has(part) {
				sum += f.v[part]
				parts++
			}
		}
		if parts > 0 {
			c.eq(CodeIssuedParts, f.v[BallotsIssued], sum, func() map[string]int64 {
				m := map[string]int64{"ballots_issued": f.v[BallotsIssued]}
				for _, part := range issuedParts {
					if f.Has(part) {
						m[part.String()] = f.v[part]
					}
				}
				return m
			})
		}
	}
	if hasValid && len(e.Options) > 0 && len(p.Votes) == len(e.Options) {
		var sum int64
		for _, n := range p.Votes {
			sum += n
		}
		c.eq(CodeOptionsValid, sum, valid, func() map[string]int64 {
			return map[string]int64{"options_total": sum, "valid": valid}
		})
	}
	return c.done()
}

// CheckSummary compares summary with the sum of children (see the function
// CheckSummary), adds the result to r and returns the summary's flags.
func (r *Report) CheckSummary(e *Election, summary *Protocol, children []*Protocol) []Flag {
	t := SummaryTotals{Stations: len(children)}
	for fig := Figure(0); fig < NumFigures; fig++ {
		t.InAll[fig] = len(children) > 0
	}
	nOpt := len(e.Options)
	t.Votes = make([]int64, nOpt)
	t.VotesInAll = len(children) > 0 && nOpt > 0
	for _, ch := range children {
		if ch == nil {
			continue
		}
		t.WithProtocol++
		for fig := Figure(0); fig < NumFigures; fig++ {
			if n, ok := ch.Figures.Get(fig); ok {
				t.Sum[fig] += n
			} else {
				t.InAll[fig] = false
			}
		}
		if len(ch.Votes) < nOpt {
			t.VotesInAll = false
			continue
		}
		for i := range t.Votes {
			t.Votes[i] += ch.Votes[i]
		}
	}
	return r.CheckSummaryTotals(e, summary, t)
}

// SummaryTotals are the sums over a summary's stations that CheckSummary
// compares it with: from the stations' protocols, or from sums maintained
// elsewhere (the store's results aggregates).
type SummaryTotals struct {
	Stations     int // stations under the summary's area
	WithProtocol int // of them, with a protocol of the chosen source
	// Sum is each figure's sum over the stations (ballots issued derived
	// from its parts where not stated); InAll whether every station
	// states it.
	Sum   [NumFigures]int64
	InAll [NumFigures]bool
	// Votes by option position, and whether every station gives a number
	// for every option.
	Votes      []int64
	VotesInAll bool
}

// CheckSummaryTotals is CheckSummary against sums already made.
func (r *Report) CheckSummaryTotals(e *Election, summary *Protocol, t SummaryTotals) []Flag {
	r.Summaries++
	c := r.newChecker(e, summary)
	c.checked(CodeSummaryStations)
	if t.WithProtocol < t.Stations {
		c.flag(CodeSummaryStations, "", map[string]int64{"stations": int64(t.Stations), "stations_with_protocol": int64(t.WithProtocol)}, int64(t.WithProtocol-t.Stations))
		return c.done()
	}
	nOpt := len(e.Options)
	figChecked := false
	for fig := Figure(0); fig < NumFigures; fig++ {
		s, ok := summary.Figures.Get(fig)
		if !ok || !t.InAll[fig] {
			continue
		}
		figChecked = true
		if d := s - t.Sum[fig]; d != 0 && !c.tol(CodeSummaryFigure).Allows(d, s, t.Sum[fig]) {
			c.flag(CodeSummaryFigure, fig.String(), map[string]int64{"summary": s, "stations_total": t.Sum[fig], "stations": int64(t.Stations)}, d)
		}
	}
	if figChecked {
		c.checked(CodeSummaryFigure)
	}
	if t.VotesInAll && len(summary.Votes) >= nOpt && len(t.Votes) >= nOpt {
		c.checked(CodeSummaryVotes)
		for i := range nOpt {
			s := summary.Votes[i]
			if d := s - t.Votes[i]; d != 0 && !c.tol(CodeSummaryVotes).Allows(d, s, t.Votes[i]) {
				c.flag(CodeSummaryVotes, c.optionName(i), map[string]int64{"summary": s, "stations_total": t.Votes[i], "stations": int64(t.Stations)}, d)
			}
		}
	}
	return c.done()
}

func (c *checker) optionName(i int) string {
	for _, o := range c.e.Options {
		if o.Position == i {
			return o.Name
		}
	}
	return "option " + strconv.Itoa(i)
}

// Codes returns the codes of r that have flags, most flagged first, then
// by code; for summaries printed by the command line.
func (r *Report) Codes() []string {
	var codes []string
	for code, n := range r.Counts {
		if n > 0 {
			codes = append(codes, code)
		}
	}
	sort.Slice(codes, func(i, j int) bool {
		if r.Counts[codes[i]] != r.Counts[codes[j]] {
			return r.Counts[codes[i]] > r.Counts[codes[j]]
		}
		return codes[i] < codes[j]
	})
	return codes
}

// ValidateConfig checks an election's control settings: every tolerance is
// for a known control code and not negative, and every essential figure is
// a figure name or "votes". Call it before storing a Config.
func ValidateConfig(c Config) error {
	for code, t := range c.Tolerances {
		if _, ok := messages[code]; !ok {
			return fmt.Errorf("tolerance for unknown control code %q (see docs/controls.md)", code)
		}
		if t.Absolute < 0 || t.Relative < 0 || math.IsNaN(t.Relative) {
			return fmt.Errorf("tolerance for %s is negative", code)
		}
	}
	for _, name := range c.Essential {
		if _, ok := ParseFigure(name); !ok && name != "votes" {
			return fmt.Errorf("unknown essential figure %q", name)
		}
	}
	return nil
}

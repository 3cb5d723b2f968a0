// Package forensics holds the statistical tests of election forensics that
// vigil runs on polling-station results: the integer-percentage test, the
// election fingerprint and its fraud model, Shpilkin's excess-vote estimate,
// digit tests and the comparison with a control group of stations.
//
// Every function is pure: it takes plain slices, touches no database, file or
// network, and, where it draws random numbers, is deterministic given its
// seed whatever the number of goroutines. The definitions follow
// shared/METHODS.md; docs/forensics.md says how each result is read and how
// it must not be misread. None of these tests proves fraud: each finds
// patterns that honest counts rarely produce, and each has innocent
// explanations that the documentation lists.
package forensics

import (
	"math"
	"runtime"
)

// Station is one polling station's result, as the tests need it.
// Notation of METHODS.md: V registered voters, G ballots issued (in station,
// early and mobile), R ballots found in the boxes (valid + invalid), L votes
// for the leader (the candidate or party the analysis is about); O = R − L.
type Station struct {
	V, G, R, L int64
	// Group is the district (or any area) the station belongs to; only the
	// control-group comparison uses it.
	Group string
	// Control marks a station believed to be counted honestly (scanner,
	// randomly assigned observer, camera, recount); only the control-group
	// comparison uses it.
	Control bool
	// Fallback records which figures FromFigures had to take from another
	// one (FallbackIssuedFromBox, …); the tests count them among the
	// stations they use, so that a result says how many it rests on.
	Fallback Fallback
}

// Fallback is a set of the substitutions FromFigures made.
type Fallback uint8

// The substitutions, as FromFigures makes them; FallbackNames names them.
const (
	// FallbackIssuedFromBox: no ballots-issued figure, G = ballots in the box.
	FallbackIssuedFromBox Fallback = 1 << iota
	// FallbackIssuedFromR: neither issued nor in-box, G = R.
	FallbackIssuedFromR
	// FallbackRFromVotes: no valid figure, R = invalid + the votes.
	FallbackRFromVotes
	// FallbackRFromBox: neither valid nor invalid, R = ballots in the box.
	FallbackRFromBox
	// FallbackRIsVotes: none of them, R = the sum of the votes.
	FallbackRIsVotes
)

// FallbackNames are the keys of the results' "fallbacks" objects.
var FallbackNames = map[Fallback]string{
	FallbackIssuedFromBox: "ballots issued missing: ballots in the box used",
	FallbackIssuedFromR:   "ballots issued and in the box missing: valid + invalid used",
	FallbackRFromVotes:    "valid votes missing: invalid + the options' votes used",
	FallbackRFromBox:      "valid and invalid missing: ballots in the box used",
	FallbackRIsVotes:      "valid, invalid and ballots in the box missing: the options' votes used",
}

// countFallbacks adds the fall-backs of s to m (made when nil).
func countFallbacks(m map[string]int, s Station) map[string]int {
	if s.Fallback == 0 {
		return m
	}
	if m == nil {
		m = map[string]int{}
	}
	for f, name := range FallbackNames {
		if s.Fallback&f != 0 {
			m[name]++
		}
	}
	return m
}

// The reasons a test leaves a station out, the keys of the results'
// "excluded" objects (docs/forensics.md, "Exclusions"). The first four are
// impossible figures, checked by every test in this order (a station is
// counted once, under the first reason that applies); the others are a
// method's own inclusion rule.
const (
	ExclNegative      = "negative count"
	ExclNoRegistered  = "no registered voters (V = 0)"
	ExclLeaderAboveR  = "leader votes above ballots in the box (L > R)"
	ExclTurnoutAbove  = "turnout above 100 % (G > V)"
	ExclNoBallots     = "no ballots in the box (R = 0)"
	ExclSmall         = "fewer than 100 registered voters (V < 100)"
	ExclTurnout99     = "turnout above 99 % (G/V > 0.99)"
	ExclShare99       = "leader's share above 99 % (L/R > 0.99)"
	ExclSingleDigit   = "count below 10 (one digit)"
	ExclNoTotal       = "no denominator for P05s (total 0)"
	ExclNoControlDist = "district without control stations"
	// ExclNotReported is FromFigures's refusal: a protocol without any
	// ballot (the station did not report, or its result was annulled).
	ExclNotReported = "no ballots at all (did not report, or annulled)"
	// ExclNoProtocol: the station has no protocol of the source analysed.
	ExclNoProtocol = "no protocol of this source"
)

// ExclusionReasons lists every reason above, for front ends that
// translate them (a test checks that each has its text).
var ExclusionReasons = []string{ExclNegative, ExclNoRegistered, ExclLeaderAboveR, ExclTurnoutAbove, ExclNoBallots,
	ExclSmall, ExclTurnout99, ExclShare99, ExclSingleDigit, ExclNoTotal, ExclNoControlDist, ExclNotReported, ExclNoProtocol}

// MergeExcluded adds the counts of extra (e.g. the stations refused before
// a test ran) into a result's Excluded map and returns it.
func MergeExcluded(m, extra map[string]int) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	for k, n := range extra {
		m[k] += n
	}
	return m
}

// impossible is the first reason s cannot enter any test: a negative
// count, V = 0, L > R or G > V; "" when none applies.
func impossible(s Station) string {
	switch {
	case s.V < 0 || s.G < 0 || s.R < 0 || s.L < 0:
		return ExclNegative
	case s.V == 0:
		return ExclNoRegistered
	case s.L > s.R:
		return ExclLeaderAboveR
	case s.G > s.V:
		return ExclTurnoutAbove
	}
	return ""
}

// Turnout is G/V (NaN when V = 0).
func (s Station) Turnout() float64 { return float64(s.G) / float64(s.V) }

// Share is the leader's share L/R (NaN when R = 0).
func (s Station) Share() float64 { return float64(s.L) / float64(s.R) }

func workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// splitmix64 scrambles x; it derives independent-looking seeds for the
// per-replicate (or per-simulation) random streams from one user seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// streamSeeds returns the two PCG seeds of stream i under seed.
func streamSeeds(seed, i uint64) (uint64, uint64) {
	a := splitmix64(seed ^ splitmix64(i+1))
	return a, splitmix64(a ^ 0x5851f42d4c957f2d)
}

// quantile is NumPy's default ("linear") quantile of sorted x.
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * q
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// normalTwoSided is the two-sided p-value of a standard normal statistic.
func normalTwoSided(z float64) float64 {
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

// ImpossibleStations lists, by reason, the positions in stations of those
// every test leaves out for impossible figures (impossible), so that a
// front end can name them (e.g. Georgia 2016's precinct 21/10.58 under
// "L > R"). Positions are in input order.
func ImpossibleStations(stations []Station) map[string][]int {
	out := map[string][]int{}
	for i, s := range stations {
		if why := impossible(s); why != "" {
			out[why] = append(out[why], i)
		}
	}
	return out
}

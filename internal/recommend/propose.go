package recommend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// StationCoverage is what the results core holds of an election's polling
// stations: how many there are and how many have an official protocol.
type StationCoverage struct {
	Election        string `json:"election"`
	Found           bool   `json:"found"` // the election exists in the results core
	Stations        int    `json:"stations"`
	WithOfficial    int    `json:"with_official"` // final or preliminary
	WithFinal       int    `json:"with_final"`
	WithPreliminary int    `json:"with_preliminary"`
}

// ResultsSource answers from the results core. The store implements it.
type ResultsSource interface {
	// StationCoverage counts the polling stations of the named election
	// and those with an official (final or preliminary) protocol. An
	// election that is not there gives Found false and no error.
	StationCoverage(ctx context.Context, election string) (StationCoverage, error)
}

// Indicator is one quantitative finding of the observation: Count of Of
// observed forms show it ("observers restricted in 14 of 212 counts").
type Indicator struct {
	Code  string `json:"code"`
	Phase string `json:"phase,omitempty"` // opening, voting, counting, tabulation; "" for all
	Label string `json:"label,omitempty"`
	Count int    `json:"count"`
	Of    int    `json:"of"`
}

// Share is Count / Of, or 0 when nothing was observed.
func (i Indicator) Share() float64 {
	if i.Of == 0 {
		return 0
	}
	return float64(i.Count) / float64(i.Of)
}

// The observation indicators that bear on observers' access.
const (
	IndicatorObserversRestricted = "observers_restricted"
	IndicatorNoProtocolCopy      = "no_protocol_copy"
	// IndicatorAssessedNegatively counts the forms of a phase that
	// assessed it bad or very bad.
	IndicatorAssessedNegatively = "assessed_negatively"
)

// FindingsSource gives an election's observation findings. The observation
// package implements it; without one, proposals and drafts say the
// findings are not available.
type FindingsSource interface {
	// Indicators returns the quantitative findings of the named
	// organisation's observers in the election (the mission's own
	// observation); none, and no error, when it did not observe it.
	Indicators(ctx context.Context, election, organisation string) ([]Indicator, error)
}

// Proposal is vigil's suggested assessment of a recommendation from the
// evidence it holds, for a person to accept or overrule. A proposal
// without evidence has OK false and says why in Reasoning.
type Proposal struct {
	Recommendation string `json:"recommendation"`
	Report         string `json:"report"` // the assessing report
	Topic          Topic  `json:"topic"`
	OK             bool   `json:"ok"`
	Status         Status `json:"status,omitempty"`
	Reasoning      string `json:"reasoning"`
	// Why is Reasoning as a phrase, for drafts in other languages.
	Why      Phrase         `json:"-"`
	Evidence string         `json:"evidence,omitempty"`
	Figures  map[string]int `json:"figures,omitempty"`
}

// Thresholds of the proposals. They are vigil's defaults, stated in
// docs/recommendations.md; the proposal is a starting point for the
// analyst, who records the assessment.
const (
	// Disaggregated results: share of polling stations with an official
	// protocol in the results core.
	disaggFully  = 0.99
	disaggMostly = 0.90
	// Observer access: the worse of the shares of observed counts and
	// tabulations where observers were restricted or got no protocol copy.
	accessMostly    = 0.05
	accessPartially = 0.25
)

// ErrNoEvidence says that vigil holds no evidence for a recommendation.
var ErrNoEvidence = errors.New("no evidence")

// Propose suggests how the report assessing a recommendation might
// assess it, from the evidence about the assessing mission's election:
// whether the country did what was recommended by the time of that
// election. results or findings may be nil (not available).
func Propose(ctx context.Context, x *Index, ref, reportKey string, results ResultsSource, findings FindingsSource) (Proposal, error) {
	rec := x.Recs[ref]
	if rec == nil {
		return Proposal{}, fmt.Errorf("recommendation %s: not found", ref)
	}
	p := Proposal{Recommendation: ref, Report: reportKey, Topic: rec.EffectiveTopic()}
	rep := x.Reports[reportKey]
	if rep == nil {
		return p, fmt.Errorf("report %q: not found", reportKey)
	}
	m := x.Missions[rep.MissionKey]
	switch {
	case p.Topic == NoTopic:
		p.say(P("prop.no_topic"))
		return p, nil
	case m == nil || m.Election == "":
		p.say(P("prop.no_election", reportKey))
		return p, nil
	}
	switch p.Topic {
	case DisaggregatedResults:
		if results == nil {
			p.say(P("prop.no_results"))
			return p, nil
		}
		cov, err := results.StationCoverage(ctx, m.Election)
		if err != nil {
			return p, err
		}
		proposeDisaggregated(&p, cov)
	case ObserverAccess:
		if findings == nil {
			p.say(P("prop.no_findings", m.Election))
			return p, nil
		}
		ind, err := findings.Indicators(ctx, m.Election, m.Organisation)
		if err != nil {
			return p, err
		}
		proposeAccess(&p, m.Election, ind)
	}
	return p, nil
}

func proposeDisaggregated(p *Proposal, c StationCoverage) {
	p.Figures = map[string]int{"stations": c.Stations, "with_official": c.WithOfficial, "with_final": c.WithFinal, "with_preliminary": c.WithPreliminary}
	switch {
	case !c.Found:
		p.Figures = nil
		p.say(P("prop.not_in_core", c.Election))
		return
	case c.Stations == 0:
		p.say(P("prop.no_stations", c.Election))
		return
	}
	share := float64(c.WithOfficial) / float64(c.Stations)
	p.OK = true
	switch {
	case share >= disaggFully:
		p.Status = Fully
	case share >= disaggMostly:
		p.Status = Mostly
	case c.WithOfficial > 0:
		p.Status = Partially
	default:
		p.Status = NotImpl
	}
	p.say(P("prop.disagg", c.WithOfficial, c.Stations, c.Election, 100*share, c.WithFinal, c.WithPreliminary, p.Status))
	p.Evidence = fmt.Sprintf("results core, election %s: protocols of source official-final or official-preliminary at %d of %d station areas", c.Election, c.WithOfficial, c.Stations)
}

func proposeAccess(p *Proposal, election string, ind []Indicator) {
	// Each indicator summed over the counting and tabulation phases (an
	// indicator without a phase counts as given).
	var restricted, noCopy *Indicator
	for _, it := range ind {
		if it.Phase != "" && it.Phase != "counting" && it.Phase != "tabulation" {
			continue
		}
		dst := &restricted
		switch it.Code {
		case IndicatorObserversRestricted:
		case IndicatorNoProtocolCopy:
			dst = &noCopy
		default:
			continue
		}
		if *dst == nil {
			*dst = &Indicator{Code: it.Code}
		}
		(*dst).Count += it.Count
		(*dst).Of += it.Of
	}
	if (restricted == nil || restricted.Of == 0) && (noCopy == nil || noCopy.Of == 0) {
		p.say(P("prop.access_none", election))
		return
	}
	p.Figures = map[string]int{}
	worst := 0.0
	var parts []Phrase
	for _, it := range []*Indicator{restricted, noCopy} {
		if it == nil || it.Of == 0 {
			continue
		}
		p.Figures[it.Code] = it.Count
		p.Figures[it.Code+"_of"] = it.Of
		worst = max(worst, it.Share())
		key := "prop.restricted"
		if it.Code == IndicatorNoProtocolCopy {
			key = "prop.no_copy"
		}
		parts = append(parts, P(key, it.Count, it.Of, 100*it.Share()))
	}
	p.OK = true
	switch {
	case worst == 0:
		p.Status = Fully
	case worst < accessMostly:
		p.Status = Mostly
	case worst < accessPartially:
		p.Status = Partially
	default:
		p.Status = NotImpl
	}
	p.say(P("prop.access", election, parts, p.Status))
	en := make([]string, len(parts))
	for i, q := range parts {
		en[i] = Say("en", q)
	}
	text := strings.Join(en, "; ")
	p.Evidence = "observation findings of " + election + ": " + text
}

// say sets the proposal's reasoning: the phrase, and its English.
func (p *Proposal) say(why Phrase) {
	p.Why = why
	p.Reasoning = Say("en", why)
}

// ProposeAll proposes an assessment for each recommendation a report's
// follow-up covers (see Index.Prior) that vigil holds evidence for.
func ProposeAll(ctx context.Context, x *Index, reportKey string, results ResultsSource, findings FindingsSource) ([]Proposal, error) {
	prior := x.Prior(reportKey)
	refs := make([]string, 0, len(prior))
	for ref := range prior {
		if x.Recs[ref].EffectiveTopic() != NoTopic {
			refs = append(refs, ref)
		}
	}
	slices.SortFunc(refs, x.compareRefs)
	out := []Proposal{}
	for _, ref := range refs {
		p, err := Propose(ctx, x, ref, reportKey, results, findings)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

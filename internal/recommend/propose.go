package recommend

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	Recommendation string         `json:"recommendation"`
	Report         string         `json:"report"` // the assessing report
	Topic          Topic          `json:"topic"`
	OK             bool           `json:"ok"`
	Status         Status         `json:"status,omitempty"`
	Reasoning      string         `json:"reasoning"`
	Evidence       string         `json:"evidence,omitempty"`
	Figures        map[string]int `json:"figures,omitempty"`
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
		p.Reasoning = "vigil holds no data on this recommendation's subject; it needs an analyst's assessment."
		return p, nil
	case m == nil || m.Election == "":
		p.Reasoning = fmt.Sprintf("the mission of report %q names no election in the results core, so there is no evidence to read.", reportKey)
		return p, nil
	}
	switch p.Topic {
	case DisaggregatedResults:
		if results == nil {
			p.Reasoning = "the results core is not available."
			return p, nil
		}
		cov, err := results.StationCoverage(ctx, m.Election)
		if err != nil {
			return p, err
		}
		proposeDisaggregated(&p, cov)
	case ObserverAccess:
		if findings == nil {
			p.Reasoning = fmt.Sprintf("observation findings for %s are not available.", m.Election)
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
		p.Reasoning = fmt.Sprintf("election %q is not in the results core.", c.Election)
		return
	case c.Stations == 0:
		p.Reasoning = fmt.Sprintf("the results core holds no polling stations of %s, so it cannot tell whether results were published per station.", c.Election)
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
	p.Reasoning = fmt.Sprintf("official results are held for %d of %d polling stations of %s (%.1f %%; %d final, %d preliminary): %s.",
		c.WithOfficial, c.Stations, c.Election, 100*share, c.WithFinal, c.WithPreliminary, p.Status.Title())
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
		p.Reasoning = fmt.Sprintf("the observation of %s recorded nothing on observers' access to counting and tabulation.", election)
		return
	}
	p.Figures = map[string]int{}
	worst := 0.0
	var parts []string
	for _, it := range []*Indicator{restricted, noCopy} {
		if it == nil || it.Of == 0 {
			continue
		}
		p.Figures[it.Code] = it.Count
		p.Figures[it.Code+"_of"] = it.Of
		worst = max(worst, it.Share())
		what := "observers were restricted"
		if it.Code == IndicatorNoProtocolCopy {
			what = "observers got no copy of the protocol"
		}
		parts = append(parts, fmt.Sprintf("%s in %d of %d observed counts and tabulations (%.1f %%)", what, it.Count, it.Of, 100*it.Share()))
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
	text := parts[0]
	if len(parts) > 1 {
		text += "; " + parts[1]
	}
	p.Reasoning = fmt.Sprintf("at %s %s: %s.", election, text, p.Status.Title())
	p.Evidence = "observation findings of " + election + ": " + text
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

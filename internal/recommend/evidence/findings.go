package evidence

import (
	"context"
	"errors"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/store"
)

// Findings gives a mission's observation findings: those of the
// organisation that owns it, in its election, computed by the observation
// package as its own statement computes them (quarantined reports
// excluded, conflicts resolved).
type Findings struct{ DB *store.DB }

// Indicators implements recommend.FindingsSource: for every phase of the
// day, the share of observed forms assessed negatively and each key
// indicator, as count of observed. An organisation or an election that
// vigil does not hold gives none.
func (f Findings) Indicators(ctx context.Context, electionName, organisation string) ([]recommend.Indicator, error) {
	if organisation == "" {
		return nil, nil
	}
	org, err := f.DB.OrganisationByName(ctx, organisation)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	e, err := f.DB.ElectionByName(ctx, electionName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The findings are read as the organisation's core team reads them.
	p := access.Principal{Role: access.Analyst, OrgID: org.ID, Name: "recommendations follow-up"}
	fs, err := observe.FindingsOf(ctx, f.DB, p, e.ID, false)
	if err != nil {
		return nil, err
	}
	var out []recommend.Indicator
	for _, ph := range observe.ReportedPhases {
		pf := fs.Phases[string(ph)]
		if pf == nil || pf.Observed == 0 {
			continue
		}
		out = append(out, recommend.Indicator{Code: recommend.IndicatorAssessedNegatively, Phase: string(ph), Label: "assessed bad or very bad",
			Count: pf.Negative, Of: pf.Observed})
		for _, code := range observe.SortedKeys(pf.Indicators) {
			st := pf.Indicators[code]
			if st.Observed == 0 {
				continue
			}
			out = append(out, recommend.Indicator{Code: code, Phase: string(ph), Label: strings.ReplaceAll(code, "_", " "),
				Count: st.Reported, Of: st.Observed})
		}
	}
	return out, nil
}

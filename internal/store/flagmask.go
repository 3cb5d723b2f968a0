package store

import "github.com/vigil-elections/vigil/internal/election"

// flagMasker computes in Go the flags that maskExpr computes in SQL, for
// protocols an import has in hand: SQLite interpreted maskExpr's
// expression for every protocol of a batch, about 8 of the 10 s that
// choosing a 1,000,000-station import's current versions took (issue 9).
// It runs election.Report.Check, the rules maskExpr follows.
// TestFlagMaskerSameAsSQL holds the two to the same bits under random
// settings and protocols; TestAggregatesRebuildEqualsIncremental compares
// the imports' flags with a rebuild's, computed with maskExpr.
type flagMasker struct {
	e       *election.Election
	r       *election.Report
	bit     map[string]int // flagCodes' index of a code
	checked []int          // r.Checked of each of flagCodes before a protocol
}

// newFlagMasker checks under fc's settings and number of options.
func newFlagMasker(fc flagConfig) *flagMasker {
	cfg := election.Config{Tolerances: fc.Tolerances}
	if fc.EssentialSet {
		// Set, even empty, replaces the default essential figures.
		cfg.Essential = append([]string{}, fc.Essential...)
	}
	e := &election.Election{Config: cfg, Options: make([]election.Option, fc.Options)}
	for i := range e.Options {
		e.Options[i].Position = i
	}
	m := &flagMasker{e: e, r: election.NewReport(), bit: map[string]int{}, checked: make([]int, len(flagCodes))}
	for i, code := range flagCodes {
		m.bit[code] = i
	}
	return m
}

// mask is protocol_current.flags of a protocol with these figures and
// votes: a bit per control failed, and checkedBit per control that ran.
func (m *flagMasker) mask(figures election.Figures, votes []int64) int64 {
	for i, code := range flagCodes {
		m.checked[i] = m.r.Checked[code]
	}
	p := election.Protocol{Figures: figures, Votes: votes}
	var mask int64
	for _, f := range m.r.Check(m.e, &p) {
		if i, ok := m.bit[f.Code]; ok {
			mask |= int64(1) << i
		}
	}
	for i, code := range flagCodes {
		if m.r.Checked[code] != m.checked[i] {
			mask |= checkedBit(i)
		}
	}
	m.r.Flags = m.r.Flags[:0] // the report would otherwise keep every flag of the file
	return mask
}

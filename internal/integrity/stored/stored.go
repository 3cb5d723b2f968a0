// Package stored adapts an election's stored results to the integrity
// methods, which are pure functions over plain slices: it picks each
// station's protocol, resolves the leader, and builds the forensic
// stations and the PVT's frame and sample. The command line and the JSON
// API both go through it, so that they compute the same thing.
package stored

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/tally"
)

// Leader returns the position of the named option, or of the option with
// the most votes in chosen when name is empty.
func Leader(e *election.Election, chosen []*election.Protocol, name string) (int, error) {
	if name != "" {
		if li := e.OptionIndex(name); li >= 0 {
			return li, nil
		}
		names := make([]string, len(e.Options))
		for i, o := range e.Options {
			names[i] = o.Name
		}
		return -1, fmt.Errorf("%q is not an option of %s (options: %s)", name, e.Name, strings.Join(names, ", "))
	}
	tot := make([]int64, len(e.Options))
	for _, p := range chosen {
		if p == nil {
			continue
		}
		for k, v := range p.Votes {
			if k < len(tot) {
				tot[k] += v
			}
		}
	}
	li := -1
	for k, v := range tot {
		if li < 0 || v > tot[li] {
			li = k
		}
	}
	if li < 0 {
		return -1, errors.New("the election has no options")
	}
	return li, nil
}

// Station is one station as the forensics see it, with where it is.
type Station struct {
	Area    *election.Area
	Station forensics.Station
	Votes   []int64
	Valid   int64
}

// Stations reduces every station's chosen protocol (chosen indexed like
// ix) to the V, G, R, L of the methods; stations without ballots are left
// out (forensics.FromFigures). StationsRefused says how many, and why.
func Stations(ix *tally.Index, chosen []*election.Protocol, leader int) []Station {
	out, _ := StationsRefused(ix, chosen, leader)
	return out
}

// StationsRefused is Stations with the count of the stations left out
// before any test runs, by reason (forensics.ExclNoProtocol for stations
// of the index without a protocol, forensics.ExclNotReported for protocols
// without any ballot): each test's "excluded" adds them
// (forensics.MergeExcluded), so that a result accounts for every station.
func StationsRefused(ix *tally.Index, chosen []*election.Protocol, leader int) ([]Station, map[string]int) {
	rows, _, refused := StationsListed(ix, chosen, leader)
	return rows, refused
}

// Listed is a station named in a list of exclusions.
type Listed struct {
	ID   int64  `json:"id"`
	Name string `json:"name"` // the area's path, "Region / District / Station"
}

// Exclusions lists stations by the reason every test leaves them out.
type Exclusions map[string][]Listed

// StationsListed is StationsRefused with the stations every test leaves
// out named, by reason: those refused before any test and those with
// impossible figures (forensics.ImpossibleStations), which the tests
// count under the same reasons. A result's "excluded" gives the counts;
// this is the list a reader checks them against (e.g. Georgia 2016's
// precinct 21/10.58 under "L > R"). Each method's own inclusion rule
// (V < 100 for the fingerprint, …) is counted, not listed: it is a
// threshold anyone can apply to the published data.
func StationsListed(ix *tally.Index, chosen []*election.Protocol, leader int) ([]Station, Exclusions, map[string]int) {
	var out []Station
	refused := map[string]int{}
	list := Exclusions{}
	name := func(a *election.Area) Listed { return Listed{ID: a.ID, Name: strings.Join(a.Path, " / ")} }
	for i, p := range chosen {
		if p == nil {
			if a := ix.Area(i); a != nil && a.Station {
				refused[forensics.ExclNoProtocol]++
				list[forensics.ExclNoProtocol] = append(list[forensics.ExclNoProtocol], name(a))
			}
			continue
		}
		st, ok := forensics.FromFigures(p.Figures, p.Votes, leader)
		if !ok {
			refused[forensics.ExclNotReported]++
			list[forensics.ExclNotReported] = append(list[forensics.ExclNotReported], name(ix.Area(i)))
			continue
		}
		out = append(out, Station{Area: ix.Area(i), Station: st, Votes: p.Votes, Valid: p.Figures.Value(election.Valid)})
	}
	for why, idx := range forensics.ImpossibleStations(Plain(out)) {
		for _, i := range idx {
			list[why] = append(list[why], name(out[i].Area))
		}
	}
	return out, list, refused
}

// Plain returns the forensic stations alone.
func Plain(rows []Station) []forensics.Station {
	out := make([]forensics.Station, len(rows))
	for i, r := range rows {
		out[i] = r.Station
	}
	return out
}

// GroupByLevel sets each station's Group to its area's path down to level
// (1 = top) and Control where control says so.
func GroupByLevel(rows []Station, level int, control func(a *election.Area) bool) []forensics.Station {
	out := make([]forensics.Station, len(rows))
	for i, r := range rows {
		out[i] = r.Station
		if level <= len(r.Area.Path) {
			out[i].Group = strings.Join(r.Area.Path[:level], " / ")
		}
		out[i].Control = control(r.Area)
	}
	return out
}

// PVTInput is the PVT's frame and sample built from a stored election.
type PVTInput struct {
	Strata   []pvt.Stratum
	Options  []string
	Reports  []pvt.Report
	Official map[string]float64 // the official shares of the same options, per cent
	// CannotWin lists the options that cannot win (against all), for
	// pvt.Config.CannotWin: the lead is measured between the others.
	CannotWin []string
}

// PVTSpec says how to build it.
type PVTSpec struct {
	Sample   election.Source // the sample's protocols (observer)
	Official election.Source // the verdict's (official-final)
	// Stratum names area levels ("region") or station attributes
	// ("urban"), joined by commas.
	Stratum string
	Options []string // nil: every option
}

// BuildPVT makes the frame (every station of the election, stratified by
// spec.Stratum), the sample (the stations with a spec.Sample protocol, its
// arrival the protocol's) and the official shares of the listed options.
// Shares are of the listed options' sum; turnout is their votes over the
// registered voters.
func BuildPVT(e *election.Election, ix *tally.Index, protocols []*election.Protocol, spec PVTSpec) (*PVTInput, error) {
	if spec.Stratum == "" {
		return nil, errors.New("a stratum is required: an area level (e.g. region) or a station attribute, or several joined by commas")
	}
	in, pos, err := pvtOptions(e, spec)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(spec.Stratum, ",")
	stratumOf := func(a *election.Area) (string, string, error) {
		var keys []string
		for _, part := range parts {
			part = strings.TrimSpace(part)
			if lvl := e.Config.LevelOf(part); lvl > 0 && lvl < len(a.Path) {
				keys = append(keys, a.Path[lvl-1])
				continue
			}
			v, ok := a.Attrs[part]
			if !ok {
				return "", "", fmt.Errorf("stratum %q is neither an area level above the stations (%s) nor an attribute of station %s",
					part, strings.Join(e.Config.AreaLevels, ", "), strings.Join(a.Path, " / "))
			}
			keys = append(keys, v)
		}
		return pvt.JoinKey(keys...), keys[0], nil
	}
	off, _ := tally.Choose(ix, protocols, tally.Selector{Sources: []election.Source{spec.Official}})
	smp, _ := tally.Choose(ix, protocols, tally.Selector{Sources: []election.Source{spec.Sample}})
	offVotes := make([]int64, len(pos))
	var fkeys, groups []string
	for i := 0; i < ix.Len(); i++ {
		a := ix.Area(i)
		if !a.Station {
			continue
		}
		key, group, err := stratumOf(a)
		if err != nil {
			return nil, err
		}
		fkeys = append(fkeys, key)
		groups = append(groups, group)
		if o := off[i]; o != nil {
			for k, p := range pos {
				if p < len(o.Votes) {
					offVotes[k] += o.Votes[p]
				}
			}
		}
		s := smp[i]
		if s == nil {
			continue
		}
		r := pvt.Report{Stratum: key, Votes: make([]float64, len(pos)), Registered: float64(s.Figures.Value(election.Registered)), Arrival: s.Received}
		for k, p := range pos {
			if p < len(s.Votes) {
				r.Votes[k] = float64(s.Votes[p])
				r.Total += r.Votes[k]
			}
		}
		in.Reports = append(in.Reports, r)
	}
	if len(in.Reports) == 0 {
		return nil, fmt.Errorf("election %s has no %s protocols: no sample to estimate from", e.Name, spec.Sample)
	}
	if in.Strata, err = pvt.StrataOf(fkeys, groups); err != nil {
		return nil, err
	}
	var sum int64
	for _, v := range offVotes {
		sum += v
	}
	if sum > 0 {
		in.Official = map[string]float64{}
		for k, o := range in.Options {
			in.Official[o] = 100 * float64(offVotes[k]) / float64(sum)
		}
	}
	return in, nil
}

// pvtOptions starts a PVT input with the options of spec (every option of
// e when it names none) and their positions in the protocols' votes.
func pvtOptions(e *election.Election, spec PVTSpec) (*PVTInput, []int, error) {
	in := &PVTInput{}
	var pos []int
	if len(spec.Options) == 0 {
		for _, o := range e.Options {
			in.Options = append(in.Options, o.Name)
			pos = append(pos, o.Position)
		}
	} else {
		for _, o := range spec.Options {
			o = strings.TrimSpace(o)
			k := e.OptionIndex(o)
			if k < 0 || slices.Contains(in.Options, o) {
				return nil, nil, fmt.Errorf("option %q: not an option of %s, or named twice", o, e.Name)
			}
			in.Options = append(in.Options, o)
			pos = append(pos, k)
		}
	}
	for _, o := range e.Options {
		if o.Kind == election.AgainstAll && slices.Contains(in.Options, o.Name) {
			in.CannotWin = append(in.CannotWin, o.Name)
		}
	}
	return in, pos, nil
}

// Refused returns the lists of the stations refused before any test (no
// protocol, no ballots) alone: the digit tests, which do not use the
// figures that make a station impossible, leave out only those.
func (x Exclusions) Refused() Exclusions {
	out := Exclusions{}
	for _, why := range []string{forensics.ExclNoProtocol, forensics.ExclNotReported} {
		if l := x[why]; len(l) > 0 {
			out[why] = l
		}
	}
	return out
}

// WithExclusions writes v (a JSON object: a method's result) with the
// field "excluded_stations" added at its end, the stations behind its
// "excluded" counts, by reason (an empty object when none).
func WithExclusions(v any, x Exclusions) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, fmt.Errorf("excluded stations: %T is not a JSON object", v)
	}
	if x == nil {
		x = Exclusions{}
	}
	l, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"excluded_stations":`...)
	out = append(out, l...)
	return append(out, '}'), nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

// pvtDBFlags run the PVT on a stored election: the frame is every station
// of the election, the sample the stations whose observers sent their
// protocol (source observer, from reports or imported copies), the arrival
// time each protocol's, and the official result the election's own.
type pvtDBFlags struct {
	db, election, source, official string
}

func (d *pvtDBFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&d.db, "db", "", "run on a stored election in this database (with --election) instead of files")
	fs.StringVar(&d.election, "election", "", "the stored election (with --db)")
	fs.StringVar(&d.source, "sample-source", "observer", "with --db: the protocols that make the sample")
	fs.StringVar(&d.official, "official-source", "official-final", "with --db: the source whose national shares the verdict tests")
}

// loadStoredPVT builds the PVT input from the database. --stratum names an
// area level ("region") or a station attribute ("urban"), or several joined
// by commas; --options defaults to every option of the election.
func loadStoredPVT(ctx context.Context, p *pvtFlags, d *pvtDBFlags) (*pvtInput, error) {
	if d.election == "" {
		return nil, usagef("pvt: --db needs --election")
	}
	if p.stratum == "" {
		return nil, usagef("pvt: --stratum is required: an area level (e.g. region) or a station attribute, or several joined by commas")
	}
	sampleSrc, err := election.ParseSource(d.source)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	offSrc, err := election.ParseSource(d.official)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	db, err := store.Open(ctx, d.db)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	e, err := db.ElectionByName(ctx, d.election)
	if err != nil {
		return nil, err
	}
	areas, err := db.Areas(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	ix, err := tally.NewIndex(areas)
	if err != nil {
		return nil, err
	}
	var ps []*election.Protocol
	for _, src := range []election.Source{sampleSrc, offSrc} {
		p, err := db.Protocols(ctx, e.ID, src)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p...)
	}
	in := &pvtInput{cfg: pvt.Config{Bootstrap: p.bootstrap, Seed: p.seed, Workers: p.workers, MinReports: max(1, p.minReports)},
		denominator: "sum of the listed options"}
	pos := []int{}
	if p.options == "" {
		for _, o := range e.Options {
			in.options = append(in.options, o.Name)
			pos = append(pos, o.Position)
		}
	} else {
		for _, o := range strings.Split(p.options, ",") {
			o = strings.TrimSpace(o)
			k := e.OptionIndex(o)
			if k < 0 || slices.Contains(in.options, o) {
				return nil, usagef("pvt: --options %q: not an option of %s, or named twice", o, e.Name)
			}
			in.options = append(in.options, o)
			pos = append(pos, k)
		}
	}

	// The stratum of each station: area names at the named levels, or
	// attributes.
	parts := strings.Split(p.stratum, ",")
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
				return "", "", usagef("pvt: --stratum %q is neither an area level above the stations (%s) nor an attribute of station %s", part, strings.Join(e.Config.AreaLevels, ", "), strings.Join(a.Path, " / "))
			}
			keys = append(keys, v)
		}
		return pvt.JoinKey(keys...), keys[0], nil
	}
	var fkeys, groups []string
	offSel := tally.Selector{Sources: []election.Source{offSrc}}
	smpSel := tally.Selector{Sources: []election.Source{sampleSrc}}
	off, _ := tally.Choose(ix, ps, offSel)
	smp, _ := tally.Choose(ix, ps, smpSel)
	offVotes := make([]int64, len(pos))
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
			for k, pp := range pos {
				if pp < len(o.Votes) {
					offVotes[k] += o.Votes[pp]
				}
			}
		}
		s := smp[i]
		if s == nil {
			continue
		}
		r := pvt.Report{Stratum: key, Votes: make([]float64, len(pos)), Registered: float64(s.Figures.Value(election.Registered)), Arrival: s.Received}
		for k, pp := range pos {
			if pp < len(s.Votes) {
				r.Votes[k] = float64(s.Votes[pp])
				r.Total += r.Votes[k]
			}
		}
		// Turnout here is the listed options' votes over registered voters
		// (the valid votes, when every option is listed), as in file mode.
		in.reports = append(in.reports, r)
	}
	if len(in.reports) == 0 {
		return nil, fmt.Errorf("election %s has no %s protocols: no sample to estimate from", e.Name, sampleSrc)
	}
	if in.strata, err = pvt.StrataOf(fkeys, groups); err != nil {
		return nil, err
	}
	var sum int64
	for _, v := range offVotes {
		sum += v
	}
	if sum > 0 {
		in.official = map[string]float64{}
		for k, o := range in.options {
			in.official[o] = 100 * float64(offVotes[k]) / float64(sum)
		}
	}
	return in, nil
}

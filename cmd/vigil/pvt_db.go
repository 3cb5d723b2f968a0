package main

import (
	"context"
	"flag"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
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
	db, err := store.OpenExisting(ctx, d.db)
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
	var opts []string
	if p.options != "" {
		opts = strings.Split(p.options, ",")
	}
	b, err := stored.BuildPVT(e, ix, ps, stored.PVTSpec{Sample: sampleSrc, Official: offSrc, Stratum: p.stratum, Options: opts})
	if err != nil {
		return nil, usageError{"pvt: " + err.Error()}
	}
	return &pvtInput{cfg: pvt.Config{Bootstrap: p.bootstrap, Seed: p.seed, Workers: p.workers, MinReports: max(1, p.minReports), CannotWin: b.CannotWin},
		denominator: "sum of the listed options", strata: b.Strata, options: b.Options, reports: b.Reports, official: b.Official}, nil
}

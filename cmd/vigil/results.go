package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/ingest"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

// resultsFlags are the flags of every command that reads an election's
// results: from the database (--db, --election, --source) or straight from
// a file (--file, --mapping), so that an analyst can run the checks and the
// forensics on a published file without importing it first.
type resultsFlags struct {
	db, election, source, file, mapping *string
}

func addResultsFlags(fs *flag.FlagSet) *resultsFlags {
	return &resultsFlags{
		db:       dbFlag(fs),
		election: fs.String("election", "", "election name (with --db)"),
		source:   fs.String("source", "official-final", "protocol source: official-final, official-preliminary, observer, recount (a comma list falls back in order)"),
		file:     fs.String("file", "", "read results from this file instead of the database (with --mapping)"),
		mapping:  fs.String("mapping", "", "JSON column mapping for --file"),
	}
}

// results is an election's results as the analyses take them.
type results struct {
	Election  *election.Election
	Areas     []election.Area
	Protocols []*election.Protocol // every protocol read (all sources when from the database)
	Selector  tally.Selector
	db        *store.DB // nil for a file
	// Repeated counts the rows of a file that repeat an earlier row's
	// station; each is kept as a station of its own.
	Repeated int
}

func (r *results) Close() {
	if r.db != nil {
		r.db.Close()
	}
}

func (f *resultsFlags) selector() (tally.Selector, error) {
	var sel tally.Selector
	for _, s := range strings.Split(*f.source, ",") {
		src, err := election.ParseSource(strings.TrimSpace(s))
		if err != nil {
			return sel, usageError{err.Error()}
		}
		sel.Sources = append(sel.Sources, src)
	}
	return sel, nil
}

// load reads the results named by the flags.
func (f *resultsFlags) load(ctx context.Context) (*results, error) {
	sel, err := f.selector()
	if err != nil {
		return nil, err
	}
	if *f.file != "" {
		if *f.mapping == "" {
			return nil, usagef("--file needs --mapping")
		}
		r, err := loadFile(*f.file, *f.mapping)
		if err != nil {
			return nil, err
		}
		r.Selector = tally.Selector{Sources: []election.Source{election.OfficialFinal}}
		return r, nil
	}
	if *f.election == "" {
		return nil, usagef("name the election with --election (or give --file and --mapping)")
	}
	db, err := store.OpenExisting(ctx, *f.db)
	if err != nil {
		return nil, err
	}
	e, err := db.ElectionByName(ctx, *f.election)
	if err != nil {
		db.Close()
		return nil, err
	}
	areas, err := db.Areas(ctx, e.ID)
	if err != nil {
		db.Close()
		return nil, err
	}
	var ps []*election.Protocol
	for _, s := range sel.Sources {
		p, err := db.Protocols(ctx, e.ID, s)
		if err != nil {
			db.Close()
			return nil, err
		}
		ps = append(ps, p...)
	}
	return &results{Election: e, Areas: areas, Protocols: ps, Selector: sel, db: db}, nil
}

// loadFile reads a results file into memory as one official-final
// protocol per station, with the area tree its paths imply. Row errors stop
// it: analyses on a file with bad rows would be analyses of something else.
func loadFile(file, mappingPath string) (*results, error) {
	m, err := ingest.LoadMapping(mappingPath)
	if err != nil {
		return nil, err
	}
	rd, err := ingest.Open(file, m)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	r := &results{}
	e := &election.Election{Name: file, Kind: election.Presidential, Config: election.Config{AreaLevels: m.Levels()}}
	for i, o := range rd.Options() {
		e.Options = append(e.Options, election.Option{Position: i, Name: o, Kind: election.Candidate})
	}
	areas := []election.Area{{ID: 1, Level: 0, Name: file}}
	ids := map[string]int64{}
	var ps []*election.Protocol
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		// Some published files repeat a station's path (Georgia 2012,
		// Albania 2017, Uganda 2021's nullified stations). An import
		// refuses them; an analysis of the file as published keeps each
		// row, the repeat named by its line.
		if _, dup := ids[strings.Join(row.Path, "\x1f")]; dup {
			row.Path = append(append([]string(nil), row.Path[:len(row.Path)-1]...), fmt.Sprintf("%s (line %d)", row.Path[len(row.Path)-1], row.Line))
			r.Repeated++
		}
		parent := int64(1)
		for lvl := 1; lvl <= len(row.Path); lvl++ {
			key := strings.Join(row.Path[:lvl], "\x1f")
			id, ok := ids[key]
			if !ok {
				id = int64(len(areas) + 1)
				ids[key] = id
				areas = append(areas, election.Area{ID: id, ParentID: parent, Level: lvl, Name: row.Path[lvl-1],
					Path: append([]string(nil), row.Path[:lvl]...), Station: lvl == len(row.Path), Attrs: row.Attrs})
			}
			parent = id
		}
		ps = append(ps, &election.Protocol{ID: int64(len(ps) + 1), AreaID: parent, Source: election.OfficialFinal, Version: 1, Figures: row.Figures, Votes: row.Votes})
	}
	r.Election, r.Areas, r.Protocols = e, areas, ps
	return r, nil
}

// stationProtocols returns, per station, the protocol the selector picks,
// with the station's area alongside.
func (r *results) stationProtocols() ([]*election.Protocol, *tally.Index, error) {
	ix, err := tally.NewIndex(r.Areas)
	if err != nil {
		return nil, nil, err
	}
	chosen, _ := tally.Choose(ix, r.Protocols, r.Selector)
	return chosen, ix, nil
}

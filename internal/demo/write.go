package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
)

// Name is the demo election's name in the database.
const Name = "kz-2022-demo"

// Title is what pages call the demo election.
const Title = "Presidential election, 20 November 2022 (synthetic demo)"

// Write stores the generated election: the official preliminary protocols
// (the stations' own counts), the official final ones (altered where the
// demo altered them), the observers' copies at the observed stations, and
// the district commissions' summary protocols. An earlier demo election in
// the same database is replaced; other elections are left alone.
func Write(ctx context.Context, db *store.DB, el *Election) (*election.Election, error) {
	if old, err := db.ElectionByName(ctx, Name); err == nil {
		if err := db.DeleteElection(ctx, old.ID); err != nil {
			return nil, fmt.Errorf("removing the earlier demo: %w", err)
		}
	}
	e := &election.Election{Name: Name, Kind: election.Presidential, Country: "KZ", Date: "2022-11-20",
		Config: election.Config{AreaLevels: []string{"region", "district", "station"}, Title: Title}}
	for i, c := range Candidates {
		k := election.Candidate
		if c == "Against all" {
			k = election.AgainstAll
		}
		e.Options = append(e.Options, election.Option{Position: i, Name: c, Kind: k})
	}
	if err := db.CreateElection(ctx, e); err != nil {
		return nil, err
	}
	imp := func(src election.Source, file string, pick func(*Station) (Count, bool)) error {
		i := 0
		next := func() (store.Row, error) {
			for i < len(el.Stations) {
				st := &el.Stations[i]
				i++
				c, ok := pick(st)
				if !ok {
					continue
				}
				return store.Row{Line: i, Path: []string{st.Region, st.District, st.Number}, Attrs: attrs(st), Figures: c.figures(st.Registered), Votes: c.Votes}, nil
			}
			return store.Row{}, io.EOF
		}
		_, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: src, File: file, SHA256: fmt.Sprintf("demo-seed-%d", el.Seed), Options: Candidates}, next)
		return err
	}
	if err := imp(election.OfficialPreliminary, "demo:preliminary", func(s *Station) (Count, bool) { return s.True, true }); err != nil {
		return nil, err
	}
	if err := imp(election.OfficialFinal, "demo:final", func(s *Station) (Count, bool) { return s.Official, true }); err != nil {
		return nil, err
	}
	if err := imp(election.Observer, "demo:observer-copies", func(s *Station) (Count, bool) { return s.True, s.Observed }); err != nil {
		return nil, err
	}
	// District summaries: the sum of the stations' official protocols, plus
	// whatever the district commission added.
	type key struct{ r, d string }
	sums := map[key]*Count{}
	regs := map[key]int64{}
	var order []key
	for i := range el.Stations {
		st := &el.Stations[i]
		k := key{st.Region, st.District}
		c, ok := sums[k]
		if !ok {
			c = &Count{Votes: make([]int64, len(Candidates))}
			sums[k] = c
			order = append(order, k)
		}
		c.add(st.Official)
		regs[k] += st.Registered
	}
	for _, a := range el.SummaryAdditions {
		c := sums[key{a.Region, a.District}]
		c.Votes[Incumbent] += a.Votes
		c.IssuedStation += a.Votes
		c.InBox += a.Votes
		c.Received += a.Votes
	}
	i := 0
	next := func() (store.Row, error) {
		if i >= len(order) {
			return store.Row{}, io.EOF
		}
		k := order[i]
		i++
		return store.Row{Line: i, Path: []string{k.r, k.d}, Figures: sums[k].figures(regs[k]), Votes: sums[k].Votes}, nil
	}
	if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.Summary, File: "demo:district-summaries", Options: Candidates}, next); err != nil {
		return nil, err
	}
	if err := writeGeography(ctx, db, e.ID); err != nil {
		return nil, fmt.Errorf("the demo's map: %w", err)
	}
	return e, nil
}

// writeGeography stores the demo's synthetic map as any election's map is
// stored (vigil geo import): the portal draws what the database holds, and
// does not know the demo by name.
func writeGeography(ctx context.Context, db *store.DB, electionID int64) error {
	areas, err := db.Areas(ctx, electionID)
	if err != nil {
		return err
	}
	var regions []GeoRegion
	at := map[string]int{}
	ids := map[string]int64{}
	levels := map[string]int{}
	for _, a := range areas {
		if a.Station || a.Level == 0 {
			continue
		}
		key := strings.Join(a.Path, "/")
		ids[key], levels[key] = a.ID, a.Level
		if a.Level == 1 {
			at[a.Name] = len(regions)
			regions = append(regions, GeoRegion{Name: a.Name})
		}
	}
	for _, a := range areas {
		if a.Level == 2 && !a.Station {
			if i, ok := at[a.Path[0]]; ok {
				regions[i].Districts = append(regions[i].Districts, a.Name)
			}
		}
	}
	g := Geography(regions)
	byLevel := map[int][]store.AreaShape{}
	for key, sh := range g.Shapes {
		id, ok := ids[key]
		if !ok || len(sh) == 0 {
			continue
		}
		b, err := json.Marshal(sh)
		if err != nil {
			return err
		}
		byLevel[levels[key]] = append(byLevel[levels[key]], store.AreaShape{AreaID: id, Level: levels[key], Shape: b, Source: "synthetic"})
	}
	for level, shapes := range byLevel {
		if err := db.ReplaceShapes(ctx, electionID, level, shapes); err != nil {
			return err
		}
	}
	return nil
}

func (c *Count) add(o Count) {
	c.Received += o.Received
	c.IssuedEarly += o.IssuedEarly
	c.IssuedStation += o.IssuedStation
	c.IssuedMobile += o.IssuedMobile
	c.Cancelled += o.Cancelled
	c.InBox += o.InBox
	c.Invalid += o.Invalid
	for k, v := range o.Votes {
		c.Votes[k] += v
	}
}

func (c Count) figures(registered int64) election.Figures {
	var f election.Figures
	f.Set(election.Registered, registered)
	f.Set(election.BallotsReceived, c.Received)
	f.Set(election.BallotsIssuedEarly, c.IssuedEarly)
	f.Set(election.BallotsIssuedStation, c.IssuedStation)
	f.Set(election.BallotsIssuedMobile, c.IssuedMobile)
	f.Set(election.BallotsCancelled, c.Cancelled)
	f.Set(election.BallotsInBox, c.InBox)
	f.Set(election.Invalid, c.Invalid)
	f.Set(election.Valid, c.Valid())
	return f
}

func attrs(st *Station) map[string]string {
	a := map[string]string{"urban": "0", "size": sizeClass(st.Registered)}
	if st.Urban {
		a["urban"] = "1"
	}
	if st.Abroad {
		a["abroad"] = "1"
	}
	return a
}

func sizeClass(n int64) string {
	switch {
	case n < 500:
		return "small"
	case n < 1500:
		return "medium"
	default:
		return "large"
	}
}

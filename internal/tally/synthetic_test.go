package tally

import (
	"fmt"
	"math/rand/v2"

	"github.com/vigil-elections/vigil/internal/election"
)

// synthetic builds an election with 7 options and a hierarchy of
// root → regions → districts → territorial commissions → stations, with
// one official-final protocol per station (a second version for every
// tenth) and an observer copy for every fifth station.
func synthetic(regions, districts, tecs, stations int) (*election.Election, []election.Area, []*election.Protocol) {
	e := &election.Election{ID: 1, Name: "synthetic", Kind: election.PartyList}
	for i := range 7 {
		e.Options = append(e.Options, election.Option{Position: i, Name: fmt.Sprintf("P%d", i+1), Kind: election.Party})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var areas []election.Area
	var protos []*election.Protocol
	id := int64(1)
	areas = append(areas, election.Area{ID: id, Level: 0, Name: "Country"})
	root := id
	var pid int64
	for r := range regions {
		id++
		reg := id
		rn := fmt.Sprintf("R%02d", r+1)
		areas = append(areas, election.Area{ID: reg, ParentID: root, Level: 1, Name: rn, Path: []string{rn}})
		for d := range districts {
			id++
			dis := id
			dn := fmt.Sprintf("D%02d", d+1)
			areas = append(areas, election.Area{ID: dis, ParentID: reg, Level: 2, Name: dn, Path: []string{rn, dn}})
			for t := range tecs {
				id++
				tec := id
				tn := fmt.Sprintf("T%02d", t+1)
				areas = append(areas, election.Area{ID: tec, ParentID: dis, Level: 3, Name: tn, Path: []string{rn, dn, tn}})
				for s := range stations {
					id++
					sn := fmt.Sprintf("S%03d", s+1)
					areas = append(areas, election.Area{ID: id, ParentID: tec, Level: 4, Name: sn, Station: true, Path: []string{rn, dn, tn, sn}})
					p := syntheticProtocol(rng, id, election.OfficialFinal, 1)
					pid++
					p.ID = pid
					protos = append(protos, p)
					if s%10 == 0 {
						q := syntheticProtocol(rng, id, election.OfficialFinal, 2)
						pid++
						q.ID = pid
						protos = append(protos, q)
					}
					if s%5 == 0 {
						q := *p
						q.Source = election.Observer
						q.Votes = append([]int64(nil), p.Votes...)
						q.Votes[0] -= 10
						pid++
						q.ID = pid
						protos = append(protos, &q)
					}
				}
			}
		}
	}
	return e, areas, protos
}

func syntheticProtocol(rng *rand.Rand, area int64, src election.Source, version int) *election.Protocol {
	p := &election.Protocol{AreaID: area, Source: src, Version: version, Votes: make([]int64, 7)}
	reg := 500 + rng.Int64N(2000)
	issued := reg * (40 + rng.Int64N(50)) / 100
	invalid := issued / 50
	valid := issued - invalid
	left := valid
	for k := range 6 {
		v := left * (10 + rng.Int64N(40)) / 100
		p.Votes[k] = v
		left -= v
	}
	p.Votes[6] = left
	f := &p.Figures
	f.Set(election.Registered, reg)
	f.Set(election.BallotsReceived, reg)
	f.Set(election.BallotsIssued, issued)
	f.Set(election.BallotsCancelled, reg-issued)
	f.Set(election.BallotsInBox, issued)
	f.Set(election.Invalid, invalid)
	f.Set(election.Valid, valid)
	return p
}

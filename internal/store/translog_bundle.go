package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/translog"
)

// Bundles: a publication's figures with the leaves they come from, an
// inclusion proof each, and the latest signed checkpoint (see
// translog.VerifyBundle). The figures are read the way the portal reads
// them (the rows); the leaves from the log: a row edited since its leaf
// makes the bundle fail verification, as it should.

// cachedReader remembers the hashes it has read: the proofs of thousands
// of leaves share most of theirs.
func (db *DB) cachedReader(ctx context.Context) tlog.HashReader {
	base := db.LogHashReader(ctx)
	cache := map[int64]tlog.Hash{}
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		var miss []int64
		for _, i := range idx {
			if _, ok := cache[i]; !ok {
				miss = append(miss, i)
			}
		}
		if len(miss) > 0 {
			got, err := base.ReadHashes(miss)
			if err != nil {
				return nil, err
			}
			for k, h := range got {
				cache[miss[k]] = h
			}
		}
		out := make([]tlog.Hash, len(idx))
		for k, i := range idx {
			out[k] = cache[i]
		}
		return out, nil
	})
}

// latestLeaves returns, for each ref wanted (nil: every ref of the kind),
// its latest leaf within the checkpoint.
func (db *DB) latestLeaves(ctx context.Context, kind string, electionID, size int64, want map[string]bool) (map[string]LogLeaf, error) {
	out := map[string]LogLeaf{}
	err := qLoader{db, db.Dialect}.each(ctx, `SELECT idx, kind, ref, election_id, data FROM log_leaves WHERE kind = $1 AND election_id = $2 AND idx < $3 ORDER BY idx`,
		[]any{kind, electionID, size}, func(scan func(...any) error) error {
			var l LogLeaf
			var data []byte
			if err := scan(&l.Index, &l.Kind, &l.Ref, &l.Election, &data); err != nil {
				return err
			}
			if want != nil && !want[l.Ref] {
				return nil
			}
			l.Data = storedLeaf(data)
			out[l.Ref] = l
			return nil
		})
	return out, err
}

func (db *DB) bundle(ctx context.Context, kind, title string, claims any, docs map[string]string, leaves []LogLeaf) (*translog.Bundle, error) {
	cp, err := db.LatestCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("bundle: no signed checkpoint yet (serve with a log key, or vigil log sign): %w", err)
	}
	cj, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	b := &translog.Bundle{Kind: kind, Title: title, Checkpoint: string(cp.Signed), Claims: cj, Documents: docs}
	r := db.cachedReader(ctx)
	for _, l := range leaves {
		p, err := tlog.ProveRecord(cp.Size, l.Index, r)
		if err != nil {
			return nil, fmt.Errorf("bundle: proving leaf %d: %w", l.Index, err)
		}
		b.Leaves = append(b.Leaves, translog.BundleLeaf{Index: l.Index, Leaf: string(l.Data), Proof: p})
	}
	return b, nil
}

// ResultsBundle is the bundle of an election's results of one source: the
// totals (and, with stations, each station's figures: the open data) of
// the latest protocols, with their leaves.
func (db *DB) ResultsBundle(ctx context.Context, electionID int64, source election.Source, stations bool) (*translog.Bundle, error) {
	e, err := db.Election(ctx, electionID)
	if err != nil {
		return nil, err
	}
	cp, err := db.LatestCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("bundle: no signed checkpoint yet: %w", err)
	}
	protos, err := db.Protocols(ctx, electionID, source)
	if err != nil {
		return nil, err
	}
	areas, err := db.Areas(ctx, electionID)
	if err != nil {
		return nil, err
	}
	path := map[int64]string{}
	for _, a := range areas {
		path[a.ID] = strings.Join(a.Path, " / ")
	}
	want := map[string]bool{}
	c := translog.ResultsClaims{Election: electionID, Source: string(source), Stations: len(protos), Totals: map[string]int64{}}
	for _, p := range protos {
		want[translog.Ref("protocols", p.ID)] = true
		sc := translog.StationClaim{Path: path[p.AreaID], Figures: map[string]int64{}, Votes: p.Votes}
		for f := election.Figure(0); f < election.NumFigures; f++ {
			// Stored figures only: Get would derive ballots_issued, which
			// no leaf holds.
			if v, ok := p.Figures.Get(f); ok && p.Figures.Has(f) {
				c.Totals[f.String()] += v
				sc.Figures[f.String()] = v
			}
		}
		for len(c.Votes) < len(p.Votes) {
			c.Votes = append(c.Votes, 0)
		}
		for i, v := range p.Votes {
			c.Votes[i] += v
		}
		if stations {
			c.ByArea = append(c.ByArea, sc)
		}
	}
	got, err := db.latestLeaves(ctx, translog.KindProtocol, electionID, cp.Size, want)
	if err != nil {
		return nil, err
	}
	var leaves []LogLeaf
	for _, p := range protos {
		l, ok := got[translog.Ref("protocols", p.ID)]
		if !ok {
			return nil, fmt.Errorf("bundle: protocol %d is not in the latest checkpoint (%d leaves): wait for the next one", p.ID, cp.Size)
		}
		leaves = append(leaves, l)
	}
	return db.bundle(ctx, translog.BundleResults, fmt.Sprintf("%s: %s results", e.Name, source), c, nil, leaves)
}

// FindingsBundle is the bundle of a publication of findings: the
// findings document, its leaf, and the leaves of every report it counts.
func (db *DB) FindingsBundle(ctx context.Context, electionID, pubID int64) (*translog.Bundle, error) {
	p, err := db.PublishedFindingsByID(ctx, electionID, pubID)
	if err != nil {
		return nil, err
	}
	cp, err := db.LatestCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("bundle: no signed checkpoint yet: %w", err)
	}
	var f struct {
		Phases map[string]struct {
			NegativeReports []int64 `json:"negative_reports"`
			ObservedReports []int64 `json:"observed_reports"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(p.Findings), &f); err != nil {
		return nil, fmt.Errorf("publication %d: %w", pubID, err)
	}
	pubRef := translog.Ref("published_findings", p.ID)
	want := map[string]bool{}
	for _, ph := range f.Phases {
		for _, id := range append(append([]int64{}, ph.ObservedReports...), ph.NegativeReports...) {
			want[translog.Ref("reports", id)] = true
		}
	}
	reps, err := db.latestLeaves(ctx, translog.KindReport, electionID, cp.Size, want)
	if err != nil {
		return nil, err
	}
	pubs, err := db.latestLeaves(ctx, translog.KindFindings, electionID, cp.Size, map[string]bool{pubRef: true})
	if err != nil {
		return nil, err
	}
	pl, ok := pubs[pubRef]
	if !ok {
		return nil, fmt.Errorf("bundle: publication %d is not in the latest checkpoint yet", p.ID)
	}
	leaves := []LogLeaf{pl}
	for ref := range want {
		l, ok := reps[ref]
		if !ok {
			return nil, fmt.Errorf("bundle: %s is not in the latest checkpoint", ref)
		}
		leaves = append(leaves, l)
	}
	sortLeaves(leaves)
	return db.bundle(ctx, translog.BundleFindings, fmt.Sprintf("Findings published %s", p.Published.Format("2006-01-02 15:04 MST")),
		translog.FindingsClaims{Publication: pubRef}, map[string]string{"findings": p.Findings}, leaves)
}

// RecommendationsBundle is the bundle of one report's follow-up: how many
// recommendations it assessed at each status, with their leaves.
func (db *DB) RecommendationsBundle(ctx context.Context, reportID int64) (*translog.Bundle, error) {
	cp, err := db.LatestCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("bundle: no signed checkpoint yet: %w", err)
	}
	rows, err := tableLeaves(ctx, qLoader{db, db.Dialect}, "rec_assessments", `t.report_id = $1`, reportID)
	if err != nil {
		return nil, err
	}
	c := translog.RecommendationsClaims{Report: reportID, ByStatus: map[string]int{}}
	want := map[string]bool{}
	for _, r := range rows {
		c.ByStatus[r.String("status")]++
		want[r.Ref] = true
	}
	got, err := db.latestLeaves(ctx, translog.KindAssessment, 0, cp.Size, want)
	if err != nil {
		return nil, err
	}
	var leaves []LogLeaf
	for ref := range want {
		l, ok := got[ref]
		if !ok {
			return nil, fmt.Errorf("bundle: %s is not in the latest checkpoint", ref)
		}
		leaves = append(leaves, l)
	}
	sortLeaves(leaves)
	return db.bundle(ctx, translog.BundleRecommendations, fmt.Sprintf("Follow-up report %d", reportID), c, nil, leaves)
}

func sortLeaves(ls []LogLeaf) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].Index < ls[j].Index })
}

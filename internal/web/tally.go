package web

import (
	"context"
	"strings"
	"sync"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/tally"
)

// tallies keeps each election's tabulation in memory and recomputes it only
// when protocols have arrived since: the national page on election night is
// served from the aggregate, not from a scan of every protocol per request.
type tallies struct {
	mu sync.Mutex
	m  map[tallyKey]*TallyEntry
}

type tallyKey struct {
	election int64
	sources  string
}

// TallyEntry is an election's tabulation as of a change stamp, kept in
// the core's cache and read by every room that shows results.
type TallyEntry struct {
	mu    sync.Mutex // one recomputation at a time per key
	stamp string     // the election's change sequence when computed (changeStamp)
	// Result is the tabulation of the selected sources.
	Result *tally.Result
	// All is the latest version of every source's protocols.
	All []*election.Protocol
}

// TallyFor returns the current tabulation of an election under sel.
func (s *Server) TallyFor(ctx context.Context, e *election.Election, sel tally.Selector) (*TallyEntry, error) {
	stamp, err := s.ChangeStamp(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	return s.tallyAt(ctx, e, sel, stamp)
}

// tallyAt returns the tabulation of an election under sel as of a protocol
// stamp the caller has just read (the portal reads it at most every
// portalTTL), recomputing it when the cached one is of another stamp.
func (s *Server) tallyAt(ctx context.Context, e *election.Election, sel tally.Selector, stamp string) (*TallyEntry, error) {
	key := tallyKey{e.ID, sourcesKey(sel)}
	s.tallies.mu.Lock()
	if s.tallies.m == nil {
		s.tallies.m = map[tallyKey]*TallyEntry{}
	}
	ent, ok := s.tallies.m[key]
	if !ok {
		ent = &TallyEntry{}
		s.tallies.m[key] = ent
	}
	s.tallies.mu.Unlock()

	ent.mu.Lock()
	defer ent.mu.Unlock()
	if ent.Result != nil && ent.stamp == stamp {
		return ent, nil
	}
	areas, err := s.rdb().Areas(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	ix, err := tally.NewIndex(areas)
	if err != nil {
		return nil, err
	}
	var ps []*election.Protocol
	for _, src := range election.Sources {
		p, err := s.rdb().Protocols(ctx, e.ID, src)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p...)
	}
	ent.Result = tally.Tabulate(e, ix, ps, sel)
	ent.All = ps
	ent.stamp = stamp
	return ent, nil
}

func sourcesKey(sel tally.Selector) string {
	var b strings.Builder
	for _, s := range sel.Sources {
		b.WriteString(string(s))
		b.WriteByte(',')
	}
	return b.String()
}

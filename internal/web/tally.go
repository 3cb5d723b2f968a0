package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/compare"
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

// selectorParam reads ?source=a,b (official-final by default).
func selectorParam(r *http.Request) (tally.Selector, error) {
	q := r.URL.Query().Get("source")
	if q == "" {
		return tally.Selector{Sources: []election.Source{election.OfficialFinal}}, nil
	}
	var sel tally.Selector
	for _, s := range strings.Split(q, ",") {
		src, err := election.ParseSource(strings.TrimSpace(s))
		if err != nil {
			return sel, &Error{Code: Invalid, Message: err.Error(), Field: "source"}
		}
		sel.Sources = append(sel.Sources, src)
	}
	return sel, nil
}

func (s *Server) apiTally(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	level, err := levelParam(r)
	if err != nil {
		return err
	}
	node, err := s.resultsNode(r, e, sel, level, "")
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, node)
	return nil
}

// levelParam reads ?level=, the levels below the area to include (1 by
// default, at most 8).
func levelParam(r *http.Request) (int, error) {
	l := r.URL.Query().Get("level")
	if l == "" {
		return 1, nil
	}
	level, err := strconv.Atoi(l)
	if err != nil || level < 0 || level > 8 {
		return 0, &Error{Code: Invalid, Message: "level: want a whole number from 0 to 8", Field: "level"}
	}
	return level, nil
}

// areaIndexParam reads ?area= (an area id; the root when absent or
// "root") as an index of ix.
func areaIndexParam(r *http.Request, e *election.Election, ix *tally.Index) (int, error) {
	a := r.URL.Query().Get("area")
	if a == "" || a == "root" {
		if roots := ix.Roots(); len(roots) > 0 {
			return int(roots[0]), nil
		}
		return 0, nil
	}
	id, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, &Error{Code: Invalid, Message: "area: want an area id", Field: "area"}
	}
	i, ok := ix.Lookup(id)
	if !ok {
		return 0, Errorf(NotFound, "area %d is not in election %q", id, e.Name)
	}
	return i, nil
}

func (s *Server) apiFlags(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	ent, err := s.TallyFor(r.Context(), e, sel)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, tally.CheckAll(e, ent.Result.Index, ent.All, sel))
	return nil
}

func (s *Server) apiCompare(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	off, cpy := election.OfficialFinal, election.Observer
	if v := q.Get("official"); v != "" {
		if off, err = election.ParseSource(v); err != nil {
			return &Error{Code: Invalid, Message: err.Error(), Field: "official"}
		}
	}
	if v := q.Get("copies"); v != "" {
		if cpy, err = election.ParseSource(v); err != nil {
			return &Error{Code: Invalid, Message: err.Error(), Field: "copies"}
		}
	}
	ent, err := s.TallyFor(r.Context(), e, tally.Selector{Sources: []election.Source{off}})
	if err != nil {
		return err
	}
	rep, err := compare.Compare(e, ent.Result.Index, ent.All, off, cpy, q.Get("leader"), compare.Rules{})
	if err != nil {
		return &Error{Code: Invalid, Message: err.Error(), Field: "leader"}
	}
	WriteJSON(w, http.StatusOK, rep)
	return nil
}

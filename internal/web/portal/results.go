package portal

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/compare"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
)

// The results API: public JSON of elections, areas, protocols and the
// tabulation, its controls and the comparison of copies.

func (s *room) areaParam(r *http.Request, e *election.Election) (election.Area, error) {
	key := r.PathValue("area")
	if key == "root" {
		return s.PortalDB().AreaByPath(r.Context(), e.ID, nil)
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return election.Area{}, web.Errorf(web.Invalid, "area %q: want a number or \"root\"", key)
	}
	return s.PortalDB().Area(r.Context(), e.ID, id)
}

func (s *room) apiElections(w http.ResponseWriter, r *http.Request) error {
	es, err := s.PortalDB().Elections(r.Context())
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"elections": es})
	return nil
}

func (s *room) apiElection(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	counts, err := s.PortalDB().SourceCounts(r.Context(), e.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"election": e, "protocols_by_source": counts})
	return nil
}

// electionArea finds the election and the area the path names.
func (s *room) electionArea(r *http.Request) (*election.Election, election.Area, error) {
	e, err := s.ElectionParam(r)
	if err != nil {
		return nil, election.Area{}, err
	}
	a, err := s.areaParam(r, e)
	return e, a, err
}

func (s *room) apiArea(w http.ResponseWriter, r *http.Request) error {
	e, a, err := s.electionArea(r)
	if err != nil {
		return err
	}
	children, err := s.PortalDB().Children(r.Context(), e.ID, a.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"area": a, "children": children})
	return nil
}

func (s *room) apiAreaProtocols(w http.ResponseWriter, r *http.Request) error {
	e, a, err := s.electionArea(r)
	if err != nil {
		return err
	}
	ps, err := s.PortalDB().AreaProtocols(r.Context(), e.ID, a.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"area": a, "options": e.Options, "protocols": ps})
	return nil
}

func (s *room) apiBatches(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	bs, err := s.PortalDB().Batches(r.Context(), e.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"batches": bs})
	return nil
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
			return sel, &web.Error{Code: web.Invalid, Message: err.Error(), Field: "source"}
		}
		sel.Sources = append(sel.Sources, src)
	}
	return sel, nil
}

func (s *room) apiTally(w http.ResponseWriter, r *http.Request) error {
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
	web.WriteJSON(w, http.StatusOK, node)
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
		return 0, &web.Error{Code: web.Invalid, Message: "level: want a whole number from 0 to 8", Field: "level"}
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
		return 0, &web.Error{Code: web.Invalid, Message: "area: want an area id", Field: "area"}
	}
	i, ok := ix.Lookup(id)
	if !ok {
		return 0, web.Errorf(web.NotFound, "area %d is not in election %q", id, e.Name)
	}
	return i, nil
}

func (s *room) apiFlags(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	sel, err := selectorParam(r)
	if err != nil {
		return err
	}
	if slices.Equal(sel.Sources, tally.DefaultSources) {
		// The default (every request without ?source=): the report from the
		// maintained flags and counts (stored.ReportStore: rows in
		// proportion to the flags), cached as a page. Tabulating and
		// checking every protocol took 15–23 s for the first request at
		// 1,000,000 stations and 0.5–0.7 s of CPU for every later one: a
		// public endpoint anyone could keep busy.
		stamp, err := s.PortalStamp(r, e.ID)
		if err != nil {
			return err
		}
		// One key whatever the query says (the answer does not depend on
		// it): made-up parameters must not each miss the cache.
		key := r.URL.Path + "|flags"
		return s.ServePage(w, r, key, stamp, "application/json; charset=utf-8", func(r *http.Request) ([]byte, error) {
			rep, err := stored.ReportStore(r.Context(), s.PortalDB(), e)
			if err != nil {
				return nil, err
			}
			b, err := json.Marshal(rep)
			return append(b, '\n'), err
		})
	}
	ent, err := s.TallyFor(r.Context(), e, sel)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, tally.CheckAll(e, ent.Result.Index, ent.All, sel))
	return nil
}

func (s *room) apiCompare(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	off, cpy := election.OfficialFinal, election.Observer
	if v := q.Get("official"); v != "" {
		if off, err = election.ParseSource(v); err != nil {
			return &web.Error{Code: web.Invalid, Message: err.Error(), Field: "official"}
		}
	}
	if v := q.Get("copies"); v != "" {
		if cpy, err = election.ParseSource(v); err != nil {
			return &web.Error{Code: web.Invalid, Message: err.Error(), Field: "copies"}
		}
	}
	ent, err := s.TallyFor(r.Context(), e, tally.Selector{Sources: []election.Source{off}})
	if err != nil {
		return err
	}
	rep, err := compare.Compare(e, ent.Result.Index, ent.All, off, cpy, q.Get("leader"), compare.Rules{})
	if err != nil {
		return &web.Error{Code: web.Invalid, Message: err.Error(), Field: "leader"}
	}
	web.WriteJSON(w, http.StatusOK, rep)
	return nil
}

package portal

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
)

// maxSearchResults bounds a search's list; a narrower query finds the rest.
const maxSearchResults = 100

type searchHit struct {
	ID      int64
	Path    string
	Station bool
}

type searchPage struct {
	C     web.PageCommon
	Q     string
	Hits  []searchHit
	More  bool
	Empty bool
}

// pageSearch finds areas and stations by name or number — "where is my
// polling station?" — in the in-memory index of the election. A query that
// names exactly one station goes straight to it.
func (s *room) pageSearch(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	ent, err := s.PortalTally(r.Context(), e, tally.Selector{Sources: []election.Source{election.OfficialFinal}}, stamp)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	p := &searchPage{C: s.Common(r, e, e.Title(), ""), Q: q}
	if q != "" {
		ix := ent.Result.Index
		lq := strings.ToLower(q)
		var exact []searchHit
		for i := range ix.Len() {
			a := ix.Area(i)
			if a.Level == 0 {
				continue
			}
			path := strings.Join(a.Path, " / ")
			if a.Station && a.Name == q {
				exact = append(exact, searchHit{a.ID, path, true})
			}
			if !strings.Contains(strings.ToLower(path), lq) {
				continue
			}
			if len(p.Hits) == maxSearchResults {
				p.More = true
				continue
			}
			p.Hits = append(p.Hits, searchHit{a.ID, path, a.Station})
		}
		if len(exact) == 1 {
			http.Redirect(w, r, "/elections/"+strconv.FormatInt(e.ID, 10)+"/areas/"+strconv.FormatInt(exact[0].ID, 10), http.StatusSeeOther)
			return nil
		}
		p.Empty = len(p.Hits) == 0
	}
	return s.Render(w, r, http.StatusOK, "search.html", p)
}

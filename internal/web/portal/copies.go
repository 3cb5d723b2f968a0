package portal

import (
	"net/http"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/compare"
	"github.com/vigil-elections/vigil/internal/tally"
	"github.com/vigil-elections/vigil/internal/web"
)

// The observers' copies against the official protocols, for the public:
// how many stations were compared, where the official final protocol
// differs from the copy the station's commission signed, what that did to
// the leader's votes, and whether the outcome would change
// (internal/integrity/compare does the work).

// maxCopyRows bounds the list of differing stations on the page; the open
// data and /api/v1/elections/{e}/compare have them all.
const maxCopyRows = 500

type copiesPage struct {
	C        web.PageCommon
	R        *compare.Report
	Outcomes []compare.Outcome
	Rows     []compare.StationDiff
	More     int
}

func (s *room) pageCopies(w http.ResponseWriter, r *http.Request) error {
	e, err := s.PortalElection(r)
	if err != nil {
		return err
	}
	stamp, err := s.PortalStamp(r, e.ID)
	if err != nil {
		return err
	}
	return s.ServePage(w, r, s.PageKey(r), stamp, "text/html; charset=utf-8", func(r *http.Request) ([]byte, error) {
		ent, err := s.PortalTally(r.Context(), e, tally.Selector{Sources: []election.Source{election.OfficialFinal}}, stamp)
		if err != nil {
			return nil, err
		}
		rep, err := compare.Compare(e, ent.Result.Index, ent.All, election.OfficialFinal, election.Observer, "", compare.Rules{})
		if err != nil {
			return nil, err
		}
		p := &copiesPage{C: s.Common(r, e, e.Title(), "nav.copies"), R: rep,
			Outcomes: []compare.Outcome{rep.OfficialOutcome, rep.WithoutAltered, rep.CopiesSubstitute}, Rows: rep.Stations}
		if len(p.Rows) > maxCopyRows {
			p.More = len(p.Rows) - maxCopyRows
			p.Rows = p.Rows[:maxCopyRows]
		}
		return s.RenderBytes(r, "copies.html", p)
	})
}

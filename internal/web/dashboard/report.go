package dashboard

import (
	"encoding/json"
	"net/http"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/web"
)

// The staff's page of one report, where the dashboard's incident and
// quality-control numbers lead: the same report the JSON API serves
// (GET /api/v1/elections/{e}/reports/{id}), as a page, with the form's
// labels beside the answers. The same rules apply: the organisation's
// staff, a coordinator inside their area.
func (s *room) reportRoutes() {
	s.Mux().Handle("GET /dashboard/{election}/reports/{id}", http.NewCrossOriginProtection().Handler(s.Serve(s.staffPage(s.dashReportPage))))
}

// answerRow is one answer of a report, labelled.
type answerRow struct {
	ID, Label, Value string
}

func (s *room) dashReportPage(w http.ResponseWriter, r *http.Request) error {
	e, _, err := s.ElectionAs(r, access.ReadReports)
	if err != nil {
		return err
	}
	rep, err := s.ReportParam(r)
	if err != nil {
		return err
	}
	if rep.ElectionID != e.ID {
		return web.Errorf(web.NotFound, "no report %d in election %d", rep.ID, e.ID)
	}
	if err := s.Check(r, access.ReadReports, access.Resource{OrgID: rep.OrgID, Area: web.NonNilArea(rep.AreaPath), ObserverID: rep.ObserverID}); err != nil {
		return err
	}
	var a form.Answers
	if err := json.Unmarshal(rep.Answers, &a); err != nil {
		return err
	}
	lang := s.Lang(r)
	var fm *form.Form
	if sf, err := s.DB().FormByID(r.Context(), rep.FormID); err == nil {
		fm = sf.Form
	}
	var rows []answerRow
	seen := map[string]bool{}
	if fm != nil {
		for i := range fm.Questions {
			q := &fm.Questions[i]
			v, ok := a[q.ID]
			if !ok {
				continue
			}
			seen[q.ID] = true
			rows = append(rows, answerRow{ID: q.ID, Label: q.Label.In(lang), Value: answerText(q, v, lang)})
		}
	}
	for _, id := range observe.SortedKeys(a) {
		if !seen[id] {
			rows = append(rows, answerRow{ID: id, Label: id, Value: a[id].String()})
		}
	}
	places, err := s.reportPlaces(r.Context(), e, rep, fm, a, lang)
	if err != nil {
		return err
	}
	return s.Render(w, r, http.StatusOK, "staff_report.html", map[string]any{
		"C": s.Common(r, nil, e.Title(), ""), "Election": e, "Report": rep, "Answers": rows, "Places": places,
		"API": "/api/v1/elections/" + itoa64(e.ID) + "/reports/" + itoa64(rep.ID),
	})
}

// answerText shows an answer with its choice's label where it has one.
func answerText(q *form.Question, v form.Value, lang string) string {
	if t, ok := v.Text(); ok {
		if c, ok := q.Choice(t); ok {
			return c.Label.In(lang)
		}
		return t
	}
	if list, ok := v.List(); ok {
		out := ""
		for i, t := range list {
			if i > 0 {
				out += ", "
			}
			if c, ok := q.Choice(t); ok {
				t = c.Label.In(lang)
			}
			out += t
		}
		return out
	}
	if b, ok := v.Bool(); ok {
		if c, ok := q.Choice(map[bool]string{true: form.YesValue, false: form.NoValue}[b]); ok {
			return c.Label.In(lang)
		}
	}
	return v.String()
}

package recommend

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Counts are recommendations per assessment category.
type Counts struct {
	Fully       int `json:"fully"`
	Mostly      int `json:"mostly"`
	Partially   int `json:"partially"`
	Not         int `json:"not"`
	NotAssessed int `json:"not_assessed"`
}

// Add counts one recommendation of status s.
func (c *Counts) Add(s Status) {
	switch s {
	case Fully:
		c.Fully++
	case Mostly:
		c.Mostly++
	case Partially:
		c.Partially++
	case NotImpl:
		c.Not++
	default:
		c.NotAssessed++
	}
}

// Get returns the count of status s.
func (c Counts) Get(s Status) int {
	switch s {
	case Fully:
		return c.Fully
	case Mostly:
		return c.Mostly
	case Partially:
		return c.Partially
	case NotImpl:
		return c.Not
	}
	return c.NotAssessed
}

// Total is every recommendation counted, assessed or not.
func (c Counts) Total() int { return c.Fully + c.Mostly + c.Partially + c.Not + c.NotAssessed }

// Assessed is the recommendations given a category.
func (c Counts) Assessed() int { return c.Total() - c.NotAssessed }

// ImplementedShare is the share of assessed recommendations that were fully
// or mostly implemented, or 0 when none was assessed.
func (c Counts) ImplementedShare() float64 {
	if c.Assessed() == 0 {
		return 0
	}
	return float64(c.Fully+c.Mostly) / float64(c.Assessed())
}

// Sentence words the counts as a report does: "Of 36 prior
// recommendations, 3 were fully implemented, 3 mostly, 24 partially and 6
// not implemented."
func (c Counts) Sentence() string {
	var parts []string
	add := func(n int, s string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	first := true // the first part carries the verb
	for _, s := range []Status{Fully, Mostly, Partially, NotImpl, NotAssessed} {
		n := c.Get(s)
		if n == 0 {
			continue
		}
		word := s.Title()
		if !first && (s == Mostly || s == Partially) {
			word = strings.TrimSuffix(word, " implemented")
		}
		if first {
			verb := "were "
			if n == 1 {
				verb = "was "
			}
			word = verb + word
			first = false
		}
		add(n, word)
	}
	noun := "recommendations"
	if c.Total() == 1 {
		noun = "recommendation"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("No prior %s.", noun)
	}
	list := parts[0]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return fmt.Sprintf("Of %d prior %s, %s.", c.Total(), noun, list)
}

// AssessmentSummary is one report's assessment of the prior
// recommendations to its country.
type AssessmentSummary struct {
	Report       string          `json:"report"`
	Title        string          `json:"title,omitempty"`
	Mission      string          `json:"mission"`
	MissionName  string          `json:"mission_name,omitempty"`
	Election     string          `json:"election,omitempty"`
	ElectionDate string          `json:"election_date,omitempty"`
	Date         string          `json:"date"`
	Prior        int             `json:"prior"` // recommendations counted
	Counts       Counts          `json:"counts"`
	ByArea       map[Area]Counts `json:"by_area"`
	Implemented  float64         `json:"implemented_share"` // fully or mostly, of those assessed
	Text         string          `json:"text"`
	// Refs are the recommendations counted, by status (for pages that list them).
	Refs map[Status][]string `json:"-"`
}

// TrendPoint is one election's share of implemented recommendations and
// its change since the previous assessment.
type TrendPoint struct {
	Report       string  `json:"report"`
	ElectionDate string  `json:"election_date,omitempty"`
	Date         string  `json:"date"`
	Implemented  float64 `json:"implemented_share"`
	NotShare     float64 `json:"not_implemented_share"`
	Change       float64 `json:"change"` // in implemented share, since the previous point
}

// CountrySummary is the follow-up of one country's recommendations over
// its elections.
type CountrySummary struct {
	Country         string              `json:"country"`
	Recommendations int                 `json:"recommendations"`
	Assessments     []AssessmentSummary `json:"assessments"`
	Trend           []TrendPoint        `json:"trend"`
}

// Summarise counts, for each report of the country that assesses earlier
// recommendations, the recommendations it counts by category and area.
//
// A report counts the recommendations it assesses, and also, as not
// assessed, every earlier recommendation still open at its date that it
// leaves out: one published before it, not yet repeated by a later
// recommendation published before it (the repeat carries the history on),
// and not already found fully implemented. So a mission that drops a
// recommendation from its follow-up shows in the counts instead of
// silently improving them.
func Summarise(ds *Dataset, country string) CountrySummary {
	country = strings.ToUpper(country)
	x := NewIndex(ds)
	out := CountrySummary{Country: country, Assessments: []AssessmentSummary{}, Trend: []TrendPoint{}}
	for _, r := range ds.Recommendations {
		if x.Country(r.ReportKey) == country {
			out.Recommendations++
		}
	}
	var assessing []*Report
	for key := range x.ByReport {
		if r := x.Reports[key]; r != nil && x.Country(key) == country {
			assessing = append(assessing, r)
		}
	}
	slices.SortFunc(assessing, func(a, b *Report) int { return x.compareReports(a.Key, b.Key) })
	for _, rep := range assessing {
		out.Assessments = append(out.Assessments, x.summariseReport(rep))
	}
	for i, a := range out.Assessments {
		p := TrendPoint{Report: a.Report, ElectionDate: a.ElectionDate, Date: a.Date, Implemented: a.Implemented}
		if n := a.Counts.Assessed(); n > 0 {
			p.NotShare = float64(a.Counts.Not) / float64(n)
		}
		if i > 0 {
			p.Change = p.Implemented - out.Trend[i-1].Implemented
		}
		out.Trend = append(out.Trend, p)
	}
	return out
}

// Prior returns the references of the recommendations a report's follow-up
// covers: those it assesses and the earlier ones still open at its date
// (see Summarise), with the status it gives each (NotAssessed when none).
func (x *Index) Prior(reportKey string) map[string]Status {
	rep := x.Reports[reportKey]
	out := map[string]Status{}
	if rep == nil {
		return out
	}
	for _, a := range x.ByReport[reportKey] {
		out[a.Recommendation] = a.Status
	}
	country := x.Country(reportKey)
	for ref, rec := range x.Recs {
		if _, ok := out[ref]; ok {
			continue
		}
		r := x.Reports[rec.ReportKey]
		if r == nil || rec.ReportKey == reportKey || r.Date >= rep.Date || x.Country(rec.ReportKey) != country {
			continue
		}
		if x.repeatedBefore(ref, rep) || x.StatusBefore(ref, rep.Date) == Fully {
			continue
		}
		out[ref] = NotAssessed
	}
	return out
}

// OpenAt returns a country's recommendations still open at date:
// published before it, not repeated by a later recommendation published
// before it, and not found fully implemented; each with its latest
// status before date ("" when never assessed).
func (x *Index) OpenAt(country, date string) map[string]Status {
	probe := &Report{Date: date}
	out := map[string]Status{}
	for ref, rec := range x.Recs {
		r := x.Reports[rec.ReportKey]
		if r == nil || r.Date >= date || x.Country(rec.ReportKey) != country {
			continue
		}
		st := x.StatusBefore(ref, date)
		if st == Fully || x.repeatedBefore(ref, probe) {
			continue
		}
		out[ref] = st
	}
	return out
}

// repeatedBefore reports whether a later recommendation, published before
// rep and not in it, repeats ref.
func (x *Index) repeatedBefore(ref string, rep *Report) bool {
	for _, by := range x.RepeatedBy[ref] {
		r := x.Reports[x.Recs[by].ReportKey]
		if r != nil && r.Key != rep.Key && r.Date < rep.Date {
			return true
		}
	}
	return false
}

// StatusBefore is the latest assessment of ref by a report dated before
// date, or "" when it had none.
func (x *Index) StatusBefore(ref, date string) Status {
	var s Status
	for _, a := range x.Assessed[ref] {
		if r := x.Reports[a.ReportKey]; r != nil && r.Date < date {
			s = a.Status
		}
	}
	return s
}

// Latest is the latest assessment of ref, or nil.
func (x *Index) Latest(ref string) *Assessment {
	as := x.Assessed[ref]
	if len(as) == 0 {
		return nil
	}
	return as[len(as)-1]
}

func (x *Index) summariseReport(rep *Report) AssessmentSummary {
	s := AssessmentSummary{Report: rep.Key, Title: rep.Title, Mission: rep.MissionKey, Date: rep.Date,
		ByArea: map[Area]Counts{}, Refs: map[Status][]string{}}
	if m := x.Missions[rep.MissionKey]; m != nil {
		s.MissionName, s.Election, s.ElectionDate = m.Name, m.Election, m.ElectionDate
	}
	prior := x.Prior(rep.Key)
	refs := make([]string, 0, len(prior))
	for ref := range prior {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, x.compareRefs)
	for _, ref := range refs {
		st := prior[ref]
		s.Counts.Add(st)
		s.Refs[st] = append(s.Refs[st], ref)
		if rec := x.Recs[ref]; rec != nil {
			c := s.ByArea[rec.Area]
			c.Add(st)
			s.ByArea[rec.Area] = c
		}
	}
	s.Prior = s.Counts.Total()
	s.Implemented = s.Counts.ImplementedShare()
	s.Text = s.Counts.Sentence()
	return s
}

// CountryRow is one country's latest assessment, for comparison.
type CountryRow struct {
	Country         string  `json:"country"`
	Recommendations int     `json:"recommendations"`
	Assessments     int     `json:"assessments"`
	Report          string  `json:"latest_report,omitempty"`
	Date            string  `json:"date,omitempty"`
	Counts          Counts  `json:"counts"`
	Implemented     float64 `json:"implemented_share"`
	Change          float64 `json:"change"` // since the country's previous assessment
}

// Compare sets the countries side by side at their latest assessments,
// the most implemented first.
func Compare(ds *Dataset) []CountryRow {
	out := []CountryRow{}
	for _, c := range ds.Countries() {
		s := Summarise(ds, c)
		row := CountryRow{Country: c, Recommendations: s.Recommendations, Assessments: len(s.Assessments)}
		if n := len(s.Assessments); n > 0 {
			last := s.Assessments[n-1]
			row.Report, row.Date, row.Counts, row.Implemented = last.Report, last.Date, last.Counts, last.Implemented
			row.Change = s.Trend[n-1].Change
		}
		out = append(out, row)
	}
	slices.SortStableFunc(out, func(a, b CountryRow) int {
		return cmp.Or(cmp.Compare(b.Implemented, a.Implemented), strings.Compare(a.Country, b.Country))
	})
	return out
}

// Step is one recommendation in a history: the recommendation, its report
// and mission, and the later reports' assessments of it.
type Step struct {
	Ref            string          `json:"ref"`
	Recommendation *Recommendation `json:"recommendation"`
	Report         *Report         `json:"report"`
	Mission        *Mission        `json:"mission,omitempty"`
	Assessments    []*Assessment   `json:"assessments"`
}

// History returns the recommendations linked to ref through repeats, in
// either direction and transitively (what it repeats, what repeats it,
// and so on), ordered by report date: the recommendation's life across
// electoral cycles, each step with its assessments.
func (x *Index) History(ref string) []Step {
	if x.Recs[ref] == nil {
		return nil
	}
	seen := map[string]bool{ref: true}
	queue := []string{ref}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		next := append(slices.Clone(x.Recs[cur].Repeats), x.RepeatedBy[cur]...)
		for _, n := range next {
			if !seen[n] && x.Recs[n] != nil {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	refs := make([]string, 0, len(seen))
	for r := range seen {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, x.compareRefs)
	out := make([]Step, 0, len(refs))
	for _, r := range refs {
		rec := x.Recs[r]
		st := Step{Ref: r, Recommendation: rec, Report: x.Reports[rec.ReportKey], Mission: x.MissionOf(rec.ReportKey),
			Assessments: x.Assessed[r]}
		if st.Assessments == nil {
			st.Assessments = []*Assessment{}
		}
		out = append(out, st)
	}
	return out
}

// Chain is one recommendation's whole history, named by its latest step:
// how pages list a country's recommendations, each once.
type Chain struct {
	Ref    string          `json:"ref"` // the latest step
	Latest *Recommendation `json:"latest"`
	// Status is the latest assessment of any step, "" when none.
	Status Status `json:"status,omitempty"`
	Steps  []Step `json:"steps"`
}

// Chains returns the histories of a country's recommendations, each once,
// by the area of their latest step (report order), priority first, then
// by the latest step's number.
func (x *Index) Chains(country string) []Chain {
	country = strings.ToUpper(country)
	seen := map[string]bool{}
	var out []Chain
	refs := make([]string, 0, len(x.Recs))
	for ref := range x.Recs {
		refs = append(refs, ref)
	}
	slices.SortFunc(refs, x.compareRefs)
	for _, ref := range refs {
		if seen[ref] || x.Country(x.Recs[ref].ReportKey) != country {
			continue
		}
		h := x.History(ref)
		for _, st := range h {
			seen[st.Ref] = true
		}
		last := h[len(h)-1]
		c := Chain{Ref: last.Ref, Latest: last.Recommendation, Steps: h}
		for _, st := range h {
			if n := len(st.Assessments); n > 0 {
				c.Status = st.Assessments[n-1].Status
			}
		}
		out = append(out, c)
	}
	order := map[Area]int{}
	for i, a := range Areas {
		order[a] = i
	}
	slices.SortStableFunc(out, func(a, b Chain) int {
		pa, pb := 1, 1
		if a.Latest.Priority {
			pa = 0
		}
		if b.Latest.Priority {
			pb = 0
		}
		return cmp.Or(cmp.Compare(order[a.Latest.Area], order[b.Latest.Area]), cmp.Compare(pa, pb), x.compareRefs(a.Ref, b.Ref))
	})
	return out
}

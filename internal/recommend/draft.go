package recommend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// IntegrityItem is one result of the integrity tests of an election
// (observers' copies against official protocols, the parallel vote
// tabulation, statistical forensics), as a statement quotes it.
type IntegrityItem struct {
	Test   string `json:"test"`   // "Parallel vote tabulation"
	Result string `json:"result"` // "the official turnout lies outside the 95 % interval"
	Figure string `json:"figure,omitempty"`
	// The same as phrases of the drafts' words, so that a draft in
	// another language words them; a phrase without a key leaves the
	// English text above (a source that has no phrase for it).
	TestWords, ResultWords, FigureWords Phrase `json:"-"`
}

// wordOr words p in w's language, or gives en when p has no key.
func (w words) wordOr(p Phrase, en string) string {
	if p.Key == "" {
		return en
	}
	return w.say(p)
}

// ErrNotComputed says that a source has no result for an election yet.
var ErrNotComputed = errors.New("not computed")

// NotComputedError is ErrNotComputed with the reason as a phrase, so that
// a draft in another language says why.
type NotComputedError struct{ Why Phrase }

func (e *NotComputedError) Error() string { return ErrNotComputed.Error() + ": " + Say("en", e.Why) }

// Unwrap makes errors.Is(err, ErrNotComputed) hold.
func (e *NotComputedError) Unwrap() error { return ErrNotComputed }

// IntegritySource gives an election's integrity results. Until the
// integrity package stores its results, there is none, and drafts say
// "not computed".
type IntegritySource interface {
	// Integrity returns the election's results, or ErrNotComputed.
	Integrity(ctx context.Context, election string) ([]IntegrityItem, error)
}

// Sources are where a draft takes its figures; any may be nil (not
// available), and the draft then says so instead of inventing numbers.
type Sources struct {
	Results   ResultsSource
	Findings  FindingsSource
	Integrity IntegritySource
}

// DraftKind is the document drafted.
type DraftKind string

// The documents vigil drafts.
const (
	StatementDraft DraftKind = "statement" // quantitative part of the Statement of Preliminary Findings
	FinalDraft     DraftKind = "final"     // final report skeleton
)

// ParseDraftKind checks a draft kind.
func ParseDraftKind(s string) (DraftKind, error) {
	return parseEnum("draft", s, []DraftKind{StatementDraft, FinalDraft})
}

// Draft is a statement or a final report assembled from the data: the
// parts vigil can write, with figures and where they come from, and
// marked gaps for the parts people write.
type Draft struct {
	Kind      DraftKind  `json:"kind"`
	Lang      string     `json:"lang"` // "en", "ru" or "kk" (DraftLangs)
	Title     string     `json:"title"`
	Mission   *Mission   `json:"mission"`
	Generated time.Time  `json:"generated"`
	Election  string     `json:"election,omitempty"`
	Sections  []*Section `json:"sections"`
}

// Section is one heading of a draft.
type Section struct {
	Title string `json:"title"`
	// Paragraphs are sentences vigil writes from data.
	Paragraphs []string `json:"paragraphs,omitempty"`
	// Gap, when set, marks text for the core team to write.
	Gap string `json:"gap,omitempty"`
	// Missing says which source has not given its data ("not computed").
	Missing         []string         `json:"missing,omitempty"`
	Rows            []DraftRow       `json:"rows,omitempty"` // a table of figures
	Recommendations []DraftRec       `json:"recommendations,omitempty"`
	FollowUp        *FollowUpSection `json:"follow_up,omitempty"`
}

// DraftRow is one figure of a table.
type DraftRow struct {
	Label  string `json:"label"`
	Value  string `json:"value"`
	Source string `json:"source,omitempty"`
}

// DraftRec is a recommendation as a report lists it.
type DraftRec struct {
	Ref      string `json:"ref"`
	Number   string `json:"number"`
	Text     string `json:"text"`
	Priority bool   `json:"priority"`
	Area     string `json:"area"`
	Status   string `json:"status,omitempty"` // in an assessment annex
	Note     string `json:"note,omitempty"`   // "repeats …", reasoning, proposal
}

// FollowUpSection is the annex on prior recommendations.
type FollowUpSection struct {
	Summary AssessmentSummary `json:"summary"`
	Areas   []AreaCounts      `json:"areas"`
}

// AreaCounts are an area's counts, in report order.
type AreaCounts struct {
	Area   string `json:"area"`
	Counts Counts `json:"counts"`
}

// BuildDraft assembles a draft in English for a mission from the records
// of its country (ds) and the sources.
func BuildDraft(ctx context.Context, ds *Dataset, missionKey string, kind DraftKind, src Sources) (*Draft, error) {
	return BuildDraftIn(ctx, ds, missionKey, kind, src, "en")
}

// BuildDraftIn is BuildDraft in a language (a tag: "ru", "kk-KZ"; English
// for one vigil has no words for). vigil's own sentences (its sources'
// phrases included) are in that language; what the draft quotes from its
// records (recommendations, assessments' reasoning, names of missions and
// reports, a custom form's labels) stays as recorded.
func BuildDraftIn(ctx context.Context, ds *Dataset, missionKey string, kind DraftKind, src Sources, lang string) (*Draft, error) {
	x := NewIndex(ds)
	m := x.Missions[missionKey]
	if m == nil {
		return nil, fmt.Errorf("mission %q: not found", missionKey)
	}
	w := words(DraftLang(lang))
	d := &Draft{Kind: kind, Lang: string(w), Mission: m, Election: m.Election, Generated: time.Now().UTC().Truncate(time.Second)}
	switch kind {
	case StatementDraft:
		d.Title = w.T("title.statement")
	case FinalDraft:
		d.Title = w.T("title.final")
	default:
		return nil, fmt.Errorf("unknown draft %q", kind)
	}
	obs, err := observationSection(ctx, w, m, src.Findings)
	if err != nil {
		return nil, err
	}
	res, err := resultsSection(ctx, w, m, src.Results)
	if err != nil {
		return nil, err
	}
	integ, err := integritySection(ctx, w, m, src.Integrity)
	if err != nil {
		return nil, err
	}
	if kind == StatementDraft {
		d.Sections = []*Section{obs, res, integ, x.priorSection(w, m)}
		return d, nil
	}

	// The final report: an executive summary, a section per area with the
	// mission's own recommendations there, and the annexes.
	final := x.finalReport(missionKey)
	d.Sections = append(d.Sections, &Section{Title: w.T("sec.executive"), Gap: w.T("gap.core")})
	recsByArea := map[Area][]DraftRec{}
	if final != nil {
		for _, r := range ds.Recommendations {
			if r.ReportKey != final.Key {
				continue
			}
			dr := DraftRec{Ref: r.Ref(), Number: r.Number, Text: r.Text, Priority: r.Priority, Area: w.area(r.Area)}
			if len(r.Repeats) > 0 {
				var prev []string
				for _, p := range r.Repeats {
					prev = append(prev, x.describeRef(w, p))
				}
				dr.Note = w.T("note.repeats", strings.Join(prev, "; "))
			}
			recsByArea[r.Area] = append(recsByArea[r.Area], dr)
		}
	}
	for _, a := range Areas {
		s := &Section{Title: w.area(a), Gap: w.T("gap.analysis")}
		switch a {
		case ElectionDay:
			s.Rows, s.Missing = obs.Rows, obs.Missing
		case Publication:
			s.Paragraphs, s.Rows, s.Missing = res.Paragraphs, res.Rows, res.Missing
		}
		recs := recsByArea[a]
		slices.SortFunc(recs, func(p, q DraftRec) int { return compareNumbers(p.Number, q.Number) })
		s.Recommendations = recs
		d.Sections = append(d.Sections, s)
	}
	integ.Title = w.T("sec.integrity_annex")
	d.Sections = append(d.Sections, integ)

	fu := &Section{Title: w.T("sec.followup")}
	if final != nil && len(x.Prior(final.Key)) > 0 {
		sum := x.summariseReport(final)
		fu.FollowUp = &FollowUpSection{Summary: sum}
		for _, a := range Areas {
			if c, ok := sum.ByArea[a]; ok {
				fu.FollowUp.Areas = append(fu.FollowUp.Areas, AreaCounts{Area: w.area(a), Counts: c})
			}
		}
		fu.Paragraphs = []string{w.summary(sum.Counts)}
		var proposals map[string]Proposal
		if ps, err := ProposeAll(ctx, x, final.Key, src.Results, src.Findings); err == nil {
			proposals = map[string]Proposal{}
			for _, p := range ps {
				proposals[p.Recommendation] = p
			}
		} else {
			return nil, err
		}
		for _, st := range Statuses {
			for _, ref := range sum.Refs[st] {
				r := x.Recs[ref]
				dr := DraftRec{Ref: ref, Number: x.describeRef(w, ref), Text: r.Text, Priority: r.Priority, Area: w.area(r.Area), Status: w.status(st)}
				for _, a := range x.ByReport[final.Key] {
					if a.Recommendation == ref {
						dr.Note = a.Reasoning
					}
				}
				if p, ok := proposals[ref]; ok && p.OK && p.Status != st {
					dr.Note = strings.TrimSpace(dr.Note + " " + w.T("note.suggests", w.status(p.Status), w.wordOr(p.Why, p.Reasoning)))
				}
				fu.Recommendations = append(fu.Recommendations, dr)
			}
		}
	} else {
		fu.Gap = w.T("gap.no_assessment")
	}
	d.Sections = append(d.Sections, fu)
	return d, nil
}

// priorSection states, for a statement, the earlier recommendations still
// open on election day and the latest follow-up before it.
func (x *Index) priorSection(w words, m *Mission) *Section {
	s := &Section{Title: w.T("sec.prior")}
	date := m.ElectionDate
	if date == "" {
		date = time.Now().UTC().Format(time.DateOnly)
	}
	open := x.OpenAt(m.Country, date)
	if len(open) == 0 {
		s.Paragraphs = []string{w.T("prior.none", m.Country, date)}
		return s
	}
	prio, never := 0, 0
	for ref, st := range open {
		if x.Recs[ref].Priority {
			prio++
		}
		if st == "" {
			never++
		}
	}
	s.Paragraphs = append(s.Paragraphs, w.T("prior.open", date, len(open), m.Country, prio, never))
	var last *Report
	for key := range x.ByReport {
		r := x.Reports[key]
		if r != nil && x.Country(key) == m.Country && r.Date < date && (last == nil || r.Date > last.Date) {
			last = r
		}
	}
	if last != nil {
		sum := x.summariseReport(last)
		s.Paragraphs = append(s.Paragraphs, w.T("prior.latest", x.describeReport(last), last.Date, w.summary(sum.Counts)))
	}
	return s
}

func (x *Index) describeReport(r *Report) string {
	if m := x.Missions[r.MissionKey]; m != nil {
		return m.Name + ", " + r.Title
	}
	return r.Title
}

// finalReport returns the mission's final report (the latest, if several).
func (x *Index) finalReport(missionKey string) *Report {
	var out *Report
	for _, r := range x.Reports {
		if r.MissionKey == missionKey && r.Kind == Final && (out == nil || r.Date > out.Date) {
			out = r
		}
	}
	return out
}

// describeRef words a reference for readers: "2022 Final Report, no. 5".
func (x *Index) describeRef(w words, ref string) string {
	rk, n, _ := SplitRef(ref)
	r := x.Reports[rk]
	if r == nil {
		return ref
	}
	title := r.Title
	if title == "" {
		kind := string(r.Kind)
		if t, ok := w.lookup("kind." + kind); ok {
			kind = t
		}
		title = w.T("report", kind)
	}
	return w.T("ref", r.Date[:min(4, len(r.Date))], title, n)
}

func observationSection(ctx context.Context, w words, m *Mission, f FindingsSource) (*Section, error) {
	s := &Section{Title: w.T("sec.observation")}
	if m.Election == "" {
		s.Missing = []string{w.T("missing.obs_election")}
		return s, nil
	}
	if f == nil {
		s.Missing = []string{w.T("missing.obs_none")}
		return s, nil
	}
	ind, err := f.Indicators(ctx, m.Election, m.Organisation)
	if err != nil && !errors.Is(err, ErrNotComputed) {
		return nil, err
	}
	if len(ind) == 0 {
		s.Missing = []string{w.T("missing.obs_computed")}
		return s, nil
	}
	for _, i := range ind {
		label := w.indicator(i)
		s.Rows = append(s.Rows, DraftRow{Label: label, Value: w.T("obs.value", i.Count, i.Of, 100*i.Share()),
			Source: w.T("obs.source", m.Election)})
	}
	return s, nil
}

// indicator names an observation indicator: vigil's words for the
// built-in forms' indicators and phases ("ind.<code>", "phase.<phase>",
// "assessed.<phase>"), else the label the findings give (a form's own
// question, quoted as recorded).
func (w words) indicator(i Indicator) string {
	if i.Code == IndicatorAssessedNegatively && i.Phase != "" {
		if t, ok := w.lookup("assessed." + i.Phase); ok {
			return t
		}
	}
	label, ok := w.lookup("ind." + i.Code)
	if !ok {
		label = i.Label
	}
	if label == "" {
		label = strings.ReplaceAll(i.Code, "_", " ")
	}
	if i.Phase != "" {
		ph, ok := w.lookup("phase." + i.Phase)
		if !ok {
			ph = i.Phase
		}
		label = ph + ": " + label
	}
	return label
}

func resultsSection(ctx context.Context, w words, m *Mission, r ResultsSource) (*Section, error) {
	s := &Section{Title: w.T("sec.results")}
	if m.Election == "" {
		s.Missing = []string{w.T("missing.res_election")}
		return s, nil
	}
	if r == nil {
		s.Missing = []string{w.T("missing.res_none")}
		return s, nil
	}
	c, err := r.StationCoverage(ctx, m.Election)
	if err != nil {
		return nil, err
	}
	if !c.Found || c.Stations == 0 {
		s.Missing = []string{w.T("missing.res_stations", m.Election)}
		return s, nil
	}
	src := w.T("res.source", m.Election)
	s.Rows = []DraftRow{
		{Label: w.T("res.stations"), Value: fmt.Sprint(c.Stations), Source: src},
		{Label: w.T("res.final"), Value: w.T("res.share", c.WithFinal, pct(c.WithFinal, c.Stations)), Source: src},
		{Label: w.T("res.preliminary"), Value: w.T("res.share", c.WithPreliminary, pct(c.WithPreliminary, c.Stations)), Source: src},
	}
	s.Paragraphs = []string{w.T("res.paragraph", c.WithOfficial, c.Stations, pct(c.WithOfficial, c.Stations))}
	return s, nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func integritySection(ctx context.Context, w words, m *Mission, is IntegritySource) (*Section, error) {
	s := &Section{Title: w.T("sec.integrity")}
	if is == nil || m.Election == "" {
		s.Missing = []string{w.T("missing.integ_none")}
		return s, nil
	}
	items, err := is.Integrity(ctx, m.Election)
	if errors.Is(err, ErrNotComputed) || (err == nil && len(items) == 0) {
		msg := w.T("missing.integ", w.T("not_computed"))
		var why *NotComputedError
		switch {
		case errors.As(err, &why):
			msg = w.T("missing.integ", w.T("not_computed")+": "+w.say(why.Why))
		case err != nil && err.Error() != ErrNotComputed.Error():
			msg = w.T("missing.integ", err.Error())
		}
		s.Missing = []string{msg}
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		s.Rows = append(s.Rows, DraftRow{Label: w.wordOr(it.TestWords, it.Test),
			Value:  w.wordOr(it.ResultWords, it.Result) + figureSuffix(w.wordOr(it.FigureWords, it.Figure)),
			Source: w.T("integ.source", m.Election)})
	}
	return s, nil
}

func figureSuffix(f string) string {
	if f == "" {
		return ""
	}
	return " (" + f + ")"
}

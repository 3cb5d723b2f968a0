package recommend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Dataset is a set of missions, reports, recommendations and assessments:
// the unit of import and export, and what the summaries read. Records
// refer to each other by key (missions, reports) and by reference
// (recommendations, REPORT#NUMBER), never by database id, so that a file
// moves between installations.
type Dataset struct {
	Missions        []*Mission        `json:"missions"`
	Reports         []*Report         `json:"reports"`
	Recommendations []*Recommendation `json:"recommendations"`
	Assessments     []*Assessment     `json:"assessments"`
}

// Src is where a record was read from, for error messages. Cols holds the
// column of each field where the format knows it (CSV).
type Src struct {
	File string
	Line int
	Col  int
	Cols map[string]int
}

// PosError is an error at a place in an input file.
type PosError struct {
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
	Col   int    `json:"column,omitempty"`
	Field string `json:"field,omitempty"`
	Msg   string `json:"message"`
}

func (e *PosError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, "%d:", e.Col)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// errAt makes a PosError at src (which may be nil: a record made in code),
// at the column of field where known.
func errAt(src *Src, field, format string, a ...any) *PosError {
	e := &PosError{Field: field, Msg: fmt.Sprintf(format, a...)}
	if src != nil {
		e.File, e.Line, e.Col = src.File, src.Line, src.Col
		if c, ok := src.Cols[field]; ok {
			e.Col = c
		}
	}
	return e
}

// fromField turns a validation error into a PosError at src.
func fromField(src *Src, err error) *PosError {
	var fe *FieldError
	if errors.As(err, &fe) {
		return errAt(src, fe.Field, "%s", fe.Msg)
	}
	return errAt(src, "", "%s", err.Error())
}

// maxErrors caps how many problems one check reports: enough to fix a file
// in a few rounds, not so many that the first is lost.
const maxErrors = 20

type errList struct{ errs []error }

func (l *errList) add(e *PosError) {
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, e)
	}
}
func (l *errList) err() error { return errors.Join(l.errs...) }

// Index is a Dataset with its cross-references resolved, for the pure
// functions (summaries, history, proposals). Build it with NewIndex.
type Index struct {
	Missions   map[string]*Mission
	Reports    map[string]*Report
	Recs       map[string]*Recommendation // by reference
	RecByID    map[int64]*Recommendation
	Assessed   map[string][]*Assessment // by the assessed recommendation's reference, oldest report first
	RepeatedBy map[string][]string      // reference → references of the later recommendations that repeat it
	ByReport   map[string][]*Assessment // by assessing report key
}

// NewIndex indexes the records of ds. References that do not resolve are
// ignored here; Check reports them.
func NewIndex(ds *Dataset) *Index {
	x := &Index{
		Missions: map[string]*Mission{}, Reports: map[string]*Report{}, Recs: map[string]*Recommendation{},
		RecByID: map[int64]*Recommendation{}, Assessed: map[string][]*Assessment{}, RepeatedBy: map[string][]string{},
		ByReport: map[string][]*Assessment{},
	}
	for _, m := range ds.Missions {
		x.Missions[m.Key] = m
	}
	for _, r := range ds.Reports {
		x.Reports[r.Key] = r
	}
	for _, r := range ds.Recommendations {
		x.Recs[r.Ref()] = r
		if r.ID != 0 {
			x.RecByID[r.ID] = r
		}
	}
	for _, r := range ds.Recommendations {
		for _, p := range r.Repeats {
			x.RepeatedBy[p] = append(x.RepeatedBy[p], r.Ref())
		}
	}
	for _, a := range ds.Assessments {
		x.Assessed[a.Recommendation] = append(x.Assessed[a.Recommendation], a)
		x.ByReport[a.ReportKey] = append(x.ByReport[a.ReportKey], a)
	}
	for _, as := range x.Assessed {
		slices.SortStableFunc(as, func(a, b *Assessment) int { return x.compareReports(a.ReportKey, b.ReportKey) })
	}
	for _, refs := range x.RepeatedBy {
		slices.SortStableFunc(refs, func(a, b string) int { return x.compareReports(x.Recs[a].ReportKey, x.Recs[b].ReportKey) })
	}
	return x
}

// compareReports orders reports by date, then key.
func (x *Index) compareReports(a, b string) int {
	ra, rb := x.Reports[a], x.Reports[b]
	if ra == nil || rb == nil {
		return strings.Compare(a, b)
	}
	return cmp.Or(strings.Compare(ra.Date, rb.Date), strings.Compare(a, b))
}

// Country is the country of a report (by its mission), or "".
func (x *Index) Country(reportKey string) string {
	if r := x.Reports[reportKey]; r != nil {
		if m := x.Missions[r.MissionKey]; m != nil {
			return m.Country
		}
	}
	return ""
}

// MissionOf returns the mission of a report, or nil.
func (x *Index) MissionOf(reportKey string) *Mission {
	if r := x.Reports[reportKey]; r != nil {
		return x.Missions[r.MissionKey]
	}
	return nil
}

// Merge returns the records of a and b together (a first), sharing the
// records themselves.
func Merge(a, b *Dataset) *Dataset {
	return &Dataset{
		Missions:        append(slices.Clip(a.Missions), b.Missions...),
		Reports:         append(slices.Clip(a.Reports), b.Reports...),
		Recommendations: append(slices.Clip(a.Recommendations), b.Recommendations...),
		Assessments:     append(slices.Clip(a.Assessments), b.Assessments...),
	}
}

// Check validates the records of in as an addition to existing (what the
// database already holds; may be empty): every record's fields, no key
// that is taken, every reference resolving in in or in existing, and the
// rules of time and place that keep histories sound — a recommendation
// repeats only earlier recommendations of the same country, and a report
// assesses only recommendations of its country published before it. The
// error joins up to 20 PosErrors, each at its record's file, line and
// column.
func Check(existing, in *Dataset) error {
	var l errList
	old := NewIndex(existing)
	missions := map[string]*Mission{}
	for _, m := range in.Missions {
		if err := m.Validate(); err != nil {
			l.add(fromField(m.Src, err))
			continue
		}
		if old.Missions[m.Key] != nil || missions[m.Key] != nil {
			l.add(errAt(m.Src, "key", "a mission %q already exists", m.Key))
			continue
		}
		missions[m.Key] = m
	}
	reports := map[string]*Report{}
	for _, r := range in.Reports {
		if err := r.Validate(); err != nil {
			l.add(fromField(r.Src, err))
			continue
		}
		if old.Reports[r.Key] != nil || reports[r.Key] != nil {
			l.add(errAt(r.Src, "key", "a report %q already exists", r.Key))
			continue
		}
		if missions[r.MissionKey] == nil && old.Missions[r.MissionKey] == nil {
			l.add(errAt(r.Src, "mission", "no mission %q", r.MissionKey))
			continue
		}
		reports[r.Key] = r
	}
	all := NewIndex(Merge(existing, in))
	recs := map[string]*Recommendation{}
	for _, r := range in.Recommendations {
		if err := r.Validate(); err != nil {
			l.add(fromField(r.Src, err))
			continue
		}
		ref := r.Ref()
		if old.Recs[ref] != nil || recs[ref] != nil {
			l.add(errAt(r.Src, "number", "recommendation %s already exists", ref))
			continue
		}
		recs[ref] = r
		rep := all.Reports[r.ReportKey]
		if rep == nil {
			l.add(errAt(r.Src, "report", "no report %q", r.ReportKey))
			continue
		}
		seen := map[string]bool{}
		for _, p := range r.Repeats {
			if seen[p] {
				l.add(errAt(r.Src, "repeats", "%s is listed twice", p))
				continue
			}
			seen[p] = true
			prev := all.Recs[p]
			switch {
			case prev == nil:
				l.add(errAt(r.Src, "repeats", "no recommendation %s", p))
			case all.Reports[prev.ReportKey] == nil:
			case all.Country(prev.ReportKey) != all.Country(r.ReportKey):
				l.add(errAt(r.Src, "repeats", "%s is a recommendation to %s, not %s", p, all.Country(prev.ReportKey), all.Country(r.ReportKey)))
			case all.Reports[prev.ReportKey].Date >= rep.Date:
				l.add(errAt(r.Src, "repeats", "%s (%s) is not earlier than this report (%s)", p, all.Reports[prev.ReportKey].Date, rep.Date))
			}
		}
	}
	type pair struct{ rec, report string }
	assessed := map[pair]bool{}
	for _, a := range existing.Assessments {
		assessed[pair{a.Recommendation, a.ReportKey}] = true
	}
	for _, a := range in.Assessments {
		if err := a.Validate(); err != nil {
			l.add(fromField(a.Src, err))
			continue
		}
		rec := all.Recs[a.Recommendation]
		rep := all.Reports[a.ReportKey]
		switch {
		case rec == nil:
			l.add(errAt(a.Src, "recommendation", "no recommendation %s", a.Recommendation))
		case rep == nil:
			l.add(errAt(a.Src, "report", "no report %q", a.ReportKey))
		case assessed[pair{a.Recommendation, a.ReportKey}]:
			l.add(errAt(a.Src, "report", "report %q already assesses %s", a.ReportKey, a.Recommendation))
		case all.Reports[rec.ReportKey] == nil:
		case all.Country(rec.ReportKey) != all.Country(a.ReportKey):
			l.add(errAt(a.Src, "report", "%q is a report on %s; %s is a recommendation to %s", a.ReportKey, all.Country(a.ReportKey), a.Recommendation, all.Country(rec.ReportKey)))
		case all.Reports[rec.ReportKey].Date >= rep.Date:
			l.add(errAt(a.Src, "report", "%q (%s) is not later than the recommendation's report (%s)", a.ReportKey, rep.Date, all.Reports[rec.ReportKey].Date))
		}
		assessed[pair{a.Recommendation, a.ReportKey}] = true
	}
	return l.err()
}

// Countries lists the countries of the dataset's missions, sorted.
func (ds *Dataset) Countries() []string {
	var out []string
	for _, m := range ds.Missions {
		if !slices.Contains(out, m.Country) {
			out = append(out, m.Country)
		}
	}
	slices.Sort(out)
	return out
}

// Country returns the part of ds about one country.
func (ds *Dataset) Country(code string) *Dataset {
	code = strings.ToUpper(code)
	x := NewIndex(ds)
	out := &Dataset{}
	for _, m := range ds.Missions {
		if m.Country == code {
			out.Missions = append(out.Missions, m)
		}
	}
	for _, r := range ds.Reports {
		if x.Country(r.Key) == code {
			out.Reports = append(out.Reports, r)
		}
	}
	for _, r := range ds.Recommendations {
		if x.Country(r.ReportKey) == code {
			out.Recommendations = append(out.Recommendations, r)
		}
	}
	for _, a := range ds.Assessments {
		if x.Country(a.ReportKey) == code {
			out.Assessments = append(out.Assessments, a)
		}
	}
	return out
}

// Sort puts the records in a canonical order: missions by election date,
// reports by date, recommendations by report date and number, assessments
// by assessing report then recommendation. Export writes this order, so
// that a round trip is byte for byte.
func (ds *Dataset) Sort() {
	x := NewIndex(ds)
	slices.SortStableFunc(ds.Missions, func(a, b *Mission) int {
		return cmp.Or(strings.Compare(a.Country, b.Country), strings.Compare(a.ElectionDate, b.ElectionDate), strings.Compare(a.Key, b.Key))
	})
	slices.SortStableFunc(ds.Reports, func(a, b *Report) int {
		return cmp.Or(strings.Compare(x.Country(a.Key), x.Country(b.Key)), x.compareReports(a.Key, b.Key))
	})
	slices.SortStableFunc(ds.Recommendations, func(a, b *Recommendation) int {
		return cmp.Or(strings.Compare(x.Country(a.ReportKey), x.Country(b.ReportKey)), x.compareReports(a.ReportKey, b.ReportKey), compareNumbers(a.Number, b.Number))
	})
	slices.SortStableFunc(ds.Assessments, func(a, b *Assessment) int {
		return cmp.Or(strings.Compare(x.Country(a.ReportKey), x.Country(b.ReportKey)), x.compareReports(a.ReportKey, b.ReportKey), x.compareRefs(a.Recommendation, b.Recommendation))
	})
}

func (x *Index) compareRefs(a, b string) int {
	ra, na, _ := SplitRef(a)
	rb, nb, _ := SplitRef(b)
	return cmp.Or(x.compareReports(ra, rb), compareNumbers(na, nb))
}

// compareNumbers orders recommendation numbers naturally: 2 before 10.
func compareNumbers(a, b string) int {
	for a != "" && b != "" {
		da, db := leadingDigits(a), leadingDigits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func leadingDigits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// ImportStats counts what an import added.
type ImportStats struct {
	Missions        int `json:"missions"`
	Reports         int `json:"reports"`
	Recommendations int `json:"recommendations"`
	Assessments     int `json:"assessments"`
}

// Store keeps the records. internal/store implements it; the interface
// lets this package seed and read without importing the storage, and keeps
// the rules here: the store only runs the check it is given, inside its
// transaction, against what it holds.
type Store interface {
	// Recommendations loads one country's records ("" for all).
	Recommendations(ctx context.Context, country string) (*Dataset, error)
	// ImportRecommendations adds records all or nothing when check,
	// given what is stored, returns nil.
	ImportRecommendations(ctx context.Context, ds *Dataset, check func(existing *Dataset) error) (ImportStats, error)
}

// Assessor records one assessment, replacing the same report's earlier
// assessment of the same recommendation, when check, given what is stored
// without that earlier assessment, returns nil.
type Assessor interface {
	Assess(ctx context.Context, a *Assessment, check func(existing *Dataset) error) error
}

// Import adds the records of ds to s, all or nothing, after Check against
// what s holds.
func Import(ctx context.Context, s Store, ds *Dataset) (ImportStats, error) {
	return s.ImportRecommendations(ctx, ds, func(existing *Dataset) error { return Check(existing, ds) })
}

// Assess records a report's assessment of a recommendation in s (an analyst
// revising a draft replaces the earlier one), under the checks of an import.
func Assess(ctx context.Context, s Assessor, a *Assessment) error {
	in := &Dataset{Assessments: []*Assessment{a}}
	return s.Assess(ctx, a, func(existing *Dataset) error { return Check(existing, in) })
}

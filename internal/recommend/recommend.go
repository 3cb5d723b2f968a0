// Package recommend follows an observation mission's lasting output: the
// recommendations of its reports, and their implementation as each later
// mission assesses it. A recommendation keeps its history across electoral
// cycles through the earlier recommendations it repeats; summaries count the
// assessments per category, area and election; where vigil holds evidence
// (official results per polling station, observation findings) it proposes
// an assessment and says why, with the figures.
//
// The package is pure domain: types, validation, summaries, proposals,
// import and export formats and report drafting (the draft's sections and
// words; its HTML page is rendered in recommend/draft, so that the store,
// which imports this package, carries no templates). Storage lives in
// internal/store, which implements the Store interface declared here.
package recommend

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// MissionType is the kind of mission that observed an election.
type MissionType string

// The kinds of mission.
const (
	FullMission       MissionType = "full"             // election observation mission (EOM)
	LimitedMission    MissionType = "limited"          // limited EOM (LEOM)
	AssessmentMission MissionType = "assessment"       // election assessment mission (EAM)
	NeedsAssessment   MissionType = "needs_assessment" // needs assessment mission (NAM)
	DomesticGroup     MissionType = "domestic"         // a domestic (citizen) observer group
)

// MissionTypes lists every mission type in a stable order.
var MissionTypes = []MissionType{FullMission, LimitedMission, AssessmentMission, NeedsAssessment, DomesticGroup}

// ReportKind is the kind of a mission's report.
type ReportKind string

// The kinds of report.
const (
	Interim     ReportKind = "interim"
	Preliminary ReportKind = "preliminary" // statement of preliminary findings and conclusions
	Final       ReportKind = "final"
)

// ReportKinds lists every report kind in a stable order.
var ReportKinds = []ReportKind{Interim, Preliminary, Final}

// Area is the part of the electoral process a recommendation addresses.
type Area string

// The areas, in the order a final report treats them.
const (
	LegalFramework         Area = "legal_framework"
	ElectionAdministration Area = "election_administration"
	VoterRegistration      Area = "voter_registration"
	CandidateRegistration  Area = "candidate_registration"
	Campaign               Area = "campaign_finance" // the campaign and its finance
	Media                  Area = "media"
	Complaints             Area = "complaints_appeals"
	Observation            Area = "observation"
	ElectionDay            Area = "election_day"
	Counting               Area = "counting_tabulation"
	Publication            Area = "publication_results"
)

// Areas lists every area in report order.
var Areas = []Area{LegalFramework, ElectionAdministration, VoterRegistration, CandidateRegistration,
	Campaign, Media, Complaints, Observation, ElectionDay, Counting, Publication}

var areaTitles = map[Area]string{
	LegalFramework:         "Legal framework",
	ElectionAdministration: "Election administration",
	VoterRegistration:      "Voter registration",
	CandidateRegistration:  "Candidate registration",
	Campaign:               "Campaign and its finance",
	Media:                  "Media",
	Complaints:             "Complaints and appeals",
	Observation:            "Election observation",
	ElectionDay:            "Election day",
	Counting:               "Counting and tabulation",
	Publication:            "Publication of results",
}

// Title is the area's heading in reports and pages.
func (a Area) Title() string {
	if t, ok := areaTitles[a]; ok {
		return t
	}
	return string(a)
}

// Status is an assessment of how far a recommendation was implemented.
type Status string

// The assessment categories ODIHR uses.
const (
	Fully       Status = "fully"
	Mostly      Status = "mostly"
	Partially   Status = "partially"
	NotImpl     Status = "not"
	NotAssessed Status = "not_assessed"
)

// Statuses lists every status from most to least implemented.
var Statuses = []Status{Fully, Mostly, Partially, NotImpl, NotAssessed}

var statusTitles = map[Status]string{
	Fully: "fully implemented", Mostly: "mostly implemented", Partially: "partially implemented",
	NotImpl: "not implemented", NotAssessed: "not assessed",
}

// Title is how a report words the status.
func (s Status) Title() string {
	if t, ok := statusTitles[s]; ok {
		return t
	}
	return string(s)
}

// Topic names a recommendation whose implementation vigil can judge from
// data it holds. Most recommendations have none.
type Topic string

// The topics vigil holds evidence for.
const (
	NoTopic              Topic = ""
	DisaggregatedResults Topic = "disaggregated_results" // per-station official results published
	ObserverAccess       Topic = "observer_access"       // observers' access to counting and tabulation
)

// Topics lists the topics with evidence.
var Topics = []Topic{DisaggregatedResults, ObserverAccess}

func parseEnum[T ~string](what, s string, all []T) (T, error) {
	s = strings.TrimSpace(s)
	for _, v := range all {
		if string(v) == s {
			return v, nil
		}
	}
	names := make([]string, len(all))
	for i, v := range all {
		names[i] = string(v)
	}
	var zero T
	return zero, fmt.Errorf("unknown %s %q (want one of %s)", what, s, strings.Join(names, ", "))
}

// ParseMissionType checks a mission type.
func ParseMissionType(s string) (MissionType, error) {
	return parseEnum("mission type", s, MissionTypes)
}

// ParseReportKind checks a report kind.
func ParseReportKind(s string) (ReportKind, error) { return parseEnum("report kind", s, ReportKinds) }

// ParseArea checks an area.
func ParseArea(s string) (Area, error) { return parseEnum("area", s, Areas) }

// ParseStatus checks an assessment status.
func ParseStatus(s string) (Status, error) { return parseEnum("status", s, Statuses) }

// ParseTopic checks a topic; the empty string is no topic.
func ParseTopic(s string) (Topic, error) {
	if strings.TrimSpace(s) == "" {
		return NoTopic, nil
	}
	return parseEnum("topic", s, Topics)
}

// Mission is one mission observing one election. Key is its stable name in
// files and on the command line ("kz-2022-presidential-eom").
type Mission struct {
	ID           int64       `json:"id,omitempty"`
	Key          string      `json:"key"`
	Country      string      `json:"country"` // ISO 3166-1 alpha-2
	Type         MissionType `json:"type"`
	Name         string      `json:"name"`
	Organisation string      `json:"organisation,omitempty"`  // who owns it; its staff may write
	Election     string      `json:"election,omitempty"`      // the election's name in the results core
	ElectionDate string      `json:"election_date,omitempty"` // YYYY-MM-DD
	Src          *Src        `json:"-"`
}

// Report is one report of a mission.
type Report struct {
	ID         int64      `json:"id,omitempty"`
	Key        string     `json:"key"`
	MissionKey string     `json:"mission"`
	MissionID  int64      `json:"mission_id,omitempty"`
	Kind       ReportKind `json:"kind"`
	Title      string     `json:"title,omitempty"`
	Date       string     `json:"date"` // YYYY-MM-DD, publication
	Src        *Src       `json:"-"`
}

// Recommendation is one recommendation of a report, numbered as the report
// numbers it. Its reference, used by files and by repeats, is
// "REPORT#NUMBER".
type Recommendation struct {
	ID        int64    `json:"id,omitempty"`
	ReportKey string   `json:"report"`
	ReportID  int64    `json:"report_id,omitempty"`
	Number    string   `json:"number"`
	Text      string   `json:"text"`
	Priority  bool     `json:"priority"`
	Area      Area     `json:"area"`
	Addressee string   `json:"addressee,omitempty"`
	Topic     Topic    `json:"topic,omitempty"`
	Repeats   []string `json:"repeats,omitempty"` // references of earlier recommendations
	Src       *Src     `json:"-"`
}

// Ref is the recommendation's reference, REPORT#NUMBER.
func (r *Recommendation) Ref() string { return Ref(r.ReportKey, r.Number) }

// Ref makes a recommendation reference.
func Ref(report, number string) string { return report + "#" + number }

// SplitRef splits REPORT#NUMBER.
func SplitRef(ref string) (report, number string, ok bool) {
	i := strings.LastIndexByte(ref, '#')
	if i <= 0 || i == len(ref)-1 {
		return "", "", false
	}
	return ref[:i], ref[i+1:], true
}

// EffectiveTopic is the recommendation's topic, or the one its text shows
// when none was given: vigil then still offers evidence for the key
// recommendations however a mission words them.
func (r *Recommendation) EffectiveTopic() Topic {
	if r.Topic != NoTopic {
		return r.Topic
	}
	t := strings.ToLower(r.Text)
	switch {
	case strings.Contains(t, "disaggregat") && strings.Contains(t, "result"):
		return DisaggregatedResults
	case strings.Contains(t, "observer") && (strings.Contains(t, "count") || strings.Contains(t, "tabulat")) &&
		(strings.Contains(t, "access") || strings.Contains(t, "unrestricted") || strings.Contains(t, "unimpeded")):
		return ObserverAccess
	}
	return NoTopic
}

// Assessment is a later report's judgement of an earlier recommendation.
// A report assesses a recommendation at most once.
type Assessment struct {
	ID               int64     `json:"id,omitempty"`
	Recommendation   string    `json:"recommendation"` // its reference
	RecommendationID int64     `json:"recommendation_id,omitempty"`
	ReportKey        string    `json:"report"` // the assessing report
	ReportID         int64     `json:"report_id,omitempty"`
	Status           Status    `json:"status"`
	Reasoning        string    `json:"reasoning,omitempty"`
	Evidence         string    `json:"evidence,omitempty"`
	Proposed         bool      `json:"proposed,omitempty"` // accepted from vigil's proposal
	Updated          time.Time `json:"updated,omitzero"`
	Src              *Src      `json:"-"`
}

var (
	keyRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
	numberRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// FieldError is a validation error about one field of a record.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, a ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

func checkDate(field, s string, required bool) *FieldError {
	if s == "" {
		if required {
			return fieldErr(field, "missing (want YYYY-MM-DD)")
		}
		return nil
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fieldErr(field, "%q is not a date (want YYYY-MM-DD)", s)
	}
	return nil
}

func checkKey(field, s string) *FieldError {
	if s == "" {
		return fieldErr(field, "missing")
	}
	if !keyRe.MatchString(s) || len(s) > 200 {
		return fieldErr(field, "%q: a key is letters, digits and . _ : - (at most 200)", s)
	}
	return nil
}

// Validate checks a mission's fields, normalising the country code to
// upper case.
func (m *Mission) Validate() error {
	if e := checkKey("key", m.Key); e != nil {
		return e
	}
	m.Country = strings.ToUpper(strings.TrimSpace(m.Country))
	if !countryRe.MatchString(m.Country) {
		return fieldErr("country", "%q is not an ISO 3166-1 alpha-2 code", m.Country)
	}
	if _, err := ParseMissionType(string(m.Type)); err != nil {
		return fieldErr("type", "%s", err.Error())
	}
	if strings.TrimSpace(m.Name) == "" {
		return fieldErr("name", "missing")
	}
	if e := checkDate("election_date", m.ElectionDate, false); e != nil {
		return e
	}
	return nil
}

// Validate checks a report's fields.
func (r *Report) Validate() error {
	if e := checkKey("key", r.Key); e != nil {
		return e
	}
	if strings.Contains(r.Key, "#") {
		return fieldErr("key", "%q: # separates a report from a recommendation number", r.Key)
	}
	if r.MissionKey == "" && r.MissionID == 0 {
		return fieldErr("mission", "missing")
	}
	if _, err := ParseReportKind(string(r.Kind)); err != nil {
		return fieldErr("kind", "%s", err.Error())
	}
	if e := checkDate("date", r.Date, true); e != nil {
		return e
	}
	return nil
}

// Validate checks a recommendation's own fields (its references are
// checked where they are resolved).
func (r *Recommendation) Validate() error {
	if r.ReportKey == "" && r.ReportID == 0 {
		return fieldErr("report", "missing")
	}
	if !numberRe.MatchString(r.Number) || len(r.Number) > 40 {
		return fieldErr("number", "%q: want letters, digits and . _ - (at most 40)", r.Number)
	}
	if strings.TrimSpace(r.Text) == "" {
		return fieldErr("text", "missing")
	}
	if _, err := ParseArea(string(r.Area)); err != nil {
		return fieldErr("area", "%s", err.Error())
	}
	if _, err := ParseTopic(string(r.Topic)); err != nil {
		return fieldErr("topic", "%s", err.Error())
	}
	for _, ref := range r.Repeats {
		if _, _, ok := SplitRef(ref); !ok {
			return fieldErr("repeats", "%q: want REPORT#NUMBER", ref)
		}
		if r.ReportKey != "" && ref == r.Ref() {
			return fieldErr("repeats", "a recommendation cannot repeat itself")
		}
	}
	return nil
}

// Validate checks an assessment's fields.
func (a *Assessment) Validate() error {
	if a.Recommendation == "" && a.RecommendationID == 0 {
		return fieldErr("recommendation", "missing")
	}
	if a.Recommendation != "" {
		if _, _, ok := SplitRef(a.Recommendation); !ok {
			return fieldErr("recommendation", "%q: want REPORT#NUMBER", a.Recommendation)
		}
	}
	if a.ReportKey == "" && a.ReportID == 0 {
		return fieldErr("report", "missing (the assessing report)")
	}
	if _, err := ParseStatus(string(a.Status)); err != nil {
		return fieldErr("status", "%s", err.Error())
	}
	return nil
}

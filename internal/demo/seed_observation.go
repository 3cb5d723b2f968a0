package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// ObservedStation is one station of the demo's deployment sample, with what
// happened there. The generator knows it; observation must show it.
type ObservedStation struct {
	Path    []string // the station's area path, as imported (region, district, number)
	Stuffed bool     // ballots were stuffed here during voting
	Altered bool     // the official final protocol differs from the station's own
	// The station's own count: the protocol the commission signed, which
	// the observers copy (the official preliminary protocol in the demo).
	Figures election.Figures
	Votes   []int64
}

// Observation is the input of SeedObservation: the organisation to create, the
// sample's stations and whether counting reports should also be stored as
// observer protocol versions (set it when the generator does not import
// the observers' copies itself, so that the copies come from the reports).
type Observation struct {
	Organisation string // default "Demo Observation Mission"
	Stations     []ObservedStation
	Protocols    bool
}

// ObservationSummary says what SeedObservation stored.
type ObservationSummary struct {
	Organisation string `json:"organisation"`
	Observers    int    `json:"observers"`
	Teams        int    `json:"teams"`
	Stations     int    `json:"stations"`
	Reports      int    `json:"reports"`
	Conflicts    int    `json:"conflicting_reports"`
	Token        string `json:"-"` // an API token of the first observer, for trying the API
}

// SeedObservation adds observation to the demo election: an organisation with
// the default forms and a QC rule, a roster of two observers per team, one
// team per station of facts.Stations (the deployment, saved with seed),
// each team assigned its station and the district commission above it,
// and reports consistent with what happened:
//
//   - opening and voting at every station; observers report ballot box
//     stuffing where there was some (nine times in ten) and almost never
//     elsewhere, and assess voting negatively where they saw it;
//   - counting at every station, with the protocol block copied from the
//     station's own count; where the figures were altered above the
//     station, this copy is what shows it (it differs from the official
//     final protocol); some counts are assessed negatively;
//   - tabulation at each district commission with a team, where figures
//     were altered above its stations reported as changed;
//   - at one station in twenty the second observer files their own voting
//     report and disagrees on the overall assessment (a conflict to
//     resolve).
//
// The same seed gives the same reports. An organisation of the same name
// is reused; reports are keyed by client ids derived from the seed, so
// running it twice stores nothing twice.
func SeedObservation(ctx context.Context, db *store.DB, electionID int64, seed uint64, facts Observation) (*ObservationSummary, error) {
	if facts.Organisation == "" {
		facts.Organisation = "Demo Observation Mission"
	}
	e, err := db.Election(ctx, electionID)
	if err != nil {
		return nil, err
	}
	s := &seeder{db: db, e: e, seed: seed, facts: facts, r: rand.New(rand.NewPCG(seed, 0x0b5e_47e5)),
		tabulated: map[int64]bool{}, alteredUnder: map[int64]bool{}}
	if err := s.mission(ctx); err != nil {
		return nil, err
	}
	obsByCode, err := s.roster(ctx)
	if err != nil {
		return nil, err
	}
	visits, err := s.deploy(ctx, obsByCode)
	if err != nil {
		return nil, err
	}
	s.day, _ = time.Parse("2006-01-02", e.Date)
	if s.day.IsZero() {
		s.day = time.Now().UTC().Truncate(24 * time.Hour)
	}
	for _, v := range visits {
		if v.st.Altered {
			s.alteredUnder[v.area.ParentID] = true
		}
	}
	for _, v := range visits {
		s.visitReports(v)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := s.write(ctx); err != nil {
		return nil, err
	}
	return s.sum, nil
}

// seeder holds what the phases of SeedObservation share: the mission, its
// forms, the election's areas, the random stream and the reports made.
type seeder struct {
	db    *store.DB
	e     *election.Election
	seed  uint64
	facts Observation
	r     *rand.Rand
	day   time.Time

	org    *store.Organisation
	forms  map[form.Phase]*store.StoredForm
	byPath map[string]*election.Area
	byID   map[int64]*election.Area
	sum    *ObservationSummary

	reps         []seededReport
	tabulated    map[int64]bool // commissions whose tabulation is reported
	alteredUnder map[int64]bool // commissions above an altered station
}

type seededReport struct {
	r     store.Report
	proto *election.Protocol
}

// visit is a team's station in the deployment.
type visit struct {
	st    *ObservedStation
	area  *election.Area
	team  int64
	first *store.Observer
	other *store.Observer
}

// mission creates (or finds) the organisation with the default forms and
// a QC rule, and reads the election's areas.
func (s *seeder) mission(ctx context.Context) error {
	db := s.db
	org, err := db.EnsureOrganisation(ctx, s.facts.Organisation, "international")
	if err != nil {
		return err
	}
	s.org = org
	s.sum = &ObservationSummary{Organisation: org.Name}
	if _, err := observe.InstallDefaultForms(ctx, db, org.ID); err != nil {
		return err
	}
	s.forms = map[form.Phase]*store.StoredForm{}
	for _, t := range form.Templates() {
		sf, err := db.FormByKey(ctx, org.ID, t.ID, t.Version)
		if err != nil {
			return err
		}
		s.forms[t.Phase] = sf
	}
	rules, err := db.QCRules(ctx, org.ID)
	if err != nil {
		return err
	}
	if len(rules) == 0 {
		if err := db.SaveQCRule(ctx, &store.QCRule{OrgID: org.ID, FormKey: "counting", Name: "more_in_box_than_issued",
			Expr: "ballots_in_box > ballots_issued", Action: "flag"}); err != nil {
			return err
		}
	}
	areas, err := db.Areas(ctx, s.e.ID)
	if err != nil {
		return err
	}
	s.byPath, s.byID = map[string]*election.Area{}, map[int64]*election.Area{}
	for i := range areas {
		a := &areas[i]
		s.byPath[pathKey(a.Path)] = a
		s.byID[a.ID] = a
	}
	return nil
}

// roster stores two observers per station's team and returns them by code.
func (s *seeder) roster(ctx context.Context) (map[string]*store.Observer, error) {
	var roster []store.Observer
	for i := range s.facts.Stations {
		region := ""
		if len(s.facts.Stations[i].Path) > 0 {
			region = s.facts.Stations[i].Path[0]
		}
		team := fmt.Sprintf("T%04d", i+1)
		for k := 0; k < 2; k++ {
			n := 2*i + k + 1
			roster = append(roster, store.Observer{Code: fmt.Sprintf("%05d", n), Name: fmt.Sprintf("Observer %d", n),
				Phone: fmt.Sprintf("+7700%07d", n), Team: team, Area: []string{region}})
		}
	}
	if _, _, err := s.db.ImportRoster(ctx, s.org.ID, roster); err != nil {
		return nil, err
	}
	s.sum.Observers = len(roster)
	obsByCode := map[string]*store.Observer{}
	all, err := s.db.Observers(ctx, s.org.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		obsByCode[o.Code] = o
	}
	return obsByCode, nil
}

// deploy saves the deployment (each team at its station) and assigns each
// team its station and the district commission above it.
func (s *seeder) deploy(ctx context.Context, obsByCode map[string]*store.Observer) ([]visit, error) {
	electionID := s.e.ID
	dep := &store.Deployment{OrgID: s.org.ID, ElectionID: electionID, Seed: fmt.Sprintf("demo-%d", s.seed),
		Design: json.RawMessage(`{"note":"the demo generator's sample of observed stations"}`)}
	var assigns []store.Assignment
	var visits []visit
	for i := range s.facts.Stations {
		st := &s.facts.Stations[i]
		a := s.byPath[pathKey(st.Path)]
		if a == nil || !a.Station {
			return nil, fmt.Errorf("demo station %q is not a polling station of election %s", st.Path, s.e.Name)
		}
		o1, o2 := obsByCode[fmt.Sprintf("%05d", 2*i+1)], obsByCode[fmt.Sprintf("%05d", 2*i+2)]
		dep.Stations = append(dep.Stations, store.DeployedStation{AreaID: a.ID, Stratum: "demo", Rank: i + 1})
		assigns = append(assigns, store.Assignment{TeamID: o1.TeamID, AreaID: a.ID})
		if a.ParentID != 0 && s.byID[a.ParentID] != nil && s.byID[a.ParentID].Level > 0 {
			assigns = append(assigns, store.Assignment{TeamID: o1.TeamID, AreaID: a.ParentID})
		}
		visits = append(visits, visit{st: st, area: a, team: o1.TeamID, first: o1, other: o2})
	}
	s.sum.Teams = len(visits)
	s.sum.Stations = len(visits)
	if existing, err := s.db.LatestDeployment(ctx, s.org.ID, electionID); err != nil || existing.Seed != dep.Seed {
		if err := s.db.SaveDeployment(ctx, dep); err != nil {
			return nil, err
		}
	}
	if err := s.db.Assign(ctx, s.org.ID, electionID, assigns); err != nil {
		return nil, err
	}
	return visits, nil
}

func (s *seeder) at(h, m int) time.Time {
	return s.day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func (s *seeder) yes(p float64) form.Value { return form.BoolValue(s.r.Float64() < p) }

func (s *seeder) grade(pNeg float64) form.Value {
	if s.r.Float64() < pNeg {
		if s.r.Float64() < 0.3 {
			return form.TextValue(form.VeryBad)
		}
		return form.TextValue(form.Bad)
	}
	if s.r.Float64() < 0.4 {
		return form.TextValue(form.VeryGood)
	}
	return form.TextValue(form.Good)
}

func (s *seeder) add(ph form.Phase, o *store.Observer, area *election.Area, a form.Answers, submitted time.Time, suffix string) {
	b, _ := json.Marshal(a) // answers of plain values: cannot fail
	sf := s.forms[ph]
	s.reps = append(s.reps, seededReport{r: store.Report{OrgID: s.org.ID, ElectionID: s.e.ID, FormID: sf.ID, Phase: string(ph), AreaID: area.ID,
		ObserverID: o.ID, Channel: []string{observe.ChannelAPI, observe.ChannelSMS, observe.ChannelOpenRosa, observe.ChannelWeb}[s.r.IntN(4)],
		ClientID: fmt.Sprintf("demo-%d-%s-%d%s", s.seed, ph, area.ID, suffix), Answers: b, Submitted: submitted, Received: submitted.Add(time.Duration(s.r.IntN(300)) * time.Second)}})
}

// visitReports makes one team's reports: opening, voting, an incident,
// perhaps a team-mate's conflicting voting report, counting with the
// protocol copy, and the tabulation at the commission above (once per
// commission). The order of the random draws is the generator's contract:
// the same seed gives the same reports.
func (s *seeder) visitReports(v visit) {
	num, _ := parseNumber(observe.StationNumber(v.area))
	station := form.IntValue(num)
	// Opening.
	s.add(form.Opening, v.first, v.area, form.Answers{
		form.StationID: station, "arrival_time": form.TextValue("07:30"),
		"opened_on_time": s.yes(0.93), "boxes_sealed": s.yes(0.97), "boxes_shown_empty": s.yes(0.95),
		"unauthorised_present": s.yes(0.05), "unauthorised_directing": s.yes(0.02), "observers_restricted": s.yes(0.03),
		form.OverallID: s.grade(0.04),
	}, s.at(8, s.r.IntN(30)), "")
	// Voting.
	stuffSeen := v.st.Stuffed && s.r.Float64() < 0.9 || !v.st.Stuffed && s.r.Float64() < 0.005
	negVoting := 0.06
	if stuffSeen {
		negVoting = 0.85
	}
	voting := form.Answers{
		form.StationID: station, "arrival_time": form.TextValue(fmt.Sprintf("%02d:%02d", 10+s.r.IntN(6), s.r.IntN(60))),
		"boxes_sealed": s.yes(0.97), "secrecy_ensured": s.yes(0.9), "group_voting": s.yes(0.08), "ballot_box_stuffing": form.BoolValue(stuffSeen),
		"identical_signatures": form.BoolValue(stuffSeen && s.r.Float64() < 0.6 || s.r.Float64() < 0.02),
		"multiple_voting":      s.yes(0.02), "identity_checked": s.yes(0.95),
		"unauthorised_present": s.yes(0.07), "unauthorised_directing": s.yes(0.03), "observers_restricted": s.yes(0.05),
		"voters_so_far": form.IntValue(int64(20 + s.r.IntN(200))),
		form.OverallID:  s.grade(negVoting),
	}
	s.add(form.Voting, v.first, v.area, voting, s.at(12, s.r.IntN(60)), "")
	// Incidents: most teams that saw stuffing also file an incident
	// report; a few others report something else.
	if stuffSeen && s.r.Float64() < 0.6 {
		s.add(form.Incident, v.first, v.area, form.Answers{form.StationID: station, "incident_time": form.TextValue(fmt.Sprintf("%02d:%02d", 11+s.r.IntN(5), s.r.IntN(60))),
			"category": form.TextValue("ballot_box_stuffing"), "reported_to_chair": s.yes(0.5),
			"description": form.TextValue("A person put a bundle of ballots into the box; the chair did not intervene.")}, s.at(13, s.r.IntN(60)), "-stuffing")
	} else if s.r.Float64() < 0.03 {
		cat := []string{"intimidation", "vote_buying", "campaigning", "observer_obstruction", "other"}[s.r.IntN(5)]
		s.add(form.Incident, v.first, v.area, form.Answers{form.StationID: station, "incident_time": form.TextValue(fmt.Sprintf("%02d:%02d", 9+s.r.IntN(9), s.r.IntN(60))),
			"category": form.TextValue(cat), "reported_to_chair": s.yes(0.5), "description": form.TextValue("Reported by the team; details in the narrative report.")}, s.at(18, s.r.IntN(60)), "-"+cat)
	}
	if s.r.Float64() < 0.05 {
		// The team-mate files their own report and grades differently.
		other := form.Answers{}
		for k, x := range voting {
			other[k] = x
		}
		if g, _ := voting[form.OverallID].Text(); form.Negative(g) {
			other[form.OverallID] = form.TextValue(form.Good)
		} else {
			other[form.OverallID] = form.TextValue(form.Bad)
		}
		s.add(form.Voting, v.other, v.area, other, s.at(12, 30+s.r.IntN(30)), "-b")
		s.sum.Conflicts++
	}
	// Counting, with the protocol copy.
	proto := map[string]int64{}
	for _, sf := range form.StandardProtocolFigures {
		if n, ok := v.st.Figures.Get(sf.Figure); ok {
			proto[sf.Figure.String()] = n
		}
	}
	for i, n := range v.st.Votes {
		proto[fmt.Sprintf("votes_%d", i+1)] = n
	}
	negCount := 0.15
	if v.st.Stuffed {
		negCount = 0.4
	}
	counting := form.Answers{
		form.StationID: station, "arrival_time": form.TextValue("19:40"),
		"unused_cancelled": s.yes(0.85), "reconciliation_done": s.yes(0.75), "ballots_shown": s.yes(0.7),
		"validity_consistent": s.yes(0.9), "protocol_pre_signed": s.yes(0.04), "protocol_posted": s.yes(0.8),
		"protocol_copy": s.yes(0.9), "unauthorised_present": s.yes(0.08), "unauthorised_directing": s.yes(0.04),
		"observers_restricted": s.yes(0.1), form.OverallID: s.grade(negCount), form.ProtocolID: form.ProtocolValue(proto),
	}
	s.add(form.Counting, v.first, v.area, counting, s.at(22, s.r.IntN(60)), "")
	if s.facts.Protocols {
		s.reps[len(s.reps)-1].proto = &election.Protocol{AreaID: v.area.ID, Source: election.Observer, Figures: v.st.Figures, Votes: v.st.Votes,
			Received: s.reps[len(s.reps)-1].r.Received}
	}
	// Tabulation at the commission above, once per commission.
	if dec := s.byID[v.area.ParentID]; dec != nil && dec.Level > 0 && !s.tabulated[dec.ID] {
		s.tabulated[dec.ID] = true
		num, _ := parseNumber(observe.StationNumber(dec))
		if num < 1 {
			num = dec.ID
		}
		changed := s.alteredUnder[dec.ID] && s.r.Float64() < 0.7
		negTab := 0.2
		if changed {
			negTab = 0.8
		}
		s.add(form.Tabulation, v.first, dec, form.Answers{
			"commission": form.IntValue(num), "arrival_time": form.TextValue("23:30"),
			"full_view": s.yes(0.7), "figures_changed": form.BoolValue(changed), "corrected_no_recount": form.BoolValue(changed && s.r.Float64() < 0.5),
			"entry_visible": s.yes(0.6), "results_posted": s.yes(0.7), "unauthorised_present": s.yes(0.1), "unauthorised_directing": s.yes(0.05),
			form.OverallID: s.grade(negTab),
		}, s.day.Add(26*time.Hour), "")
	}
}

// check validates every answer set against its form, so the demo never
// holds a report the pipeline would refuse.
func (s *seeder) check() error {
	for i := range s.reps {
		x := &s.reps[i]
		var a form.Answers
		if err := json.Unmarshal(x.r.Answers, &a); err != nil {
			return fmt.Errorf("demo %s report: %w", x.r.Phase, err)
		}
		f := form.BindElection(s.forms[form.Phase(x.r.Phase)].Form, s.e)
		for k := range a {
			if f.Question(k) == nil {
				delete(a, k) // the template may not have every question the demo fills
			}
		}
		if probs := form.Validate(f, a); len(probs) > 0 {
			return fmt.Errorf("demo %s report: %v", x.r.Phase, probs[0])
		}
		x.r.Answers, _ = json.Marshal(a)
	}
	return nil
}

// write stores the reports (each client id once) and their protocol
// copies, with the audit entry, in one transaction.
func (s *seeder) write(ctx context.Context) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var newReports, newProtocols []int64
		// One multi-row statement per chunk, and the observation
		// aggregates kept once per chunk, as the group commit does.
		rs := make([]*store.Report, len(s.reps))
		for i := range s.reps {
			rs[i] = &s.reps[i].r
		}
		created, err := store.InsertReports(ctx, tx, s.db.Dialect, rs)
		if err != nil {
			return err
		}
		for i := range s.reps {
			x := &s.reps[i]
			if created[i] {
				s.sum.Reports++
				newReports = append(newReports, x.r.ID)
				if x.proto != nil {
					x.proto.ReportID = x.r.ID
					if err := store.InsertProtocol(ctx, tx, s.e.ID, x.proto); err != nil {
						return err
					}
					newProtocols = append(newProtocols, x.proto.ID)
				}
			}
		}
		if err := store.ApplyProtocols(ctx, tx, s.db.Dialect, newProtocols); err != nil {
			return err
		}
		// Every report and protocol copy the demo stores is a leaf of the
		// transparency log, in the same transaction, as real intake does.
		if _, err := store.LogRows(ctx, tx, s.db.Dialect, store.RowSet{Table: "reports", IDs: newReports}, store.RowSet{Table: "protocols", IDs: newProtocols}); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"reports": s.sum.Reports})
		if err := store.Audit(ctx, tx, store.AuditEntry{OrgID: s.org.ID, Actor: "demo", Channel: observe.ChannelCLI, Action: "demo.seed", Detail: detail}); err != nil {
			return err
		}
		return store.Touch(ctx, tx, s.db.Dialect, []int64{s.e.ID}, store.ChangeReports, store.ChangeProtocols)
	})
}

func pathKey(p []string) string {
	b, _ := json.Marshal(p)
	return string(b)
}

func parseNumber(s string) (int64, bool) {
	var n int64
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e15 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

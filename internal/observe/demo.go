package observe

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// DemoStation is one station of the demo's deployment sample, with what
// happened there. The demo generator (internal/demo) knows it; observation
// must show it.
type DemoStation struct {
	Path    []string // the station's area path, as imported (region, district, number)
	Stuffed bool     // ballots were stuffed here during voting
	Altered bool     // the official final protocol differs from the station's own
	// The station's own count: the protocol the commission signed, which
	// the observers copy (the official preliminary protocol in the demo).
	Figures election.Figures
	Votes   []int64
}

// DemoFacts is the input of SeedDemo: the organisation to create, the
// sample's stations and whether counting reports should also be stored as
// observer protocol versions (set it when the generator does not import
// the observers' copies itself, so that the copies come from the reports).
type DemoFacts struct {
	Organisation string // default "Demo Observation Mission"
	Stations     []DemoStation
	Protocols    bool
}

// DemoSummary says what SeedDemo stored.
type DemoSummary struct {
	Organisation string `json:"organisation"`
	Observers    int    `json:"observers"`
	Teams        int    `json:"teams"`
	Stations     int    `json:"stations"`
	Reports      int    `json:"reports"`
	Conflicts    int    `json:"conflicting_reports"`
	Token        string `json:"-"` // an API token of the first observer, for trying the API
}

// SeedDemo adds observation to the demo election: an organisation with
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
func SeedDemo(ctx context.Context, db *store.DB, electionID int64, seed uint64, facts DemoFacts) (*DemoSummary, error) {
	if facts.Organisation == "" {
		facts.Organisation = "Demo Observation Mission"
	}
	e, err := db.Election(ctx, electionID)
	if err != nil {
		return nil, err
	}
	org, err := db.EnsureOrganisation(ctx, facts.Organisation, "international")
	if err != nil {
		return nil, err
	}
	if _, err := InstallDefaultForms(ctx, db, org.ID); err != nil {
		return nil, err
	}
	forms := map[form.Phase]*store.StoredForm{}
	for _, t := range form.Templates() {
		sf, err := db.FormByKey(ctx, org.ID, t.ID, t.Version)
		if err != nil {
			return nil, err
		}
		forms[t.Phase] = sf
	}
	rules, err := db.QCRules(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 {
		if err := db.SaveQCRule(ctx, &store.QCRule{OrgID: org.ID, FormKey: "counting", Name: "more_in_box_than_issued",
			Expr: "ballots_in_box > ballots_issued", Action: "flag"}); err != nil {
			return nil, err
		}
	}
	areas, err := db.Areas(ctx, electionID)
	if err != nil {
		return nil, err
	}
	byPath := map[string]*election.Area{}
	byID := map[int64]*election.Area{}
	for i := range areas {
		a := &areas[i]
		byPath[pathKey(a.Path)] = a
		byID[a.ID] = a
	}
	r := rand.New(rand.NewPCG(seed, 0x0b5e_47e5))
	sum := &DemoSummary{Organisation: org.Name}
	// Roster: two observers per station's team.
	var roster []store.Observer
	for i := range facts.Stations {
		region := ""
		if len(facts.Stations[i].Path) > 0 {
			region = facts.Stations[i].Path[0]
		}
		team := fmt.Sprintf("T%04d", i+1)
		for k := 0; k < 2; k++ {
			n := 2*i + k + 1
			roster = append(roster, store.Observer{Code: fmt.Sprintf("%05d", n), Name: fmt.Sprintf("Observer %d", n),
				Phone: fmt.Sprintf("+7700%07d", n), Team: team, Area: []string{region}})
		}
	}
	if _, _, err := db.ImportRoster(ctx, org.ID, roster); err != nil {
		return nil, err
	}
	sum.Observers = len(roster)
	obsByCode := map[string]*store.Observer{}
	all, err := db.Observers(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		obsByCode[o.Code] = o
	}
	dep := &store.Deployment{OrgID: org.ID, ElectionID: electionID, Seed: fmt.Sprintf("demo-%d", seed),
		Design: json.RawMessage(`{"note":"the demo generator's sample of observed stations"}`)}
	var assigns []store.Assignment
	type visit struct {
		st    *DemoStation
		area  *election.Area
		team  int64
		first *store.Observer
		other *store.Observer
	}
	var visits []visit
	for i := range facts.Stations {
		st := &facts.Stations[i]
		a := byPath[pathKey(st.Path)]
		if a == nil || !a.Station {
			return nil, fmt.Errorf("demo station %q is not a polling station of election %s", st.Path, e.Name)
		}
		o1, o2 := obsByCode[fmt.Sprintf("%05d", 2*i+1)], obsByCode[fmt.Sprintf("%05d", 2*i+2)]
		dep.Stations = append(dep.Stations, store.DeployedStation{AreaID: a.ID, Stratum: "demo", Rank: i + 1})
		assigns = append(assigns, store.Assignment{TeamID: o1.TeamID, AreaID: a.ID})
		if a.ParentID != 0 && byID[a.ParentID] != nil && byID[a.ParentID].Level > 0 {
			assigns = append(assigns, store.Assignment{TeamID: o1.TeamID, AreaID: a.ParentID})
		}
		visits = append(visits, visit{st: st, area: a, team: o1.TeamID, first: o1, other: o2})
	}
	sum.Teams = len(visits)
	sum.Stations = len(visits)
	if existing, err := db.LatestDeployment(ctx, org.ID, electionID); err != nil || existing.Seed != dep.Seed {
		if err := db.SaveDeployment(ctx, dep); err != nil {
			return nil, err
		}
	}
	if err := db.Assign(ctx, org.ID, electionID, assigns); err != nil {
		return nil, err
	}
	day, _ := time.Parse("2006-01-02", e.Date)
	if day.IsZero() {
		day = time.Now().UTC().Truncate(24 * time.Hour)
	}
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	yes := func(p float64) form.Value { return form.BoolValue(r.Float64() < p) }
	grade := func(pNeg float64) form.Value {
		if r.Float64() < pNeg {
			if r.Float64() < 0.3 {
				return form.TextValue(form.VeryBad)
			}
			return form.TextValue(form.Bad)
		}
		if r.Float64() < 0.4 {
			return form.TextValue(form.VeryGood)
		}
		return form.TextValue(form.Good)
	}
	type rep struct {
		r     store.Report
		proto *election.Protocol
	}
	var reps []rep
	add := func(ph form.Phase, o *store.Observer, area *election.Area, a form.Answers, submitted time.Time, suffix string) {
		b, _ := json.Marshal(a)
		sf := forms[ph]
		reps = append(reps, rep{r: store.Report{OrgID: org.ID, ElectionID: electionID, FormID: sf.ID, Phase: string(ph), AreaID: area.ID,
			ObserverID: o.ID, Channel: []string{ChannelAPI, ChannelSMS, ChannelOpenRosa, ChannelWeb}[r.IntN(4)],
			ClientID: fmt.Sprintf("demo-%d-%s-%d%s", seed, ph, area.ID, suffix), Answers: b, Submitted: submitted, Received: submitted.Add(time.Duration(r.IntN(300)) * time.Second)}})
	}
	tabulated := map[int64]bool{}
	alteredUnder := map[int64]bool{}
	for _, v := range visits {
		if v.st.Altered {
			alteredUnder[v.area.ParentID] = true
		}
	}
	for _, v := range visits {
		num, _ := parseNumber(StationNumber(v.area))
		station := form.IntValue(num)
		// Opening.
		add(form.Opening, v.first, v.area, form.Answers{
			form.StationID: station, "arrival_time": form.TextValue("07:30"),
			"opened_on_time": yes(0.93), "boxes_sealed": yes(0.97), "boxes_shown_empty": yes(0.95),
			"unauthorised_present": yes(0.05), "unauthorised_directing": yes(0.02), "observers_restricted": yes(0.03),
			form.OverallID: grade(0.04),
		}, at(8, r.IntN(30)), "")
		// Voting.
		stuffSeen := v.st.Stuffed && r.Float64() < 0.9 || !v.st.Stuffed && r.Float64() < 0.005
		negVoting := 0.06
		if stuffSeen {
			negVoting = 0.85
		}
		voting := form.Answers{
			form.StationID: station, "arrival_time": form.TextValue(fmt.Sprintf("%02d:%02d", 10+r.IntN(6), r.IntN(60))),
			"boxes_sealed": yes(0.97), "secrecy_ensured": yes(0.9), "group_voting": yes(0.08), "ballot_box_stuffing": form.BoolValue(stuffSeen),
			"identical_signatures": form.BoolValue(stuffSeen && r.Float64() < 0.6 || r.Float64() < 0.02),
			"multiple_voting":      yes(0.02), "identity_checked": yes(0.95),
			"unauthorised_present": yes(0.07), "unauthorised_directing": yes(0.03), "observers_restricted": yes(0.05),
			"voters_so_far": form.IntValue(int64(20 + r.IntN(200))),
			form.OverallID:  grade(negVoting),
		}
		add(form.Voting, v.first, v.area, voting, at(12, r.IntN(60)), "")
		// Incidents: most teams that saw stuffing also file an incident
		// report; a few others report something else.
		if stuffSeen && r.Float64() < 0.6 {
			add(form.Incident, v.first, v.area, form.Answers{form.StationID: station, "incident_time": form.TextValue(fmt.Sprintf("%02d:%02d", 11+r.IntN(5), r.IntN(60))),
				"category": form.TextValue("ballot_box_stuffing"), "reported_to_chair": yes(0.5),
				"description": form.TextValue("A person put a bundle of ballots into the box; the chair did not intervene.")}, at(13, r.IntN(60)), "-stuffing")
		} else if r.Float64() < 0.03 {
			cat := []string{"intimidation", "vote_buying", "campaigning", "observer_obstruction", "other"}[r.IntN(5)]
			add(form.Incident, v.first, v.area, form.Answers{form.StationID: station, "incident_time": form.TextValue(fmt.Sprintf("%02d:%02d", 9+r.IntN(9), r.IntN(60))),
				"category": form.TextValue(cat), "reported_to_chair": yes(0.5), "description": form.TextValue("Reported by the team; details in the narrative report.")}, at(18, r.IntN(60)), "-"+cat)
		}
		if r.Float64() < 0.05 {
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
			add(form.Voting, v.other, v.area, other, at(12, 30+r.IntN(30)), "-b")
			sum.Conflicts++
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
			"unused_cancelled": yes(0.85), "reconciliation_done": yes(0.75), "ballots_shown": yes(0.7),
			"validity_consistent": yes(0.9), "protocol_pre_signed": yes(0.04), "protocol_posted": yes(0.8),
			"protocol_copy": yes(0.9), "unauthorised_present": yes(0.08), "unauthorised_directing": yes(0.04),
			"observers_restricted": yes(0.1), form.OverallID: grade(negCount), form.ProtocolID: form.ProtocolValue(proto),
		}
		add(form.Counting, v.first, v.area, counting, at(22, r.IntN(60)), "")
		if facts.Protocols {
			reps[len(reps)-1].proto = &election.Protocol{AreaID: v.area.ID, Source: election.Observer, Figures: v.st.Figures, Votes: v.st.Votes,
				Received: reps[len(reps)-1].r.Received}
		}
		// Tabulation at the commission above, once per commission.
		if dec := byID[v.area.ParentID]; dec != nil && dec.Level > 0 && !tabulated[dec.ID] {
			tabulated[dec.ID] = true
			num, _ := parseNumber(StationNumber(dec))
			if num < 1 {
				num = dec.ID
			}
			changed := alteredUnder[dec.ID] && r.Float64() < 0.7
			negTab := 0.2
			if changed {
				negTab = 0.8
			}
			add(form.Tabulation, v.first, dec, form.Answers{
				"commission": form.IntValue(num), "arrival_time": form.TextValue("23:30"),
				"full_view": yes(0.7), "figures_changed": form.BoolValue(changed), "corrected_no_recount": form.BoolValue(changed && r.Float64() < 0.5),
				"entry_visible": yes(0.6), "results_posted": yes(0.7), "unauthorised_present": yes(0.1), "unauthorised_directing": yes(0.05),
				form.OverallID: grade(negTab),
			}, day.Add(26*time.Hour), "")
		}
	}
	// Check every answer set against its form, so the demo never holds a
	// report the pipeline would refuse.
	for _, x := range reps {
		var a form.Answers
		json.Unmarshal(x.r.Answers, &a)
		f := form.BindElection(forms[form.Phase(x.r.Phase)].Form, e)
		for k := range a {
			if f.Question(k) == nil {
				delete(a, k) // the template may not have every question the demo fills
			}
		}
		if probs := form.Validate(f, a); len(probs) > 0 {
			return nil, fmt.Errorf("demo %s report: %v", x.r.Phase, probs[0])
		}
		x.r.Answers, _ = json.Marshal(a)
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		var newReports, newProtocols []int64
		for i := range reps {
			x := &reps[i]
			_, created, err := store.InsertReport(ctx, tx, &x.r)
			if err != nil {
				return err
			}
			if created {
				sum.Reports++
				newReports = append(newReports, x.r.ID)
				if x.proto != nil {
					x.proto.ReportID = x.r.ID
					if err := store.InsertProtocol(ctx, tx, electionID, x.proto); err != nil {
						return err
					}
					newProtocols = append(newProtocols, x.proto.ID)
				}
			}
		}
		if _, err := store.LogRows(ctx, tx, db.Dialect, store.RowSet{Table: "reports", IDs: newReports}, store.RowSet{Table: "protocols", IDs: newProtocols}); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{OrgID: org.ID, Actor: "demo", Channel: ChannelCLI, Action: "demo.seed", Detail: mustJSON(map[string]any{"reports": sum.Reports})})
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
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

package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// aggWorld is an election of 3 regions × 2 districts × 4 stations, an
// organisation with the default forms, QC rules, teams and users.
type aggWorld struct {
	db        *store.DB
	svc       *Service
	org, eid  int64
	stations  []int64
	paths     map[int64][]string
	observers []*store.Observer
	users     []int64
	admin     access.Principal
}

func newAggWorld(t *testing.T, db *store.DB, name string) *aggWorld {
	t.Helper()
	ctx := context.Background()
	w := &aggWorld{db: db, paths: map[int64][]string{}}
	org, err := db.EnsureOrganisation(ctx, name, "")
	if err != nil {
		t.Fatal(err)
	}
	w.org = org.ID
	if _, err := InstallDefaultForms(ctx, db, org.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(store.TimeLayout)
	if err := db.QueryRowContext(ctx, `INSERT INTO elections (name, kind, country, date, config, created) VALUES ($2, 'presidential', 'KZ', '2026-03-01', '{"area_levels":["region","district","station"]}', $1) RETURNING id`,
		now, name).Scan(&w.eid); err != nil {
		t.Fatal(err)
	}
	var root int64
	if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, NULL, 0, 'agg', '[]', 0) RETURNING id`, w.eid).Scan(&root); err != nil {
		t.Fatal(err)
	}
	num := 100
	for _, r := range []string{"North", "South", "East"} {
		rp, _ := json.Marshal([]string{r})
		var rid int64
		if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 1, $3, $4, 0) RETURNING id`, w.eid, root, r, string(rp)).Scan(&rid); err != nil {
			t.Fatal(err)
		}
		for d := 1; d <= 2; d++ {
			dn := fmt.Sprintf("%s-%d", r, d)
			dp, _ := json.Marshal([]string{r, dn})
			var did int64
			if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 2, $3, $4, 0) RETURNING id`, w.eid, rid, dn, string(dp)).Scan(&did); err != nil {
				t.Fatal(err)
			}
			for s := 0; s < 4; s++ {
				num++
				path := []string{r, dn, fmt.Sprint(num)}
				sp, _ := json.Marshal(path)
				var sid int64
				if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 3, $3, $4, 1) RETURNING id`, w.eid, did, fmt.Sprint(num), string(sp)).Scan(&sid); err != nil {
					t.Fatal(err)
				}
				w.stations = append(w.stations, sid)
				w.paths[sid] = path
			}
		}
	}
	var roster []store.Observer
	for i := 0; i < 10; i++ {
		team := ""
		if i < 8 {
			team = fmt.Sprintf("T%d", i/2)
		}
		roster = append(roster, store.Observer{Code: fmt.Sprintf("O%d", i), Name: fmt.Sprintf("Observer %d", i), Phone: fmt.Sprintf("+77%03d00%04d", int(name[len(name)-1]), i), Team: team})
	}
	if _, _, err := db.ImportRoster(ctx, w.org, roster); err != nil {
		t.Fatal(err)
	}
	obs, err := db.Observers(ctx, w.org)
	if err != nil {
		t.Fatal(err)
	}
	w.observers = obs
	for i := 0; i < 2; i++ {
		u := &store.User{OrgID: w.org, Username: fmt.Sprintf("%s-coord%d", name, i), Name: "C", Role: string(access.Coordinator)}
		if err := db.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		w.users = append(w.users, u.ID)
	}
	w.svc = New(db)
	t.Cleanup(w.svc.Close)
	w.admin = access.Principal{Role: access.Administrator, OrgID: w.org, UserID: w.users[0], Name: "admin"}
	for _, r := range []store.QCRule{
		{FormKey: "voting", Name: "stuffing_flag", Expr: "ballot_box_stuffing == true", Action: "flag"},
		{FormKey: "opening", Name: "late_quarantine", Expr: "overall == \"very_bad\"", Action: "quarantine"},
	} {
		if _, err := w.svc.SaveRule(ctx, w.admin, "api", r); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// answers makes a valid random answer set for a form.
func (w *aggWorld) answers(rng *rand.Rand, f *form.Form, station int64) form.Answers {
	a := form.Answers{}
	for i := range f.Questions {
		q := &f.Questions[i]
		switch q.Type {
		case form.YesNo:
			a[q.ID] = form.BoolValue(rng.IntN(3) == 0)
		case form.Assessment:
			a[q.ID] = form.TextValue([]string{form.VeryGood, form.Good, form.Bad, form.VeryBad}[rng.IntN(4)])
		case form.Integer, form.Decimal:
			n := int64(rng.IntN(3))
			if q.Min != nil {
				n += *q.Min
			}
			a[q.ID] = form.IntValue(n)
		case form.Time:
			a[q.ID] = form.TextValue("10:00")
		case form.Date:
			a[q.ID] = form.TextValue("2026-03-01")
		case form.Text:
			a[q.ID] = form.TextValue("seen")
		case form.SingleChoice:
			if cs := q.Options(); len(cs) > 0 {
				a[q.ID] = form.TextValue(cs[rng.IntN(len(cs))].Value)
			}
		case form.MultipleChoice:
			if cs := q.Options(); len(cs) > 0 {
				a[q.ID] = form.ListValue(cs[rng.IntN(len(cs))].Value)
			}
		}
	}
	if station != 0 {
		n := w.paths[station][2]
		var v int64
		fmt.Sscan(n, &v)
		a[form.StationID] = form.IntValue(v)
	}
	return a
}

// TestAggregatesRebuildEqualsIncremental: after a seeded random sequence
// of submissions (several channels, retries, duplicates, observers of one
// team disagreeing), review decisions, triage, resolutions, deployments,
// assignments and a roster change, the aggregates kept incrementally are
// exactly those a rebuild computes from the raw rows, and the findings
// read from them are exactly those computed from scratch, for the whole
// organisation and for coordinators of a region and of a district.
func TestAggregatesRebuildEqualsIncremental(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, seed := range []uint64{1, 2} {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { aggSequence(t, db, seed) })
		}
	})
}

func aggSequence(t *testing.T, db *store.DB, seed uint64) {
	ctx := context.Background()
	w := newAggWorld(t, db, fmt.Sprint("agg", seed))
	rng := rand.New(rand.NewPCG(seed, 7))
	forms := map[string]*form.Form{}
	for _, k := range []string{"opening", "voting", "incident"} {
		sf, err := db.FormByKey(ctx, w.org, k, "")
		if err != nil {
			t.Fatal(err)
		}
		forms[k] = sf.Form
	}
	allKeys := map[string]bool{}
	for _, id := range w.stations {
		allKeys[access.StationKey(w.eid, w.paths[id])] = true
	}
	var sent []Submission
	var reportIDs []int64
	channels := []string{ChannelAPI, ChannelWeb, ChannelSMS, ChannelOpenRosa}
	submit := func(sub Submission) {
		t.Helper()
		rc, err := w.svc.Submit(ctx, sub)
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				delete(sub.Answers, p.Question)
			}
			rc, err = w.svc.Submit(ctx, sub)
		}
		if err != nil {
			t.Fatalf("submit %s: %v", sub.ClientID, err)
		}
		if !rc.Duplicate {
			reportIDs = append(reportIDs, rc.ReportID)
		}
		sent = append(sent, sub)
	}
	coordRegion := access.Principal{Role: access.Coordinator, OrgID: w.org, UserID: w.users[1], Name: "north", Area: []string{"North"}}
	coordDistrict := access.Principal{Role: access.Coordinator, OrgID: w.org, UserID: w.users[1], Name: "south-1", Area: []string{"South", "South-1"}}
	analyst := access.Principal{Role: access.Analyst, OrgID: w.org, UserID: w.users[0], Name: "analyst"}
	check := func(step int) {
		t.Helper()
		for _, p := range []access.Principal{analyst, coordRegion, coordDistrict} {
			got, err := FindingsOf(ctx, db, p, w.eid, true)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := Load(ctx, db, p, w.eid)
			if err != nil {
				t.Fatal(err)
			}
			want := ds.Findings()
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("step %d, %s: findings from the aggregates differ from the computation from scratch:\n got %s\nwant %s", step, p.Name, gj, wj)
			}
			sc, err := ScopeOf(ctx, db, p, w.eid)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := db.ObsConflicts(ctx, w.org, w.eid, sc.Node, false, 0)
			if err != nil {
				t.Fatal(err)
			}
			ref := Conflicts(ds.Obs, ds.Resolved)
			if ref == nil {
				ref = []Conflict{}
			}
			cj, _ := json.Marshal(cs)
			rj, _ := json.Marshal(ref)
			if string(cj) != string(rj) {
				t.Fatalf("step %d, %s: conflicts\n got %s\nwant %s", step, p.Name, cj, rj)
			}
		}
		before := aggSnapshot(t, db)
		if err := db.RebuildObservation(ctx); err != nil {
			t.Fatal(err)
		}
		after := aggSnapshot(t, db)
		if !reflect.DeepEqual(before, after) {
			for tb := range after {
				if !reflect.DeepEqual(before[tb], after[tb]) {
					t.Errorf("step %d: table %s incremental %d rows, rebuilt %d", step, tb, len(before[tb]), len(after[tb]))
					for i := 0; i < max(len(before[tb]), len(after[tb])) && i < 400; i++ {
						var b, a string
						if i < len(before[tb]) {
							b = before[tb][i]
						}
						if i < len(after[tb]) {
							a = after[tb][i]
						}
						if a != b {
							t.Errorf("  incremental %q\n  rebuilt     %q", b, a)
							break
						}
					}
				}
			}
			t.FailNow()
		}
	}
	folded0, computed0 := store.ObservationGroupCounts()
	for step := 0; step < 160; step++ {
		switch op := rng.IntN(100); {
		case op < 55 || len(reportIDs) == 0:
			o := w.observers[rng.IntN(len(w.observers))]
			p := access.Principal{Role: access.Observer, OrgID: w.org, ObserverID: o.ID, Name: o.Name, Stations: allKeys}
			if rng.IntN(6) == 0 {
				p = access.Principal{Role: access.Coordinator, OrgID: w.org, UserID: w.users[rng.IntN(2)], Name: "coord"}
			}
			key := []string{"opening", "voting", "voting", "incident"}[rng.IntN(4)]
			// Few stations, so that visits meet and disagree.
			st := w.stations[rng.IntN(8)*3%len(w.stations)]
			sub := Submission{Principal: p, Channel: channels[rng.IntN(len(channels))], ClientID: fmt.Sprintf("c-%d-%04d", seed, step), ElectionID: w.eid, Form: key,
				AreaID: st}
			if key == "incident" && rng.IntN(3) == 0 {
				// An incident away from a station, from a coordinator.
				sub.Principal = access.Principal{Role: access.Coordinator, OrgID: w.org, UserID: w.users[0], Name: "coord"}
				sub.AreaID = 0
				sub.Answers = w.answers(rng, forms[key], 0)
			} else {
				sub.Answers = w.answers(rng, forms[key], st)
			}
			if key == "incident" {
				delete(sub.Answers, form.StationID)
			}
			submit(sub)
		case op < 65 && len(sent) > 0:
			// A retry: the same client id again (an unacknowledged send).
			submit(sent[rng.IntN(len(sent))])
		case op < 78:
			id := reportIDs[rng.IntN(len(reportIDs))]
			rep, err := db.Report(ctx, w.org, id)
			if err != nil {
				t.Fatal(err)
			}
			status := []string{store.StatusNew, store.StatusFlagged, store.StatusVerified, store.StatusQuarantined}[rng.IntN(4)]
			triage := ""
			if rep.Phase == "incident" {
				triage = TriageStates[rng.IntN(len(TriageStates))]
				if rng.IntN(2) == 0 {
					status = ""
				}
			}
			if err := db.UpdateReport(ctx, w.org, id, status, triage, store.AuditEntry{OrgID: w.org, Actor: "test", Action: "report.review"}); err != nil {
				t.Fatal(err)
			}
		case op < 88:
			cs, err := db.ObsConflicts(ctx, w.org, w.eid, 0, rng.IntN(4) != 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 {
				continue
			}
			c := cs[rng.IntN(len(cs))]
			v := c.Values[rng.IntN(len(c.Values))].Value
			if err := db.Resolve(ctx, w.org, w.eid, store.Resolution{AreaID: c.AreaID, Phase: c.Phase, Question: c.Question, Value: v, UserID: w.users[0]},
				store.AuditEntry{OrgID: w.org, Actor: "test", Action: "conflict.resolve"}); err != nil {
				t.Fatal(err)
			}
		case op < 93:
			teams, err := db.Teams(ctx, w.org)
			if err != nil {
				t.Fatal(err)
			}
			var as []store.Assignment
			for i := 0; i < 3; i++ {
				as = append(as, store.Assignment{TeamID: teams[rng.IntN(len(teams))].ID, AreaID: w.stations[rng.IntN(len(w.stations))]})
			}
			if err := db.Assign(ctx, w.org, w.eid, as); err != nil {
				t.Fatal(err)
			}
		case op < 97:
			d := &store.Deployment{OrgID: w.org, ElectionID: w.eid, Seed: fmt.Sprint(step)}
			for _, id := range w.stations {
				if rng.IntN(2) == 0 {
					d.Stations = append(d.Stations, store.DeployedStation{AreaID: id, Stratum: w.paths[id][0]})
				}
			}
			if err := db.SaveDeployment(ctx, d); err != nil {
				t.Fatal(err)
			}
		default:
			// An observer moves to another team: their reports change cluster.
			o := w.observers[rng.IntN(len(w.observers))]
			team := fmt.Sprintf("T%d", rng.IntN(5))
			if _, _, err := db.ImportRoster(ctx, w.org, []store.Observer{{Code: o.Code, Name: o.Name, Phone: o.Phone, Team: team}}); err != nil {
				t.Fatal(err)
			}
		}
		if step%40 == 39 {
			check(step)
		}
	}
	check(-1)
	// Both ways of bringing a group up to date ran: new reports folded
	// into a stored state, and groups computed from all their reports.
	folded, computed := store.ObservationGroupCounts()
	folded, computed = folded-folded0, computed-computed0
	t.Logf("groups folded %d times, computed %d times", folded, computed)
	if folded < 20 || computed < 20 {
		t.Fatalf("groups folded %d times, computed %d times: the sequence should do both often", folded, computed)
	}
	// The figures are not empty: the sequence exercised what it claims.
	f, err := FindingsOf(ctx, db, analyst, w.eid, false)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := db.ObsConflicts(ctx, w.org, w.eid, 0, false, 0)
	var resolved int
	for _, c := range cs {
		if c.Resolved != nil {
			resolved++
		}
	}
	if f.Phases["voting"].Observed < 5 || f.Quarantined == 0 || len(f.Incidents) == 0 || len(cs) == 0 || resolved == 0 || f.Coverage.Total.Deployed == 0 ||
		f.Phases["voting"].CIMethod != "cluster score" {
		t.Fatalf("the sequence left too little to compare: voting %+v, quarantined %d, incidents %d, conflicts %d (%d resolved), coverage %+v",
			f.Phases["voting"], f.Quarantined, len(f.Incidents), len(cs), resolved, f.Coverage.Total)
	}
}

// TestAggregatesGroupStateMissingOrUnreadable: a group whose stored state
// is missing (a database from before obs_groups) or does not read is
// computed from its reports when a report arrives, which writes its state
// afresh; the aggregates are then exactly a rebuild's.
func TestAggregatesGroupStateMissingOrUnreadable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAggWorld(t, db, "aggstate")
		rng := rand.New(rand.NewPCG(11, 7))
		voting, err := db.FormByKey(ctx, w.org, "voting", "")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		send := func(st int64) {
			t.Helper()
			o := w.observers[rng.IntN(len(w.observers))]
			p := access.Principal{Role: access.Observer, OrgID: w.org, ObserverID: o.ID, Name: o.Name, Stations: map[string]bool{access.StationKey(w.eid, w.paths[st]): true}}
			n++
			sub := Submission{Principal: p, Channel: ChannelAPI, ClientID: fmt.Sprintf("group-state-%04d", n), ElectionID: w.eid, Form: "voting", AreaID: st,
				Answers: w.answers(rng, voting.Form, st)}
			if _, err := w.svc.Submit(ctx, sub); err != nil {
				t.Fatalf("submit: %v", err)
			}
		}
		a, b, c := w.stations[0], w.stations[1], w.stations[2]
		for range 3 {
			send(a)
			send(b)
			send(c)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM obs_groups WHERE area_id = $1`, a); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE obs_groups SET state = '{"usable": 1}' WHERE area_id = $1`, b); err != nil {
			t.Fatal(err)
		}
		folded0, computed0 := store.ObservationGroupCounts()
		send(a)
		send(b)
		send(c)
		folded, computed := store.ObservationGroupCounts()
		if d := computed - computed0; d != 2 {
			t.Errorf("%d groups computed from their reports, want 2 (the missing and the unreadable state)", d)
		}
		if d := folded - folded0; d != 1 {
			t.Errorf("%d groups folded, want 1", d)
		}
		before := aggSnapshot(t, db)
		if len(before["obs_groups"]) != 3 {
			t.Fatalf("states %q, want one for each of the three stations", before["obs_groups"])
		}
		if err := db.RebuildObservation(ctx); err != nil {
			t.Fatal(err)
		}
		if after := aggSnapshot(t, db); !reflect.DeepEqual(before, after) {
			t.Fatalf("incremental and rebuilt aggregates differ:\n%v\n%v", before, after)
		}
	})
}

// aggSnapshot reads every aggregate table but the change counters, as
// sorted lines, leaving out rows whose counts are all zero (a sum that
// went up and down again).
func aggSnapshot(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for tb, q := range map[string]string{
		"obs_stats":     `SELECT node_id, phase, sums FROM obs_stats`,
		"obs_clusters":  `SELECT cluster, node_id, phase, sums FROM obs_clusters`,
		"obs_nodes":     `SELECT node_id, deployed, reported, conflicted, incidents, queued, quarantined, conflicts, open_conflicts FROM obs_nodes WHERE deployed <> 0 OR reported <> 0 OR conflicted <> 0 OR incidents <> 0 OR queued <> 0 OR quarantined <> 0 OR conflicts <> 0 OR open_conflicts <> 0`,
		"obs_stations":  `SELECT area_id, deployed, usable, open_conflicts FROM obs_stations`,
		"obs_units":     `SELECT first_report, area_id, region_id, phase, cluster, reports, hits FROM obs_units`,
		"obs_conflicts": `SELECT area_id, phase, question, unresolved FROM obs_conflicts`,
		"obs_anc":       `SELECT area_id, node_id FROM obs_anc`,
		"obs_groups":    `SELECT area_id, phase, state FROM obs_groups`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			out[tb] = append(out[tb], strings.Join(parts, "|"))
		}
		rows.Close()
		slices.Sort(out[tb])
	}
	return out
}

// A text with an invalid byte (an SMS gateway's, say) is stored as JSON,
// which holds U+FFFD in its place: the group commit must fold it as a
// rebuild reads it back, not as submitted, or it would conflict with an
// earlier report giving the same text (U+FFFD itself) until a rebuild.
// The second report is the one folded into the group's state (the first
// computes the group from the stored rows). On both engines, through the
// service: store.Report.Decoded is given only for valid UTF-8.
func TestAggregatesInvalidUTF8Text(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newAggWorld(t, db, "utf8")
		f, err := form.FromXLSFormRows([][]string{{"type", "name", "label"}, {"text", "note", "Anything to note?"}},
			nil, [][]string{{"form_id", "phase"}, {"utf8", "voting"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SaveForm(ctx, w.org, f); err != nil {
			t.Fatal(err)
		}
		st := w.stations[0]
		for i, s := range []string{"broken \uFFFD byte", "broken \xff byte"} {
			a := form.Answers{"note": form.TextValue(s)}
			if _, err := w.svc.Submit(ctx, Submission{Principal: w.admin, Channel: ChannelSMS, ClientID: fmt.Sprintf("utf8-%04d", i), ElectionID: w.eid, Form: "utf8", AreaID: st, Answers: a}); err != nil {
				t.Fatalf("submit %q: %v", s, err)
			}
		}
		before := aggSnapshot(t, db)
		if err := db.RebuildObservation(ctx); err != nil {
			t.Fatal(err)
		}
		if after := aggSnapshot(t, db); !reflect.DeepEqual(before, after) {
			t.Fatalf("incremental and rebuilt aggregates differ:\n incremental %v\n rebuilt     %v", before["obs_conflicts"], after["obs_conflicts"])
		}
	})
}

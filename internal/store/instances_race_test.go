package store_test

// Read-then-write patterns in the store that two PostgreSQL
// transactions from two instances (two *store.DB on one schema) break.
// Each test failed when the race was hit, before its fix (issue 9: several
// instances on one PostgreSQL; found by a review of the store).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

type raceFx struct {
	addr     string
	db1, db2 *store.DB
	org, eid int64
	formID   int64
	root     int64
	stations []int64
}

func newRaceFx(t *testing.T, nStations int) *raceFx {
	t.Helper()
	return newRaceFxAt(t, storetest.PostgresAddr(t), nStations)
}

// newRaceFxAt is newRaceFx on the database at addr (either engine).
// observingOrg makes an organisation with the default forms: its id and
// its voting form's.
func observingOrg(t *testing.T, db *store.DB, name string) (org, votingForm int64) {
	t.Helper()
	ctx := context.Background()
	o, err := db.EnsureOrganisation(ctx, name, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observe.InstallDefaultForms(ctx, db, o.ID); err != nil {
		t.Fatal(err)
	}
	sf, err := db.FormByKey(ctx, o.ID, "voting", "")
	if err != nil {
		t.Fatal(err)
	}
	return o.ID, sf.ID
}

func newRaceFxAt(t *testing.T, addr string, nStations int) *raceFx {
	t.Helper()
	ctx := context.Background()
	fx := &raceFx{addr: addr}
	fx.db1 = storetest.Open(t, fx.addr)
	fx.db2 = storetest.Open(t, fx.addr)
	db := fx.db1
	fx.org, fx.formID = observingOrg(t, db, "R")
	if err := db.QueryRowContext(ctx, `INSERT INTO elections (name, kind, created) VALUES ('race', 'presidential', $1) RETURNING id`,
		time.Now().UTC().Format(store.TimeLayout)).Scan(&fx.eid); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, NULL, 0, 'race', '[]', 0) RETURNING id`, fx.eid).Scan(&fx.root); err != nil {
		t.Fatal(err)
	}
	for i := range nStations {
		name := fmt.Sprintf("S%03d", i)
		p, _ := json.Marshal([]string{name})
		var id int64
		if err := db.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 1, $3, $4, 1) RETURNING id`,
			fx.eid, fx.root, name, string(p)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		fx.stations = append(fx.stations, id)
	}
	return fx
}

func (fx *raceFx) report(t *testing.T, clientID string, area int64, status string) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	answers, _ := json.Marshal(map[string]any{"station": 1, "overall": "good"})
	r := &store.Report{OrgID: fx.org, ElectionID: fx.eid, FormID: fx.formID, Phase: "voting", AreaID: area, Channel: "api",
		ClientID: clientID, Answers: answers, Status: status, Submitted: now, Received: now}
	var id int64
	if err := fx.db1.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, _, err = store.InsertReport(ctx, tx, fx.db1.Dialect, r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// both runs a and b at the same moment and waits for both.
func both(a, b func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; a() }()
	go func() { defer wg.Done(); <-start; b() }()
	close(start)
	wg.Wait()
}

func nodeCounters(t *testing.T, db *store.DB, org int64) string {
	t.Helper()
	rows, err := db.Query(`SELECT node_id, incidents, queued, quarantined FROM obs_nodes WHERE org_id = $1 AND (incidents <> 0 OR queued <> 0 OR quarantined <> 0) ORDER BY node_id`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var n, i, q, x int64
		if err := rows.Scan(&n, &i, &q, &x); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "node %d: incidents %d queued %d quarantined %d\n", n, i, q, x)
	}
	return b.String()
}

// UpdateReport reads the report's old status with a plain SELECT, then
// UPDATEs it, then moves the per-report counters (queued, quarantined)
// from that old status. Two reviewers of one report (two instances) both
// read "new", both move the counters from "new": counted twice.
func TestInstancesUpdateReportCounters(t *testing.T) {
	fx := newRaceFx(t, 4)
	ctx := context.Background()
	const n = 60
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = fx.report(t, fmt.Sprintf("rev-%03d", i), fx.stations[i%len(fx.stations)], store.StatusNew)
	}
	audit := store.AuditEntry{OrgID: fx.org, Actor: "t", Channel: "test", Action: "report.review"}
	var errs []error
	var mu sync.Mutex
	for _, id := range ids {
		do := func(db *store.DB, status string) func() {
			return func() {
				if err := db.UpdateReport(ctx, fx.org, id, status, "", audit); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}
		both(do(fx.db1, store.StatusQuarantined), do(fx.db2, store.StatusQuarantined))
	}
	for _, err := range errs {
		t.Errorf("UpdateReport: %v", err)
	}
	var quarantined int
	fx.db1.QueryRow(`SELECT count(*) FROM reports WHERE org_id = $1 AND status = 'quarantined'`, fx.org).Scan(&quarantined)
	before := nodeCounters(t, fx.db1, fx.org)
	if err := fx.db1.RebuildObservation(ctx); err != nil {
		t.Fatal(err)
	}
	after := nodeCounters(t, fx.db1, fx.org)
	if before != after {
		t.Errorf("%d reports quarantined; counters kept by the writers:\n%srebuilt:\n%s", quarantined, before, after)
	}
}

// ImportRoster checks that no other organisation's roster has a phone
// (phoneConflicts, a SELECT) and then inserts the observers: nothing in
// the schema stops two organisations' imports, each checking before the
// other commits, from both taking the same numbers.
func TestInstancesRosterPhoneCheck(t *testing.T) {
	fx := newRaceFx(t, 0)
	ctx := context.Background()
	orgB, err := fx.db1.EnsureOrganisation(ctx, "B", "")
	if err != nil {
		t.Fatal(err)
	}
	const rounds, per = 8, 150
	bothWon := 0
	for round := range rounds {
		roster := func(prefix string) []store.Observer {
			var obs []store.Observer
			for i := range per {
				obs = append(obs, store.Observer{Code: fmt.Sprintf("%s-%d-%d", prefix, round, i), Name: "x",
					Phone: fmt.Sprintf("+7701%03d%04d", round, i), Line: i + 1})
			}
			return obs
		}
		var errA, errB error
		both(func() { _, _, errA = fx.db1.ImportRoster(ctx, fx.org, roster("a")) },
			func() { _, _, errB = fx.db2.ImportRoster(ctx, orgB.ID, roster("b")) })
		var taken store.PhoneConflicts
		for _, err := range []error{errA, errB} {
			if err != nil && !errors.As(err, &taken) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if errA == nil && errB == nil {
			bothWon++
		}
	}
	var shared int
	fx.db1.QueryRow(`SELECT count(*) FROM (SELECT phone FROM observers WHERE phone <> '' GROUP BY phone HAVING count(DISTINCT org_id) > 1) s`).Scan(&shared)
	if bothWon > 0 || shared > 0 {
		t.Errorf("in %d of %d rounds both organisations' rosters were accepted: %d phone numbers are now on two organisations' rosters with no agreement to share them", bothWon, rounds, shared)
	}
}

// SavePhotoWithin counts a report's photos (and sums the organisation's
// bytes) with a SELECT, then inserts: two photos of one report sent to two
// instances at once both pass a limit of one.
func TestInstancesPhotoLimit(t *testing.T) {
	fx := newRaceFx(t, 1)
	ctx := context.Background()
	const n = 40
	over := 0
	for i := range n {
		rid := fx.report(t, fmt.Sprintf("photo-%03d", i), fx.stations[0], store.StatusNew)
		save := func(db *store.DB, name string) func() {
			return func() {
				p := &store.Photo{OrgID: fx.org, ElectionID: fx.eid, ReportID: rid, Question: "protocol_photo", FileName: name,
					ContentType: "image/jpeg", SHA256: name, Size: 10, Data: []byte("0123456789")}
				if _, err := db.SavePhotoWithin(ctx, p, store.PhotoLimits{PerReport: 1}); err != nil && !errors.Is(err, store.ErrPhotoLimit) {
					t.Errorf("report %d: %v", rid, err)
				}
			}
		}
		both(save(fx.db1, "a.jpg"), save(fx.db2, "b.jpg"))
		var k int
		fx.db1.QueryRow(`SELECT count(*) FROM photos WHERE report_id = $1`, rid).Scan(&k)
		if k > 1 {
			over++
		}
	}
	if over > 0 {
		t.Errorf("limit of 1 photo a report: %d of %d reports hold 2", over, n)
	}
}

// Import reads the election (its configuration) when it starts and, in
// its final transaction, writes that configuration back whole with the
// area levels added: a configuration change committed meanwhile (by
// another instance, `vigil election config`) is silently undone.
func TestInstancesImportOverwritesConfig(t *testing.T) {
	fx := newRaceFx(t, 0)
	ctx := context.Background()
	e := &election.Election{Name: "cfg", Kind: election.Presidential, Options: []election.Option{{Name: "A"}, {Name: "B"}}}
	if err := fx.db1.CreateElection(ctx, e); err != nil {
		t.Fatal(err)
	}
	want := election.Config{Tolerances: map[string]election.Tolerance{election.CodeTurnout: {Absolute: 5}}, Title: "set meanwhile"}
	rows := []store.Row{station(1, []int64{10, 20}, "R1", "S1"), station(2, []int64{5, 6}, "R1", "S2")}
	next := storetest.Rows(rows)
	updated := false
	_, err := fx.db1.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "f.csv",
		Options: []string{"A", "B"}, AreaLevels: []string{"region", "station"}}, func() (store.Row, error) {
		if !updated {
			updated = true
			// Another instance changes the configuration while the import runs.
			if err := fx.db2.UpdateConfig(ctx, e.ID, want); err != nil {
				return store.Row{}, err
			}
		}
		return next()
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := fx.db1.Election(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.Title != want.Title || len(got.Config.Tolerances) == 0 {
		t.Errorf("configuration after the import: %+v; the change committed while it ran (%+v) is lost", got.Config, want)
	}
}

// OpenWith, on a database whose log is empty (from before the log), logs
// every row with LogUnlogged: it reads the rows and the logged refs, then
// takes the log's lock. Two instances starting at once both read "nothing
// logged" and both append every row.
func TestInstancesLogUnloggedAtOpen(t *testing.T) {
	ctx := context.Background()
	const rounds = 4
	dups := 0
	for round := range rounds {
		addr := storetest.PostgresAddr(t)
		db0 := storetest.Open(t, addr)
		e := &election.Election{Name: "old", Kind: election.Presidential, Options: []election.Option{{Name: "A"}}}
		if err := db0.CreateElection(ctx, e); err != nil {
			t.Fatal(err)
		}
		// Rows an older vigil wrote, unlogged.
		if _, err := db0.Exec(`INSERT INTO batches (election_id, source, file, sha256, rows, rejected, created)
			SELECT $1, 'official-final', 'f' || g, 'x', 1, 0, $2 FROM generate_series(1, 3000) g`, e.ID, time.Now().UTC().Format(store.TimeLayout)); err != nil {
			t.Fatal(err)
		}
		if n, _ := db0.LogSize(ctx); n != 0 {
			t.Fatalf("log size %d before the test", n)
		}
		var err1, err2 error
		both(func() {
			var db *store.DB
			if db, err1 = store.Open(ctx, addr); err1 == nil {
				db.Close()
			}
		}, func() {
			var db *store.DB
			if db, err2 = store.Open(ctx, addr); err2 == nil {
				db.Close()
			}
		})
		if err1 != nil || err2 != nil {
			t.Errorf("round %d: opening: %v / %v", round, err1, err2)
		}
		var leaves, refs int
		db0.QueryRow(`SELECT count(*), count(DISTINCT ref) FROM log_leaves WHERE ref LIKE 'batches/%'`).Scan(&leaves, &refs)
		if leaves != refs {
			dups++
			t.Logf("round %d: %d leaves for %d batches", round, leaves, refs)
		}
	}
	if dups > 0 {
		t.Errorf("in %d of %d rounds two instances opening at once logged every old row twice", dups, rounds)
	}
}

// InsertProtocol numbers an observer's protocol copy SELECT max(version)+1:
// two instances storing copies of one station at once pick the same
// version, and the second hits UNIQUE (area_id, source, version). The
// group commit replays a failed batch of several jobs one by one, but a
// batch of one job just fails: the observer gets an error.
func TestInstancesObserverProtocolVersion(t *testing.T) {
	fx := newRaceFx(t, 1)
	w1, w2 := store.NewGroupCommit(fx.db1), store.NewGroupCommit(fx.db2)
	defer w1.Close()
	defer w2.Close()
	ctx := context.Background()
	// Two organisations observing the same station: their reports take
	// different observation locks (lockObs keys on the organisation).
	orgB, formB := observingOrg(t, fx.db1, "B")
	job := func(org, form int64, cid string) *store.CommitJob {
		now := time.Now().UTC()
		answers, _ := json.Marshal(map[string]any{"station": 1, "overall": "good"})
		p := &election.Protocol{AreaID: fx.stations[0], Source: election.Observer, Votes: []int64{3, 4}}
		p.Figures.Set(election.Valid, 7)
		return &store.CommitJob{
			Report: &store.Report{OrgID: org, ElectionID: fx.eid, FormID: form, Phase: "voting", AreaID: fx.stations[0], Channel: "api",
				ClientID: cid, Answers: answers, Submitted: now, Received: now},
			Protocol: p,
			Audit:    store.AuditEntry{OrgID: org, Actor: "test", Channel: "api", Action: "report.submit"},
		}
	}
	const rounds = 30
	failed := 0
	var last error
	for i := range rounds {
		var e1, e2 error
		both(func() { _, e1 = w1.Submit(ctx, job(fx.org, fx.formID, fmt.Sprintf("p1-%d", i))) },
			func() { _, e2 = w2.Submit(ctx, job(orgB, formB, fmt.Sprintf("p2-%d", i))) })
		for _, err := range []error{e1, e2} {
			if err != nil {
				failed++
				last = err
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d submissions failed; last: %v", failed, 2*rounds, last)
	}
}

// store.Rebuild (`vigil rebuild`) beside a serving instance. Its
// observation step (rebuildObservation) DELETEs the obs_* rows first and
// takes lockObs's locks only afterwards, scope by scope; a writer holding
// a station's lock meanwhile waits for rows the DELETE locked while the
// rebuild waits for the writer's lock: deadlock, one of them fails (the
// rebuild, or an observer's single-report batch). The results step has
// the same shape (DELETE FROM protocol_current… before lockResults) but
// did not fail here; the final comparison checks the results aggregates.
func TestInstancesRebuildBesideReports(t *testing.T) {
	fx := newRaceFx(t, 200)
	w2 := store.NewGroupCommit(fx.db2)
	defer w2.Close()
	ctx := context.Background()
	var rebuildErrs, submitErrs []error
	var mu sync.Mutex
	next := 0
	for round := range 10 {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fx.db1.Rebuild(ctx); err != nil {
				mu.Lock()
				rebuildErrs = append(rebuildErrs, err)
				mu.Unlock()
			}
		}()
		for i := range 15 {
			st := fx.stations[next%len(fx.stations)]
			next++
			now := time.Now().UTC()
			answers, _ := json.Marshal(map[string]any{"station": 1, "overall": "good"})
			p := &election.Protocol{AreaID: st, Source: election.Observer, Votes: []int64{3, 4}}
			p.Figures.Set(election.Valid, 7)
			j := &store.CommitJob{
				Report: &store.Report{OrgID: fx.org, ElectionID: fx.eid, FormID: fx.formID, Phase: "voting", AreaID: st, Channel: "api",
					ClientID: fmt.Sprintf("rebuild-%02d-%02d", round, i), Answers: answers, Submitted: now, Received: now},
				Protocol: p,
				Audit:    store.AuditEntry{OrgID: fx.org, Actor: "test", Channel: "api", Action: "report.submit"},
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w2.Submit(ctx, j); err != nil {
					mu.Lock()
					submitErrs = append(submitErrs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	for _, err := range rebuildErrs {
		t.Errorf("rebuild: %v", err)
	}
	for _, err := range submitErrs {
		t.Errorf("submission: %v", err)
	}
	before, err := store.DumpResultAggregates(ctx, fx.db1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.db1.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := store.DumpResultAggregates(ctx, fx.db1)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("results aggregates differ from a rebuild:\n%s", dumpDiff(before, after))
	}
}

// One transaction can hold two organisations' reports of one election
// (a group commit's batch, two observer groups at the same stations).
// obsApply wrote the scopes' aggregates in a map's order: two instances'
// batches locked the scopes' rows in opposite orders about half the time,
// and PostgreSQL broke the deadlock by failing one batch. The scopes now
// go in (organisation, election) order.
func TestInstancesTwoScopesInOneBatch(t *testing.T) {
	fx := newRaceFx(t, 4)
	ctx := context.Background()
	other, otherForm := observingOrg(t, fx.db1, "R2")
	answers, _ := json.Marshal(map[string]any{"station": 1, "overall": "good"})
	// Each instance at stations of its own (a station's group is locked
	// whole): they meet only at the rows of the nodes above them.
	batch := func(db *store.DB, name string, i int, stations []int64) error {
		now := time.Now().UTC()
		var rs []*store.Report
		for _, o := range []struct{ org, form int64 }{{fx.org, fx.formID}, {other, otherForm}} {
			for j, area := range stations {
				rs = append(rs, &store.Report{OrgID: o.org, ElectionID: fx.eid, FormID: o.form, Phase: "voting", AreaID: area, Channel: "api",
					ClientID: fmt.Sprintf("%s-%d-%d", name, i, j), Answers: answers, Status: store.StatusNew, Submitted: now, Received: now})
			}
		}
		return db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := store.InsertReports(ctx, tx, db.Dialect, rs)
			return err
		})
	}
	var errA, errB error
	for i := 0; i < 30 && errA == nil && errB == nil; i++ {
		both(func() { errA = batch(fx.db1, "a", i, fx.stations[:2]) }, func() { errB = batch(fx.db2, "b", i, fx.stations[2:]) })
	}
	if err := errors.Join(errA, errB); err != nil {
		t.Fatalf("two instances' batches of the same two organisations: %v", err)
	}
	before, err := store.DumpObservationAggregates(ctx, fx.db1)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 {
		t.Fatal("no observation aggregates")
	}
	if err := fx.db1.RebuildObservation(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := store.DumpObservationAggregates(ctx, fx.db1)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Errorf("observation aggregates differ from a rebuild:\n%s", dumpDiff(before, after))
	}
}

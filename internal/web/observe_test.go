package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

// obsFixture is a small election (2 regions × 2 districts × 3 stations,
// numbered 101…), two organisations (A and B), a user of every role in A,
// an analyst in B, and observers of A with tokens: obs1 assigned to
// stations 101 and 102 (North / N1), obs3 to 201 (South / S1).
type obsFixture struct {
	db       *store.DB
	srv      *httptest.Server
	el       *election.Election
	orgA     *store.Organisation
	orgB     *store.Organisation
	stations map[string]election.Area // by number
	cookies  map[string]*http.Cookie  // role → session cookie
	tokens   map[string]string        // observer code → token
	tokenB   string                   // an observer of B
	h        *web.Server
}

const password = "correct horse battery"

func newObsFixture(t *testing.T, db *store.DB) *obsFixture {
	t.Helper()
	return newObsFixtureWith(t, db, web.Options{})
}

// newObsFixtureWith is newObsFixture with server options (limits).
func newObsFixtureWith(t *testing.T, db *store.DB, opts web.Options) *obsFixture {
	t.Helper()
	ctx := context.Background()
	fx := &obsFixture{db: db, stations: map[string]election.Area{}, cookies: map[string]*http.Cookie{}, tokens: map[string]string{}}
	fx.el = &election.Election{Name: "test-2026", Kind: election.Presidential, Date: "2026-11-22",
		Options: []election.Option{{Name: "Alpha"}, {Name: "Beta"}}}
	if err := db.CreateElection(ctx, fx.el); err != nil {
		t.Fatal(err)
	}
	var rows []store.Row
	for ri, region := range []string{"North", "South"} {
		for d := 1; d <= 2; d++ {
			for s := 1; s <= 3; s++ {
				num := (ri+1)*100 + (d-1)*3 + s
				var f election.Figures
				f.Set(election.Registered, 1000)
				f.Set(election.BallotsInBox, 600)
				rows = append(rows, store.Row{Line: len(rows) + 2, Path: []string{region, fmt.Sprintf("%c%d", region[0], d), fmt.Sprintf("PS %d", num)},
					Attrs: map[string]string{"urban": fmt.Sprint(s % 2)}, Figures: f, Votes: []int64{400, 200}})
			}
		}
	}
	i := 0
	if _, err := db.Import(ctx, store.ImportRequest{ElectionID: fx.el.ID, Source: election.OfficialPreliminary, File: "t.csv", Options: []string{"Alpha", "Beta"}},
		func() (store.Row, error) {
			if i == len(rows) {
				return store.Row{}, io.EOF
			}
			i++
			return rows[i-1], nil
		}); err != nil {
		t.Fatal(err)
	}
	areas, err := db.Areas(ctx, fx.el.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas {
		if a.Station {
			fx.stations[observe.StationNumber(&a)] = a
		}
	}
	if fx.orgA, err = db.EnsureOrganisation(ctx, "Mission A", "international"); err != nil {
		t.Fatal(err)
	}
	if fx.orgB, err = db.EnsureOrganisation(ctx, "Group B", "domestic"); err != nil {
		t.Fatal(err)
	}
	for _, org := range []*store.Organisation{fx.orgA, fx.orgB} {
		if _, err := observe.InstallDefaultForms(ctx, db, org.ID); err != nil {
			t.Fatal(err)
		}
	}
	roster := "id,name,phone,organisation,team,area\n" +
		"obs1,Aigerim,+7 700 000 0001,Mission A,T1,North\n" +
		"obs2,Bolat,+77000000002,Mission A,T1,North\n" +
		"obs3,Dana,+77000000003,Mission A,T2,South\n" +
		"1001,Gulnara,+77000000004,Mission A,T1,North\n"
	obs, err := observe.ParseRoster(strings.NewReader(roster), "roster.csv", "Mission A")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ImportRoster(ctx, fx.orgA.ID, obs); err != nil {
		t.Fatal(err)
	}
	obsB, _ := observe.ParseRoster(strings.NewReader("id,name,phone,team\nb1,Erlan,+77000000009,TB\n"), "b.csv", "Group B")
	if _, _, err := db.ImportRoster(ctx, fx.orgB.ID, obsB); err != nil {
		t.Fatal(err)
	}
	teams, _ := db.Teams(ctx, fx.orgA.ID)
	tid := map[string]int64{}
	for _, tm := range teams {
		tid[tm.Name] = tm.ID
	}
	if err := db.Assign(ctx, fx.orgA.ID, fx.el.ID, []store.Assignment{
		{TeamID: tid["T1"], AreaID: fx.stations["101"].ID}, {TeamID: tid["T1"], AreaID: fx.stations["102"].ID},
		{TeamID: tid["T1"], AreaID: fx.stations["101"].ParentID},
		{TeamID: tid["T2"], AreaID: fx.stations["201"].ID},
	}); err != nil {
		t.Fatal(err)
	}
	teamsB, _ := db.Teams(ctx, fx.orgB.ID)
	if err := db.Assign(ctx, fx.orgB.ID, fx.el.ID, []store.Assignment{{TeamID: teamsB[0].ID, AreaID: fx.stations["101"].ID}}); err != nil {
		t.Fatal(err)
	}
	hash, err := access.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	users := []store.User{
		{OrgID: fx.orgA.ID, Username: "admin", Role: "administrator"},
		{OrgID: fx.orgA.ID, Username: "analyst", Role: "analyst"},
		{OrgID: fx.orgA.ID, Username: "coordinator", Role: "coordinator", Area: []string{"North"}},
		{OrgID: fx.orgB.ID, Username: "analystB", Role: "analyst"},
	}
	for i := range users {
		if err := db.CreateUser(ctx, &users[i], hash); err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []string{"obs1", "obs2", "obs3"} {
		o, err := db.ObserverByCode(ctx, fx.orgA.ID, code)
		if err != nil {
			t.Fatal(err)
		}
		tok := access.NewToken()
		if err := db.CreateToken(ctx, &store.Token{OrgID: fx.orgA.ID, ObserverID: o.ID}, access.HashToken(tok)); err != nil {
			t.Fatal(err)
		}
		fx.tokens[code] = tok
	}
	ob, _ := db.ObserverByCode(ctx, fx.orgB.ID, "b1")
	fx.tokenB = access.NewToken()
	if err := db.CreateToken(ctx, &store.Token{OrgID: fx.orgB.ID, ObserverID: ob.ID}, access.HashToken(fx.tokenB)); err != nil {
		t.Fatal(err)
	}
	if opts.TwilioAuthToken == "" {
		opts.TwilioAuthToken = "twilio-secret"
	}
	if opts.TelerivetSecret == "" {
		opts.TelerivetSecret = "telerivet-secret"
	}
	h, err := site.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	fx.h = h
	t.Cleanup(h.CloseObservation)
	fx.srv = httptest.NewServer(h)
	t.Cleanup(fx.srv.Close)
	for _, u := range []string{"admin", "analyst", "coordinator", "analystB"} {
		fx.cookies[u] = fx.login(t, u)
	}
	return fx
}

func (fx *obsFixture) login(t *testing.T, user string) *http.Cookie {
	t.Helper()
	resp, err := http.Post(fx.srv.URL+"/api/v1/observe/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			return c
		}
	}
	t.Fatalf("login %s: no session cookie", user)
	return nil
}

// as is who makes a request: a staff user (by name), an observer's token
// ("token:obs1"), or nobody ("").
func (fx *obsFixture) do(t *testing.T, as, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, fx.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(as, "token:"):
		tok := fx.tokens[strings.TrimPrefix(as, "token:")]
		if as == "token:b1" {
			tok = fx.tokenB
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case as != "":
		req.AddCookie(fx.cookies[as])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	// Every answer of the API tests is also a test of docs/openapi.yaml.
	checkAgainstSpec(t, req, resp, raw)
	var out map[string]any
	json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

// newToken issues a new API token to an observer of A and returns its id.
func (fx *obsFixture) newToken(t *testing.T, code string) int64 {
	t.Helper()
	o, err := fx.db.ObserverByCode(context.Background(), fx.orgA.ID, code)
	if err != nil {
		t.Fatal(err)
	}
	tok := &store.Token{OrgID: fx.orgA.ID, ObserverID: o.ID, Label: "spare"}
	if err := fx.db.CreateToken(context.Background(), tok, access.HashToken(access.NewToken())); err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

func (fx *obsFixture) reportsPath() string {
	return fmt.Sprintf("/api/v1/elections/%d/reports", fx.el.ID)
}

func withAnswer(rep map[string]any, q string, v any) map[string]any {
	rep["answers"].(map[string]any)[q] = v
	return rep
}

func votingReport(clientID string, station int, overall string, stuffing bool) map[string]any {
	return map[string]any{"client_id": clientID, "form": "voting", "answers": map[string]any{
		"station": station, "arrival_time": "10:15", "boxes_sealed": true, "secrecy_ensured": true, "identity_checked": true,
		"group_voting": false, "ballot_box_stuffing": stuffing, "multiple_voting": false, "identical_signatures": false,
		"unauthorised_present": false, "unauthorised_directing": false, "observers_restricted": false, "overall": overall}}
}

func TestObserveSubmitIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		rep := votingReport("c0ffee00-0000-4000-8000-000000000001", 101, "good", false)
		code, first := fx.do(t, "token:obs1", "POST", fx.reportsPath(), rep)
		if code != 201 || first["duplicate"] != false {
			t.Fatalf("first: %d %v", code, first)
		}
		code, again := fx.do(t, "token:obs1", "POST", fx.reportsPath(), rep)
		if code != 200 || again["duplicate"] != true || again["report_id"] != first["report_id"] {
			t.Fatalf("resend: %d %v (first %v)", code, again, first)
		}
		// The team-mate resending the same client id (a shared phone) is
		// the same report too.
		code, _ = fx.do(t, "token:obs2", "POST", fx.reportsPath(), rep)
		if code != 200 {
			t.Fatalf("team-mate resend: %d", code)
		}
		if n, _ := db.CountReports(context.Background(), fx.orgA.ID); n != 1 {
			t.Fatalf("%d reports stored, want 1", n)
		}
		// The same client id in another organisation is another report.
		code, _ = fx.do(t, "token:b1", "POST", fx.reportsPath(), rep)
		if code != 201 {
			t.Fatalf("org B: %d", code)
		}
	})
}

func TestObserveSubmitErrors(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	cases := []struct {
		name string
		as   string
		body any
		code int
		msg  string
	}{
		{"not json", "token:obs1", `{"client_id": "x",`, 400, "JSON syntax error at line 1"},
		{"wrong type", "token:obs1", `{"client_id": 12}`, 400, `field "client_id": want a string`},
		{"text for an integer field", "token:obs1", `{"client_id":"12345678","form":"voting","area_id":"x","answers":{}}`, 400, `field "area_id": want an integer, got string`},
		{"text in a protocol", "token:obs1", `{"client_id":"12345678","form":"counting","answers":{"protocol":{"valid":"many"}}}`, 400, `answer "protocol", protocol item "valid": want a whole number, got a string "many"`},
		{"numbers in a list", "token:obs1", `{"client_id":"12345678","form":"voting","answers":{"station":101,"overall":[1]}}`, 400, `answer "overall": want a list of strings, or of objects for a repeat, got a list [1]`},
		{"answers not an object", "token:obs1", `{"client_id":"12345678","form":"voting","answers":[]}`, 400, `answers: want an object of answers by question id`},
		{"yes for a boolean", "token:obs1", withAnswer(votingReport("12345678", 101, "good", false), "boxes_sealed", "yes"), 400, "message:expected true or false, got a text answer question:boxes_sealed"},
		{"unknown field", "token:obs1", `{"client_idd": "x"}`, 400, "unknown field"},
		{"short client id", "token:obs1", votingReport("abc", 101, "good", false), 400, "client_id \"abc\""},
		{"unknown form", "token:obs1", map[string]any{"client_id": "12345678", "form": "nope", "answers": map[string]any{}}, 400, "no form \"nope\""},
		{"missing answers", "token:obs1", map[string]any{"client_id": "12345678", "form": "voting", "answers": map[string]any{"station": 101}}, 400, "problem(s)"},
		{"bad grade", "token:obs1", votingReport("12345678", 101, "excellent", false), 400, "problem(s)"},
		{"unknown station", "token:obs1", votingReport("12345679", 999, "good", false), 400, "number 999 not found"},
		{"not assigned", "token:obs1", votingReport("12345680", 201, "good", false), 403, "not assigned"},
		{"public", "", votingReport("12345681", 101, "good", false), 401, ""},
		{"analyst may not submit", "analyst", votingReport("12345682", 101, "good", false), 403, ""},
		{"coordinator outside area", "coordinator", votingReport("12345683", 201, "good", false), 403, "outside your area"},
		{"coordinator inside area", "coordinator", votingReport("12345684", 105, "good", false), 201, ""},
	}
	for _, c := range cases {
		code, out := fx.do(t, c.as, "POST", fx.reportsPath(), c.body)
		if code != c.code || !strings.Contains(fmt.Sprint(out), c.msg) {
			t.Errorf("%s: %d %v; want %d with %q", c.name, code, out, c.code, c.msg)
		}
	}
	if n, _ := fx.db.CountReports(context.Background(), fx.orgA.ID); n != 1 {
		t.Fatalf("%d reports stored, want only the coordinator's", n)
	}
}

// A filter the server cannot read is a 400 naming it, never "no filter"
// (which would widen the list the client asked to narrow).
func TestObserveReportFiltersBadNumbers(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	for _, q := range []string{"area=abc", "observer=1x", "after=-3", "limit=ten"} {
		code, out := fx.do(t, "analyst", "GET", fx.reportsPath()+"?"+q, nil)
		name, _, _ := strings.Cut(q, "=")
		if code != 400 || !strings.Contains(fmt.Sprint(out), "?"+name+"=") {
			t.Errorf("?%s: %d %v; want 400 naming %s", q, code, out, name)
		}
	}
	if code, _ := fx.do(t, "analyst", "GET", fx.reportsPath()+"?area=1&limit=10", nil); code != 200 {
		t.Errorf("readable filters: %d", code)
	}
}

// TestObservePermissions is the table: each role on each endpoint, allowed
// (a 2xx, or a 4xx other than 401/403 that shows it got past the check) or
// denied (401 for the public, 403 otherwise).
func TestObservePermissions(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	code, rep := fx.do(t, "token:obs1", "POST", fx.reportsPath(), votingReport("aaaaaaaa-1", 101, "bad", false))
	if code != 201 {
		t.Fatalf("setup report: %d %v", code, rep)
	}
	reportPath := fmt.Sprintf("%s/%v", fx.reportsPath(), rep["report_id"])
	e := fmt.Sprintf("/api/v1/elections/%d", fx.el.ID)
	// Tokens to revoke: one of an observer in North (the coordinator's
	// area), one in South (outside it).
	north, south := fx.newToken(t, "obs2"), fx.newToken(t, "obs3")
	if code, out := fx.do(t, "admin", "POST", e+"/deployments", map[string]any{"seed": "s", "size": 4, "strata": []string{"region"}}); code != 201 {
		t.Fatalf("setup deployment: %d %v", code, out)
	}
	endpoints := []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/observe/forms", nil},
		{"POST", "/api/v1/observe/forms/defaults", nil},
		{"POST", "/api/v1/observe/roster", nil},
		{"GET", "/api/v1/observe/observers", nil},
		{"POST", "/api/v1/observe/tokens", map[string]string{"observer": "obs1"}},
		{"POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "r1", "expr": "ballots_in_box > ballots_issued"}},
		{"GET", "/api/v1/observe/audit", nil},
		{"GET", e + "/reports", nil},
		{"GET", reportPath, nil},
		{"PATCH", reportPath, map[string]string{"status": "verified"}},
		{"GET", e + "/conflicts", nil},
		{"GET", e + "/findings", nil},
		{"POST", e + "/deployments", map[string]any{"seed": "s", "size": 4, "strata": []string{"region"}}},
		{"DELETE", fmt.Sprintf("/api/v1/observe/tokens/%d", north), nil},
		{"DELETE", fmt.Sprintf("/api/v1/observe/tokens/%d", south), nil},
		{"GET", "/api/v1/observe/qc-rules", nil},
		{"GET", e + "/deployments/latest", nil},
		{"GET", e + "/assignments", nil},
	}
	// Y allowed, N denied, one letter per endpoint above. A token of
	// another organisation is not found (404): analystB's N there is
	// 403 from the role, since analysts do not manage tokens at all.
	want := map[string]string{
		"admin":       "YYYYYYYYYYYYYYYYYY",
		"analyst":     "YYNYNYYYYYYYNNNYYY",
		"coordinator": "YNNYYNNYYYYYNYNYYY",
		"token:obs1":  "YNNNNNNYYNNNNNNNNY",
		"token:obs3":  "YNNNNNNYNNNNNNNNNY",
		"analystB":    "YYNYNYYYNNYYNNNYYY", // another organisation: its own lists, never A's report
		"":            "NNNNNNNNNNNNNNNNNN",
	}
	for as, w := range want {
		for i, ep := range endpoints {
			code, out := fx.do(t, as, ep.method, ep.path, ep.body)
			allowed := code < 400 || (code != 401 && code != 403 && !(code == 404 && strings.HasPrefix(ep.path, reportPath)))
			if (w[i] == 'Y') != allowed {
				t.Errorf("%q %s %s: %d %v; want allowed=%v", as, ep.method, ep.path, code, out, w[i] == 'Y')
			}
			if !allowed && as == "" && code != 401 {
				t.Errorf("public %s %s: %d, want 401", ep.method, ep.path, code)
			}
		}
	}
}

func TestObserveOrgIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		_, a := fx.do(t, "token:obs1", "POST", fx.reportsPath(), votingReport("org-a-report-1", 101, "bad", true))
		_, b := fx.do(t, "token:b1", "POST", fx.reportsPath(), votingReport("org-b-report-1", 101, "good", false))
		for as, own := range map[string]any{"analyst": a["report_id"], "analystB": b["report_id"]} {
			_, out := fx.do(t, as, "GET", fx.reportsPath(), nil)
			list := out["reports"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["id"] != own {
				t.Fatalf("%s sees %v, want only report %v", as, list, own)
			}
		}
		code, _ := fx.do(t, "analystB", "GET", fmt.Sprintf("%s/%v", fx.reportsPath(), a["report_id"]), nil)
		if code != 404 {
			t.Fatalf("org B reading org A's report: %d, want 404", code)
		}
		_, fa := fx.do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.el.ID), nil)
		_, fb := fx.do(t, "analystB", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.el.ID), nil)
		va := fa["phases"].(map[string]any)["voting"].(map[string]any)
		vb := fb["phases"].(map[string]any)["voting"].(map[string]any)
		if va["negative"] != 1.0 || vb["negative"] != 0.0 || va["observed"] != 1.0 || vb["observed"] != 1.0 {
			t.Fatalf("findings mix organisations: A %v, B %v", va, vb)
		}
	})
}

func countingReport(clientID string, station int, inBox int64) map[string]any {
	return map[string]any{"client_id": clientID, "form": "counting", "answers": map[string]any{
		"station": station, "arrival_time": "19:45", "unused_cancelled": true, "reconciliation_done": true, "ballots_shown": true,
		"validity_consistent": true, "protocol_pre_signed": false, "protocol_posted": true, "protocol_copy": true,
		"unauthorised_present": false, "unauthorised_directing": false, "observers_restricted": false, "overall": "good",
		"protocol": map[string]int64{"registered": 1000, "ballots_received": 1000, "ballots_cancelled": 400, "ballots_issued": 600, "ballots_in_box": inBox, "invalid": 10, "valid": 590, "votes_1": 390, "votes_2": 200}}}
}

func TestObserveCountingProtocolAndQC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		code, out := fx.do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "box_over_issued", "expr": "ballots_in_box > ballots_issued"})
		if code != 201 {
			t.Fatalf("rule: %d %v", code, out)
		}
		code, out = fx.do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "bad", "expr": "ballots_in_bocks > 1"})
		if code != 400 || !strings.Contains(fmt.Sprint(out), "unknown name: ballots_in_bocks") {
			t.Fatalf("bad rule: %d %v", code, out)
		}
		code, out = fx.do(t, "token:obs1", "POST", fx.reportsPath(), countingReport("count-101-a", 101, 640))
		if code != 201 || out["status"] != "flagged" || fmt.Sprint(out["qc"]) != "[box_over_issued]" {
			t.Fatalf("counting: %d %v", code, out)
		}
		ps, err := db.AreaProtocols(context.Background(), fx.el.ID, fx.stations["101"].ID)
		if err != nil {
			t.Fatal(err)
		}
		var obsCopy *election.Protocol
		for _, p := range ps {
			if p.Source == election.Observer {
				obsCopy = p
			}
		}
		if obsCopy == nil || obsCopy.Version != 1 || obsCopy.Votes[0] != 390 || obsCopy.Figures.Value(election.BallotsInBox) != 640 {
			t.Fatalf("observer protocol: %+v", obsCopy)
		}
		// A resend does not add a protocol version.
		fx.do(t, "token:obs1", "POST", fx.reportsPath(), countingReport("count-101-a", 101, 640))
		fx.do(t, "token:obs2", "POST", fx.reportsPath(), countingReport("count-101-b", 101, 600))
		ps, _ = db.AreaProtocols(context.Background(), fx.el.ID, fx.stations["101"].ID)
		n := 0
		for _, p := range ps {
			if p.Source == election.Observer {
				n++
			}
		}
		if n != 2 {
			t.Fatalf("%d observer versions, want 2 (two reports, one resend)", n)
		}
	})
}

func TestObserveConflictsAndFindings(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	fx.do(t, "token:obs1", "POST", fx.reportsPath(), votingReport("v-101-obs1", 101, "bad", true))
	fx.do(t, "token:obs2", "POST", fx.reportsPath(), votingReport("v-101-obs2", 101, "good", true))
	fx.do(t, "token:obs1", "POST", fx.reportsPath(), votingReport("v-102-obs1", 102, "very_bad", false))
	fx.do(t, "token:obs3", "POST", fx.reportsPath(), votingReport("v-201-obs3", 201, "good", false))
	_, out := fx.do(t, "coordinator", "GET", fmt.Sprintf("/api/v1/elections/%d/conflicts", fx.el.ID), nil)
	cs := out["conflicts"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["question"] != "overall" {
		t.Fatalf("conflicts %v", cs)
	}
	// obs1 and obs2 are one team: their two reports at 101 are one visit,
	// which agrees on stuffing and disagrees on the assessment, so the
	// assessment counts for nothing until resolved.
	_, f := fx.do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.el.ID), nil)
	voting := f["phases"].(map[string]any)["voting"].(map[string]any)
	if voting["observed"] != 2.0 || voting["negative"] != 1.0 {
		t.Fatalf("voting %v", voting)
	}
	stuffing := voting["indicators"].(map[string]any)["ballot_box_stuffing"].(map[string]any)
	if stuffing["reported"] != 1.0 || stuffing["observed"] != 3.0 || fmt.Sprint(stuffing["reports"]) != "[1 2]" {
		t.Fatalf("stuffing %v", stuffing)
	}
	cov := f["coverage"].(map[string]any)["total"].(map[string]any)
	if cov["deployed"] != 3.0 || cov["reported"] != 3.0 || cov["conflict"] != 1.0 {
		t.Fatalf("coverage %v", cov)
	}
	// The coordinator of North resolves it; South is outside their area.
	code, out := fx.do(t, "coordinator", "POST", fmt.Sprintf("/api/v1/elections/%d/conflicts", fx.el.ID),
		map[string]any{"area_id": fx.stations["101"].ID, "phase": "voting", "question": "overall", "value": "bad"})
	if code != 200 {
		t.Fatalf("resolve: %d %v", code, out)
	}
	code, _ = fx.do(t, "coordinator", "POST", fmt.Sprintf("/api/v1/elections/%d/conflicts", fx.el.ID),
		map[string]any{"area_id": fx.stations["201"].ID, "phase": "voting", "question": "overall", "value": "bad"})
	if code != 403 {
		t.Fatalf("resolve outside area: %d", code)
	}
	_, f = fx.do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.el.ID), nil)
	voting = f["phases"].(map[string]any)["voting"].(map[string]any)
	cov = f["coverage"].(map[string]any)["total"].(map[string]any)
	if voting["observed"] != 3.0 || voting["negative"] != 2.0 || cov["conflict"] != 0.0 {
		t.Fatalf("after resolution: voting %v coverage %v", voting, cov)
	}
	// Quarantine excludes a report from the findings.
	_, list := fx.do(t, "analyst", "GET", fx.reportsPath()+"?phase=voting&negative=1", nil)
	if n := len(list["reports"].([]any)); n != 2 {
		t.Fatalf("negative reports listed: %d", n)
	}
	id := list["reports"].([]any)[0].(map[string]any)["id"]
	code, _ = fx.do(t, "analyst", "PATCH", fmt.Sprintf("%s/%v", fx.reportsPath(), id), map[string]string{"status": "quarantined"})
	if code != 200 {
		t.Fatalf("quarantine: %d", code)
	}
	_, f = fx.do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.el.ID), nil)
	if q := f["quarantined"]; q != 1.0 {
		t.Fatalf("quarantined %v", q)
	}
	_, audit := fx.do(t, "admin", "GET", "/api/v1/observe/audit", nil)
	actions := fmt.Sprint(audit["audit"])
	for _, a := range []string{"report.submit", "conflict.resolve", "report.review", "session.login"} {
		if !strings.Contains(actions, a) {
			t.Errorf("audit log lacks %s", a)
		}
	}
}

func TestObserveTokenRevoke(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	code, out := fx.do(t, "coordinator", "POST", "/api/v1/observe/tokens", map[string]string{"observer": "obs2", "label": "phone 2"})
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	fx.tokens["new"] = out["token"].(string)
	if code, _ := fx.do(t, "token:new", "GET", "/api/v1/observe/me", nil); code != 200 {
		t.Fatalf("me: %d", code)
	}
	code, _ = fx.do(t, "coordinator", "DELETE", fmt.Sprintf("/api/v1/observe/tokens/%v", out["id"]), nil)
	if code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := fx.do(t, "token:new", "GET", "/api/v1/observe/me", nil); code != 401 {
		t.Fatalf("revoked token: %d, want 401", code)
	}
	// The coordinator of North may not issue tokens to South's observers.
	if code, _ := fx.do(t, "coordinator", "POST", "/api/v1/observe/tokens", map[string]string{"observer": "obs3"}); code != 403 {
		t.Fatalf("token outside area: %d", code)
	}
}

func TestObserveRosterUpload(t *testing.T) {
	fx := newObsFixture(t, storetest.SQLite(t))
	code, out := fx.do(t, "admin", "POST", "/api/v1/observe/roster?file=new.csv", "id,name,phone\nn1,Nurlan,+77000000101\nn1,Twice,\n")
	if code != 400 || !strings.Contains(fmt.Sprint(out), "new.csv:3:1: id: \"n1\" already used on line 2") {
		t.Fatalf("roster: %d %v", code, out)
	}
	code, out = fx.do(t, "admin", "POST", "/api/v1/observe/roster", "id,name,phone\nn1,Nurlan,+77000000101\n")
	if code != 200 || out["created"] != 1.0 {
		t.Fatalf("roster: %d %v", code, out)
	}
}

package observeapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

func TestObserveSubmitIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		rep := webtest.VotingReport("c0ffee00-0000-4000-8000-000000000001", 101, "good", false)
		code, first := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), rep)
		if code != 201 || first["duplicate"] != false {
			t.Fatalf("first: %d %v", code, first)
		}
		code, again := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), rep)
		if code != 200 || again["duplicate"] != true || again["report_id"] != first["report_id"] {
			t.Fatalf("resend: %d %v (first %v)", code, again, first)
		}
		// The team-mate resending the same client id (a shared phone) is
		// the same report too.
		code, _ = fx.Do(t, "token:obs2", "POST", fx.ReportsPath(), rep)
		if code != 200 {
			t.Fatalf("team-mate resend: %d", code)
		}
		if n, _ := db.CountReports(context.Background(), fx.OrgA.ID); n != 1 {
			t.Fatalf("%d reports stored, want 1", n)
		}
		// The same client id in another organisation is another report.
		code, _ = fx.Do(t, "token:b1", "POST", fx.ReportsPath(), rep)
		if code != 201 {
			t.Fatalf("org B: %d", code)
		}
	})
}

func TestObserveSubmitErrors(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
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
		{"yes for a boolean", "token:obs1", webtest.WithAnswer(webtest.VotingReport("12345678", 101, "good", false), "boxes_sealed", "yes"), 400, "message:expected true or false, got a text answer question:boxes_sealed"},
		{"unknown field", "token:obs1", `{"client_idd": "x"}`, 400, "unknown field"},
		{"short client id", "token:obs1", webtest.VotingReport("abc", 101, "good", false), 400, "client_id \"abc\""},
		{"unknown form", "token:obs1", map[string]any{"client_id": "12345678", "form": "nope", "answers": map[string]any{}}, 400, "no form \"nope\""},
		{"missing answers", "token:obs1", map[string]any{"client_id": "12345678", "form": "voting", "answers": map[string]any{"station": 101}}, 400, "problem(s)"},
		{"bad grade", "token:obs1", webtest.VotingReport("12345678", 101, "excellent", false), 400, "problem(s)"},
		{"unknown station", "token:obs1", webtest.VotingReport("12345679", 999, "good", false), 400, "number 999 not found"},
		{"not assigned", "token:obs1", webtest.VotingReport("12345680", 201, "good", false), 403, "not assigned"},
		{"public", "", webtest.VotingReport("12345681", 101, "good", false), 401, ""},
		{"analyst may not submit", "analyst", webtest.VotingReport("12345682", 101, "good", false), 403, ""},
		{"coordinator outside area", "coordinator", webtest.VotingReport("12345683", 201, "good", false), 403, "outside your area"},
		{"coordinator inside area", "coordinator", webtest.VotingReport("12345684", 105, "good", false), 201, ""},
	}
	for _, c := range cases {
		code, out := fx.Do(t, c.as, "POST", fx.ReportsPath(), c.body)
		if code != c.code || !strings.Contains(fmt.Sprint(out), c.msg) {
			t.Errorf("%s: %d %v; want %d with %q", c.name, code, out, c.code, c.msg)
		}
	}
	if n, _ := fx.DB.CountReports(context.Background(), fx.OrgA.ID); n != 1 {
		t.Fatalf("%d reports stored, want only the coordinator's", n)
	}
}

// A filter the server cannot read is a 400 naming it, never "no filter"
// (which would widen the list the client asked to narrow).
func TestObserveReportFiltersBadNumbers(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	for _, q := range []string{"area=abc", "observer=1x", "after=-3", "limit=ten"} {
		code, out := fx.Do(t, "analyst", "GET", fx.ReportsPath()+"?"+q, nil)
		name, _, _ := strings.Cut(q, "=")
		if code != 400 || !strings.Contains(fmt.Sprint(out), "?"+name+"=") {
			t.Errorf("?%s: %d %v; want 400 naming %s", q, code, out, name)
		}
	}
	if code, _ := fx.Do(t, "analyst", "GET", fx.ReportsPath()+"?area=1&limit=10", nil); code != 200 {
		t.Errorf("readable filters: %d", code)
	}
}

// TestObservePermissions is the table: each role on each endpoint, allowed
// (a 2xx, or a 4xx other than 401/403 that shows it got past the check) or
// denied (401 for the public, 403 otherwise).
func TestObservePermissions(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	code, rep := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("aaaaaaaa-1", 101, "bad", false))
	if code != 201 {
		t.Fatalf("setup report: %d %v", code, rep)
	}
	reportPath := fmt.Sprintf("%s/%v", fx.ReportsPath(), rep["report_id"])
	e := fmt.Sprintf("/api/v1/elections/%d", fx.El.ID)
	// Tokens to revoke: one of an observer in North (the coordinator's
	// area), one in South (outside it).
	north, south := fx.NewToken(t, "obs2"), fx.NewToken(t, "obs3")
	if code, out := fx.Do(t, "admin", "POST", e+"/deployments", map[string]any{"seed": "s", "size": 4, "strata": []string{"region"}}); code != 201 {
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
			code, out := fx.Do(t, as, ep.method, ep.path, ep.body)
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
		fx := webtest.NewObsFixture(t, db)
		_, a := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("org-a-report-1", 101, "bad", true))
		_, b := fx.Do(t, "token:b1", "POST", fx.ReportsPath(), webtest.VotingReport("org-b-report-1", 101, "good", false))
		for as, own := range map[string]any{"analyst": a["report_id"], "analystB": b["report_id"]} {
			_, out := fx.Do(t, as, "GET", fx.ReportsPath(), nil)
			list := out["reports"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["id"] != own {
				t.Fatalf("%s sees %v, want only report %v", as, list, own)
			}
		}
		code, _ := fx.Do(t, "analystB", "GET", fmt.Sprintf("%s/%v", fx.ReportsPath(), a["report_id"]), nil)
		if code != 404 {
			t.Fatalf("org B reading org A's report: %d, want 404", code)
		}
		_, fa := fx.Do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.El.ID), nil)
		_, fb := fx.Do(t, "analystB", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.El.ID), nil)
		va := fa["phases"].(map[string]any)["voting"].(map[string]any)
		vb := fb["phases"].(map[string]any)["voting"].(map[string]any)
		if va["negative"] != 1.0 || vb["negative"] != 0.0 || va["observed"] != 1.0 || vb["observed"] != 1.0 {
			t.Fatalf("findings mix organisations: A %v, B %v", va, vb)
		}
	})
}

func TestObserveCountingProtocolAndQC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		code, out := fx.Do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "box_over_issued", "expr": "ballots_in_box > ballots_issued"})
		if code != 201 {
			t.Fatalf("rule: %d %v", code, out)
		}
		code, out = fx.Do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "bad", "expr": "ballots_in_bocks > 1"})
		if code != 400 || !strings.Contains(fmt.Sprint(out), "unknown name: ballots_in_bocks") {
			t.Fatalf("bad rule: %d %v", code, out)
		}
		code, out = fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.CountingReport("count-101-a", 101, 640))
		if code != 201 || out["status"] != "flagged" || fmt.Sprint(out["qc"]) != "[box_over_issued]" {
			t.Fatalf("counting: %d %v", code, out)
		}
		ps, err := db.AreaProtocols(context.Background(), fx.El.ID, fx.Stations["101"].ID)
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
		fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.CountingReport("count-101-a", 101, 640))
		fx.Do(t, "token:obs2", "POST", fx.ReportsPath(), webtest.CountingReport("count-101-b", 101, 600))
		ps, _ = db.AreaProtocols(context.Background(), fx.El.ID, fx.Stations["101"].ID)
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
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("v-101-obs1", 101, "bad", true))
	fx.Do(t, "token:obs2", "POST", fx.ReportsPath(), webtest.VotingReport("v-101-obs2", 101, "good", true))
	fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("v-102-obs1", 102, "very_bad", false))
	fx.Do(t, "token:obs3", "POST", fx.ReportsPath(), webtest.VotingReport("v-201-obs3", 201, "good", false))
	_, out := fx.Do(t, "coordinator", "GET", fmt.Sprintf("/api/v1/elections/%d/conflicts", fx.El.ID), nil)
	cs := out["conflicts"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["question"] != "overall" {
		t.Fatalf("conflicts %v", cs)
	}
	// obs1 and obs2 are one team: their two reports at 101 are one visit,
	// which agrees on stuffing and disagrees on the assessment, so the
	// assessment counts for nothing until resolved.
	_, f := fx.Do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.El.ID), nil)
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
	code, out := fx.Do(t, "coordinator", "POST", fmt.Sprintf("/api/v1/elections/%d/conflicts", fx.El.ID),
		map[string]any{"area_id": fx.Stations["101"].ID, "phase": "voting", "question": "overall", "value": "bad"})
	if code != 200 {
		t.Fatalf("resolve: %d %v", code, out)
	}
	code, _ = fx.Do(t, "coordinator", "POST", fmt.Sprintf("/api/v1/elections/%d/conflicts", fx.El.ID),
		map[string]any{"area_id": fx.Stations["201"].ID, "phase": "voting", "question": "overall", "value": "bad"})
	if code != 403 {
		t.Fatalf("resolve outside area: %d", code)
	}
	_, f = fx.Do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.El.ID), nil)
	voting = f["phases"].(map[string]any)["voting"].(map[string]any)
	cov = f["coverage"].(map[string]any)["total"].(map[string]any)
	if voting["observed"] != 3.0 || voting["negative"] != 2.0 || cov["conflict"] != 0.0 {
		t.Fatalf("after resolution: voting %v coverage %v", voting, cov)
	}
	// Quarantine excludes a report from the findings.
	_, list := fx.Do(t, "analyst", "GET", fx.ReportsPath()+"?phase=voting&negative=1", nil)
	if n := len(list["reports"].([]any)); n != 2 {
		t.Fatalf("negative reports listed: %d", n)
	}
	id := list["reports"].([]any)[0].(map[string]any)["id"]
	code, _ = fx.Do(t, "analyst", "PATCH", fmt.Sprintf("%s/%v", fx.ReportsPath(), id), map[string]string{"status": "quarantined"})
	if code != 200 {
		t.Fatalf("quarantine: %d", code)
	}
	_, f = fx.Do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.El.ID), nil)
	if q := f["quarantined"]; q != 1.0 {
		t.Fatalf("quarantined %v", q)
	}
	_, audit := fx.Do(t, "admin", "GET", "/api/v1/observe/audit", nil)
	actions := fmt.Sprint(audit["audit"])
	for _, a := range []string{"report.submit", "conflict.resolve", "report.review", "session.login"} {
		if !strings.Contains(actions, a) {
			t.Errorf("audit log lacks %s", a)
		}
	}
}

func TestObserveTokenRevoke(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	code, out := fx.Do(t, "coordinator", "POST", "/api/v1/observe/tokens", map[string]string{"observer": "obs2", "label": "phone 2"})
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	fx.Tokens["new"] = out["token"].(string)
	if code, _ := fx.Do(t, "token:new", "GET", "/api/v1/observe/me", nil); code != 200 {
		t.Fatalf("me: %d", code)
	}
	code, _ = fx.Do(t, "coordinator", "DELETE", fmt.Sprintf("/api/v1/observe/tokens/%v", out["id"]), nil)
	if code != 200 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := fx.Do(t, "token:new", "GET", "/api/v1/observe/me", nil); code != 401 {
		t.Fatalf("revoked token: %d, want 401", code)
	}
	// The coordinator of North may not issue tokens to South's observers.
	if code, _ := fx.Do(t, "coordinator", "POST", "/api/v1/observe/tokens", map[string]string{"observer": "obs3"}); code != 403 {
		t.Fatalf("token outside area: %d", code)
	}
}

func TestObserveRosterUpload(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	code, out := fx.Do(t, "admin", "POST", "/api/v1/observe/roster?file=new.csv", "id,name,phone\nn1,Nurlan,+77000000101\nn1,Twice,\n")
	if code != 400 || !strings.Contains(fmt.Sprint(out), "new.csv:3:1: id: \"n1\" already used on line 2") {
		t.Fatalf("roster: %d %v", code, out)
	}
	code, out = fx.Do(t, "admin", "POST", "/api/v1/observe/roster", "id,name,phone\nn1,Nurlan,+77000000101\n")
	if code != 200 || out["created"] != 1.0 {
		t.Fatalf("roster: %d %v", code, out)
	}
}

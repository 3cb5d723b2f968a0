package dashboard_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/dashboard"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// covRow reads one row of the coverage table: deployed, reported, missing,
// in conflict.
var covCell = regexp.MustCompile(`<td class="n (deployed|reported|missing|conflict)[^"]*">([0-9\x{202f}]+)</td>`)

func coverageRow(t *testing.T, html, area string) [4]int {
	t.Helper()
	var row string
	if area == "" {
		i := strings.Index(html, "<tfoot>")
		if i < 0 {
			t.Fatalf("no coverage total in the page")
		}
		row = html[i:]
	} else {
		i := strings.Index(html, `<tr data-area="`+area+`">`)
		if i < 0 {
			t.Fatalf("no coverage row for %q", area)
		}
		row = html[i:]
	}
	row = row[:strings.Index(row, "</tr>")]
	var out [4]int
	for _, m := range covCell.FindAllStringSubmatch(row, -1) {
		n, _ := strconv.Atoi(strings.ReplaceAll(m[2], "\u202f", ""))
		out[map[string]int{"deployed": 0, "reported": 1, "missing": 2, "conflict": 3}[m[1]]] = n
	}
	return out
}

// TestDashboardPages drives the dashboard over HTTP on both engines: who
// may see it, the coverage by area and its drill-down (agreeing with the
// findings' coverage), incidents, the QC queue, and resolving a conflict
// and quarantining a report through the forms that work without
// JavaScript, which go through the observation API's own checks.
func TestDashboardPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		ctx := context.Background()
		if code, out := fx.Do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "box_over_issued", "expr": "ballots_in_box > ballots_issued"}); code != 201 {
			t.Fatalf("rule: %d %v", code, out)
		}
		for _, r := range []struct {
			as  string
			rep map[string]any
		}{
			{"token:obs1", webtest.VotingReport("v-101-obs1", 101, "bad", true)},
			{"token:obs2", webtest.VotingReport("v-101-obs2", 101, "good", true)},
			{"token:obs3", webtest.VotingReport("v-201-obs3", 201, "good", false)},
			{"token:obs3", webtest.CountingReport("c-201-obs3", 201, 640)},
			{"token:obs1", webtest.CountingReport("c-101-obs1", 101, 600)},
			{"token:obs1", webtest.IncidentReport("i-101-obs1", 101, "vote_buying")},
		} {
			if code, out := fx.Do(t, r.as, "POST", fx.ReportsPath(), r.rep); code != 201 {
				t.Fatalf("%s: %d %v", r.rep["client_id"], code, out)
			}
		}
		dash := fmt.Sprintf("/dashboard/%d", fx.El.ID)

		t.Run("access", func(t *testing.T) {
			code, _, h := fx.Page(t, "", dash)
			if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
				t.Fatalf("public: %d to %q, want the login", code, h.Get("Location"))
			}
			if code, _, _ := fx.Page(t, "token:obs1", dash); code != http.StatusForbidden {
				t.Fatalf("observer: %d, want 403", code)
			}
			if code, _, _ := fx.Page(t, "", dash+"/events"); code != http.StatusUnauthorized {
				t.Fatalf("public events: %d, want 401", code)
			}
			if code, _, _ := fx.Page(t, "token:obs1", dash+"/events"); code != http.StatusForbidden {
				t.Fatalf("observer events: %d, want 403", code)
			}
			// Another organisation's analyst sees their own (empty) observation.
			code, body, _ := fx.Page(t, "analystB", dash)
			if code != 200 || coverageRow(t, body, "") != [4]int{1, 0, 1, 0} || strings.Contains(body, "v-101") || strings.Contains(body, "#1<") {
				t.Fatalf("analyst of B: %d, total %v", code, coverageRow(t, body, ""))
			}
		})

		t.Run("coverage", func(t *testing.T) {
			code, body, _ := fx.Page(t, "admin", dash)
			if code != 200 {
				t.Fatalf("admin: %d %s", code, body)
			}
			// Deployed (assigned) stations: 101, 102 in North, 201 in South;
			// 101 has two voting reports that disagree.
			if got := coverageRow(t, body, "North"); got != [4]int{2, 1, 1, 1} {
				t.Errorf("North: %v, want deployed 2, reported 1, missing 1, in conflict 1", got)
			}
			if got := coverageRow(t, body, "South"); got != [4]int{1, 1, 0, 0} {
				t.Errorf("South: %v", got)
			}
			total := coverageRow(t, body, "")
			code, f := fx.Do(t, "admin", "GET", fmt.Sprintf("/api/v1/elections/%d/findings", fx.El.ID), nil)
			if code != 200 {
				t.Fatal(code)
			}
			ft := f["coverage"].(map[string]any)["total"].(map[string]any)
			if want := [4]int{int(ft["deployed"].(float64)), int(ft["reported"].(float64)), int(ft["missing"].(float64)), int(ft["conflict"].(float64))}; total != want {
				t.Errorf("dashboard total %v, findings' coverage %v", total, want)
			}
			_, body, _ = fx.Page(t, "admin", dash+"?a=North")
			if got := coverageRow(t, body, "N1"); got != [4]int{2, 1, 1, 1} {
				t.Errorf("North / N1: %v", got)
			}
			if !strings.Contains(body, `<span aria-current="location">North</span>`) {
				t.Error("the drill-down has no breadcrumb")
			}
			_, body, _ = fx.Page(t, "admin", dash+"?a=North&a=N1")
			if got := coverageRow(t, body, "PS 102"); got != [4]int{1, 0, 1, 0} {
				t.Errorf("PS 102: %v", got)
			}
			// A coordinator of North sees North only.
			_, body, _ = fx.Page(t, "coordinator", dash)
			if strings.Contains(body, `data-area="South"`) || coverageRow(t, body, "") != [4]int{2, 1, 1, 1} {
				t.Errorf("coordinator's coverage: total %v, South shown: %v", coverageRow(t, body, ""), strings.Contains(body, `data-area="South"`))
			}
			if strings.Contains(body, "box_over_issued") {
				t.Error("the coordinator of North sees the QC queue of South")
			}
		})

		t.Run("lists", func(t *testing.T) {
			_, body, _ := fx.Page(t, "analyst", dash+"?lang=en")
			for _, want := range []string{"Vote buying", `id="triage-`, "box_over_issued", `value="quarantined"`, "Overall assessment of voting", `<svg class="chart"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the dashboard lacks %q", want)
				}
			}
			// The PVT is the integrity API's, on the same stored sample.
			code, pv := fx.Do(t, "analyst", "GET", fmt.Sprintf("/api/v1/elections/%d/pvt", fx.El.ID), nil)
			if code != 200 {
				t.Fatalf("pvt API: %d %v", code, pv)
			}
			leader := pv["lead"].(map[string]any)["leader"].(string)
			est := pv["options"].(map[string]any)[leader].(map[string]any)["estimate"].(float64)
			if want := fmt.Sprintf("Estimated share of %s: %.2f %%", leader, est); !strings.Contains(body, want) {
				t.Errorf("the dashboard's PVT lacks %q", want)
			}
			_, body, _ = fx.Page(t, "analyst", dash+"?lang=ru")
			for _, want := range []string{"Панель миссии", "Подкуп избирателей", "Очередь контроля качества"} {
				if !strings.Contains(body, want) {
					t.Errorf("the Russian dashboard lacks %q", want)
				}
			}
		})

		t.Run("resolve and quarantine without JavaScript", func(t *testing.T) {
			st := fx.Stations["101"]
			form := url.Values{"area_id": {strconv.FormatInt(st.ID, 10)}, "phase": {"voting"}, "question": {"overall"}, "value": {`"bad"`}, "a": {"North"}}
			// Out of area: the coordinator of North may not resolve at 201.
			south := url.Values{"area_id": {strconv.FormatInt(fx.Stations["201"].ID, 10)}, "phase": {"voting"}, "question": {"overall"}, "value": {`"bad"`}}
			if code, _, _ := fx.PostForm(t, "coordinator", dash+"/conflicts", south); code != http.StatusForbidden {
				t.Fatalf("coordinator of North resolving in South: %d, want 403", code)
			}
			code, body, h := fx.PostForm(t, "coordinator", dash+"/conflicts", form)
			if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done=resolve") || !strings.Contains(h.Get("Location"), "a=North") {
				t.Fatalf("resolve: %d %q %s", code, h.Get("Location"), body)
			}
			res, err := db.Resolutions(ctx, fx.OrgA.ID, fx.El.ID)
			if err != nil || len(res) != 1 || string(res[0].Value) != `"bad"` || res[0].AreaID != st.ID {
				t.Fatalf("resolutions %v %v", res, err)
			}
			// The form's value is stored as the API stores a JSON body's
			// (compact), and the action is audited on the API's channel,
			// as when the form went through the API's handler.
			padded := url.Values{"area_id": form["area_id"], "phase": form["phase"], "question": form["question"], "value": {" \"bad\"\n"}}
			if code, _, h := fx.PostForm(t, "coordinator", dash+"/conflicts", padded); code != http.StatusSeeOther {
				t.Fatalf("resolve with a padded value: %d %q", code, h.Get("Location"))
			}
			if res, err := db.Resolutions(ctx, fx.OrgA.ID, fx.El.ID); err != nil || len(res) != 1 || string(res[0].Value) != `"bad"` {
				t.Fatalf("resolutions after a padded value %v %v", res, err)
			}
			audit, err := db.AuditLog(ctx, fx.OrgA.ID, 500)
			if err != nil {
				t.Fatal(err)
			}
			resolves := 0
			for _, a := range audit {
				if a.Action == "conflict.resolve" {
					resolves++
					if a.Channel != "api" {
						t.Errorf("the dashboard's resolution audited on channel %q, want api", a.Channel)
					}
				}
			}
			if resolves != 2 {
				t.Errorf("%d audit entries of conflict.resolve, want 2", resolves)
			}
			_, body, _ = fx.Page(t, "admin", dash)
			if got := coverageRow(t, body, "North"); got != [4]int{2, 1, 1, 0} {
				t.Errorf("North after the resolution: %v", got)
			}
			// Quarantine the flagged counting report of 201: the station
			// counts as reported still (its voting report is usable).
			reps, _ := db.Reports(ctx, store.ReportFilter{OrgID: fx.OrgA.ID, Status: store.StatusFlagged})
			if len(reps) != 1 {
				t.Fatalf("%d flagged reports", len(reps))
			}
			path := fmt.Sprintf("%s/reports/%d", dash, reps[0].ID)
			if code, _, _ := fx.PostForm(t, "coordinator", path, url.Values{"status": {"quarantined"}}); code != http.StatusNotFound && code != http.StatusForbidden {
				t.Fatalf("coordinator of North quarantining a report from South: %d", code)
			}
			if code, body, _ := fx.PostForm(t, "analyst", path, url.Values{"status": {"quarantined"}}); code != http.StatusSeeOther {
				t.Fatalf("quarantine: %d %s", code, body)
			}
			if r, _ := db.Report(ctx, fx.OrgA.ID, reps[0].ID); r.Status != store.StatusQuarantined {
				t.Fatalf("status after quarantine: %s", r.Status)
			}
			if code, body, _ := fx.PostForm(t, "analyst", path, url.Values{"status": {"lost"}}); code != http.StatusBadRequest || !strings.Contains(body, "want new, flagged, verified or quarantined") {
				t.Fatalf("a bad status: %d %s", code, body)
			}
			// Triage of the incident at 101, by the coordinator of North.
			inc, err := db.ReportByClientID(ctx, fx.OrgA.ID, "i-101-obs1")
			if err != nil {
				t.Fatal(err)
			}
			path = fmt.Sprintf("%s/reports/%d", dash, inc.ID)
			if code, body, _ := fx.PostForm(t, "coordinator", path, url.Values{"triage": {"confirmed"}}); code != http.StatusSeeOther {
				t.Fatalf("triage: %d %s", code, body)
			}
			if r, _ := db.Report(ctx, fx.OrgA.ID, inc.ID); r.Triage != "confirmed" {
				t.Fatalf("triage after the form: %q", r.Triage)
			}
			_, body, _ = fx.Page(t, "coordinator", dash)
			if !strings.Contains(body, `<option value="confirmed" selected>`) {
				t.Error("the incident's triage is not shown as confirmed")
			}
		})

		t.Run("live coverage", func(t *testing.T) {
			req, _ := http.NewRequest("GET", fx.Srv.URL+dash+"/events?a=North", nil)
			req.AddCookie(fx.Cookies["admin"])
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			resp, err := http.DefaultClient.Do(req.WithContext(ctx))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
				t.Fatalf("content type %q", ct)
			}
			events := readEvents(resp.Body)
			first := <-events
			if first.name != "coverage" || first.id == "" || !strings.Contains(first.data, `data-area="N1"`) {
				t.Fatalf("first event: %+v", first)
			}
			if counts := <-events; counts.name != "counts" || counts.data != `{"conflicts":0,"incidents":1,"qc":1}` {
				t.Fatalf("counts event: %+v", counts)
			}
			if code, out := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("v-102-obs1", 102, "good", false)); code != 201 {
				t.Fatalf("report: %d %v", code, out)
			}
			select {
			case ev := <-events:
				if ev.id == first.id || coverageRow(t, ev.data, "N1") != [4]int{2, 2, 0, 0} {
					t.Fatalf("second event %s: N1 %v", ev.id, coverageRow(t, ev.data, "N1"))
				}
			case <-ctx.Done():
				t.Fatal("no coverage event after a new report")
			}
		})
	})
}

type sse struct{ name, id, data string }

// readEvents parses a text/event-stream into events (comments skipped).
func readEvents(r io.Reader) <-chan sse {
	ch := make(chan sse, 8)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sse
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" || len(data) > 0 {
					ev.data = strings.Join(data, "\n")
					ch <- ev
				}
				ev, data = sse{}, nil
			case strings.HasPrefix(line, ":"):
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	return ch
}

// TestDashboardStreams checks the live coverage's bounds: a limit on open
// streams (429 beyond it), heartbeats on an idle stream, and a stream
// that ends (freeing its place) when the client goes away.
func TestDashboardStreams(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	// The dashboard's state is its room's: a second core over the
	// fixture's database (its sessions, so its cookies) serves a dashboard
	// whose limits the test sets and whose open streams it counts.
	core, err := web.New(fx.DB, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	liveStreams := dashboard.MountStreams(core, 1, 50*time.Millisecond, 100*time.Millisecond)
	srv := httptest.NewServer(core)
	t.Cleanup(func() { srv.Close(); core.CloseObservation() })
	events := fmt.Sprintf("%s/dashboard/%d/events", srv.URL, fx.El.ID)
	open := func(ctx context.Context) *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", events, nil)
		req.AddCookie(fx.Cookies["analyst"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := open(ctx)
	if first.StatusCode != 200 {
		t.Fatalf("first stream: %d", first.StatusCode)
	}
	if second := open(ctx); second.StatusCode != http.StatusTooManyRequests {
		second.Body.Close()
		t.Fatalf("second stream over a limit of one: %d, want 429", second.StatusCode)
	}
	// The first event, then, with no report arriving, heartbeats.
	sc := bufio.NewScanner(first.Body)
	var sawEvent, sawPing bool
	for sc.Scan() && !(sawEvent && sawPing) {
		switch line := sc.Text(); {
		case line == "event: coverage":
			sawEvent = true
		case line == ": ping" && sawEvent:
			sawPing = true
		}
	}
	if !sawEvent || !sawPing {
		t.Fatalf("stream: event %v, heartbeat %v (%v)", sawEvent, sawPing, sc.Err())
	}
	cancel()
	first.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for liveStreams() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stream stayed open after its client left")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	again := open(ctx2)
	defer again.Body.Close()
	if again.StatusCode != 200 {
		t.Fatalf("a stream after the first closed: %d", again.StatusCode)
	}
	// Shutting the server down ends the open stream instead of waiting
	// for it.
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Config.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown with a dashboard open: %v", err)
	}
	if liveStreams() != 0 {
		t.Fatal("a stream outlived the server's shutdown")
	}
}

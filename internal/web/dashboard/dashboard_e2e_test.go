package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/browsertest"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// offline cuts the tab's network (every request fails, navigator.onLine
// is false) or restores it, with the rule-based emulation of current
// Chromium (Network.emulateNetworkConditions is deprecated).
func offline(off bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		rules := []*network.Conditions{}
		if off {
			rules = append(rules, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: rules, EmulateOfflineServiceWorker: &off}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// waitJS polls a JavaScript condition in the page until it is truthy (and
// returns its value as a string) or fails after 20 s with what it saw.
func waitJS(p *browsertest.Page, what, cond string) string {
	return browsertest.Eval[string](p, `new Promise((ok, fail) => {
		const t0 = Date.now();
		(function wait() {
			let v;
			try { v = (`+cond+`); } catch (e) { v = null; }
			if (v) return ok(String(v));
			if (Date.now() - t0 > 20000) return fail(new Error(`+strconv.Quote("timed out waiting for "+what)+`));
			setTimeout(wait, 50);
		})();
	})`)
}

// TestDashboardInBrowser drives the mission's pages in headless Chromium
// over the demo election: a staff login; the dashboard's coverage
// following a report over server-sent events; an observer sending a report
// through the web form while offline and then online; a coordinator
// resolving a conflict through the dashboard. Screenshots at a desktop's
// and a phone's width are kept as artefacts.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	b := browsertest.Start(t)
	ctx := context.Background()
	db := storetest.SQLite(t)
	e, org := webtest.ObservedDemo(t, db, 2022, demo.DefaultParams)
	const pw = "a long demo password"
	hash, err := access.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &store.User{OrgID: org.ID, Username: "admin", Name: "Admin", Role: "administrator"}, hash); err != nil {
		t.Fatal(err)
	}
	h, err := site.New(db, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.CloseObservation)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dash := fmt.Sprintf("%s/dashboard/%d", srv.URL, e.ID)

	// The seeded conflicts, as an administrator sees them.
	ds, err := observe.Load(ctx, db, access.Principal{Role: access.Administrator, OrgID: org.ID}, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	conflicts := observe.Conflicts(ds.Obs, ds.Resolved)
	if len(conflicts) < 2 {
		t.Fatalf("the demo seeded %d conflicts", len(conflicts))
	}

	p := b.Page(t)
	login := func(t *testing.T, user, password string) {
		t.Helper()
		// Whoever was logged in (or had an observer's token) leaves first.
		p.Navigate(srv.URL + "/login")
		browsertest.Eval[bool](p, `fetch("/logout", {method: "POST"}).then(r => r.ok)`)
		p.Navigate(dash + "?lang=en")
		if loc := p.Location(); !strings.Contains(loc, "/login?next=") {
			t.Fatalf("the dashboard without a session is at %s, want the login", loc)
		}
		p.Do("typing the credentials", chromedp.SendKeys(chromedp.CSS("#u"), user), chromedp.SendKeys(chromedp.CSS("#p"), password))
		p.ClickNav(`form[action="/login"] button[type=submit]`)
		if loc := p.Location(); !strings.HasPrefix(loc, dash) {
			t.Fatalf("after logging in as %s: at %s, want the dashboard", user, loc)
		}
	}

	t.Run("staff login", func(t *testing.T) {
		login(t, "admin", pw)
		if got := p.Text("h1"); got != "Mission dashboard: "+demo.Title {
			t.Fatalf("h1 %q", got)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll("#coverage tbody tr").length`); n < 10 {
			t.Fatalf("%d regions in the coverage table", n)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll("#pvt-h ~ figure svg[role=img] path").length`); n < 2 {
			t.Fatalf("the PVT chart has %d paths", n)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll("form.conflict").length`); n != len(conflicts) {
			t.Fatalf("%d conflict forms for %d conflicts", n, len(conflicts))
		}
		for _, f := range p.Audit() {
			t.Errorf("dashboard: %s", f)
		}
		p.FullScreenshot("dashboard-desktop")
		p.Screenshot("dashboard-desktop-top")
		p.Do("scrolling to the PVT", chromedp.ScrollIntoView(chromedp.CSS("#pvt-h")))
		p.Screenshot("dashboard-pvt")
		p.Do("scrolling to the conflicts", chromedp.ScrollIntoView(chromedp.CSS("#conflicts-h")))
		p.Screenshot("dashboard-conflicts")
		p.Phone()
		p.Navigate(dash + "?lang=en")
		if over := browsertest.Eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			wide := browsertest.Eval[[]string](p, `[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > 376 && !e.closest(".scroll")).slice(0, 6).map(e => e.tagName + "." + e.className)`)
			t.Errorf("the dashboard scrolls sideways at 375 px: %v", wide)
		}
		p.Screenshot("dashboard-phone")
		p.Navigate(dash + "?lang=ru")
		if got := p.Text("#coverage-h"); got != "Охват по территориям" {
			t.Errorf("Russian coverage heading %q", got)
		}
		p.Screenshot("dashboard-phone-ru")
		p.Desktop()
		p.Navigate(dash + "?lang=en")
	})

	t.Run("live coverage over SSE", func(t *testing.T) {
		// A second voting report at a station without a conflict, with the
		// other overall assessment, puts the station in conflict: the
		// region's conflict count must rise on the open page by itself.
		inConflict := map[int64]bool{}
		for _, c := range conflicts {
			inConflict[c.AreaID] = true
		}
		var target *observe.Obs
		for i := range ds.Obs {
			o := &ds.Obs[i]
			if o.Phase == form.Voting && !inConflict[o.AreaID] && o.Status != store.StatusQuarantined {
				target = o
				break
			}
		}
		if target == nil {
			t.Fatal("no voting report at a station without a conflict")
		}
		area := ds.Areas[target.AreaID]
		region := area.Path[0]
		overall, _ := target.Answers[form.OverallID].Text()
		flip := "bad"
		if form.Negative(overall) {
			flip = "good"
		}
		answers := map[string]any{}
		raw, _ := json.Marshal(target.Answers)
		json.Unmarshal(raw, &answers)
		answers[form.OverallID] = flip

		p.Navigate(dash + "?lang=en")
		cell := `document.querySelector('#coverage tr[data-area="` + region + `"] td.conflict').textContent`
		before, _ := strconv.Atoi(browsertest.Eval[string](p, cell))
		stamp := browsertest.Eval[string](p, `document.getElementById("coverage").dataset.stamp`)
		openBefore, _ := strconv.Atoi(p.Text(`[data-count="conflicts"]`))
		waitJS(p, "the event stream to open", `document.getElementById("live-status").textContent.startsWith("Live")`)

		body, _ := json.Marshal(map[string]any{"client_id": "e2e-live-1", "form": "voting", "area_id": target.AreaID, "answers": answers})
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/elections/%d/reports", srv.URL, e.ID), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("admin", pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("submitting through the API: %d", resp.StatusCode)
		}
		got := waitJS(p, "the coverage table to update", `document.getElementById("coverage").dataset.stamp !== `+strconv.Quote(stamp)+` && `+cell)
		if n, _ := strconv.Atoi(got); n != before+1 {
			t.Fatalf("%s: %d stations in conflict after the update, want %d", region, n, before+1)
		}
		// The contents' count of open conflicts follows too.
		got = waitJS(p, "the conflicts count to update", `document.querySelector('[data-count="conflicts"]').textContent !== "`+strconv.Itoa(openBefore)+`" && document.querySelector('[data-count="conflicts"]').textContent`)
		if n, _ := strconv.Atoi(got); n != openBefore+1 {
			t.Errorf("open conflicts in the contents: %d, want %d", n, openBefore+1)
		}
		if !strings.HasPrefix(p.Text("#live-status"), "Live: updated at") {
			t.Errorf("live status %q", p.Text("#live-status"))
		}
		p.Screenshot("dashboard-live")
	})

	t.Run("triage and quarantine", func(t *testing.T) {
		// A counting report whose box holds more ballots than were issued:
		// the demo's QC rule flags it.
		var count *observe.Obs
		for i := range ds.Obs {
			if ds.Obs[i].Phase == form.Counting {
				count = &ds.Obs[i]
				break
			}
		}
		if count == nil {
			t.Fatal("the demo has no counting report")
		}
		answers := map[string]any{}
		raw, _ := json.Marshal(count.Answers)
		json.Unmarshal(raw, &answers)
		proto, ok := answers["protocol"].(map[string]any)
		if !ok {
			t.Fatalf("counting answers without a protocol: %v", answers)
		}
		proto["ballots_in_box"] = proto["ballots_issued"].(float64) + 50
		body, _ := json.Marshal(map[string]any{"client_id": "e2e-qc-1", "form": "counting", "area_id": count.AreaID, "answers": answers})
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/elections/%d/reports", srv.URL, e.ID), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("admin", pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var receipt struct {
			ReportID int64  `json:"report_id"`
			Status   string `json:"status"`
		}
		json.NewDecoder(resp.Body).Decode(&receipt)
		resp.Body.Close()
		if resp.StatusCode != 201 || receipt.Status != store.StatusFlagged {
			t.Fatalf("a counting report over the issued ballots: %d %+v", resp.StatusCode, receipt)
		}
		incidents, err := db.Reports(ctx, store.ReportFilter{OrgID: org.ID, ElectionID: e.ID, Phase: "incident", Limit: 1})
		if err != nil || len(incidents) == 0 {
			t.Fatalf("the demo has no incident report (%v)", err)
		}
		inc := incidents[0].ID

		p.Navigate(dash + "?lang=en")
		row := fmt.Sprintf("#qc-%d", receipt.ReportID)
		if got := browsertest.Eval[string](p, `document.querySelector("`+row+`").dataset.status`); got != "flagged" {
			t.Fatalf("the flagged report's row: status %q", got)
		}
		p.Click(row + ` button[value=quarantined]`)
		waitJS(p, "the quarantine to be saved", `document.querySelector("`+row+` form").classList.contains("done") && document.querySelector("`+row+`").dataset.status === "quarantined"`)
		if r, err := db.Report(ctx, org.ID, receipt.ReportID); err != nil || r.Status != store.StatusQuarantined {
			t.Fatalf("report %d after Quarantine: %+v %v", receipt.ReportID, r, err)
		}

		p.Do("choosing a triage state", chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#triage-%d", inc)), "confirmed"))
		p.Click(fmt.Sprintf("#inc-%d button[type=submit]", inc))
		waitJS(p, "the triage to be saved", fmt.Sprintf(`document.querySelector("#inc-%d form").classList.contains("done")`, inc))
		if r, err := db.Report(ctx, org.ID, inc); err != nil || r.Triage != "confirmed" {
			t.Fatalf("incident %d after triage: %+v %v", inc, r, err)
		}
		p.Do("scrolling to the incidents", chromedp.ScrollIntoView(chromedp.CSS("#incidents-h")))
		p.Screenshot("dashboard-incidents-qc")
	})

	t.Run("observer offline then online", func(t *testing.T) {
		obs, err := db.ObserverByCode(ctx, org.ID, "00001")
		if err != nil {
			t.Fatal(err)
		}
		paths, err := db.ObserverStations(ctx, obs.ID)
		if err != nil || len(paths) == 0 {
			t.Fatalf("observer 00001 has no station: %v", err)
		}
		var station int64
		for _, a := range ds.Areas {
			if a.Station && access.AreaKey(a.Path) == access.AreaKey(paths[0].Path) {
				station = a.ID
			}
		}
		if station == 0 {
			for _, pth := range paths {
				for _, a := range ds.Areas {
					if a.Station && access.AreaKey(a.Path) == access.AreaKey(pth.Path) {
						station = a.ID
					}
				}
			}
		}
		if station == 0 {
			t.Fatal("observer 00001's station is not among the areas")
		}
		tok := access.NewToken()
		if err := db.CreateToken(ctx, &store.Token{OrgID: org.ID, ObserverID: obs.ID, Label: "e2e"}, access.HashToken(tok)); err != nil {
			t.Fatal(err)
		}
		countIncidents := func() int {
			rs, err := db.Reports(ctx, store.ReportFilter{OrgID: org.ID, ElectionID: e.ID, Phase: "incident"})
			if err != nil {
				t.Fatal(err)
			}
			return len(rs)
		}
		before := countIncidents()

		// The browser's staff session would outrank the observer's token:
		// log out first.
		p.Navigate(srv.URL + "/login")
		browsertest.Eval[bool](p, `fetch("/logout", {method: "POST"}).then(r => r.ok)`)
		op := b.Page(t)
		op.Phone()
		op.Navigate(srv.URL + "/observe/t/" + tok)
		formURL := fmt.Sprintf("%s/observe/%d/incident", srv.URL, e.ID)
		op.Navigate(formURL)
		// Once the service worker is active, a second load is under its
		// control and puts the form in its cache; offline, the form then
		// opens from there. (The test waits for an active worker, not for
		// clients.claim() to take the first page: Chromium 156.0.8078.114
		// leaves that page uncontrolled in a fresh browser context.)
		waitJS(op, "the service worker to become active", `(window.__swActive = window.__swActive || navigator.serviceWorker.ready.then(() => { window.__swReady = true; }), window.__swReady)`)
		// observe.js itself puts the first page in the worker's cache.
		waitJS(op, "the form in the worker's cache", `(caches.match(location.pathname).then(r => { window.__cached = !!r; }), window.__cached)`)
		op.Navigate(formURL)
		waitJS(op, "the service worker to control the form", `navigator.serviceWorker.controller !== null`)
		op.Do("going offline", offline(true))
		if on := browsertest.Eval[bool](op, `navigator.onLine`); on {
			t.Fatal("navigator.onLine is still true after going offline")
		}
		nctx, ncancel := context.WithTimeout(op.Context(), browsertest.Timeout)
		resp, err := chromedp.Run(nctx, chromedp.NavigateResponse(formURL))
		ncancel()
		if err != nil || resp == nil || resp.Status != 200 || !resp.FromServiceWorker {
			t.Fatalf("opening the form offline: %v %+v", err, resp)
		}
		if h := op.Text("h1"); h != "Incident" {
			t.Fatalf("the form offline: h1 %q", h)
		}
		browsertest.Eval[bool](op, `(() => {
			document.getElementById("area_id").value = "`+strconv.FormatInt(station, 10)+`";
			document.getElementById("q-incident_time").value = "11:20";
			document.querySelector('input[name="category"][value="observer_obstruction"]').checked = true;
			document.getElementById("q-description").value = "The chair asked the observers to leave during the count.";
			return true;
		})()`)
		op.Click(`#report button[type=submit]`)
		waitJS(op, "the report to be queued", `document.getElementById("queue-status").textContent.includes("1 report(s) waiting")`)
		clientID := browsertest.Eval[string](op, `JSON.parse(localStorage.getItem("vigil.queue.v1"))[0].body.client_id`)
		if clientID == "" {
			t.Fatal("no client id in the queue")
		}
		// Offline, the server has nothing, even after a retry.
		op.Do("a pause", chromedp.Sleep(500*time.Millisecond))
		browsertest.Eval[bool](op, `(window.dispatchEvent(new Event("online")), true)`)
		op.Do("a pause", chromedp.Sleep(500*time.Millisecond))
		if _, err := db.ReportByClientID(ctx, org.ID, clientID); err == nil {
			t.Fatal("the report reached the server while the phone was offline")
		}
		if n := countIncidents(); n != before {
			t.Fatalf("%d incident reports while offline, want %d", n, before)
		}
		if q := browsertest.Eval[int](op, `JSON.parse(localStorage.getItem("vigil.queue.v1")).length`); q != 1 {
			t.Fatalf("%d reports queued offline", q)
		}
		op.Screenshot("observer-offline-phone")

		op.Do("going online", offline(false))
		waitJS(op, "the queue to empty", `JSON.parse(localStorage.getItem("vigil.queue.v1") || "[]").length === 0 && document.getElementById("queue-status").textContent.startsWith("Nothing waiting.")`)
		rep, err := db.ReportByClientID(ctx, org.ID, clientID)
		if err != nil {
			t.Fatalf("the queued report is not stored after going online: %v", err)
		}
		if rep.AreaID != station || rep.Channel != observe.ChannelWeb || rep.ObserverID != obs.ID {
			t.Errorf("stored report: area %d channel %s observer %d", rep.AreaID, rep.Channel, rep.ObserverID)
		}
		// Once: a second "online" resends nothing, and the count rose by one.
		browsertest.Eval[bool](op, `(window.dispatchEvent(new Event("online")), true)`)
		op.Do("a pause", chromedp.Sleep(300*time.Millisecond))
		if n := countIncidents(); n != before+1 {
			t.Fatalf("%d incident reports after going online, want %d", n, before+1)
		}
		var copies int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM reports WHERE org_id = $1 AND client_id = $2`, org.ID, clientID).Scan(&copies); err != nil || copies != 1 {
			t.Fatalf("%d copies of the report (%v)", copies, err)
		}
		op.Screenshot("observer-online-phone")
	})

	t.Run("coordinator resolves a conflict", func(t *testing.T) {
		c := conflicts[0]
		path := ds.Areas[c.AreaID].Path
		if err := db.CreateUser(ctx, &store.User{OrgID: org.ID, Username: "coord", Name: "Coordinator", Role: "coordinator", Area: path[:1]}, hash); err != nil {
			t.Fatal(err)
		}
		login(t, "coord", pw)
		regions := browsertest.Eval[[]string](p, `[...document.querySelectorAll("#coverage tbody tr")].map(tr => tr.dataset.area)`)
		if len(regions) != 1 || regions[0] != path[0] {
			t.Fatalf("the coordinator of %s sees the regions %v", path[0], regions)
		}
		findings := func() (conflict, negative int) {
			out := browsertest.Eval[[]int](p, `fetch("/api/v1/elections/`+strconv.FormatInt(e.ID, 10)+`/findings", {headers: {Accept: "application/json"}}).then(r => r.json()).then(f => [f.coverage.total.conflict, f.phases.voting.negative])`)
			return out[0], out[1]
		}
		conflictsBefore, negBefore := findings()
		sel := fmt.Sprintf(`form.conflict[data-area="%d"][data-phase="%s"][data-question="%s"]`, c.AreaID, c.Phase, c.Question)
		// Choose the negative assessment (the demo's second observer's).
		var choice string
		for _, v := range c.Values {
			var s string
			if json.Unmarshal(v.Value, &s) == nil && form.Negative(s) {
				choice = string(v.Value)
			}
		}
		if choice == "" {
			t.Fatalf("conflict %+v has no negative value", c)
		}
		p.Do("scrolling to the conflict", chromedp.ScrollIntoView(chromedp.CSS(sel)))
		p.Click(sel + ` input[type=radio][value='` + choice + `']`)
		p.Click(sel + ` button[type=submit]`)
		waitJS(p, "the resolution to be saved", `document.querySelector(`+strconv.Quote(sel)+`).classList.contains("done")`)
		if msg := p.Text(sel + " .msg"); msg != "Saved." {
			t.Errorf("message after resolving: %q", msg)
		}
		p.Screenshot("conflict-resolved")
		res, err := db.Resolutions(ctx, org.ID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, r := range res {
			if r.AreaID == c.AreaID && r.Phase == c.Phase && r.Question == c.Question {
				found = true
				if string(r.Value) != choice {
					t.Errorf("resolved as %s, chose %s", r.Value, choice)
				}
				if u, _ := db.UserByName(ctx, "coord"); r.UserID != u.ID {
					t.Errorf("resolution by user %d, want the coordinator", r.UserID)
				}
			}
		}
		if !found {
			t.Fatalf("no resolution stored: %v", res)
		}
		conflictsAfter, negAfter := findings()
		if conflictsAfter != conflictsBefore-1 {
			t.Errorf("findings' stations in conflict: %d → %d, want one fewer", conflictsBefore, conflictsAfter)
		}
		if negAfter != negBefore+1 {
			t.Errorf("findings' negative voting assessments: %d → %d, want one more (the chosen answer counts for both reports)", negBefore, negAfter)
		}
		// After a reload the conflict shows as resolved, and the page still passes the audit.
		p.Navigate(dash + "?lang=en")
		if !browsertest.Eval[bool](p, `document.querySelector(`+strconv.Quote(sel)+`).classList.contains("resolved")`) {
			t.Error("the resolved conflict is not marked after a reload")
		}
		for _, f := range p.Audit() {
			t.Errorf("coordinator's dashboard: %s", f)
		}
	})
}

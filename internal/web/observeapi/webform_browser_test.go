package observeapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestWebFormOffline drives the observers' web form in Chromium: the page
// is opened online (the service worker keeps it), then the network goes
// down; the page still opens, a report made offline waits in the phone's
// queue, and it is stored once when the network comes back.
func TestWebFormOffline(t *testing.T) {
	bin := webtest.Chromium(t)
	db := storetest.SQLite(t)
	fx := webtest.NewObsFixture(t, db)
	// A front that can play "no network": it drops every connection.
	var down atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			hj, ok := w.(http.Hijacker)
			if ok {
				c, _, _ := hj.Hijack()
				c.Close()
				return
			}
		}
		fx.Srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer front.Close()

	actx, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU)...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, c := context.WithTimeout(ctx, 30*time.Second)
		defer c()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		tctx, c := context.WithTimeout(ctx, 30*time.Second)
		defer c()
		v, err := chromedp.Run(tctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// The first Run starts the browser: no timeout on it.
	if err := chromedp.Do(ctx, chromedp.Navigate(front.URL+"/observe/t/"+fx.Tokens["obs1"])); err != nil {
		t.Fatal(err)
	}
	formURL := fmt.Sprintf("%s/observe/%d/voting", front.URL, fx.El.ID)
	run(chromedp.Navigate(formURL), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	// Wait for the service worker to control the page, then load the
	// form through it once so that it is cached.
	eval(`navigator.serviceWorker.ready.then(() => "ready")`)
	run(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	if got := eval(`Promise.resolve(navigator.serviceWorker.controller ? "controlled" : "not controlled")`); got != "controlled" {
		t.Fatalf("service worker: %s", got)
	}

	down.Store(true)
	// Offline: the form still opens, from the service worker's cache.
	run(chromedp.Navigate(formURL), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	fill := `(() => {
		const f = document.getElementById("report");
		f.querySelector('[name=station]').value = "101";
		f.querySelector('[name=arrival_time]').value = "10:20";
		for (const fs of f.querySelectorAll('fieldset[data-type=yes_no]')) {
			const v = fs.dataset.q === "ballot_box_stuffing" ? "yes" : (["group_voting","multiple_voting","identical_signatures","unauthorised_present","unauthorised_directing","observers_restricted"].includes(fs.dataset.q) ? "no" : "yes");
			fs.querySelector('input[value=' + v + ']').checked = true;
		}
		f.querySelector('input[name=overall][value=bad]').checked = true;
		f.requestSubmit();
		return "sent";
	})()`
	eval(fill)
	time.Sleep(500 * time.Millisecond)
	if q := eval(`Promise.resolve(String(JSON.parse(localStorage.getItem("vigil.queue.v1") || "[]").length))`); q != "1" {
		t.Fatalf("queue while offline: %s", q)
	}
	if n, _ := db.CountReports(context.Background(), fx.OrgA.ID); n != 0 {
		t.Fatalf("%d reports stored while offline", n)
	}

	down.Store(false)
	eval(`Promise.resolve((window.dispatchEvent(new Event("online")), "online"))`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		q := eval(`Promise.resolve(String(JSON.parse(localStorage.getItem("vigil.queue.v1") || "[]").length))`)
		if q == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not sent after the network came back: %s; rejected: %s", q, eval(`Promise.resolve(localStorage.getItem("vigil.rejected.v1") || "")`))
		}
		time.Sleep(200 * time.Millisecond)
	}
	reports, err := db.Reports(context.Background(), store.ReportFilter{OrgID: fx.OrgA.ID})
	if err != nil || len(reports) != 1 || reports[0].Channel != "web" || reports[0].AreaID != fx.Stations["101"].ID {
		t.Fatalf("stored: %v %v", reports, err)
	}
	// Nothing waits, and the phone keeps the report's receipt (issue 15).
	if got := eval(`Promise.resolve(document.getElementById("queue-status").textContent)`); !strings.HasPrefix(got, "Nothing waiting. 1 receipt(s) kept; last: report ") || !strings.Contains(got, ", leaf ") {
		t.Fatalf("status after sending: %q", got)
	}
	// In Kazakh, the script's words are Kazakh too (issue 12): they come
	// from the page, not from observe.js.
	run(chromedp.Navigate(formURL+"?lang=kk"), chromedp.WaitVisible(chromedp.CSS(`#report`)))
	if got := eval(`new Promise(r => setTimeout(() => r(document.getElementById("queue-status").textContent), 300))`); !strings.HasPrefix(got, "Күтіп тұрған ештеңе жоқ. Сақталған түбіртектер: 1; соңғысы: хабарлама ") {
		t.Fatalf("status in Kazakh: %q", got)
	}
}

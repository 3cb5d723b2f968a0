package observeapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

func TestWebForm(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	jar := &webtest.CookieJar{}
	client := &http.Client{Jar: jar}
	// Without credentials the form sends to the login page.
	resp, err := client.Get(fx.Srv.URL + "/observe/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Fatalf("landed on %s", resp.Request.URL)
	}
	// Another team sent to one of obs1's stations too: obs1's page shows
	// their own team's assignment only.
	teams, _ := fx.DB.Teams(context.Background(), fx.OrgA.ID)
	for _, tm := range teams {
		if tm.Name == "T2" {
			if err := fx.DB.Assign(context.Background(), fx.OrgA.ID, fx.El.ID, []store.Assignment{{TeamID: tm.ID, AreaID: fx.Stations["101"].ID}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The observer's link keeps the token in a cookie.
	resp, err = client.Get(fx.Srv.URL + "/observe/t/" + fx.Tokens["obs1"] + "?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Your team&#39;s assignment") || !strings.Contains(string(b), "PS 101") {
		t.Fatalf("index: %d %s", resp.StatusCode, b)
	}
	if !strings.Contains(string(b), "Signed in as Aigerim (obs1), observer.") {
		t.Errorf("the observer is not greeted by name: %s", b)
	}
	if strings.Contains(string(b), "team T2") || !strings.Contains(string(b), "team T1") {
		t.Errorf("the observer's page shows another team's assignment: %s", b)
	}
	resp, err = client.Get(fmt.Sprintf("%s/observe/%d/counting", fx.Srv.URL, fx.El.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	for _, want := range []string{`data-form="counting"`, `data-item="votes_2"`, `name="overall" value="very_bad"`, `/static/observe.js`, fmt.Sprintf(`data-submit="/api/v1/elections/%d/reports"`, fx.El.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("form page lacks %s", want)
		}
	}
	resp, err = client.Get(fmt.Sprintf("%s/observe/%d/counting?lang=ru", fx.Srv.URL, fx.El.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Подсчёт голосов") || !strings.Contains(string(b), "Очень плохо") {
		t.Errorf("Russian form page lacks its labels")
	}
	// What the page's script sends, with the cookie the link set.
	req, _ := http.NewRequest("POST", fx.Srv.URL+fx.ReportsPath(), strings.NewReader(`{"client_id":"web-0000-0001","form":"voting","answers":{"station":101,"arrival_time":"10:00","boxes_sealed":true,"secrecy_ensured":true,"identity_checked":true,"group_voting":false,"ballot_box_stuffing":false,"multiple_voting":false,"identical_signatures":false,"unauthorised_present":false,"unauthorised_directing":false,"observers_restricted":false,"overall":"good"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Vigil-Channel", "web")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("web submission: %d", resp.StatusCode)
	}
	if rep, err := fx.DB.ReportByClientID(context.Background(), fx.OrgA.ID, "web-0000-0001"); err != nil || rep.Channel != "web" {
		t.Fatalf("stored: %+v %v", rep, err)
	}
	// A cross-site request riding on the cookie is refused (CSRF).
	req, _ = http.NewRequest("POST", fx.Srv.URL+fx.ReportsPath(), strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
	resp, err = client.Get(fx.Srv.URL + "/observe/sw.js")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(b), "caches.open") {
		t.Fatalf("service worker: %s", resp.Header.Get("Content-Type"))
	}
	// Staff log in through the page.
	staff := &http.Client{Jar: &webtest.CookieJar{}}
	resp, err = staff.PostForm(fx.Srv.URL+"/login", url.Values{"username": {"analyst"}, "password": {webtest.Password}, "next": {"/observe/"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "Signed in as analyst") || !strings.Contains(string(b), "/observe/review/") {
		t.Fatalf("login page: %d %s", resp.StatusCode, b)
	}
	resp, err = staff.Get(fmt.Sprintf("%s/observe/reports/%d?phase=voting", fx.Srv.URL, fx.El.ID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "1 report(s) · phase voting") || !strings.Contains(string(b), "North › N1 › PS 101") {
		t.Fatalf("reports page: %d %s", resp.StatusCode, b)
	}
	resp, err = staff.PostForm(fx.Srv.URL+"/login", url.Values{"username": {"analyst"}, "password": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "wrong user name or password") {
		t.Fatalf("bad login: %d", resp.StatusCode)
	}
}

func TestLoginThrottle(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	codes := map[int]int{}
	for i := 0; i < 14; i++ {
		code, _ := fx.Do(t, "", "POST", "/api/v1/observe/login", map[string]string{"username": "admin", "password": "guess " + fmt.Sprint(i)})
		codes[code]++
	}
	if codes[401] < 8 || codes[429] < 2 {
		t.Fatalf("14 wrong passwords from one address: %v", codes)
	}
	// The right password is refused too while the address is throttled.
	if code, _ := fx.Do(t, "", "POST", "/api/v1/observe/login", map[string]string{"username": "admin", "password": webtest.Password}); code != 429 {
		t.Fatalf("throttled login: %d", code)
	}
}

func TestReviewPage(t *testing.T) {
	fx := webtest.NewObsFixture(t, storetest.SQLite(t))
	fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.VotingReport("v-101-obs1", 101, "bad", true))
	fx.Do(t, "token:obs2", "POST", fx.ReportsPath(), webtest.VotingReport("v-101-obs2", 101, "good", true))
	fx.Do(t, "analyst", "POST", "/api/v1/observe/qc-rules", map[string]string{"form": "counting", "name": "box_over_issued", "expr": "ballots_in_box > ballots_issued"})
	_, flagged := fx.Do(t, "token:obs1", "POST", fx.ReportsPath(), webtest.CountingReport("count-101", 101, 650))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(as string) (int, string) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/observe/review/%d", fx.Srv.URL, fx.El.ID), nil)
		if as != "" {
			req.AddCookie(fx.Cookies[as])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(as, path string, form url.Values) int {
		req, _ := http.NewRequest("POST", fx.Srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(fx.Cookies[as])
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	code, page := get("coordinator")
	if code != 200 || !strings.Contains(page, "Conflicts between observers (1)") || !strings.Contains(page, `value="&#34;bad&#34;"`) ||
		!strings.Contains(page, "Flagged and quarantined reports (1)") || !strings.Contains(page, "box_over_issued") {
		t.Fatalf("review page: %d\n%s", code, page)
	}
	if code, _ := get(""); code != 401 {
		t.Fatalf("public review page: %d", code)
	}
	base := fmt.Sprintf("/observe/review/%d", fx.El.ID)
	if code := post("coordinator", base+"/resolve", url.Values{"area_id": {fmt.Sprint(fx.Stations["101"].ID)}, "phase": {"voting"}, "question": {"overall"}, "value": {`"bad"`}}); code != http.StatusSeeOther {
		t.Fatalf("resolve: %d", code)
	}
	if code := post("coordinator", base+"/status", url.Values{"report": {fmt.Sprint(flagged["report_id"])}, "status": {"verified"}}); code != http.StatusSeeOther {
		t.Fatalf("verify: %d", code)
	}
	_, page = get("coordinator")
	if !strings.Contains(page, "Conflicts between observers (0)") || !strings.Contains(page, "Flagged and quarantined reports (0)") {
		t.Fatalf("after review:\n%s", page)
	}
	// Another organisation's analyst cannot touch A's report.
	if code := post("analystB", base+"/status", url.Values{"report": {fmt.Sprint(flagged["report_id"])}, "status": {"quarantined"}}); code != 404 {
		t.Fatalf("org B reviewing A's report: %d", code)
	}
}

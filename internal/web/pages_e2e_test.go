package web_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/browsertest"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestPublicPagesInBrowser drives, in headless Chromium, what a journalist
// meets outside the results: the published statement in the portal (its
// figures leading to public pages, in Russian and Kazakh), mistyped
// addresses answered by pages with the right status, the list of
// protocols that fail the controls; and what the mission's staff meet: the
// dashboard's report numbers opening pages, the dashboard compressed.
// Screenshots at a desktop's and a phone's width are kept as artefacts.
func TestPublicPagesInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	b := browsertest.Start(t)
	ctx := context.Background()
	db := storetest.SQLite(t)
	e, org := webtest.ObservedDemo(t, db, 11, demo.Params{Stations: 800, ObservedShare: 0.25})
	pub, err := observe.Publish(ctx, db, access.Principal{Role: access.Analyst, OrgID: org.ID, Name: "test"}, e.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	const pw = "a long test password"
	hash, _ := access.HashPassword(pw)
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
	p := b.Page(t)
	stmt := fmt.Sprintf("%s/elections/%d/findings/%d", srv.URL, e.ID, pub.ID)

	t.Run("the statement is a portal page whose figures lead to public pages", func(t *testing.T) {
		p.Navigate(stmt + "?lang=ru")
		if got := p.Text("h1"); got != "Заявление о предварительных выводах: количественная часть" {
			t.Fatalf("h1 %q", got)
		}
		if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "ru" {
			t.Fatalf("html lang %q", lang)
		}
		if browsertest.Eval[int](p, `document.querySelectorAll("header.site .langs a").length`) < 2 {
			t.Fatal("no portal header with the language switch")
		}
		if f := p.Audit(); len(f) > 0 {
			t.Errorf("accessibility: %v", f)
		}
		p.Screenshot("statement-ru")
		p.Phone()
		p.FullScreenshot("statement-ru-phone")
		p.Desktop()
		links := browsertest.Eval[[]string](p, `[...document.querySelectorAll("main a[href]")].map(a => a.getAttribute("href"))`)
		figures := 0
		for _, l := range links {
			if strings.HasPrefix(l, "/observe/") || strings.HasPrefix(l, "/dashboard/") {
				t.Errorf("the public statement links to a staff page: %s", l)
			}
			if !strings.Contains(l, "/figure?") {
				continue
			}
			figures++
			resp, body := webtest.GetWith(t, srv.URL+l, map[string]string{"Accept-Language": "kk"})
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `<html lang="kk">`) {
				t.Errorf("figure %s: %d %s", l, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
		if figures < 10 {
			t.Fatalf("%d figure links on the statement", figures)
		}
	})

	t.Run("a figure's page lists its reports and sends staff to them", func(t *testing.T) {
		p.Navigate(stmt + "?lang=en")
		p.ClickNav(`main table a[href*="negative=1"]`)
		if got := p.Text("h1"); !strings.Contains(got, "assessed bad or very bad") {
			t.Fatalf("figure h1 %q", got)
		}
		if n := browsertest.Eval[string](p, `document.querySelector("p.reports") ? document.querySelector("p.reports").textContent : ""`); !regexp.MustCompile(`^#\d+`).MatchString(n) {
			t.Fatalf("no report numbers: %q", n)
		}
		if f := p.Audit(); len(f) > 0 {
			t.Errorf("accessibility: %v", f)
		}
		p.Screenshot("statement-figure")
		// The public following the staff link meets the login page (which
		// brings staff back to the reports), not a JSON document.
		p.ClickNav(`a[href^="/observe/reports/"]`)
		if loc := p.Location(); !strings.Contains(loc, "/login?next=%2Fobserve%2Freports%2F") {
			t.Fatalf("the staff link takes the public to %s", loc)
		}
	})

	t.Run("mistyped addresses answer pages with their status", func(t *testing.T) {
		for path, want := range map[string]int{
			"/elections/1/areas/99999":                 404,
			"/elections/nope":                          404,
			"/elections/nope/map":                      404,
			"/elections/1/areas/root?source=bogus":     400,
			"/elections/1/areas/nope":                  400,
			"/elections/1/controls?code=NOPE":          400,
			"/elections/1/findings/999":                404,
			"/elections/1/findings/1/figure?phase=bad": 400,
			"/no/such/page":                            404,
			"/recommendations/999999":                  404,
		} {
			resp, body := webtest.GetWith(t, srv.URL+path, nil)
			if resp.StatusCode != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `<header class="site">`) {
				t.Errorf("%s: %d %s, want a %d page", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
			}
		}
		resp, body := webtest.GetWith(t, srv.URL+"/api/v1/no/such/thing", nil)
		if resp.StatusCode != 404 || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("API 404: %d %s", resp.StatusCode, body)
		}
		resp, _ = webtest.GetWith(t, srv.URL+"/elections/nope", map[string]string{"Accept": "application/json"})
		if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("a client asking for JSON gets %s", resp.Header.Get("Content-Type"))
		}
		if st := p.NavigateStatus(srv.URL + "/elections/1/areas/99999?lang=kk"); st != 404 {
			t.Errorf("the browser got %d", st)
		}
		if got := p.Text("h1"); got != "Бет табылмады (404)" {
			t.Fatalf("Kazakh 404 h1 %q", got)
		}
		if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "kk" {
			t.Fatalf("html lang %q", lang)
		}
		p.Screenshot("not-found-kk")
	})

	t.Run("the protocols that fail the controls, filtered, paged and downloaded", func(t *testing.T) {
		p.Navigate(srv.URL + "/elections/1/controls?lang=en")
		if got := p.Text("h1"); got != "Protocols that fail the arithmetic controls" {
			t.Fatalf("h1 %q", got)
		}
		if f := p.Audit(); len(f) > 0 {
			t.Errorf("accessibility: %v", f)
		}
		p.Screenshot("controls")
		p.Phone()
		p.Screenshot("controls-phone")
		p.Desktop()
		_, all := webtest.GetWith(t, srv.URL+"/elections/1/controls?format=csv", nil)
		_, votes := webtest.GetWith(t, srv.URL+"/elections/1/controls?format=csv&code=SUMMARY_VOTES", nil)
		nAll, nVotes := strings.Count(all, "\n")-1, strings.Count(votes, "\n")-1
		if nAll < 1 || nVotes < 1 || nVotes >= nAll || strings.Count(votes, "SUMMARY_VOTES") != nVotes {
			t.Fatalf("CSV rows: %d in all, %d SUMMARY_VOTES:\n%s", nAll, nVotes, votes)
		}
		_, page := webtest.GetWith(t, srv.URL+"/elections/1/controls?code=SUMMARY_VOTES", nil)
		if !strings.Contains(page, fmt.Sprintf("%d failed controls match the filters", nVotes)) {
			t.Errorf("the page's count disagrees with its CSV (%d)", nVotes)
		}
		if resp, _ := webtest.GetWith(t, srv.URL+"/elections/1/controls?page=99", nil); resp.StatusCode != 404 {
			t.Errorf("page 99: %d", resp.StatusCode)
		}
	})

	t.Run("staff open reports as pages, the dashboard compressed", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Transport: &http.Transport{DisableCompression: true}}
		resp, err := c.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/dashboard/%d", srv.URL, e.ID), nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("dashboard: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(zr)
		if len(raw)*3 > len(html) {
			t.Errorf("the dashboard's %d bytes compressed only to %d", len(html), len(raw))
		}
		m := regexp.MustCompile(`<a href="(/dashboard/\d+/reports/(\d+))">#\d+</a>`).FindSubmatch(html)
		if m == nil {
			t.Fatal("the dashboard has no report links to its report pages")
		}
		if regexp.MustCompile(`<a href="/api/v1/elections/\d+/reports`).Match(html) {
			t.Error("the dashboard still links a JSON document as a page")
		}
		resp, err = c.Get(srv.URL + string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(rb), "Report #"+string(m[2])) {
			t.Fatalf("report page %s: %d", m[1], resp.StatusCode)
		}
		// The public asking for a report page is sent to the login.
		nc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if resp, err := nc.Get(srv.URL + string(m[1])); err != nil || resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Fatalf("the public at a report page: %v %v", resp, err)
		}

		// In the browser, after logging in.
		p.Navigate(srv.URL + "/login?lang=en")
		p.Type("#u", "admin")
		p.Type("#p", pw)
		p.ClickNav(`form[action="/login"] button[type=submit]`)
		p.Navigate(srv.URL + string(m[1]))
		if got := p.Text("h1"); got != "Report #"+string(m[2]) {
			t.Fatalf("report page h1 %q", got)
		}
		if f := p.Audit(); len(f) > 0 {
			t.Errorf("accessibility: %v", f)
		}
		p.Screenshot("staff-report")
		p.Phone()
		p.Screenshot("staff-report-phone")
		p.Desktop()
	})
}

package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/browsertest"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestAreaPageFitsInBrowser holds issue 12's findability items on the
// national page in headless Chromium, in each language (Russian and
// Kazakh words are longer): at 1280 px the areas' table shows every
// column and no heading runs into its neighbour, no count overflows its
// card, the charts' labels lie inside their SVG; the padded district
// summaries are listed above the districts; the candidates come in ballot
// order or by votes; the page has the election's title and a meta
// description; at a phone's width the page does not scroll sideways.
func TestAreaPageFitsInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	b := browsertest.Start(t)
	db := storetest.SQLite(t)
	// The full demo: 9,915 stations, so the cards hold "9 915 / 9 915"
	// and the areas' table the demo's seven options.
	el := demo.Generate(2022, demo.DefaultParams)
	if _, err := demo.Write(context.Background(), db, el); err != nil {
		t.Fatal(err)
	}
	if len(el.SummaryAdditions) == 0 {
		t.Fatal("the fixed-seed demo padded no district summary")
	}
	h, err := site.New(db, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p := b.Page(t)

	for _, lang := range []string{"en", "ru", "kk"} {
		t.Run(lang, func(t *testing.T) {
			p.Desktop()
			p.Navigate(srv.URL + "/elections/1/areas/root?lang=" + lang)
			if w := browsertest.Eval[int](p, `window.innerWidth`); w != 1280 {
				t.Fatalf("window %d px", w)
			}
			// Every column in view: the table no wider than its box.
			fit := browsertest.Eval[string](p, `(() => {
				const s = document.querySelector("table.children").closest(".scroll");
				return s.scrollWidth + " " + s.clientWidth;
			})()`)
			var sw, cw int
			fmt.Sscan(fit, &sw, &cw)
			if sw > cw+1 {
				cols := browsertest.Eval[[]string](p, `[...document.querySelectorAll("table.children thead th")].map(th => th.textContent.trim() + " " + th.offsetWidth)`)
				t.Errorf("the areas' table is %d px wide in a %d px box: columns hidden at 1280 px; columns %v", sw, cw, cols)
			}
			// No heading wider than its cell (a long word ran into the next).
			if over := browsertest.Eval[[]string](p, `[...document.querySelectorAll("table.children thead th")].filter(th => th.scrollWidth > th.clientWidth + 1).map(th => th.textContent.trim() + " " + th.scrollWidth + ">" + th.clientWidth)`); len(over) > 0 {
				t.Errorf("headings overflow their cells: %v", over)
			}
			// No card's figure or label wider than its card.
			if over := browsertest.Eval[[]string](p, `[...document.querySelectorAll("dl.summary > div")].filter(c => c.scrollWidth > c.clientWidth + 1 || [...c.children].some(e => e.getBoundingClientRect().right > c.getBoundingClientRect().right + 1)).map(c => c.textContent.trim())`); len(over) > 0 {
				t.Errorf("cards overflow: %v", over)
			}
			// The padded summaries are named on the national page.
			padded := browsertest.Eval[[]string](p, `[...document.querySelectorAll("section[aria-labelledby=padded-h] li a")].map(a => a.textContent)`)
			want := el.SummaryAdditions[0].Region + " / " + el.SummaryAdditions[0].District
			if !slices.Contains(padded, want) {
				t.Errorf("the national page lists padded summaries %v, not %q", padded, want)
			}
			// Search engines' summary (Lighthouse SEO) and the election's
			// title, not its slug, in the page's title.
			if d := browsertest.Eval[string](p, `(document.querySelector('meta[name="description"]') || {}).content || ""`); len(d) < 30 {
				t.Errorf("meta description %q", d)
			}
			if title := browsertest.Eval[string](p, `document.title`); !strings.HasPrefix(title, demo.Title) {
				t.Errorf("page title %q, want the election's title first", title)
			}
			p.Screenshot("areas-1280-" + lang)

			// Candidates in ballot order, then by votes.
			names := func() []string {
				return browsertest.Eval[[]string](p, `[...document.querySelectorAll("table.votes tbody th")].map(th => th.textContent.trim())`)
			}
			if got := names(); len(got) < 3 || got[0] != demo.Candidates[0] || got[1] != demo.Candidates[1] || got[2] != demo.Candidates[2] {
				t.Errorf("ballot order %v, want %v first", got, demo.Candidates[:3])
			}
			p.ClickNav(`table.votes caption .order a`)
			votes := browsertest.Eval[[]string](p, `[...document.querySelectorAll("table.votes tbody td.n:first-of-type")].map(td => td.textContent.replace(/\D/g, ""))`)
			var prev int64 = -1
			for _, v := range votes {
				var n int64
				fmt.Sscan(v, &n)
				if prev >= 0 && n > prev {
					t.Errorf("by votes, %d follows %d: %v", n, prev, votes)
				}
				prev = n
			}
			if !strings.Contains(p.Location(), "order=votes") || len(votes) != len(names()) {
				t.Errorf("by votes: at %s, %d counts", p.Location(), len(votes))
			}

			// The charts' labels inside their SVGs (the last axis label,
			// "100 %", was cut in half).
			p.Navigate(srv.URL + "/elections/1/forensics?lang=" + lang)
			charts := browsertest.Eval[int](p, `document.querySelectorAll("svg[role=img]").length`)
			if charts == 0 {
				t.Fatal("no chart on the forensics page")
			}
			if cut := browsertest.Eval[[]string](p, `[...document.querySelectorAll("svg[role=img] text")].filter(tx => {
				const s = tx.ownerSVGElement.getBoundingClientRect(), r = tx.getBoundingClientRect();
				return r.width > 0 && (r.left < s.left - 1 || r.right > s.right + 1 || r.top < s.top - 1 || r.bottom > s.bottom + 1);
			}).map(tx => { const s = tx.ownerSVGElement.getBoundingClientRect(), r = tx.getBoundingClientRect(); return tx.textContent + " [" + [r.left, r.top, r.right, r.bottom].map(Math.round) + "] in [" + [s.left, s.top, s.right, s.bottom].map(Math.round) + "]"; })`); len(cut) > 0 {
				t.Errorf("chart labels outside their SVG: %v", cut)
			}

			p.Do("scrolling to the scatter", chromedp.ScrollIntoView(chromedp.CSS("svg[role=img]:last-of-type")))
			p.Screenshot("forensics-1280-" + lang)

			// A phone: nothing wider than the screen outside a scrolling box.
			p.Phone()
			p.Navigate(srv.URL + "/elections/1/areas/root?lang=" + lang)
			if over := browsertest.Eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
				wide := browsertest.Eval[[]string](p, `[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".scroll")).slice(0, 6).map(e => e.tagName + "." + e.className)`)
				t.Errorf("the national page scrolls sideways on a phone: %v", wide)
			}
			p.FullScreenshot("areas-phone-" + lang)
			p.Desktop()
		})
	}
}

// TestMissingStaffPagesAreHTML: issue 12's interface, "a page that does not
// exist answers an HTML page with status 404 on every portal and dashboard
// path" — the staff's paths too, in the reader's language, signed in.
func TestMissingStaffPagesAreHTML(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	e, org := webtest.ObservedDemo(t, db, 3, demo.Params{Stations: 200, ObservedShare: 0.2})
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
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != fmt.Sprintf("/dashboard/%d", e.ID) && !strings.HasPrefix(resp.Request.URL.Path, "/dashboard") {
		t.Fatalf("after login at %s", resp.Request.URL)
	}
	for _, path := range []string{"/dashboard/999999", "/dashboard/nope", fmt.Sprintf("/dashboard/%d/nope", e.ID),
		fmt.Sprintf("/dashboard/%d/reports/99999999", e.ID), "/observe/nope", "/observe/reports/99999999",
		"/recommendations/missions/nope/draft"} {
		resp, err := c.Get(srv.URL + path + "?lang=kk")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), `<html lang="kk">`) {
			t.Errorf("%s: %d %s, want a Kazakh 404 page", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

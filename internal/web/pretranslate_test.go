package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestPretranslatedPagesAreTheSame: the templates with their fixed words
// pre-translated give, byte for byte, the pages the templates give
// without. Two servers on one database, one with and one without, are
// crawled from the public and the staff pages (a staff session opened
// through one serves on both), following every link of the pages, in
// every language.
func TestPretranslatedPagesAreTheSame(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	el, org := webtest.ObservedDemo(t, db, 13, demo.Params{Stations: 300, ObservedShare: 0.3})
	if _, err := observe.Publish(ctx, db, access.Principal{Role: access.Analyst, OrgID: org.ID, Name: "test"}, el.ID, "test"); err != nil {
		t.Fatal(err)
	}
	const pw = "a long test password"
	hash, _ := access.HashPassword(pw)
	if err := db.CreateUser(ctx, &store.User{OrgID: org.ID, Username: "admin", Name: "Admin", Role: "administrator"}, hash); err != nil {
		t.Fatal(err)
	}
	servers := map[bool]*httptest.Server{}
	var routes []string
	for _, on := range []bool{false, true} {
		web.SetPretranslate(on)
		h, err := site.New(db, web.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.CloseObservation)
		routes = h.Routes()
		servers[on] = httptest.NewServer(h)
		t.Cleanup(servers[on].Close)
	}
	web.SetPretranslate(true)

	// One staff session, sent to both.
	nc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := nc.PostForm(servers[true].URL+"/login", url.Values{"username": {"admin"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookies []*http.Cookie
	for _, c := range resp.Cookies() {
		cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	if len(cookies) == 0 {
		t.Fatal("no session cookie from the login")
	}
	get := func(base, path string, staff bool) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if staff {
			for _, c := range cookies {
				req.AddCookie(c)
			}
		}
		resp, err := nc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.ReplaceAll(string(b), base, "")
	}
	// What changes from one request to the next whatever the templates.
	volatile := regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?( UTC|Z)?|name="csrf" value="[^"]*"|nonce="[^"]*"`)
	link := regexp.MustCompile(`href="(/[^"#]*)"`)
	seen := map[string]bool{}
	// Every page route the server has, then the links of its pages.
	queue := []string{"/nonesuch"}
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		path = strings.ReplaceAll(strings.TrimSuffix(path, "{$}"), "{election}", strconv.FormatInt(el.ID, 10))
		if method == "GET" && !strings.Contains(path, "{") {
			queue = append(queue, path)
		}
	}
	langParam := regexp.MustCompile(`([?&])lang=[a-z]+(&|$)`)
	digits := regexp.MustCompile(`[0-9]+`)
	shapes := map[string]int{}
	compared, differ, found := 0, 0, 0
	for len(queue) > 0 && compared < 900 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] || strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/logout") || strings.Contains(p, "/photos/") ||
			strings.Contains(p, ".csv") || strings.Contains(p, "/api/") || strings.Contains(p, "format=") ||
			strings.HasSuffix(p, "/events") { // a stream
			continue
		}
		seen[p] = true
		// A few of each kind of page (a station, a report), not all.
		if shape := digits.ReplaceAllString(p, "N"); shapes[shape] >= 4 {
			continue
		} else {
			shapes[shape]++
		}
		for _, lang := range []string{"en", "ru", "kk"} {
			u := p + "?lang=" + lang
			if strings.Contains(p, "?") {
				u = p + "&lang=" + lang
			}
			// Staff, and every third path as an anonymous visitor sees it.
			staff := len(seen)%3 != 0
			codeA, a := get(servers[false].URL, u, staff)
			codeB, b := get(servers[true].URL, u, staff)
			compared++
			if codeA == http.StatusOK {
				found++
			}
			if codeA != codeB || volatile.ReplaceAllString(a, "") != volatile.ReplaceAllString(b, "") {
				differ++
				if differ <= 3 {
					t.Errorf("%s: %d and %d bytes (%d, %d) differ:\n%s", u, len(a), len(b), codeA, codeB, firstDiff(a, b))
				}
			}
			if lang == "en" && strings.Contains(http.DetectContentType([]byte(a)), "html") {
				for _, m := range link.FindAllStringSubmatch(a, -1) {
					if q := strings.TrimRight(langParam.ReplaceAllString(strings.ReplaceAll(m[1], "&amp;", "&"), "$1"), "?&"); !seen[q] {
						queue = append(queue, q)
					}
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d pages differ", differ, compared)
	}
	if found < 600 {
		t.Errorf("only %d pages found (status 200) of %d compared: the crawl did not reach the pages", found, compared)
	}
	t.Logf("%d pages compared, %d of them found (%d paths)", compared, found, len(seen))
	if testing.Verbose() {
		for p := range seen {
			t.Log(p)
		}
	}
	for _, p := range []string{"/dashboard/1", "/elections/1/areas/root"} {
		if !seen[p] {
			t.Errorf("%s not reached", p)
		}
	}
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-120)
	return "…" + a[lo:min(len(a), i+120)] + "\n---\n…" + b[lo:min(len(b), i+120)]
}

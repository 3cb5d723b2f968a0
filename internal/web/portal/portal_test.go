package portal_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

func TestPortalPages(t *testing.T) {
	storetest.Each(t, testPortalPages)
}

func testPortalPages(t *testing.T, db *store.DB) {
	srv, el := webtest.DemoServer(t, db)
	base := srv.URL + "/elections/1"

	t.Run("language by Accept-Language, ?lang= and cookie", func(t *testing.T) {
		resp, body := webtest.GetWith(t, srv.URL+"/", map[string]string{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
		if resp.StatusCode != 200 || !strings.Contains(body, `<html lang="ru">`) || !strings.Contains(body, "<h1>Выборы</h1>") {
			t.Fatalf("Russian by Accept-Language: %d %.300s", resp.StatusCode, body)
		}
		resp, body = webtest.GetWith(t, srv.URL+"/?lang=ru", nil)
		var ck *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "vigil_lang" {
				ck = c
			}
		}
		if ck == nil || ck.Value != "ru" || !strings.Contains(body, `lang="ru"`) {
			t.Fatalf("?lang=ru set no cookie: %v", resp.Cookies())
		}
		_, body = webtest.GetWith(t, srv.URL+"/", map[string]string{"Cookie": "vigil_lang=ru", "Accept-Language": "en"})
		if !strings.Contains(body, "<h1>Выборы</h1>") {
			t.Fatal("the cookie does not keep Russian")
		}
		_, body = webtest.GetWith(t, srv.URL+"/elections/1/areas/root?sort=turnout&dir=desc", nil)
		if !strings.Contains(body, `href="/elections/1/areas/root?dir=desc&amp;lang=ru&amp;sort=turnout"`) {
			t.Fatal("the language switch drops the page's query")
		}
		_, body = webtest.GetWith(t, srv.URL+"/", map[string]string{"Accept-Language": "de"})
		if !strings.Contains(body, "<h1>Elections</h1>") {
			t.Fatal("German does not fall back to English")
		}
	})

	t.Run("national page cached with an ETag", func(t *testing.T) {
		resp, body := webtest.GetWith(t, base+"/areas/root", nil)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || etag == "" || !strings.Contains(body, `<h1>`+demo.Title+`</h1>`) || !strings.Contains(body, `<title>`+demo.Title+` · vigil</title>`) {
			t.Fatalf("national page %d, etag %q", resp.StatusCode, etag)
		}
		for _, want := range []string{`<a class="skip" href="#main">`, `<main id="main"`, `<caption>`, `scope="col"`, `aria-current="page"`} {
			if !strings.Contains(body, want) {
				t.Errorf("national page lacks %s", want)
			}
		}
		resp, _ = webtest.GetWith(t, base+"/areas/root", map[string]string{"If-None-Match": etag})
		if resp.StatusCode != http.StatusNotModified {
			t.Fatalf("If-None-Match: %d", resp.StatusCode)
		}
		resp, _ = webtest.GetWith(t, base+"/areas/root", map[string]string{"If-None-Match": etag, "Accept-Language": "ru"})
		if resp.StatusCode != 200 {
			t.Fatalf("the Russian page shares the English ETag: %d", resp.StatusCode)
		}
	})

	t.Run("children sorted and filtered", func(t *testing.T) {
		_, body := webtest.GetWith(t, base+"/areas/root?sort=turnout&dir=desc&q=region", nil)
		rows := strings.Count(body, `<tr><th scope="row"><a href="/elections/1/areas/`) + strings.Count(body, `<tr class="hasdiff"><th scope="row"><a href="/elections/1/areas/`)
		if rows == 0 || strings.Contains(body, ">Astana</a>") || !strings.Contains(body, `aria-sort="descending"`) {
			t.Fatalf("filter 'region' kept %d rows (Astana is a city and must go)", rows)
		}
		_, body = webtest.GetWith(t, base+"/areas/root?differs=1", nil)
		if !strings.Contains(body, `class="badge"`) {
			t.Fatal("no region with differing protocol versions, though the demo altered some")
		}
	})

	t.Run("results JSON", func(t *testing.T) {
		resp, body := webtest.GetWith(t, srv.URL+"/api/v1/elections/"+demo.Name+"/results?level=1", nil)
		var doc struct {
			Result struct {
				Stations int `json:"stations"`
				Children []struct {
					Area string `json:"area"`
				} `json:"children"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v %.200s", resp.StatusCode, err, body)
		}
		if doc.Result.Stations != len(el.Stations) || len(doc.Result.Children) == 0 {
			t.Fatalf("results: %d stations, %d children", doc.Result.Stations, len(doc.Result.Children))
		}
		if resp, _ := webtest.GetWith(t, srv.URL+"/api/v1/elections/"+demo.Name+"/results?level=x", nil); resp.StatusCode != 400 {
			t.Fatalf("bad level: %d", resp.StatusCode)
		}
	})

	t.Run("geojson and map", func(t *testing.T) {
		resp, body := webtest.GetWith(t, srv.URL+"/api/v1/elections/1/geojson?level=2&measure=option0", nil)
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Properties map[string]any `json:"properties"`
				Geometry   struct {
					Type        string          `json:"type"`
					Coordinates [][][][]float64 `json:"coordinates"`
				} `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal([]byte(body), &fc); err != nil || resp.StatusCode != 200 || fc.Type != "FeatureCollection" {
			t.Fatalf("geojson: %d %v", resp.StatusCode, err)
		}
		districts := map[string]bool{}
		for _, st := range el.Stations {
			if st.Region != "Stations abroad" {
				districts[st.Region+"/"+st.District] = true
			}
		}
		if len(fc.Features) != len(districts) {
			t.Fatalf("%d features for %d districts", len(fc.Features), len(districts))
		}
		for _, f := range fc.Features {
			if f.Geometry.Type != "MultiPolygon" || len(f.Geometry.Coordinates) == 0 || f.Properties["fill"] == "" {
				t.Fatalf("feature %v", f.Properties)
			}
		}
		if resp, _ := webtest.GetWith(t, srv.URL+"/api/v1/elections/1/geojson?measure=option99", nil); resp.StatusCode != 400 {
			t.Fatalf("bad measure: %d", resp.StatusCode)
		}
		resp, body = webtest.GetWith(t, base+"/map?level=1", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `id="map"`) || !strings.Contains(body, `class="maptable"`) {
			t.Fatalf("map page %d", resp.StatusCode)
		}
	})

	t.Run("open data", func(t *testing.T) {
		resp, body := webtest.GetWith(t, srv.URL+"/api/v1/elections/"+demo.Name+"/opendata/official-final.csv?bom=0", nil)
		recs, err := csv.NewReader(bytes.NewReader([]byte(body))).ReadAll()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("csv: %d %v", resp.StatusCode, err)
		}
		if len(recs)-1 != len(el.Stations) || recs[0][2] != "area_id" || recs[0][3] != "area_path" {
			t.Fatalf("csv: %d rows for %d stations; header %v", len(recs)-1, len(el.Stations), recs[0][:4])
		}
		_, readme := webtest.GetWith(t, srv.URL+"/api/v1/elections/"+demo.Name+"/opendata/README.md", nil)
		for _, c := range recs[0] {
			if !strings.Contains(readme, "| "+c+" |") {
				t.Errorf("README lacks column %q", c)
			}
		}
		if resp, _ := webtest.GetWith(t, srv.URL+"/api/v1/elections/1/opendata/nope.csv", nil); resp.StatusCode != 404 {
			t.Fatalf("unknown source: %d", resp.StatusCode)
		}
		resp, body = webtest.GetWith(t, base+"/data", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, "official-final.xlsx") {
			t.Fatalf("data page %d", resp.StatusCode)
		}
	})

	t.Run("forensics", func(t *testing.T) {
		resp, body := webtest.GetWith(t, base+"/forensics", nil)
		if resp.StatusCode != 200 || strings.Count(body, `role="img"`) < 6 {
			t.Fatalf("forensics %d with %d charts", resp.StatusCode, strings.Count(body, `role="img"`))
		}
		_, ru := webtest.GetWith(t, base+"/forensics?lang=ru", nil)
		if !strings.Contains(ru, "Как читать:") {
			t.Fatal("the Russian forensics page is not in Russian")
		}
	})
}

func TestDistrictSummaryAgainstStations(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	if len(el.SummaryAdditions) == 0 {
		// The demo's seed is fixed: a change that stops it padding a
		// summary must fail here, not hide this test.
		t.Fatal("the fixed-seed demo padded no district summary")
	}
	pad := el.SummaryAdditions[0]
	a, err := db.AreaByPath(t.Context(), 1, []string{pad.Region, pad.District})
	if err != nil {
		t.Fatal(err)
	}
	_, body := webtest.GetWith(t, srv.URL+"/elections/1/areas/"+itoa(int(a.ID)), nil)
	i := strings.Index(body, `class="versions summaries"`)
	if i < 0 {
		t.Fatal("the padded district's page has no summary comparison")
	}
	table := body[i:]
	table = table[:strings.Index(table, "</table>")]
	if !strings.Contains(table, `data-source="summary"`) || !strings.Contains(table, `class="n diff"`) {
		t.Fatalf("the padding is not highlighted: %.800s", table)
	}
}

// TestNavigationLinksOnlyExistingPages: the findings and recommendations
// pages come from other parts of vigil; the portal links to them only when
// their routes exist.
func TestNavigationLinksOnlyExistingPages(t *testing.T) {
	db := storetest.SQLite(t)
	srv, _ := webtest.DemoServer(t, db)
	_, body := webtest.GetWith(t, srv.URL+"/elections/1/areas/root", nil)
	for _, path := range []string{"/findings", "/recommendations"} {
		probe, _ := webtest.GetWith(t, srv.URL+"/elections/1"+path, nil)
		global, _ := webtest.GetWith(t, srv.URL+path, nil)
		linked := strings.Contains(body, `href="/elections/1`+path+`"`) || strings.Contains(body, `href="`+path+`"`)
		exists := probe.StatusCode == 200 || global.StatusCode == 200 || global.StatusCode == 401 || global.StatusCode == 303
		if linked && !exists {
			t.Errorf("the navigation links to %s, which does not exist", path)
		}
		if exists && !linked {
			t.Errorf("%s exists but the navigation does not link to it", path)
		}
	}
}

func TestGzip(t *testing.T) {
	db := storetest.SQLite(t)
	srv, _ := webtest.DemoServer(t, db)
	tr := &http.Transport{DisableCompression: true}
	c := &http.Client{Transport: tr}
	for _, path := range []string{"/elections/1/areas/root", "/static/vendor/leaflet/leaflet.js", "/static/vendor/htmx.min.js"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		zb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %d, encoding %q", path, resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zb))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || len(plain) <= len(zb) {
			t.Fatalf("%s: %d bytes gzipped to %d: %v", path, len(plain), len(zb), err)
		}
		req.Header.Del("Accept-Encoding")
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(raw, plain) {
			t.Fatalf("%s: the plain body differs from the gzipped one", path)
		}
	}
}

// TestStationFlagsHighlighted: a recount whose figures do not add up gets
// its failed controls counted in its column's heading and the figures they
// read marked.
func TestStationFlagsHighlighted(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	st := el.Stations[0]
	var f election.Figures
	f.Set(election.Registered, st.Registered)
	f.Set(election.Valid, st.True.Valid())
	f.Set(election.Invalid, st.True.Invalid)
	f.Set(election.BallotsInBox, st.True.InBox+50) // valid + invalid ≠ in the box
	votes := append([]int64(nil), st.True.Votes...)
	_, err := db.Import(t.Context(), store.ImportRequest{ElectionID: 1, Source: election.Recount, File: "recount.csv", Options: demo.Candidates},
		storetest.Rows([]store.Row{{Line: 1, Path: []string{st.Region, st.District, st.Number}, Figures: f, Votes: votes}}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.AreaByPath(t.Context(), 1, []string{st.Region, st.District, st.Number})
	if err != nil {
		t.Fatal(err)
	}
	_, body := webtest.GetWith(t, srv.URL+"/elections/1/areas/"+itoa(int(a.ID)), nil)
	if !strings.Contains(body, `data-source="recount">Recount v1 <a class="badge" href="#flags-h"`) {
		t.Fatal("the recount's column heading does not count its failed control")
	}
	if n := strings.Count(body, " flagged\">"); n < 3 { // valid, invalid, ballots in the box
		t.Fatalf("%d flagged cells, want the three figures VALID_INVALID_BOX reads", n)
	}
	if !strings.Contains(body, "<strong>VALID_INVALID_BOX</strong>") {
		t.Fatal("the failed control is not listed")
	}
}

// TestNationalPageFollowsNewProtocols: the cached national page changes
// soon after protocols arrive (within the stamp's time to live and one
// background refresh), without a restart.
func TestNationalPageFollowsNewProtocols(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	resp, before := webtest.GetWith(t, srv.URL+"/api/v1/elections/1/results?level=0", nil)
	etag := resp.Header.Get("ETag")
	// A new official final version of one station, with 1,000 more votes
	// for the incumbent than it had.
	st := el.Stations[0]
	c := st.Official
	votes := append([]int64(nil), c.Votes...)
	votes[demo.Incumbent] += 1000
	var f election.Figures
	f.Set(election.Registered, st.Registered)
	f.Set(election.Valid, c.Valid()+1000)
	if _, err := db.Import(t.Context(), store.ImportRequest{ElectionID: 1, Source: election.OfficialFinal, File: "late.csv", Options: demo.Candidates},
		storetest.Rows([]store.Row{{Line: 1, Path: []string{st.Region, st.District, st.Number}, Figures: f, Votes: votes}})); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, after := webtest.GetWith(t, srv.URL+"/api/v1/elections/1/results?level=0", nil)
		if resp.Header.Get("ETag") != etag {
			if after == before || !strings.Contains(after, `"stamp"`) {
				t.Fatal("the ETag changed but not the body")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the results did not follow a new protocol within 5 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestStationSearch(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	st := el.Stations[10]
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(srv.URL + "/elections/1/search?q=" + st.Number)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	a, err := db.AreaByPath(t.Context(), 1, []string{st.Region, st.District, st.Number})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/elections/1/areas/"+itoa(int(a.ID)) {
		t.Fatalf("a station's number: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := webtest.GetWith(t, srv.URL+"/elections/1/search?q="+strings.ReplaceAll(st.District, " ", "+"), nil)
	if !strings.Contains(body, st.Region+" / "+st.District+" / "+st.Number) {
		t.Fatalf("searching the district %q does not list its station %s", st.District, st.Number)
	}
	_, body = webtest.GetWith(t, srv.URL+"/elections/1/search?q=zzzz", nil)
	if !strings.Contains(body, "Nothing matches") {
		t.Fatal("no message for a search without results")
	}
	_, body = webtest.GetWith(t, srv.URL+"/elections/1/areas/root", nil)
	if !strings.Contains(body, `action="/elections/1/search"`) {
		t.Fatal("the national page has no search form")
	}
}

func TestCopiesPage(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	differ, observed := 0, 0
	for _, st := range el.Stations {
		if st.Observed {
			observed++
			if st.Altered {
				differ++
			}
		}
	}
	t.Logf("%d of the %d observed stations have an altered official protocol", differ, observed)
	resp, body := webtest.GetWith(t, srv.URL+"/elections/1/copies", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("copies page %d", resp.StatusCode)
	}
	if !strings.Contains(body, `<dd id="copies-differ">`+strconv.Itoa(differ)+`</dd>`) {
		t.Fatalf("the page does not count the %d altered observed stations (of %d observed)", differ, observed)
	}
	if differ > 0 && strings.Count(body, `<tr><th scope="row"><a href="/elections/1/areas/`) != differ {
		t.Fatalf("the page does not list the %d altered observed stations", differ)
	}
	_, body = webtest.GetWith(t, srv.URL+"/elections/1/areas/root", nil)
	if !strings.Contains(body, `href="/elections/1/copies"`) {
		t.Fatal("the navigation does not link the copies page")
	}
}

// TestForensicsPageListsExcluded: a station whose official figures are
// impossible (more votes for the leader than ballots) is left out by every
// test, counted under each, and named, with a link, on the forensics page,
// in the reader's language (issue 14).
func TestForensicsPageListsExcluded(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	st := el.Stations[0]
	var f election.Figures
	f.Set(election.Registered, st.Registered)
	f.Set(election.Valid, 10)
	f.Set(election.Invalid, 0)
	f.Set(election.BallotsInBox, 10)
	votes := append([]int64(nil), st.True.Votes...) // far more than 10 for every option
	_, err := db.Import(t.Context(), store.ImportRequest{ElectionID: 1, Source: election.OfficialFinal, File: "fix.csv", Options: demo.Candidates},
		storetest.Rows([]store.Row{{Line: 1, Path: []string{st.Region, st.District, st.Number}, Figures: f, Votes: votes}}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.AreaByPath(t.Context(), 1, []string{st.Region, st.District, st.Number})
	if err != nil {
		t.Fatal(err)
	}
	_, body := webtest.GetWith(t, srv.URL+"/elections/1/forensics", nil)
	link := `<a href="/elections/1/areas/` + itoa(int(a.ID)) + `">` + st.Region + " / " + st.District + " / " + st.Number + "</a>"
	for _, want := range []string{`id="excluded"`, "<summary>leader votes above ballots in the box (L &gt; R): 1</summary>", link,
		"leader votes above ballots in the box (L &gt; R): 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("the forensics page lacks %s", want)
		}
	}
	_, ru := webtest.GetWith(t, srv.URL+"/elections/1/forensics?lang=ru", nil)
	if !strings.Contains(ru, "<summary>голосов за лидера больше, чем бюллетеней в ящиках (L &gt; R): 1</summary>") || !strings.Contains(ru, link) {
		t.Error("the Russian forensics page does not name the excluded station in Russian")
	}
	if strings.Contains(ru, "leader votes above") {
		t.Error("an exclusion reason in English on the Russian page")
	}
}

// TestDenominatorsNamed: wherever the portal shows a share it names what it
// is of (issue 12, "words that mean two things"): turnout is ballots issued
// ÷ registered voters everywhere; a candidate's share is of the valid votes
// on the results pages and the map, of the ballots counted (valid +
// invalid) on the forensics page, which says that the two differ.
func TestDenominatorsNamed(t *testing.T) {
	db := storetest.SQLite(t)
	srv, _ := webtest.DemoServer(t, db)
	for path, wants := range map[string][]string{
		"/elections/1/areas/root?lang=en": {`<small class="def">ballots issued ÷ registered voters</small>`, "as a share of valid votes", "Turnout: ballots issued ÷ registered voters; a candidate&#39;s share: of the valid votes."},
		"/elections/1/map?lang=en":        {"Turnout: ballots issued ÷ registered voters; a candidate&#39;s share: of the valid votes."},
		"/elections/1/forensics?lang=en":  {"turnout is ballots issued ÷ registered voters and the leader&#39;s share is of the ballots counted (valid &#43; invalid)", "share of the ballots counted (valid + invalid)"},
		"/elections/1/areas/root?lang=kk": {"берілген бюллетеньдер ÷ тіркелген сайлаушылар"},
		"/elections/1/forensics?lang=ru":  {"доля лидера — от подсчитанных бюллетеней (действительные &#43; недействительные)"},
	} {
		_, body := webtest.GetWith(t, srv.URL+path, nil)
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("%s does not name the denominator: %q", path, w)
			}
		}
	}
}

// TestElectionLinkKeepsQuery: /elections/{slug}?lang=kk redirects to the
// results with the query, so that a shared link opens in its language
// (seen in a screenshot: the page came in English).
func TestElectionLinkKeepsQuery(t *testing.T) {
	db := storetest.SQLite(t)
	srv, _ := webtest.DemoServer(t, db)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(srv.URL + "/elections/" + demo.Name + "?lang=kk")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/elections/1/areas/root?lang=kk" {
		t.Fatalf("the election's link: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := webtest.GetWith(t, srv.URL+"/elections/"+demo.Name+"?lang=kk", nil); !strings.Contains(body, `<html lang="kk">`) {
		t.Fatalf("the election's link with ?lang=kk: %.200s", body)
	}
}

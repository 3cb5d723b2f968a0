package portal_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/vigil-elections/vigil/internal/browsertest"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

// TestPortalInBrowser drives the public portal in headless Chromium over
// the full demo election: drilling down to a station whose official final
// protocol was altered while an observer copied the true count, switching
// language, downloading the open data, the map, the forensics, on a
// desktop and at a phone's width. Screenshots are kept as artefacts.
func TestPortalInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	b := browsertest.Start(t)
	db := storetest.SQLite(t)
	el := demo.Generate(2022, demo.DefaultParams)
	if _, err := demo.Write(context.Background(), db, el); err != nil {
		t.Fatal(err)
	}
	h, err := site.New(db, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	var target *demo.Station
	observed := 0
	for i := range el.Stations {
		st := &el.Stations[i]
		if st.Observed {
			observed++
		}
		if target == nil && st.Altered && st.Observed {
			target = st
		}
	}
	if target == nil {
		t.Fatal("the demo altered no observed station: the drill-down has nothing to find")
	}

	p := b.Page(t)
	t.Run("drill down to an altered station", func(t *testing.T) {
		p.Navigate(srv.URL + "/?lang=en")
		p.ClickNav(`ul.elections a[href="/elections/1/areas/root"]`)
		if got := p.Text("h1"); got != demo.Title {
			t.Fatalf("national page h1 %q", got)
		}
		p.Screenshot("national-desktop")
		// The filter narrows the list in place (htmx) and keeps the URL.
		all := browsertest.Eval[int](p, `document.querySelectorAll("#children tbody tr").length`)
		p.Do("typing a filter", chromedp.SendKeys(chromedp.CSS("#q"), target.Region))
		narrowed := browsertest.Eval[int](p, `new Promise((ok, fail) => {
			const t0 = Date.now();
			(function wait() {
				const n = document.querySelectorAll("#children tbody tr").length;
				if (n < `+strconv.Itoa(all)+` && location.search.includes("q=")) return ok(n);
				if (Date.now() - t0 > 10000) return fail(new Error("the list was not filtered in 10 s"));
				setTimeout(wait, 50);
			})();
		})`)
		if narrowed < 1 {
			t.Fatalf("filtering by %q left %d of %d rows", target.Region, narrowed, all)
		}
		for _, name := range []string{target.Region, target.District, target.Number} {
			href := browsertest.Eval[string](p, `(() => { const a = [...document.querySelectorAll("#children tbody a")].find(a => a.textContent === `+strconv.Quote(name)+`); return a ? a.getAttribute("href") : ""; })()`)
			if href == "" {
				t.Fatalf("no link to %q among the children of %s", name, p.Location())
			}
			p.ClickNav(`#children tbody a[href="` + href + `"]`)
		}
		if got := p.Text("h1"); !strings.Contains(got, target.Number) {
			t.Fatalf("station page h1 %q, want station %s", got, target.Number)
		}
		cols := browsertest.Eval[[]string](p, `[...document.querySelectorAll("table.versions thead th[data-source]")].map(th => th.dataset.source)`)
		if strings.Join(cols, ",") != "official-preliminary,official-final,observer" {
			t.Fatalf("version columns %v", cols)
		}
		diffs := browsertest.Eval[int](p, `document.querySelectorAll("table.versions td.diff").length`)
		if diffs < 2 {
			t.Fatalf("%d highlighted cells; the official final protocol differs from the preliminary one and the observer's copy", diffs)
		}
		// The highlight is visible, not only a class: the cell is tinted.
		bg := browsertest.Eval[string](p, `getComputedStyle(document.querySelector("table.versions td.diff")).backgroundColor`)
		if bg != "rgb(253, 231, 234)" {
			t.Fatalf("a differing cell's background is %s", bg)
		}
		// The observer's column differs where the incumbent's votes were moved.
		obsCol := browsertest.Eval[int](p, `[...document.querySelectorAll("table.versions thead th")].findIndex(th => th.dataset.source === "observer")`)
		incRow := browsertest.Eval[bool](p, `(() => { const r = [...document.querySelectorAll("table.versions tbody tr")].find(tr => tr.querySelector("th").textContent === `+strconv.Quote(demo.Candidates[demo.Incumbent])+`); return r.children[`+strconv.Itoa(obsCol)+`].classList.contains("diff"); })()`)
		if !incRow {
			t.Fatal("the observer's count of the incumbent's votes is not highlighted")
		}
		p.WaitVisible("#differs-alert")
		p.FullScreenshot("station-desktop")

		p.Phone()
		p.Navigate(p.Location())
		if w := browsertest.Eval[int](p, `window.innerWidth`); w != 375 {
			wide := browsertest.Eval[[]string](p, `[...document.querySelectorAll("body, main, body *")].filter(e => e.getBoundingClientRect().right > 376 && !(e.parentElement && e.parentElement.closest(".scroll"))).slice(0, 8).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))`)
			t.Fatalf("the page lays out at %d px on a 375 px phone; wider than the screen: %v", w, wide)
		}
		if over := browsertest.Eval[bool](p, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
			t.Error("the station page scrolls sideways at 375 px: wide tables must scroll inside their container")
		}
		p.Screenshot("station-phone")
		p.Desktop()
	})

	t.Run("switch language", func(t *testing.T) {
		p.ClickNav(`.langs a[hreflang="ru"]`)
		if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "ru" {
			t.Fatalf("html lang %q after choosing Russian", lang)
		}
		if got := p.Text("#versions-h"); got != "Все версии протокола этого участка" {
			t.Fatalf("versions heading in Russian: %q", got)
		}
		// The choice sticks (a cookie) without ?lang=.
		p.Navigate(srv.URL + "/")
		if got := p.Text("h1"); got != "Выборы" {
			t.Fatalf("home h1 after the switch: %q", got)
		}
		p.Screenshot("home-ru")
		p.Navigate(srv.URL + "/?lang=en")
		if got := p.Text("h1"); got != "Elections" {
			t.Fatalf("home h1 back in English: %q", got)
		}
	})

	t.Run("open data", func(t *testing.T) {
		p.Navigate(srv.URL + "/elections/1/data")
		fetch := func(source, format string) []byte {
			t.Helper()
			sel := `a[data-source="` + source + `"][data-format="` + format + `"]`
			b64 := browsertest.Eval[string](p, `(async () => {
				const r = await fetch(document.querySelector(`+strconv.Quote(sel)+`).href);
				if (!r.ok) throw new Error("status " + r.status);
				const b = new Uint8Array(await r.arrayBuffer());
				let s = "";
				for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
				return btoa(s);
			})()`)
			data, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		for _, c := range []struct {
			source string
			rows   int
		}{{"official-final", len(el.Stations)}, {"observer", observed}} {
			recs, err := csv.NewReader(bytes.NewReader(fetch(c.source, "csv"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs)-1 != c.rows {
				t.Errorf("%s.csv: %d rows, want %d", c.source, len(recs)-1, c.rows)
			}
			var doc struct {
				Rows []struct {
					AreaID   int64            `json:"area_id"`
					AreaPath string           `json:"area_path"`
					Votes    map[string]int64 `json:"votes"`
				} `json:"rows"`
			}
			if err := json.Unmarshal(fetch(c.source, "json"), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Rows) != c.rows || doc.Rows[0].AreaID == 0 || doc.Rows[0].AreaPath == "" {
				t.Errorf("%s.json: %d rows, want %d; first %+v", c.source, len(doc.Rows), c.rows, doc.Rows[0])
			}
			f, err := excelize.OpenReader(bytes.NewReader(fetch(c.source, "xlsx")))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := f.GetRows("data")
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows)-1 != c.rows || rows[0][2] != "area_id" {
				t.Errorf("%s.xlsx: %d rows, want %d; header %v", c.source, len(rows)-1, c.rows, rows[0])
			}
		}
	})

	t.Run("map", func(t *testing.T) {
		p.Navigate(srv.URL + "/elections/1/map?level=2")
		ready := browsertest.Eval[bool](p, `new Promise((ok, fail) => {
			const el = document.getElementById("map"), t0 = Date.now();
			(function wait() {
				if (el.dataset.ready) return ok(true);
				if (el.dataset.error) return fail(new Error(el.dataset.error));
				if (Date.now() - t0 > 20000) return fail(new Error("map not drawn in 20 s"));
				setTimeout(wait, 50);
			})();
		})`)
		if !ready {
			t.Fatal("map not ready")
		}
		features := browsertest.Eval[string](p, `document.getElementById("map").dataset.features`)
		paths := browsertest.Eval[int](p, `document.querySelectorAll("#map .leaflet-overlay-pane svg path").length`)
		if n, _ := strconv.Atoi(features); paths != n || n < 150 {
			t.Fatalf("%d SVG paths in the map for %s district features", paths, features)
		}
		rows := browsertest.Eval[int](p, `document.querySelectorAll("table.maptable tbody tr").length`)
		if rows < paths {
			t.Fatalf("the table fallback has %d rows for %d drawn areas", rows, paths)
		}
		p.Screenshot("map-desktop")
		p.Phone()
		p.Navigate(srv.URL + "/elections/1/map?level=1&measure=option0")
		browsertest.Eval[bool](p, `new Promise(ok => { const el = document.getElementById("map"); (function w() { el.dataset.ready ? ok(true) : setTimeout(w, 50); })(); })`)
		// The whole country lies inside the map's box on a phone (issue
		// 12: the demo map was cut at both sides at 390 px).
		box := browsertest.Eval[string](p, `new Promise(ok => setTimeout(() => {
			const m = document.getElementById("map").getBoundingClientRect();
			let l = Infinity, r = -Infinity;
			for (const e of document.querySelectorAll("#map .leaflet-overlay-pane path")) { const b = e.getBoundingClientRect(); l = Math.min(l, b.left); r = Math.max(r, b.right); }
			ok([Math.round(m.left), Math.round(m.right), Math.round(l), Math.round(r)].join(" "));
		}, 500))`)
		var ml, mr, al, ar int
		if _, err := fmt.Sscan(box, &ml, &mr, &al, &ar); err != nil || al < ml-1 || ar > mr+1 {
			t.Errorf("at 375 px the map box spans %d–%d px and the areas %d–%d: cut (%v)", ml, mr, al, ar, err)
		}
		p.Screenshot("map-phone")
		p.Desktop()
	})

	t.Run("accessibility basics", func(t *testing.T) {
		for _, path := range []string{"/", "/elections/1/areas/root", "/elections/1/map", "/elections/1/forensics", "/elections/1/data", "/elections/1/search?q=District", "/elections/1/copies"} {
			p.Navigate(srv.URL + path)
			for _, f := range p.Audit() {
				t.Errorf("%s: %s", path, f)
			}
		}
		// The skip link is the first stop of the keyboard and is visible when focused.
		p.Navigate(srv.URL + "/elections/1/areas/root")
		p.Do("tab", chromedp.KeyEvent("\t"))
		if got := browsertest.Eval[string](p, `document.activeElement.className + "|" + getComputedStyle(document.activeElement).left`); got != "skip|0px" {
			t.Errorf("first Tab focuses %q, want the visible skip link", got)
		}
	})

	t.Run("observers' copies", func(t *testing.T) {
		p.Navigate(srv.URL + "/elections/1/copies")
		// The target station is among those listed, and its link leads to it.
		href := browsertest.Eval[string](p, `(() => { const a = [...document.querySelectorAll("table.copies a")].find(a => a.textContent.endsWith(" / `+target.Number+`")); return a ? a.getAttribute("href") : ""; })()`)
		if href == "" {
			t.Fatalf("station %s is not among the stations whose official protocol differs from the copy", target.Number)
		}
		p.FullScreenshot("copies-desktop")
		p.ClickNav(`table.copies a[href="` + href + `"]`)
		if n := browsertest.Eval[int](p, `document.querySelectorAll("table.versions td.diff").length`); n == 0 {
			t.Fatal("the listed station's page shows no difference")
		}
	})

	t.Run("forensics", func(t *testing.T) {
		p.Navigate(srv.URL + "/elections/1/forensics")
		if n := browsertest.Eval[int](p, `document.querySelectorAll("figure svg[role=img]").length`); n < 6 {
			t.Fatalf("%d charts on the forensics page", n)
		}
		p.FullScreenshot("forensics-desktop")
	})
}

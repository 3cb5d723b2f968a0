package web_test

import (
	"time"

	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

// TestOpenRosaStationMedia: an election with more stations than the form
// carries (form.MaxCascadeStations) still gets the cascade in ODK clients:
// the station list is form media — the form list names a manifest, the
// manifest the CSV with its hash, the XForm reads it as an external
// instance — and the web form page names the list instead of carrying
// it (issue 13).
func TestOpenRosaStationMedia(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := webtest.NewObsFixture(t, db)
		el, rows := bigElection(t, db)
		base := "/openrosa/" + el.Name
		tok := fx.Tokens["obs1"]
		resp, list := fx.OpenRosa(t, "GET", base+"/formList", "obs1", tok, nil, "")
		manifest := fx.Srv.URL + base + "/forms/voting/" + form.TemplateVersion + "/manifest"
		if resp.StatusCode != 200 || !strings.Contains(list, "<manifestUrl>"+manifest+"</manifestUrl>") {
			t.Fatalf("formList: %d %s", resp.StatusCode, list)
		}
		resp, xf := fx.OpenRosa(t, "GET", base+"/forms/voting/"+form.TemplateVersion, "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(xf, `<instance id="station_area_3" src="jr://file-csv/station_area_3.csv"/>`) || len(xf) > 200_000 {
			t.Fatalf("XForm: %d, %d bytes", resp.StatusCode, len(xf))
		}
		resp, mf := fx.OpenRosa(t, "GET", strings.TrimPrefix(manifest, fx.Srv.URL), "obs1", tok, nil, "")
		m := regexp.MustCompile(`<filename>station_area_3.csv</filename><hash>md5:([0-9a-f]{32})</hash><downloadUrl>([^<]+)</downloadUrl>`).FindStringSubmatch(mf)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("manifest: %d %s", resp.StatusCode, mf)
		}
		resp, data := fx.OpenRosa(t, "GET", strings.TrimPrefix(m[2], fx.Srv.URL), "obs1", tok, nil, "")
		sum := md5.Sum([]byte(data))
		if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != m[1] {
			t.Fatalf("media: %d, hash %x, manifest says %s", resp.StatusCode, sum, m[1])
		}
		recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
		if err != nil || len(recs) != len(rows)+1 || strings.Join(recs[0], ",") != "name,label,parent" || recs[1][0] != "10000" {
			t.Fatalf("CSV: %v, %d records, %v", err, len(recs), recs[:2])
		}
		if resp, _ := fx.OpenRosa(t, "GET", base+"/forms/voting/"+form.TemplateVersion+"/media/other.csv", "obs1", tok, nil, ""); resp.StatusCode != 404 {
			t.Errorf("unknown media file: %d", resp.StatusCode)
		}
		if resp, _ := fx.OpenRosa(t, "GET", strings.TrimPrefix(m[2], fx.Srv.URL), "", "", nil, ""); resp.StatusCode != 401 {
			t.Errorf("media without credentials: %d", resp.StatusCode)
		}
		// The web form page names the list's URL and carries none of it.
		code, page, _ := fx.Page(t, "token:obs1", fmt.Sprintf("/observe/%d/voting", el.ID))
		if want := fmt.Sprintf(`data-itemset="/openrosa/%d/forms/voting/%s/media/station_area_3.csv"`, el.ID, form.TemplateVersion); code != 200 || !strings.Contains(page, want) || strings.Contains(page, "PS 10001") {
			t.Errorf("web form of the big election: %d, names the list %v", code, strings.Contains(page, want))
		}
		// The small election's forms have none.
		if _, list := fx.OpenRosa(t, "GET", "/openrosa/"+fx.El.Name+"/formList", "obs1", tok, nil, ""); strings.Contains(list, "manifestUrl") {
			t.Errorf("small election's form list names a manifest")
		}
	})
}

// bigElection makes an election of 2,100 stations (2 regions × 3
// districts × 350), more than a form carries inline; rows are its lines.
func bigElection(t *testing.T, db *store.DB) (*election.Election, []store.Row) {
	t.Helper()
	ctx := context.Background()
	el := &election.Election{Name: "big-2026", Kind: election.Presidential, Date: "2026-11-22", Options: []election.Option{{Name: "Alpha"}, {Name: "Beta"}}}
	if err := db.CreateElection(ctx, el); err != nil {
		t.Fatal(err)
	}
	var rows []store.Row
	for r := range 2 {
		for d := range 3 {
			for range 350 {
				var f election.Figures
				f.Set(election.Registered, 1000)
				rows = append(rows, store.Row{Line: len(rows) + 2, Path: []string{fmt.Sprint("R", r), fmt.Sprint("R", r, "-D", d), fmt.Sprintf("PS %d", 10000+len(rows))},
					Figures: f, Votes: []int64{1, 2}})
			}
		}
	}
	if _, err := db.Import(ctx, store.ImportRequest{ElectionID: el.ID, Source: election.OfficialPreliminary, File: "big.csv", Options: []string{"Alpha", "Beta"}},
		storetest.Rows(rows)); err != nil {
		t.Fatal(err)
	}
	return el, rows
}

// TestWebFormStationMedia: in Chromium, the web form of an election with
// 2,100 stations fetches the station list (the OpenRosa media CSV), shows
// the stations of the chosen district only, fills in the number, and the
// report is stored at that station.
func TestWebFormStationMedia(t *testing.T) {
	bin := webtest.Chromium(t)
	db := storetest.SQLite(t)
	fx := webtest.NewObsFixture(t, db)
	el, _ := bigElection(t, db)
	areas, err := db.Areas(context.Background(), el.ID)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, a := range areas {
		if a.Station && a.Name == "PS 11800" {
			want = a.ID
		}
	}
	// obs1's team (T1) observes PS 11800 in this election.
	teams, _ := db.Teams(context.Background(), fx.OrgA.ID)
	for _, tm := range teams {
		if tm.Name == "T1" {
			if err := db.Assign(context.Background(), fx.OrgA.ID, el.ID, []store.Assignment{{TeamID: tm.ID, AreaID: want}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	eval := webtest.ObserverBrowser(t, bin, fx, "obs1", fmt.Sprintf("%s/observe/%d/voting", fx.Srv.URL, el.ID))
	pick := func(q, label string) {
		t.Helper()
		got := eval(`(() => { const l = [...document.querySelectorAll('[data-q=` + q + `] label')].find(l => !l.hidden && l.textContent.trim() === "` + label + `");
			if (!l) return "none"; const i = l.querySelector("input"); i.checked = true; i.dispatchEvent(new Event("change", {bubbles: true})); return "ok"; })()`)
		if got != "ok" {
			t.Fatalf("%s: no choice %q", q, label)
		}
	}
	stations := `new Promise(r => setTimeout(() => r([...document.querySelectorAll('[data-q=station_area_3] label')].filter(l => !l.hidden).map(l => l.textContent.trim())), 300)).then(a => a.length + ":" + a[0] + ":" + a[a.length-1])`
	if got := eval(stations); got != "0:undefined:undefined" {
		t.Errorf("stations before a district: %q", got)
	}
	pick("station_area_1", "R1")
	pick("station_area_2", "R1-D2")
	// R1-D2 is the sixth district: stations 10000+5×350 … +349.
	if got := eval(stations); got != "350:PS 11750:PS 12099" {
		t.Errorf("stations of R1-D2: %q", got)
	}
	pick("station_area_3", "PS 11800")
	if got := eval(`Promise.resolve(document.querySelector('[name=station]').value)`); got != "11800" {
		t.Errorf("station number filled in: %q", got)
	}
	eval(`(() => {
		const f = document.getElementById("report");
		f.querySelector('[name=arrival_time]').value = "10:20";
		for (const fs of f.querySelectorAll('fieldset[data-type=yes_no]')) fs.querySelector('input[value=no]').checked = true;
		f.querySelector('input[name=overall][value=good]').checked = true;
		f.requestSubmit();
		return "sent"; })()`)
	deadline := time.Now().Add(20 * time.Second)
	var reports []*store.Report
	for time.Now().Before(deadline) {
		reports, err = db.Reports(context.Background(), store.ReportFilter{OrgID: fx.OrgA.ID, ElectionID: el.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(reports) != 1 {
		t.Fatalf("stored %d reports; rejected: %s", len(reports), eval(`Promise.resolve(localStorage.getItem("vigil.rejected.v1") || "")`))
	}
	if reports[0].AreaID != want || want == 0 {
		t.Errorf("report placed at area %d, want PS 11800 (%d)", reports[0].AreaID, want)
	}
}

package web_test

import (
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestOpenRosaStationMedia: an election with more stations than the form
// carries (form.MaxCascadeStations) still gets the cascade in ODK clients:
// the station list is form media — the form list names a manifest, the
// manifest the CSV with its hash, the XForm reads it as an external
// instance — and the web form falls back to the typed number (issue 13).
func TestOpenRosaStationMedia(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fx := newObsFixture(t, db)
		ctx := context.Background()
		el := &election.Election{Name: "big-2026", Kind: election.Presidential, Date: "2026-11-22", Options: []election.Option{{Name: "Alpha"}, {Name: "Beta"}}}
		if err := db.CreateElection(ctx, el); err != nil {
			t.Fatal(err)
		}
		var rows []store.Row
		for r := range 2 {
			for d := range 3 {
				for s := range 350 {
					var f election.Figures
					f.Set(election.Registered, 1000)
					rows = append(rows, store.Row{Line: len(rows) + 2, Path: []string{fmt.Sprint("R", r), fmt.Sprint("R", r, "-D", d), fmt.Sprintf("PS %d", 10000+len(rows))},
						Figures: f, Votes: []int64{1, 2}})
					_ = s
				}
			}
		}
		i := 0
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: el.ID, Source: election.OfficialPreliminary, File: "big.csv", Options: []string{"Alpha", "Beta"}},
			func() (store.Row, error) {
				if i == len(rows) {
					return store.Row{}, io.EOF
				}
				i++
				return rows[i-1], nil
			}); err != nil {
			t.Fatal(err)
		}
		base := "/openrosa/" + el.Name
		tok := fx.tokens["obs1"]
		resp, list := fx.openRosa(t, "GET", base+"/formList", "obs1", tok, nil, "")
		manifest := fx.srv.URL + base + "/forms/voting/" + form.TemplateVersion + "/manifest"
		if resp.StatusCode != 200 || !strings.Contains(list, "<manifestUrl>"+manifest+"</manifestUrl>") {
			t.Fatalf("formList: %d %s", resp.StatusCode, list)
		}
		resp, xf := fx.openRosa(t, "GET", base+"/forms/voting/"+form.TemplateVersion, "obs1", tok, nil, "")
		if resp.StatusCode != 200 || !strings.Contains(xf, `<instance id="station_area_3" src="jr://file-csv/station_area_3.csv"/>`) || len(xf) > 200_000 {
			t.Fatalf("XForm: %d, %d bytes", resp.StatusCode, len(xf))
		}
		resp, mf := fx.openRosa(t, "GET", strings.TrimPrefix(manifest, fx.srv.URL), "obs1", tok, nil, "")
		m := regexp.MustCompile(`<filename>station_area_3.csv</filename><hash>md5:([0-9a-f]{32})</hash><downloadUrl>([^<]+)</downloadUrl>`).FindStringSubmatch(mf)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("manifest: %d %s", resp.StatusCode, mf)
		}
		resp, data := fx.openRosa(t, "GET", strings.TrimPrefix(m[2], fx.srv.URL), "obs1", tok, nil, "")
		sum := md5.Sum([]byte(data))
		if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != m[1] {
			t.Fatalf("media: %d, hash %x, manifest says %s", resp.StatusCode, sum, m[1])
		}
		recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
		if err != nil || len(recs) != len(rows)+1 || strings.Join(recs[0], ",") != "name,label,parent" || recs[1][0] != "10000" {
			t.Fatalf("CSV: %v, %d records, %v", err, len(recs), recs[:2])
		}
		if resp, _ := fx.openRosa(t, "GET", base+"/forms/voting/"+form.TemplateVersion+"/media/other.csv", "obs1", tok, nil, ""); resp.StatusCode != 404 {
			t.Errorf("unknown media file: %d", resp.StatusCode)
		}
		if resp, _ := fx.openRosa(t, "GET", strings.TrimPrefix(m[2], fx.srv.URL), "", "", nil, ""); resp.StatusCode != 401 {
			t.Errorf("media without credentials: %d", resp.StatusCode)
		}
		// The web form cannot carry the list: the number is typed.
		code, page, _ := fx.page(t, "token:obs1", fmt.Sprintf("/observe/%d/voting", el.ID))
		if code != 200 || strings.Contains(page, "station_area_") || !strings.Contains(page, `name="station"`) {
			t.Errorf("web form of the big election: %d, cascade %v", code, strings.Contains(page, "station_area_"))
		}
		// The small election's forms have none.
		if _, list := fx.openRosa(t, "GET", "/openrosa/"+fx.el.Name+"/formList", "obs1", tok, nil, ""); strings.Contains(list, "manifestUrl") {
			t.Errorf("small election's form list names a manifest")
		}
	})
}

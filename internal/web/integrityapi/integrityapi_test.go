package integrityapi_test

import (
	"encoding/json"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
)

func TestIntegrityAPI(t *testing.T) {
	db := storetest.SQLite(t)
	srv, el := webtest.DemoServer(t, db)
	base := srv.URL + "/api/v1/elections/" + demo.Name
	observed := 0
	for _, st := range el.Stations {
		if st.Observed {
			observed++
		}
	}

	code, body := webtest.Get(t, base+"/forensics/integer?replicates=50", "")
	var it struct {
		StationsUsed int `json:"stations_used"`
		Criteria     map[string]struct {
			Observed float64 `json:"observed"`
		} `json:"criteria"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &it) != nil || it.StationsUsed == 0 || len(it.Criteria) != 3 {
		t.Fatalf("integer: %d %s", code, body)
	}
	// The same request again is served from the cache: the same answer.
	if _, again := webtest.Get(t, base+"/forensics/integer?replicates=50", ""); again != body {
		t.Error("a repeated request computed a different answer")
	}
	for _, path := range []string{"/forensics/integer", "/forensics/fingerprint", "/forensics/shpilkin", "/forensics/digits", "/forensics/control"} {
		code, body := webtest.Get(t, base+path, "")
		// Every result names the stations behind its "excluded" counts
		// (issue 14): an object by reason, empty when none.
		var x struct {
			Stations map[string][]struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"excluded_stations"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &x) != nil || x.Stations == nil {
			t.Errorf("%s: %d %s", path, code, body)
		}
		for why, l := range x.Stations {
			if len(l) == 0 || l[0].ID == 0 || l[0].Name == "" {
				t.Errorf("%s: excluded stations %q: %v", path, why, l)
			}
		}
	}
	code, body = webtest.Get(t, base+"/forensics/control?by=region", "")
	var c struct {
		Groups []struct {
			Area string `json:"area"`
		} `json:"groups"`
		Note string `json:"note"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &c) != nil || len(c.Groups) == 0 || c.Note == "" {
		t.Fatalf("control: %d %s", code, body)
	}
	code, body = webtest.Get(t, base+"/pvt?stratum=region", "")
	var p struct {
		Strata struct {
			Reports int `json:"reports"`
		} `json:"strata"`
		Verdict []struct {
			Option string `json:"option"`
		} `json:"verdict"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &p) != nil || p.Strata.Reports != observed || len(p.Verdict) == 0 {
		t.Fatalf("pvt (%d observed stations): %d %s", observed, code, body)
	}
	for _, bad := range []string{"/forensics/integer?replicates=5000", "/forensics/integer?leader=Nobody", "/forensics/control?by=planet", "/pvt?stratum=planet"} {
		if code, body := webtest.Get(t, base+bad, ""); code != 400 {
			t.Errorf("%s: %d %s, want 400", bad, code, body)
		}
	}
}

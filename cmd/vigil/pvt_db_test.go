package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store"
)

// TestPVTOnStoredElection runs the PVT on the demo: the observers' copies
// are the sample, every station the frame. The official share of the
// incumbent, inflated where nobody watched, must not fall below the sample's
// interval, and the estimate must be close to the stations' true count.
func TestPVTOnStoredElection(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "v.db")
	d, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	el := demo.Generate(9, demo.Params{Stations: 3000, ObservedShare: 0.15})
	if _, err := demo.Write(ctx, d, el); err != nil {
		t.Fatal(err)
	}
	d.Close()
	out := mustVigil(t, "pvt", "--db", dbPath, "--election", demo.Name, "--stratum", "region", "--json")
	var res struct {
		Options map[string]struct {
			Estimate float64    `json:"estimate"`
			CI99     [2]float64 `json:"ci99"`
		} `json:"options"`
		Strata struct {
			Frame    int `json:"frame"`
			Reported int `json:"reported"`
		} `json:"strata"`
		Verdicts []struct {
			Option   string  `json:"option"`
			Official float64 `json:"official"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err, out)
	}
	inc := demo.Candidates[demo.Incumbent]
	sum := demo.Summarise(el)
	got := res.Options[inc]
	if got.CI99[0] > sum.TrueIncumbentShare+1 || got.CI99[1] < sum.TrueIncumbentShare-1 {
		t.Errorf("PVT 99 %% interval %v far from the stations' true share %.2f", got.CI99, sum.TrueIncumbentShare)
	}
	if res.Strata.Frame < 20 || res.Strata.Reported == 0 {
		t.Errorf("strata %+v", res.Strata)
	}
	found := false
	for _, v := range res.Verdicts {
		if v.Option == inc {
			found = true
			if v.Official < sum.OfficialIncumbentShare-0.01 || v.Official > sum.OfficialIncumbentShare+0.01 {
				t.Errorf("verdict uses official %.2f, the election says %.2f", v.Official, sum.OfficialIncumbentShare)
			}
		}
	}
	if !found {
		t.Errorf("no verdict for %s: %s", inc, out)
	}
	if _, err := vigil(t, "pvt", "--db", dbPath, "--election", demo.Name, "--stratum", "nonsense"); err == nil {
		t.Error("an unknown stratum was accepted")
	}
}

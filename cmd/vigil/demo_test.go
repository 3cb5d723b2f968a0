package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestDemoIrregularitiesAreFound writes the demo and checks that vigil's
// own commands find what the demo injected: the altered protocols at the
// observed stations (compare), the padded district summaries (check), the
// turnout driven to round figures (the integer test), and the deterrence of
// stuffing by observers (the control-group comparison).
func TestDemoIrregularitiesAreFound(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	mustVigil(t, "demo", "--db", db, "--seed", "2022", "--no-serve")
	el := demo.Generate(2022, demo.DefaultParams)

	var alteredObserved int
	var leaderChange int64
	for _, st := range el.Stations {
		if st.Altered && st.Observed {
			alteredObserved++
			leaderChange += st.Official.Votes[demo.Incumbent] - st.True.Votes[demo.Incumbent]
		}
	}
	out := mustVigil(t, "compare", "--db", db, "--election", demo.Name, "--json")
	var cmp struct {
		StationsCompared int   `json:"stations_compared"`
		StationsDiffer   int   `json:"stations_differ"`
		LeaderChange     int64 `json:"leader_change"`
	}
	if err := json.Unmarshal([]byte(out), &cmp); err != nil {
		t.Fatal(err)
	}
	if cmp.StationsDiffer != alteredObserved || cmp.LeaderChange != leaderChange {
		t.Fatalf("compare found %d stations, %+d votes; the demo altered %d observed stations, %+d votes", cmp.StationsDiffer, cmp.LeaderChange, alteredObserved, leaderChange)
	}
	// The figures docs/validation.md quotes for seed 2022 (the demo is
	// deterministic: these are exact).
	sum := demo.Summarise(el)
	if alteredObserved != 6 || leaderChange != 943 || sum.AlteredProtocols != 112 || sum.StuffedStations != 407 || sum.StuffedBallots != 81577 ||
		sum.StuffedBallots+sum.AlteredVotes != 90801 || len(el.SummaryAdditions) != 2 {
		t.Errorf("seed 2022 injected %d altered protocols (%d observed, %+d votes), %d stuffed stations (%d ballots; %d with the altered votes), %d padded summaries; docs/validation.md says 112 (6, +943), 407 (81,577; 90,801), 2",
			sum.AlteredProtocols, alteredObserved, leaderChange, sum.StuffedStations, sum.StuffedBallots, sum.StuffedBallots+sum.AlteredVotes, len(el.SummaryAdditions))
	}

	out = mustVigil(t, "check", "--db", db, "--election", demo.Name, "--json")
	var chk struct {
		Flags []struct {
			Station string `json:"station"`
			Code    string `json:"code"`
			Item    string `json:"item"`
		} `json:"flags"`
	}
	if err := json.Unmarshal([]byte(out), &chk); err != nil {
		t.Fatal(err)
	}
	padded := map[string]bool{}
	for _, f := range chk.Flags {
		if strings.HasPrefix(f.Code, "SUMMARY") && f.Item == demo.Candidates[demo.Incumbent] {
			padded[f.Station] = true
		}
	}
	if len(padded) != len(el.SummaryAdditions) {
		t.Fatalf("check flags the incumbent's votes in %d district summaries, the demo padded %d: %v", len(padded), len(el.SummaryAdditions), padded)
	}
	for _, a := range el.SummaryAdditions {
		if !padded[a.Region+" / "+a.District] {
			t.Errorf("padded summary of %s / %s not flagged", a.Region, a.District)
		}
	}

	// --source observer checks the observers' copies alone: no official
	// district summary is held against a handful of observed stations.
	out = mustVigil(t, "check", "--db", db, "--election", demo.Name, "--source", "observer", "--json")
	var obsChk struct {
		Protocols int `json:"protocols"`
		Summaries int `json:"summaries"`
		Flags     []struct {
			Code string `json:"code"`
		} `json:"flags"`
	}
	if err := json.Unmarshal([]byte(out), &obsChk); err != nil {
		t.Fatal(err)
	}
	observed := 0
	for _, st := range el.Stations {
		if st.Observed {
			observed++
		}
	}
	if obsChk.Protocols != observed || obsChk.Summaries != 0 {
		t.Errorf("check --source observer: %d protocols, %d summaries; %d stations observed", obsChk.Protocols, obsChk.Summaries, observed)
	}
	for _, f := range obsChk.Flags {
		if strings.HasPrefix(f.Code, "SUMMARY") {
			t.Errorf("check --source observer flags %s", f.Code)
		}
	}

	out = mustVigil(t, "forensics", "integer", "--db", db, "--election", demo.Name, "--replicates", "200", "--json")
	var it struct {
		Criteria map[string]struct {
			Excess float64 `json:"excess"`
			Z      float64 `json:"z"`
		} `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(out), &it); err != nil {
		t.Fatal(err)
	}
	// docs/validation.md: turnout z = 5.0. The replicates are seeded, so
	// the figure is reproducible; the tolerance is the rounding of the
	// document's one decimal.
	if z := it.Criteria["turnout"].Z; z < 4.95 || z >= 5.05 {
		t.Fatalf("the integer test's turnout z = %.2f, docs/validation.md quotes 5.0: %+v", z, it.Criteria)
	}

	// The observed stations are a random sample: as control group they
	// show the incumbent's excess where nobody watched.
	ctl := filepath.Join(t.TempDir(), "observed.csv")
	var b strings.Builder
	b.WriteString("region,district,station\n")
	for _, st := range el.Stations {
		if st.Observed {
			b.WriteString(st.Region + "," + st.District + "," + st.Number + "\n")
		}
	}
	os.WriteFile(ctl, []byte(b.String()), 0o644)
	out = mustVigil(t, "forensics", "control", "--db", db, "--election", demo.Name, "--leader", demo.Candidates[demo.Incumbent], "--control", ctl, "--by", "region", "--json")
	var c struct {
		Excess int64 `json:"excess"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	if c.Excess != 148584 {
		t.Fatalf("control-group excess %d; docs/validation.md quotes 148,584 (the demo stuffed %d ballots, less where observed)", c.Excess, sum.StuffedBallots)
	}
	// docs/validation.md: the incumbent's official 80.47 % at the top edge
	// of the PVT's 95 % interval [78.86, 80.47] (two decimals quoted; the score interval with Student's t, issue 14).
	out = mustVigil(t, "pvt", "--db", db, "--election", demo.Name, "--stratum", "region", "--json")
	var pv struct {
		Verdicts []struct {
			Option   string     `json:"option"`
			Official float64    `json:"official"`
			CI95     [2]float64 `json:"ci95"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(out), &pv); err != nil {
		t.Fatal(err, out)
	}
	near := func(got, want float64) bool { return got >= want-0.005 && got <= want+0.005 }
	var seen bool
	for _, v := range pv.Verdicts {
		if v.Option == demo.Candidates[demo.Incumbent] {
			seen = true
			if !near(v.Official, 80.47) || !near(v.CI95[0], 78.86) || !near(v.CI95[1], 80.47) {
				t.Errorf("PVT: official %.3f, 95 %% interval [%.3f, %.3f]; docs/validation.md quotes 80.47 in [78.86, 80.47]", v.Official, v.CI95[0], v.CI95[1])
			}
		}
	}
	if !seen {
		t.Errorf("no PVT verdict for the incumbent: %s", out)
	}
	t.Logf("demo: %d altered observed stations (%+d votes) found; %d padded summaries flagged; integer turnout z = %.3f; control-group excess %d (stuffed %d, altered %+d)",
		alteredObserved, leaderChange, len(padded), it.Criteria["turnout"].Z, c.Excess, sum.StuffedBallots, sum.AlteredVotes)

	// The demo's transparency log: signed with the demo key, every row
	// matches its leaf, and the national results and the published
	// findings verify offline against the demo's public key.
	pub := demoKeyPath(db) + ".pub"
	if out := mustVigil(t, "log", "audit", "--db", db, "--key", pub); !strings.Contains(out, "every row matches its leaf") {
		t.Fatalf("demo log audit: %s", out)
	}
	dir := t.TempDir()
	mustVigil(t, "log", "bundle", "results", "--db", db, "--election", demo.Name, "--out", filepath.Join(dir, "national.json"))
	if out := mustVigil(t, "verify", filepath.Join(dir, "national.json"), "--key", pub); !strings.Contains(out, "verified against checkpoint") {
		t.Fatalf("national bundle: %s", out)
	}
	mustVigil(t, "log", "bundle", "findings", "--db", db, "--election", demo.Name, "--publication", "1", "--out", filepath.Join(dir, "findings.json"))
	if out := mustVigil(t, "verify", filepath.Join(dir, "findings.json"), "--key", pub); !strings.Contains(out, "negative of") {
		t.Fatalf("findings bundle: %s", out)
	}
}

// TestDemoLogPostgres: the demo on PostgreSQL writes its transparency log
// and signs it with the demo key (written beside the working directory,
// as for any server address), every row matches its leaf, and the
// national results bundle verifies offline.
func TestDemoLogPostgres(t *testing.T) {
	db := storetest.PostgresAddr(t)
	t.Chdir(t.TempDir())
	mustVigil(t, "demo", "--db", db, "--seed", "2022", "--no-serve")
	pub := demoKeyPath(db) + ".pub"
	if _, err := os.Stat(pub); err != nil {
		t.Fatalf("the demo's public key: %v", err)
	}
	if out := mustVigil(t, "log", "audit", "--db", db, "--key", pub); !strings.Contains(out, "every row matches its leaf") {
		t.Fatalf("demo log audit: %s", out)
	}
	out := filepath.Join(t.TempDir(), "national.json")
	mustVigil(t, "log", "bundle", "results", "--db", db, "--election", demo.Name, "--out", out)
	if v := mustVigil(t, "verify", out, "--key", pub); !strings.Contains(v, "verified against checkpoint") {
		t.Fatalf("national bundle: %s", v)
	}
}

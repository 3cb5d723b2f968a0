package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/xlsform"
	"github.com/vigil-elections/vigil/internal/store"
)

func TestObservationCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "v.db")
	d, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	el := demo.Generate(5, demo.Params{Stations: 1500, ObservedShare: 0.2})
	e, err := demo.Write(ctx, d, el)
	if err != nil {
		t.Fatal(err)
	}
	facts := demo.ObservationFacts(el)
	sum, err := demo.SeedObservation(ctx, d, e.ID, 5, facts)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := demo.SeedObservation(ctx, d, e.ID, 5, facts); err != nil || again.Reports != 0 {
		t.Fatalf("seeding twice stored %d more reports (%v)", again.Reports, err)
	}
	d.Close()
	if sum.Teams != len(facts.Stations) || sum.Reports < 3*sum.Teams {
		t.Fatalf("seed: %+v", sum)
	}

	out := mustVigil(t, "findings", "--db", dbPath, "--election", demo.Name, "--json")
	var f observe.Findings
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatal(err, out)
	}
	voting := f.Phases["voting"]
	stuffed := 0
	for _, s := range facts.Stations {
		if s.Stuffed {
			stuffed++
		}
	}
	seen := voting.Indicators["ballot_box_stuffing"]
	if stuffed == 0 || seen == nil || seen.Reported < stuffed*7/10 || seen.Reported > stuffed+3 {
		t.Fatalf("%d stuffed stations observed, %+v reported stuffing", stuffed, seen)
	}
	// One visit per station and phase; where the team-mates disagreed on
	// the assessment (the demo's conflicts), it waits for a resolution.
	if voting.Observed+f.Coverage.Total.Conflict != sum.Stations || f.Coverage.Total.Deployed != sum.Stations || f.Coverage.Total.Missing != 0 {
		t.Fatalf("voting %d observed; coverage %+v", voting.Observed, f.Coverage.Total)
	}
	if f.Coverage.Total.Conflict == 0 {
		t.Fatal("the demo's disagreeing team-mates make no conflict")
	}
	for _, key := range []string{`"phases"`, `"opening"`, `"counting"`, `"tabulation"`, `"ci95"`, `"indicators"`, `"coverage"`} {
		if !strings.Contains(out, key) {
			t.Errorf("findings JSON lacks %s", key)
		}
	}
	md := mustVigil(t, "findings", "--db", dbPath, "--election", demo.Name, "--markdown", "--base-url", "https://vigil.example.org")
	if !strings.Contains(md, "# Statement of Preliminary Findings") || !strings.Contains(md, "](https://vigil.example.org/observe/") {
		t.Fatalf("markdown:\n%.600s", md)
	}
	htmlPath := filepath.Join(dir, "s.html")
	mustVigil(t, "findings", "--db", dbPath, "--election", demo.Name, "--html", htmlPath)
	if b, err := os.ReadFile(htmlPath); err != nil || !strings.Contains(string(b), "<h2>Counting</h2>") {
		t.Fatalf("html: %v", err)
	}

	// People and deployment for a second organisation.
	roster := filepath.Join(dir, "roster.csv")
	os.WriteFile(roster, []byte("id,name,phone,organisation,team,area\n101,A,+77010000101,Group,G1,Almaty\n102,B,+77010000102,Group,G1,Almaty\n103,C,+77010000103,Group,G2,Astana\n"), 0o644)
	out = mustVigil(t, "roster", "import", roster, "--db", dbPath, "--org", "Group", "--json")
	if !strings.Contains(out, `"created": 3`) || !strings.Contains(out, `"teams": 2`) {
		t.Fatalf("roster: %s", out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("id,name,phone\n1,A,+7701\n"), 0o644)
	if _, err := vigil(t, "roster", "import", bad, "--db", dbPath, "--org", "Group"); err == nil || !strings.Contains(err.Error(), "bad.csv:2:5: phone") {
		t.Fatalf("bad roster: %v", err)
	}
	out = mustVigil(t, "deploy", "draw", "--db", dbPath, "--org", "Group", "--election", demo.Name, "--seed", "published-seed-2022", "--size", "40", "--strata", "region,urban", "--json")
	var dep struct {
		Deployment  store.Deployment `json:"deployment"`
		Assignments int              `json:"assignments"`
	}
	if err := json.Unmarshal([]byte(out), &dep); err != nil {
		t.Fatal(err, out)
	}
	if len(dep.Deployment.Stations) < 40 || dep.Assignments < 40 {
		t.Fatalf("deployment: %d stations, %d assignments", len(dep.Deployment.Stations), dep.Assignments)
	}
	// The same seed draws the same stations.
	out2 := mustVigil(t, "deploy", "draw", "--db", dbPath, "--org", "Group", "--election", demo.Name, "--seed", "published-seed-2022", "--size", "40", "--strata", "region,urban", "--no-assign", "--json")
	var dep2 struct {
		Deployment store.Deployment `json:"deployment"`
	}
	json.Unmarshal([]byte(out2), &dep2)
	for i := range dep.Deployment.Stations {
		if dep.Deployment.Stations[i].AreaID != dep2.Deployment.Stations[i].AreaID {
			t.Fatal("the same seed drew other stations")
		}
	}
	out = mustVigil(t, "user", "add", "--db", dbPath, "--org", "Group", "--username", "boss", "--role", "administrator", "--json")
	if !strings.Contains(out, `"password"`) {
		t.Fatalf("user add: %s", out)
	}
	if _, err := vigil(t, "user", "add", "--db", dbPath, "--org", "Group", "--username", "x", "--role", "king"); err == nil || exitCode(err) != 2 {
		t.Fatalf("bad role: %v", err)
	}
	out = mustVigil(t, "token", "create", "--db", dbPath, "--org", "Group", "--observer", "101", "--json")
	var tok struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	json.Unmarshal([]byte(out), &tok)
	if len(tok.Token) != 43 {
		t.Fatalf("token: %s", out)
	}
	if out := mustVigil(t, "token", "list", "--db", dbPath, "--org", "Group", "--json"); !strings.Contains(out, `"label"`) || strings.Contains(out, tok.Token) {
		t.Fatalf("token list: %s", out)
	}
	mustVigil(t, "token", "revoke", "--db", dbPath, "--org", "Group", "--json", jsonInt(tok.ID))
	if _, err := vigil(t, "token", "revoke", "--db", dbPath, "--org", "Group", jsonInt(tok.ID)); err == nil {
		t.Fatal("revoking twice succeeded")
	}
	// A form as JSON: a new version of the voting form.
	fj := filepath.Join(dir, "voting.json")
	v := form.VotingTemplate()
	v.Version = "2026.2"
	b, _ := json.Marshal(v)
	os.WriteFile(fj, b, 0o644)
	if out := mustVigil(t, "forms", "import", fj, "--db", dbPath, "--org", "Group", "--json"); !strings.Contains(out, `"version": "2026.2"`) {
		t.Fatalf("forms import: %s", out)
	}
	if _, err := vigil(t, "forms", "import", fj, "--db", dbPath, "--org", "Group"); err == nil || !strings.Contains(err.Error(), "already stored") {
		t.Fatalf("same version twice: %v", err)
	}
	// Round trip through an XLSForm workbook: export the stored form,
	// change its version in the workbook's terms, import it again.
	xl := filepath.Join(dir, "voting.xlsx")
	if out := mustVigil(t, "forms", "export", "voting", "--version", "2026.2", "--out", xl, "--db", dbPath, "--org", "Group"); !strings.Contains(out, "written to") {
		t.Fatalf("forms export: %s", out)
	}
	raw, err := os.ReadFile(xl)
	if err != nil {
		t.Fatal(err)
	}
	back, err := xlsform.Import(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("exported workbook: %v", err)
	}
	if a, b := mustJSON(t, v), mustJSON(t, back); a != b {
		t.Errorf("form changed through the workbook:\n%s\n%s", a, b)
	}
	if _, err := vigil(t, "forms", "import", xl, "--db", dbPath, "--org", "Group"); err == nil || !strings.Contains(err.Error(), "already stored") {
		t.Fatalf("the exported version again: %v", err)
	}
	for _, c := range []string{"token list", "forms import", "forms export", "findings", "roster import", "deploy draw", "user add", "token create", "token revoke", "forms install"} {
		if _, err := vigil(t, append(strings.Fields(c), "--help")...); err != nil {
			t.Errorf("%s --help: %v", c, err)
		}
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// With several organisations and no --org, findings names them and asks
// for one, rather than choosing the smallest id.
func TestFindingsNeedsOrgWhenSeveral(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "v.db")
	d, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	el := demo.Generate(5, demo.Params{Stations: 200, ObservedShare: 0.2})
	if _, err := demo.Write(ctx, d, el); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Golos", "Citizens"} {
		if _, err := d.EnsureOrganisation(ctx, name, "domestic"); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	out, err := vigil(t, "findings", "--db", dbPath, "--election", demo.Name, "--json")
	if err == nil || !strings.Contains(err.Error(), "--org") || !strings.Contains(err.Error(), `"Golos", "Citizens"`) {
		t.Fatalf("findings without --org among two organisations: %v\n%s", err, out)
	}
	mustVigil(t, "findings", "--db", dbPath, "--election", demo.Name, "--org", "Citizens", "--json")
}

// TestRosterSharedPhone: a number already on another organisation's roster
// is an error naming the file, line and number, until both organisations
// agree to share it (issue 10); --country reads national numbers and is
// kept for the organisation's later imports.
func TestRosterSharedPhone(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "v.db")
	a := filepath.Join(dir, "a.csv")
	os.WriteFile(a, []byte("id,name,phone\n1,Aigerim,8 701 000 01 01\n"), 0o644)
	mustVigil(t, "roster", "import", a, "--db", dbPath, "--org", "A", "--country", "KZ")
	b := filepath.Join(dir, "b.csv")
	os.WriteFile(b, []byte("id,name,phone\n7,Bolat,+7 701 000 01 02\n8,Aigerim,+7 701 000 01 01\n"), 0o644)
	_, err := vigil(t, "roster", "import", b, "--db", dbPath, "--org", "B")
	if err == nil || !strings.HasPrefix(err.Error(), `b.csv:3: phone +77010000101 (observer "8") is already on the roster of "A"`) {
		t.Fatalf("taken number: %v", err)
	}
	mustVigil(t, "roster", "share", "--db", dbPath, "--org", "A", "--with", "B", "--phone", "8 701 000 01 01")
	if _, err := vigil(t, "roster", "import", b, "--db", dbPath, "--org", "B"); err == nil {
		t.Fatal("imported with one side's agreement")
	}
	out := mustVigil(t, "roster", "share", "--db", dbPath, "--org", "B", "--with", "A", "--phone", "+77010000101")
	if !strings.Contains(out, "both have agreed") {
		t.Fatalf("share: %s", out)
	}
	mustVigil(t, "roster", "import", b, "--db", dbPath, "--org", "B")
	// A's country is kept: a national number in its next roster still reads.
	os.WriteFile(a, []byte("id,name,phone\n1,Aigerim,8 701 000 01 01\n2,Dana,8 701 000 01 03\n"), 0o644)
	mustVigil(t, "roster", "import", a, "--db", dbPath, "--org", "A")
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/store"
)

// vigil runs the whole program in-process, as a user would from a shell.
func vigil(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"vigil"}, args...), os.Getenv, strings.NewReader(""), &out, &errb)
	if err != nil {
		t.Logf("vigil %s: %v\nstderr: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), err
}

func mustVigil(t *testing.T, args ...string) string {
	t.Helper()
	out, err := vigil(t, args...)
	if err != nil {
		t.Fatalf("vigil %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestHelpListsEveryCommand(t *testing.T) {
	out := mustVigil(t, "help")
	for _, c := range []string{"import", "tally", "check", "seats", "serve", "demo"} {
		if !strings.Contains(out, "  "+c) {
			t.Errorf("help does not list %s:\n%s", c, out)
		}
	}
	for _, c := range []string{"import", "tally", "check", "seats", "serve", "demo"} {
		if _, err := vigil(t, c, "--help"); err != nil {
			t.Errorf("%s --help: %v", c, err)
		}
	}
	if _, err := vigil(t, "nonsense"); err == nil || exitCode(err) != 2 {
		t.Errorf("unknown command: err %v", err)
	}
}

func TestImportTallyCheck(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	out := mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv", "--json")
	var batch struct {
		Rows   int    `json:"rows"`
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal([]byte(out), &batch); err != nil {
		t.Fatal(err, out)
	}
	if batch.Rows != 4 || len(batch.SHA256) != 64 {
		t.Fatalf("batch %+v", batch)
	}

	out = mustVigil(t, "tally", "--db", db, "--election", "e1", "--level", "2", "--json")
	var tree struct {
		Area     string           `json:"area"`
		Stations int              `json:"stations"`
		Figures  map[string]int64 `json:"figures"`
		Options  map[string]int64 `json:"options"`
		Children []struct {
			Area     string `json:"area"`
			Stations int    `json:"stations"`
			Children []struct {
				Area string `json:"area"`
			} `json:"children"`
		} `json:"children"`
	}
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		t.Fatal(err, out)
	}
	if tree.Stations != 4 || tree.Figures["registered"] != 3600 || tree.Figures["valid"] != 2465 || tree.Options["Alpha"] != 1300 || tree.Options["Gamma"] != 315 {
		t.Fatalf("national tally wrong: %+v", tree)
	}
	if len(tree.Children) != 2 || tree.Children[0].Area != "North" || tree.Children[0].Stations != 3 || len(tree.Children[0].Children) != 2 {
		t.Fatalf("children wrong: %+v", tree.Children)
	}

	out = mustVigil(t, "check", "--db", db, "--election", "e1", "--json")
	var rep struct {
		Counts map[string]int `json:"counts"`
		Flags  []struct {
			Station string `json:"station"`
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"flags"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err, out)
	}
	// Station 301 has 401 ballots in the box for 400 issued, and 1 + 400
	// valid/invalid for 401 in the box: only the first is wrong.
	if len(rep.Flags) != 1 || rep.Flags[0].Station != "South / D3 / 301" || rep.Counts[rep.Flags[0].Code] != 1 {
		t.Fatalf("flags: %+v", rep)
	}

	// The same file read directly gives the same tally.
	out2 := mustVigil(t, "tally", "--file", "testdata/small.csv", "--mapping", "testdata/small.json", "--level", "0", "--json")
	if !strings.Contains(out2, `"Alpha": 1300`) {
		t.Fatalf("file tally: %s", out2)
	}

	// A second import is a second version; the first stays.
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	out = mustVigil(t, "tally", "--db", db, "--election", "e1", "--level", "0", "--json")
	if !strings.Contains(out, `"stations": 4`) {
		t.Fatalf("after a second version the tally changed: %s", out)
	}
}

func TestImportBadRowIsAllOrNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	_, err := vigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small-bad.csv")
	if err == nil {
		t.Fatal("a bad row was accepted")
	}
	for _, want := range []string{"small-bad.csv", ":3", "Issued", "5OO"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	// Nothing at all is left: not even the election the import created.
	if _, err := vigil(t, "tally", "--db", db, "--election", "e1", "--level", "0", "--json"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a failed import left its election: %v", err)
	}
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.QueryRow(`SELECT (SELECT count(*) FROM elections) + (SELECT count(*) FROM areas) + (SELECT count(*) FROM batches)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a failed import left %d rows (%v)", n, err)
	}
	d.Close()

	report := filepath.Join(t.TempDir(), "rejected.csv")
	out := mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small-bad.csv", "--skip-invalid", report, "--json")
	if !strings.Contains(out, `"rows": 2`) || !strings.Contains(out, `"rejected": 1`) {
		t.Fatalf("skip-invalid batch: %s", out)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "small-bad.csv,3,Issued,5OO") {
		t.Fatalf("report:\n%s", b)
	}
}

// TestImportRetryOtherKind: a retry that names the election with another
// --kind, --country or --date is refused, not silently imported under the
// old ones; the same values, or none, import into it.
func TestImportRetryOtherKind(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	mustVigil(t, "import", "--db", db, "--election", "e1", "--kind", "presidential", "--date", "2024-03-01", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	_, err := vigil(t, "import", "--db", db, "--election", "e1", "--kind", "party-list", "--date", "2024-03-02", "--source", "official-preliminary", "--mapping", "testdata/small.json", "testdata/small.csv")
	want := `election "e1" exists and differs: --date 2024-03-02 (it has "2024-03-01"), --kind party-list (it has "presidential"); nothing was imported`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err %v, want %q", err, want)
	}
	mustVigil(t, "import", "--db", db, "--election", "e1", "--kind", "presidential", "--source", "official-preliminary", "--mapping", "testdata/small.json", "testdata/small.csv")
	out := mustVigil(t, "tally", "--db", db, "--election", "e1", "--level", "0", "--source", "official-preliminary", "--json")
	if !strings.Contains(out, `"stations": 4`) {
		t.Fatalf("%s", out)
	}
}

// TestImportOverflow: two stations with 2^63−1 registered voters used to
// import and tally to −2; now the first such cell stops the import with
// its file, line and column, and nothing is stored.
func TestImportOverflow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	f := filepath.Join(dir, "max.csv")
	os.WriteFile(f, []byte("Region;District;Station;Registered;Issued;In box;Invalid;Valid;Alpha;Beta;Gamma\n"+
		"North;D1;101;9223372036854775807;700;700;10;690;400;200;90\n"+
		"North;D1;102;9223372036854775807;500;500;5;495;300;150;45\n"), 0o644)
	_, err := vigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", f)
	want := `max.csv:2: column "Registered": value "9223372036854775807": expected a whole number from 0 to 10000000000`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err %v, want %q", err, want)
	}
	if _, err := vigil(t, "tally", "--db", db, "--election", "e1", "--json"); err == nil {
		t.Fatal("the refused import left an election to tally")
	}
}

func TestSeatsFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "lists.csv")
	// Illustrative party-list votes, 98 seats, a 7 % threshold: the two
	// lists under it get nothing and the three above share every seat.
	os.WriteFile(f, []byte("name,votes\nNur Otan,5148073\nAk Zhol,736392\nPeople's Party,619541\nAuyl,355200\nAdal,243005\n"), 0o644)
	out := mustVigil(t, "seats", "--method", "hare", "--seats", "98", "--threshold", "7", f, "--json")
	var a struct {
		Seats map[string]int `json:"seats"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err, out)
	}
	if a.Seats["Auyl"] != 0 || a.Seats["Nur Otan"]+a.Seats["Ak Zhol"]+a.Seats["People's Party"] != 98 {
		t.Fatalf("seats %v", a.Seats)
	}
	if _, err := vigil(t, "seats", "--method", "hare", "--seats", "98", "--threshold-base", "-5", f); err == nil {
		t.Fatal("a negative threshold base was accepted")
	}
}

func TestForensicsCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	out := mustVigil(t, "forensics", "integer", "--db", db, "--election", "e1", "--replicates", "50", "--json")
	var integer struct {
		StationsUsed int `json:"stations_used"`
		Criteria     map[string]struct {
			Observed float64 `json:"observed"`
		} `json:"criteria"`
	}
	if err := json.Unmarshal([]byte(out), &integer); err != nil {
		t.Fatal(err, out)
	}
	// 400/690 = 57.97 % and 700/1000 = 70.0 %: station 101's turnout is an
	// integer percentage; 300/500 = 60.0 % (102: result and turnout 500/800 =
	// 62.5 %); 201: 500/900, 900/1200 = 75.0 %; 301: 100/401, 400/600.
	if integer.StationsUsed != 4 || integer.Criteria["turnout"].Observed != 2 || integer.Criteria["result"].Observed != 1 {
		t.Fatalf("integer test: %s", out)
	}
	// Four stations: fewer than 100, so the text says z cannot be read, and
	// names the seed and the replicates (issue 14).
	out = mustVigil(t, "forensics", "integer", "--db", db, "--election", "e1", "--replicates", "50", "--seed", "7")
	for _, want := range []string{"50 replicates, seed 7", "excluded: none", "warning: only 4 stations (fewer than 100)", "valid + invalid"} {
		if !strings.Contains(out, want) {
			t.Errorf("integer text lacks %q:\n%s", want, out)
		}
	}
	out = mustVigil(t, "forensics", "shpilkin", "--db", db, "--election", "e1", "--leader", "Alpha", "--bootstrap", "200", "--seed", "3")
	for _, want := range []string{"95 % CI [", "by the peak rule's two readings", "bootstrap 200 replicates, seed 3", "excluded: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("shpilkin text lacks %q:\n%s", want, out)
		}
	}
	out = mustVigil(t, "forensics", "shpilkin", "--file", "testdata/small.csv", "--mapping", "testdata/small.json", "--leader", "Alpha", "--json")
	for _, want := range []string{`"excess"`, `"peak_turnout"`, `"excess_ci95": [`, `"excluded": {}`, `"warnings": [`, `"replicates": 1000`, `"seed": 1`, `"excess_peak_range"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("shpilkin JSON lacks %s: %s", want, out)
		}
	}
	ctl := filepath.Join(t.TempDir(), "control.csv")
	os.WriteFile(ctl, []byte("Region,Station\nNorth,101\n"), 0o644)
	out = mustVigil(t, "forensics", "control", "--db", db, "--election", "e1", "--leader", "Alpha", "--control", ctl, "--by", "Region", "--json")
	var c struct {
		Excess int64 `json:"excess"`
		Groups []struct {
			Area     string  `json:"area"`
			Official int64   `json:"official"`
			Expected float64 `json:"expected"`
		} `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err, out)
	}
	// North: control 101 has 400 Alpha of 1000 registered; North has 3000
	// registered, so 1200 expected; official 400+300+500 = 1200: no excess.
	if c.Excess != 0 || len(c.Groups) == 0 || c.Groups[0].Area != "North" || c.Groups[0].Official != 1200 || c.Groups[0].Expected != 1200 {
		t.Fatalf("control: %s", out)
	}
	// One control station: the bootstrap has nothing to resample, [0, 0],
	// and the warning says so.
	if !strings.Contains(out, `"excess_ci95": [`) || !strings.Contains(out, "single control station") {
		t.Fatalf("control JSON: %s", out)
	}
	// A station with impossible figures is left out, counted and named.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	small, _ := os.ReadFile("testdata/small.csv")
	os.WriteFile(bad, append(small, []byte("South;D3;302;500;300;300;0;300;400;0;0\n")...), 0o644)
	out = mustVigil(t, "forensics", "shpilkin", "--file", bad, "--mapping", "testdata/small.json", "--leader", "Alpha", "--bootstrap", "0")
	for _, want := range []string{"excluded: 1 leader votes above ballots in the box (L > R)", "(L > R): South / D3 / 302", "no interval"} {
		if !strings.Contains(out, want) {
			t.Errorf("shpilkin with an impossible station lacks %q:\n%s", want, out)
		}
	}
	// The JSON lists it too, beside the count (issue 14: not only in the
	// text).
	out = mustVigil(t, "forensics", "integer", "--file", bad, "--mapping", "testdata/small.json", "--leader", "Alpha", "--replicates", "20", "--json")
	var listed struct {
		Excluded map[string]int `json:"excluded"`
		Stations map[string][]struct {
			Name string `json:"name"`
		} `json:"excluded_stations"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatal(err, out)
	}
	if l := listed.Stations[forensics.ExclLeaderAboveR]; listed.Excluded[forensics.ExclLeaderAboveR] != 1 || len(l) != 1 || l[0].Name != "South / D3 / 302" {
		t.Errorf("integer JSON's excluded stations: %s", out)
	}
	out = mustVigil(t, "forensics", "digits", "--file", bad, "--mapping", "testdata/small.json", "--json")
	if !strings.Contains(out, `"excluded_stations": {}`) {
		t.Errorf("digits JSON (the digit tests leave out no station with impossible figures): %s", out)
	}
	out = mustVigil(t, "forensics", "digits", "--db", db, "--election", "e1")
	if !strings.Contains(out, "P05s on the percentage of R, the ballots in the box") || !strings.Contains(out, "fewer than 100") {
		t.Errorf("digits text: %s", out)
	}
	if _, err := vigil(t, "forensics", "integer", "--db", db, "--election", "e1", "--leader", "Nobody"); err == nil {
		t.Fatal("an unknown leader was accepted")
	}
}

func TestElectionConfigTolerances(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	out := mustVigil(t, "check", "--db", db, "--election", "e1", "--json")
	if !strings.Contains(out, `"BOX_LE_ISSUED": 1`) {
		t.Fatalf("before: %s", out)
	}
	cfg := filepath.Join(t.TempDir(), "cfg.json")
	os.WriteFile(cfg, []byte(`{"tolerances": {"BOX_LE_ISSUED": {"absolute": 1}}}`), 0o644)
	mustVigil(t, "election", "config", "--db", db, "--election", "e1", "--set", cfg)
	out = mustVigil(t, "check", "--db", db, "--election", "e1", "--json")
	if !strings.Contains(out, `"BOX_LE_ISSUED": 0`) {
		t.Fatalf("a one-ballot tolerance did not accept station 301's one extra ballot: %s", out)
	}
	os.WriteFile(cfg, []byte(`{"tolerances": {"NO_SUCH_CODE": {"absolute": 1}}}`), 0o644)
	if _, err := vigil(t, "election", "config", "--db", db, "--election", "e1", "--set", cfg); err == nil {
		t.Fatal("an unknown control code was accepted")
	}
	out = mustVigil(t, "elections", "--db", db, "--json")
	if !strings.Contains(out, `"e1"`) {
		t.Fatalf("elections: %s", out)
	}
}

func TestVersion(t *testing.T) {
	out := mustVigil(t, "--version")
	if !strings.HasPrefix(out, "vigil ") || !strings.Contains(out, "\ncommit ") || !strings.Contains(out, "\nbuilt ") {
		t.Fatalf("--version:\n%s", out)
	}
	// The link-time values win over what the toolchain stamped.
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "9.8.7", "abc123", "2026-12-06T00:00:00Z"
	out = mustVigil(t, "version", "--json")
	var b build
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err, out)
	}
	if b.Version != "9.8.7" || b.Commit != "abc123" || b.Date != "2026-12-06T00:00:00Z" {
		t.Fatalf("version --json: %+v", b)
	}
}

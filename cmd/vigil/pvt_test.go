package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/realdata"
)

func runVigil(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"vigil"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return out.String(), err
}

func TestPVTCommandMexico2018(t *testing.T) {
	frame := realdata.Path(t, "mexico-ine-quickcount/marco_nal_2018.csv.gz")
	sample := realdata.Path(t, "mexico-ine-quickcount/2018_REMESAS0100020000.txt")
	out, err := runVigil(t, "pvt", "--frame", frame, "--sample", sample, "--stratum", "estrato", "--sample-stratum", "ID_ESTRATO_F",
		"--options", "AMLO,RAC,JAMK,JHRC", "--total", "TOTAL", "--registered", "LISTA_NOMINAL", "--bootstrap", "200", "--seed", "7",
		"--official", "AMLO=53.19,RAC=22.27,JAMK=16.40,JHRC=5.23", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Options map[string]struct {
			Estimate float64    `json:"estimate"`
			SE       float64    `json:"se"`
			CI95     [2]float64 `json:"ci95"`
			CI99     [2]float64 `json:"ci99"`
			EstCI95  [2]float64 `json:"estimate_ci95"`
		} `json:"options"`
		Turnout *struct {
			Estimate float64 `json:"estimate"`
		} `json:"turnout"`
		Strata struct {
			Frame    int `json:"frame"`
			Reported int `json:"reported"`
		} `json:"strata"`
		Verdict []struct {
			Inside95 bool   `json:"inside95"`
			Sentence string `json:"sentence"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	amlo := got.Options["AMLO"]
	if len(got.Options) != 4 || amlo.CI95[0] >= amlo.Estimate || amlo.CI99[1] <= amlo.CI95[1] || amlo.SE <= 0 || amlo.EstCI95 != amlo.CI95 {
		t.Errorf("options %+v", got.Options)
	}
	if got.Turnout == nil || got.Turnout.Estimate < 60 || got.Turnout.Estimate > 67 {
		t.Errorf("turnout %+v", got.Turnout)
	}
	if got.Strata.Frame != 350 || got.Strata.Reported != 350 || len(got.Verdict) != 5 { // 4 options and the lead
		t.Errorf("strata %+v, %d verdicts", got.Strata, len(got.Verdict))
	}
	// Non-response against INE's list of the 7,787 drawn stations.
	drawn := realdata.Path(t, "mexico-ine-quickcount/2018_conteo_rapido_muestra_presidencial.csv")
	txt, err := runVigil(t, "pvt", "--frame", frame, "--sample", sample, "--stratum", "estrato", "--sample-stratum", "ID_ESTRATO_F",
		"--options", "AMLO,RAC,JAMK,JHRC", "--drawn", drawn)
	if err != nil || !strings.Contains(txt, "response: 6307 of 7787 drawn stations reported (81.0 %); 0 strata silent; lowest: 234 (1/14)") {
		t.Errorf("%v\n%s", err, txt)
	}
	// The text form too.
	txt, err = runVigil(t, "pvt", "--frame", frame, "--sample", sample, "--stratum", "estrato", "--sample-stratum", "ID_ESTRATO_F",
		"--options", "AMLO,RAC,JAMK,JHRC", "--official", "AMLO=55")
	if err != nil || !strings.Contains(txt, "sum of the listed options") || !strings.Contains(txt, "verdict:") {
		t.Errorf("%v\n%s", err, txt)
	}
}

// TestPVTDrawThenEstimate draws a sample from a small frame, fills in votes
// and estimates from it: the whole path an observer group follows.
func TestPVTDrawThenEstimate(t *testing.T) {
	dir := t.TempDir()
	framePath := filepath.Join(dir, "frame.csv")
	var b strings.Builder
	b.WriteString("id,region,estrato,ln\n")
	for i := range 600 {
		b.WriteString("st" + strconv.Itoa(i) + ",r" + strconv.Itoa(i%2) + "," + strconv.Itoa(1+i%6) + ",500\n")
	}
	os.WriteFile(framePath, []byte(b.String()), 0o644)
	samplePath := filepath.Join(dir, "sample.csv")
	out, err := runVigil(t, "pvt", "draw", "--frame", framePath, "--stratum", "estrato", "--size", "60", "--seed", "published 2026-11-23", "--out", samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "drew 60 stations") {
		t.Errorf("summary %q", out)
	}
	f, _ := os.Open(samplePath)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 61 || rows[0][4] != "pvt_role" || rows[0][5] != "pvt_rank" {
		t.Fatalf("sample file: %v, %d rows, header %v", err, len(rows), rows[0])
	}
	// Redrawing with the same seed gives the same file.
	again := filepath.Join(dir, "again.csv")
	runVigil(t, "pvt", "draw", "--frame", framePath, "--stratum", "estrato", "--size", "60", "--seed", "published 2026-11-23", "--out", again)
	b1, _ := os.ReadFile(samplePath)
	b2, _ := os.ReadFile(again)
	if !bytes.Equal(b1, b2) {
		t.Error("same seed, different sample")
	}
	// Reserves: the next two ranks of each of the 6 strata (10 drawn in each).
	resPath := filepath.Join(dir, "reserve.csv")
	if _, err := runVigil(t, "pvt", "draw", "--frame", framePath, "--stratum", "estrato", "--size", "60", "--seed", "published 2026-11-23", "--reserve", "2", "--out", resPath); err != nil {
		t.Fatal(err)
	}
	f, _ = os.Open(resPath)
	withRes, _ := csv.NewReader(f).ReadAll()
	f.Close()
	if len(withRes) != 1+60+12 {
		t.Fatalf("%d rows with reserves", len(withRes))
	}
	for _, row := range withRes[61:] {
		if row[4] != "reserve" || (row[5] != "11" && row[5] != "12") {
			t.Errorf("reserve row %v", row)
		}
	}
	if !slices.EqualFunc(withRes[:61], rows, slices.Equal) {
		t.Error("asking for reserves changed the sample")
	}

	// Reports: A gets 60 % everywhere, B 40 %; in REMESAS form (count line, pipes).
	var r strings.Builder
	r.WriteString(strconv.Itoa(len(rows)-1) + "\nESTRATO|A|B|LN\n")
	for _, row := range rows[1:] {
		r.WriteString(row[2] + "|180|120|500\n")
	}
	reportsPath := filepath.Join(dir, "reports.txt")
	os.WriteFile(reportsPath, []byte(r.String()), 0o644)
	out, err = runVigil(t, "pvt", "--frame", framePath, "--sample", reportsPath, "--stratum", "estrato", "--sample-stratum", "ESTRATO",
		"--options", "A,B", "--registered", "LN", "--official", "A=60,B=40,turnout=60", "--drawn", resPath, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"drawn": 60,
    "reported": 60,
    "rate": 1,`) {
		t.Errorf("response (reserves are not drawn):\n%s", out)
	}
	if !strings.Contains(out, `"estimate": 60`) || strings.Count(out, `"inside95": true`) != 4 { // A, B, turnout, lead
		t.Errorf("estimate:\n%s", out)
	}

	// One report per stratum kept alone (--min-reports 1): the imputed
	// variance, and warnings that say so and name their thresholds.
	var one strings.Builder
	one.WriteString("ESTRATO,A,B\n")
	for h := 1; h <= 6; h++ {
		one.WriteString(strconv.Itoa(h) + "," + strconv.Itoa(150+10*h) + ",150\n")
	}
	onePath := filepath.Join(dir, "one.csv")
	os.WriteFile(onePath, []byte(one.String()), 0o644)
	out, err = runVigil(t, "pvt", "--frame", framePath, "--sample", onePath, "--stratum", "estrato", "--sample-stratum", "ESTRATO",
		"--options", "A,B", "--min-reports", "1", "--official", "A=53,B=47")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"warning: 6 strata have a single report", "(fewer than 30)", "df"} {
		if !strings.Contains(out, want) {
			t.Errorf("min-reports 1 lacks %q:\n%s", want, out)
		}
	}

	// Registered voters from the frame, joined on the station id.
	var withID strings.Builder
	withID.WriteString("id,estrato,A,B\n")
	for _, row := range rows[1:] {
		withID.WriteString(row[0] + "," + row[2] + ",150,150\n")
	}
	idPath := filepath.Join(dir, "byid.csv")
	os.WriteFile(idPath, []byte(withID.String()), 0o644)
	out, err = runVigil(t, "pvt", "--frame", framePath, "--sample", idPath, "--stratum", "estrato", "--id", "id",
		"--options", "A,B", "--registered", "ln", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"turnout": {
    "estimate": 60`) {
		t.Errorf("turnout from the frame:\n%s", out)
	}
	dupID := withID.String() + rows[1][0] + "," + rows[1][2] + ",1,1\n"
	os.WriteFile(idPath, []byte(dupID), 0o644)
	_, err = runVigil(t, "pvt", "--frame", framePath, "--sample", idPath, "--stratum", "estrato", "--id", "id", "--options", "A,B")
	if err == nil || !strings.Contains(err.Error(), "expected one report per station (already reported on line 2)") {
		t.Errorf("duplicate report: %v", err)
	}
	os.WriteFile(idPath, []byte("id,estrato,A,B\nst0,1,1,1\nst1,1,1,1\n"), 0o644)
	_, err = runVigil(t, "pvt", "--frame", framePath, "--sample", idPath, "--stratum", "estrato", "--id", "id", "--options", "A,B")
	if err == nil || !strings.Contains(err.Error(), `byid.csv:3: column estrato: value "1": expected station st1's stratum in the frame, "2"`) {
		t.Errorf("wrong stratum: %v", err)
	}

	// Bad input names the file, line, column, value and what was expected.
	os.WriteFile(reportsPath, []byte("ESTRATO,A,B\n1,5,5\n1,x,5\n"), 0o644)
	_, err = runVigil(t, "pvt", "--frame", framePath, "--sample", reportsPath, "--stratum", "estrato", "--sample-stratum", "ESTRATO", "--options", "A,B")
	if err == nil || !strings.Contains(err.Error(), "reports.txt:3: column A: value \"x\": expected a non-negative number") {
		t.Errorf("error %v", err)
	}
	os.WriteFile(reportsPath, []byte("ESTRATO,A,B\n1,5,5\n9,4,5\n"), 0o644)
	_, err = runVigil(t, "pvt", "--frame", framePath, "--sample", reportsPath, "--stratum", "estrato", "--sample-stratum", "ESTRATO", "--options", "A,B")
	if err == nil || !strings.Contains(err.Error(), `reports.txt:3: column ESTRATO: value "9": expected a stratum of the frame`) {
		t.Errorf("error %v", err)
	}
	os.WriteFile(reportsPath, []byte("ESTRATO,A,B\n1,5,5\n2,4,5\n"), 0o644)
	_, err = runVigil(t, "pvt", "--frame", framePath, "--sample", reportsPath, "--stratum", "estrato", "--options", "A,C")
	if err == nil || !strings.Contains(err.Error(), `value "C": expected a column among ESTRATO, A, B`) {
		t.Errorf("error %v", err)
	}
	if _, err := runVigil(t, "pvt", "--sample", reportsPath); exitCode(err) != 2 {
		t.Errorf("missing --frame: %v", err)
	}
}

func TestPVTSizeCommand(t *testing.T) {
	out, err := runVigil(t, "pvt", "size", "--margin", "0.01", "--electorate", "1000000", "--confidence", "95",
		"--voters-per-station", "500", "--turnout", "0.6", "--nonresponse", "0.2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Voters   float64 `json:"voters"`
		Stations int     `json:"stations"`
		Draw     int     `json:"stations_to_draw"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Stations != 32 || got.Draw != 40 || int(got.Voters) != 9512 {
		t.Errorf("%+v", got)
	}
	if _, err := runVigil(t, "pvt", "size", "--margin", "1", "--electorate", "1000"); exitCode(err) != 2 {
		t.Errorf("margin 1: %v", err)
	}
}

func TestPVTConvergeCommand(t *testing.T) {
	frame := realdata.Path(t, "mexico-ine-quickcount/marco_nal_2018.csv.gz")
	sample := realdata.Path(t, "mexico-ine-quickcount/2018_REMESAS0100020000.txt")
	out, err := runVigil(t, "pvt", "converge", "--frame", frame, "--sample", sample, "--stratum", "estrato", "--sample-stratum", "ID_ESTRATO_F",
		"--options", "AMLO,RAC,JAMK,JHRC", "--total", "TOTAL", "--registered", "LISTA_NOMINAL",
		"--time", "ANIO,MES,DIA,HORA,MINUTOS,SEGUNDOS", "--step", "30m")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 5 || !strings.Contains(lines[len(lines)-1], "6307") {
		t.Errorf("convergence table:\n%s", out)
	}
}

func TestPVTCompositeStrata(t *testing.T) {
	dir := t.TempDir()
	framePath := filepath.Join(dir, "frame.csv")
	var b strings.Builder
	b.WriteString("id,region,urban,ln\n")
	for i := range 400 {
		b.WriteString("st" + strconv.Itoa(i) + "," + strconv.Itoa(1+i%10) + "," + []string{"U", "R"}[i%3%2] + ",400\n")
	}
	os.WriteFile(framePath, []byte(b.String()), 0o644)
	samplePath := filepath.Join(dir, "sample.csv")
	if _, err := runVigil(t, "pvt", "draw", "--frame", framePath, "--stratum", "region,urban", "--size", "80", "--seed", "s", "--out", samplePath); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(samplePath)
	rows, _ := csv.NewReader(bytes.NewReader(data)).ReadAll()
	// Reports from region 10 are missing: its two strata collapse into
	// region 9's last (the preceding neighbour), not into region 1's.
	var r strings.Builder
	r.WriteString("id,region,urban,A,B\n")
	for _, row := range rows[1:] {
		if row[1] != "10" {
			r.WriteString(row[0] + "," + row[1] + "," + row[2] + ",100,200\n")
		}
	}
	reports := filepath.Join(dir, "reports.csv")
	os.WriteFile(reports, []byte(r.String()), 0o644)
	out, err := runVigil(t, "pvt", "--frame", framePath, "--sample", reports, "--stratum", "region,urban", "--id", "id",
		"--options", "A,B", "--registered", "ln", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Strata struct {
			Frame, Reported int
			Collapsed       []struct{ Strata []string }
		}
	}
	json.Unmarshal([]byte(out), &got)
	if got.Strata.Frame != 20 || got.Strata.Reported != 18 || len(got.Strata.Collapsed) != 1 ||
		!slices.Equal(got.Strata.Collapsed[0].Strata, []string{"9/U", "10/R", "10/U"}) {
		t.Errorf("strata %+v", got.Strata)
	}
}

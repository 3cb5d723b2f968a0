package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

const testMapping = `{
	"areas": ["region", "uik"],
	"figures": {"registered": "reg", "ballots_in_box": ["box1", "box2"], "invalid": "inv"},
	"options": {"Zeta": "z", "Alpha": "a"},
	"attributes": {"flag": "f"}
}`

func mustMapping(t testing.TB, js string) *Mapping {
	t.Helper()
	m, err := ParseMapping([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readAll reads every row, keeping row errors in order beside them.
func readAll(t testing.TB, r *Reader) (rows []Row, errs []error) {
	t.Helper()
	for i := 0; i < 1e6; i++ {
		row, err := r.Next()
		if err == io.EOF {
			return rows, errs
		}
		if err != nil {
			errs = append(errs, err)
			if !IsRowError(err) {
				return rows, errs
			}
			continue
		}
		rows = append(rows, row)
	}
	t.Fatal("Next never returned io.EOF")
	return
}

func newTestReader(t testing.TB, data, mapping, name string) *Reader {
	t.Helper()
	r, err := NewReader(strings.NewReader(data), name, mustMapping(t, mapping))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReaderCSV(t *testing.T) {
	data := "region,uik,reg,box1,box2,inv,a,z,f\n" +
		"North,1,100,10,5,1,7,6,x\n" +
		"\n" + // blank lines are passed over
		"North,2,200,,,,0,,\n" + // empty figure cells: absent, not zero
		"\"South\",\"3\",300,20,,0,\"1\",2,y\n" // one of two cells empty: the other counts
	r := newTestReader(t, data, testMapping, "t.csv")
	defer r.Close()
	if got := r.Options(); !reflect.DeepEqual(got, []string{"Zeta", "Alpha"}) {
		t.Errorf("options %q", got)
	}
	rows, errs := readAll(t, r)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	r0 := rows[0]
	if r0.Line != 2 || !reflect.DeepEqual(r0.Path, []string{"North", "1"}) || !reflect.DeepEqual(r0.Votes, []int64{6, 7}) || r0.VotesAbsent != nil {
		t.Errorf("row 0: %+v", r0)
	}
	if n, ok := r0.Figures.Get(election.BallotsInBox); n != 15 || !ok {
		t.Errorf("ballots in box %d %v", n, ok)
	}
	if r0.Figures.Has(election.Valid) || r0.Attrs["flag"] != "x" {
		t.Errorf("row 0: %+v", r0)
	}
	r1 := rows[1]
	if r1.Line != 4 || r1.Figures.Has(election.BallotsInBox) || r1.Figures.Has(election.Invalid) || !r1.Figures.Has(election.Registered) {
		t.Errorf("row 1: line %d figures %v", r1.Line, r1.Figures.Map())
	}
	if !reflect.DeepEqual(r1.VotesAbsent, []bool{true, false}) || r1.Empty() {
		t.Errorf("row 1: votes %v absent %v", r1.Votes, r1.VotesAbsent)
	}
	if n := rows[2].Figures.Value(election.BallotsInBox); n != 20 {
		t.Errorf("row 2: ballots in box %d", n)
	}
	if r.Skipped() != 0 { // encoding/csv drops blank lines itself
		t.Errorf("skipped %d", r.Skipped())
	}
}

func TestReaderDelimiters(t *testing.T) {
	const m = `{"areas": ["name; or, not"], "options": {"X": "x"}}`
	for _, c := range []struct{ data, mapping string }{
		{"\"name; or, not\",x\nA,1\n", m},
		{"\"name; or, not\";x\nA;1\n", m},
		{"\"name; or, not\"\tx\nA\t1\n", m},
		{"\"name; or, not\"|x\nA|1\n", m},
		{"\xEF\xBB\xBF\"name; or, not\";x\r\nA;1\r\n", m}, // BOM, CRLF
		{"count: 1\nsecond junk, line;;\n\"name; or, not\"|x\nA|1\n", `{"areas": ["name; or, not"], "options": {"X": "x"}, "skip_lines": 2}`},
		{"\"name; or, not\"#x\nA#1\n", `{"areas": ["name; or, not"], "options": {"X": "x"}, "delimiter": "#"}`},
	} {
		r := newTestReader(t, c.data, c.mapping, "t.txt")
		rows, errs := readAll(t, r)
		if len(errs) > 0 || len(rows) != 1 || rows[0].Path[0] != "A" || rows[0].Votes[0] != 1 {
			t.Errorf("%q: rows %+v errors %v", c.data, rows, errs)
		}
		if strings.HasPrefix(c.data, "count") && rows[0].Line != 4 {
			t.Errorf("line %d after skipped lines, want 4", rows[0].Line)
		}
	}
}

func TestRowErrors(t *testing.T) {
	data := "region,uik,reg,box1,box2,inv,a,z,f\n" +
		"N,1,12a,0,0,0,0,0,\n" +
		"N,2,-3,0,0,0,0,0,\n" +
		"N,3,99999999999999999999,0,0,0,0,0,\n" +
		"N,4,1,10000000000,1,0,0,0,\n" +
		"N,5,1,0,0,0,0,0\n" +
		"N,,1,0,0,0,0,0,\n" +
		"N,\"7,1,0,0,0,0,0,\n" +
		"N,8,1,0,0,0,0,1.5,\n" +
		"N,9,1,0,0,0,0,0,ok\n"
	r := newTestReader(t, data, testMapping, "2018.csv")
	rows, errs := readAll(t, r)
	want := []string{
		`2018.csv:2: column "reg": value "12a": expected a whole number from 0 to 10000000000`,
		`2018.csv:3: column "reg": value "-3": expected a whole number from 0 to 10000000000`,
		`2018.csv:4: column "reg": value "99999999999999999999": expected a whole number from 0 to 10000000000`,
		`2018.csv:5: column "box2": value "1": expected columns that sum to at most 10000000000 (the bound on one protocol's figure)`,
		`2018.csv:6: expected 9 fields as in the header, found 8`,
		`2018.csv:7: column "uik": value "": expected an area name or number (or "empty_areas": "drop" in the mapping)`,
		`2018.csv:8: expected well-formed CSV (extraneous or missing " in quoted-field on line 10)`,
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The bad quote swallows the rest of the file into one field, so no row
	// follows it; before it every error let reading continue.
	if len(rows) != 0 {
		t.Errorf("rows %+v", rows)
	}
	var re *RowError
	if !errors.As(errs[0], &re) || re.Line != 2 || re.Column != "reg" || re.Value != "12a" {
		t.Errorf("%#v", errs[0])
	}
}

func TestRowErrorThenContinue(t *testing.T) {
	data := "region,uik,reg,box1,box2,inv,a,z,f\n" +
		"N,1,1,0,0,0,0,x,\n" +
		"N,2,1,0,0,0,0,1.5,\n" +
		"N,b\"are,1,0,0,0,0,0,\n" + // a bare quote spoils this line only
		"N,3,1,0,0,0,0,2,\n"
	r := newTestReader(t, data, testMapping, "t.csv")
	rows, errs := readAll(t, r)
	if len(errs) != 3 || len(rows) != 1 || rows[0].Path[1] != "3" || rows[0].Votes[0] != 2 || rows[0].Line != 5 {
		t.Errorf("rows %+v errors %v", rows, errs)
	}
	if len(errs) == 3 && errs[2].Error() != `t.csv:4: expected well-formed CSV (bare " in non-quoted-field on line 4)` {
		t.Errorf("%v", errs[2])
	}
}

func TestFatalErrors(t *testing.T) {
	m := mustMapping(t, testMapping)
	_, err := NewReader(strings.NewReader("region,UIK,reg,box1,box2,inv,a,z,f\n"), "t.csv", m)
	var he *HeaderError
	if !errors.As(err, &he) || he.Key != "areas" || he.Column != "uik" || IsRowError(err) {
		t.Fatalf("%v", err)
	}
	if want := `t.csv: header: column "uik" (mapping "areas"): not in the header (the header has "UIK")`; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	_, err = NewReader(strings.NewReader("region,uik,uik,reg,box1,box2,inv,a,z,f\n"), "t.csv", m)
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("%v", err)
	}
	_, err = NewReader(strings.NewReader(""), "t.csv", m)
	if err == nil || !strings.Contains(err.Error(), "no header") {
		t.Errorf("%v", err)
	}
	_, err = NewReader(strings.NewReader("a\n"), "t.csv", mustMapping(t, `{"areas": ["a"], "options": {"X": "a"}, "skip_lines": 3}`))
	if err == nil || !strings.Contains(err.Error(), "ends within the 3 lines") {
		t.Errorf("%v", err)
	}
	_, err = Open("testdata/no-such-file.csv", m)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v", err)
	}
	_, err = NewReader(strings.NewReader("not gzip"), "t.csv.gz", m)
	if err == nil || !strings.Contains(err.Error(), "not a gzip file") {
		t.Errorf("%v", err)
	}
	// A read error after the header is fatal and sticky.
	r, err := NewReader(io.MultiReader(strings.NewReader("region,uik,reg,box1,box2,inv,a,z,f\nN,1,1,1,1,1,1,1,1\n"), errReader{}), "t.csv", m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err1 := r.Next()
	_, err2 := r.Next()
	if err1 == nil || IsRowError(err1) || err1 != err2 {
		t.Errorf("%v, %v", err1, err2)
	}
	r.Close()
	if _, err := r.Next(); err == nil {
		t.Error("Next after Close")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestMappingFeatures(t *testing.T) {
	data := "id,region,tik,uik,name,code,votes,stratum\n" +
		"1,R,T,,Station,7,5,NA\n" +
		"2,R,T,U,,,NA,s2\n" +
		"3,R,T,X,Station,8,1,skipme\n" +
		",,,,,,,\n"
	r := newTestReader(t, data, `{
		"areas": ["region", "tik", "uik"],
		"station_name_format": "{code} {name} (row {#1}) {{x}}",
		"options": {"X": "votes"},
		"attributes": {"stratum": "stratum"},
		"empty_areas": "drop",
		"null_values": ["NA"],
		"skip_rows_where": {"stratum": ["skipme"]}
	}`, "t.csv")
	rows, errs := readAll(t, r)
	if len(errs) > 0 || len(rows) != 2 {
		t.Fatalf("rows %+v errs %v", rows, errs)
	}
	if want := []string{"region", "tik", "uik", "station"}; !reflect.DeepEqual(r.m.Levels(), want) {
		t.Errorf("levels %q, want %q", r.m.Levels(), want)
	}
	if want := []string{"R", "T", "7 Station (row 1) {x}"}; !reflect.DeepEqual(rows[0].Path, want) {
		t.Errorf("path %q, want %q", rows[0].Path, want)
	}
	if want := []string{"R", "T", "U", "(row 2) {x}"}; !reflect.DeepEqual(rows[1].Path, want) {
		t.Errorf("path %q, want %q", rows[1].Path, want)
	}
	if rows[0].Attrs["stratum"] != "" || rows[1].Attrs["stratum"] != "s2" || !rows[1].VotesAbsent[0] || !rows[1].Empty() {
		t.Errorf("%+v", rows)
	}
	if r.Skipped() != 2 {
		t.Errorf("skipped %d, want 2 (skip_rows_where and a blank row)", r.Skipped())
	}
}

func TestStationNameNeedsAValue(t *testing.T) {
	r := newTestReader(t, "a,name,v\nA,,1\n", `{"areas": ["a"], "station_name_format": "{name}", "options": {"X": "v"}}`, "t.csv")
	_, errs := readAll(t, r)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "station_name_format") {
		t.Errorf("%v", errs)
	}
}

func TestInvalidUTF8(t *testing.T) {
	r := newTestReader(t, "a,v\n\xff\xfe,1\n", `{"areas": ["a"], "options": {"X": "v"}}`, "t.csv")
	_, errs := readAll(t, r)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `expected UTF-8 text (set "encoding" in the mapping)`) {
		t.Errorf("%v", errs)
	}
}

func TestEncoding(t *testing.T) {
	text := "регион,голоса\nМосква,5\n"
	enc, err := charmap.Windows1251.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	r := newTestReader(t, enc, `{"areas": ["регион"], "options": {"X": "голоса"}, "encoding": "windows-1251"}`, "t.csv")
	rows, errs := readAll(t, r)
	if len(errs) > 0 || len(rows) != 1 || rows[0].Path[0] != "Москва" {
		t.Errorf("%+v %v", rows, errs)
	}
}

func TestUTF16(t *testing.T) {
	text := "регион\tголоса\r\nМосква\t5\r\n"
	le, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	be, err := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ data, enc string }{{le, ""}, {le, `, "encoding": "utf-16"`}, {be, `, "encoding": "utf-16be"`}} {
		r := newTestReader(t, c.data, `{"areas": ["регион"], "options": {"X": "голоса"}`+c.enc+`}`, "t.txt")
		rows, errs := readAll(t, r)
		if len(errs) > 0 || len(rows) != 1 || rows[0].Path[0] != "Москва" || rows[0].Votes[0] != 5 {
			t.Errorf("%q: %+v %v", c.enc, rows, errs)
		}
	}
}

const smallCSV = "region,uik,reg,box1,box2,inv,a,z,f\nN,1,100,10,5,1,7,6,x\nS,2,50,1,1,0,1,1,y\n"

func checkSmall(t *testing.T, path string, m *Mapping) {
	t.Helper()
	r, err := Open(path, m)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, errs := readAll(t, r)
	if len(errs) > 0 || len(rows) != 2 || rows[1].Figures.Value(election.Registered) != 50 {
		t.Errorf("%s: rows %+v errs %v", path, rows, errs)
	}
}

func TestCompressed(t *testing.T) {
	dir := t.TempDir()
	m := mustMapping(t, testMapping)

	gzPath := filepath.Join(dir, "small.csv.gz")
	writeGzip(t, gzPath, smallCSV)
	checkSmall(t, gzPath, m)

	// A truncated gzip stream is fatal, after the rows before the cut.
	full, _ := os.ReadFile(gzPath)
	r, err := NewReader(bytes.NewReader(full[:len(full)-12]), "cut.csv.gz", m)
	if err != nil {
		t.Fatal(err)
	}
	rows, errs := readAll(t, r)
	if len(errs) != 1 || IsRowError(errs[0]) || !errors.Is(errs[0], io.ErrUnexpectedEOF) {
		t.Errorf("truncated gzip: rows %d, errors %v", len(rows), errs)
	}

	one := filepath.Join(dir, "one.zip")
	writeZip(t, one, map[string]string{"data/anything.csv": smallCSV, "__MACOSX/._anything.csv": "junk"})
	checkSmall(t, one, m)

	several := filepath.Join(dir, "2018.csv.zip")
	writeZip(t, several, map[string]string{"2018.csv": smallCSV, "README.txt": "read me"})
	checkSmall(t, several, m) // picked by the archive's name

	named := filepath.Join(dir, "bundle.zip")
	writeZip(t, named, map[string]string{"a.csv": "junk", "b.csv.gz": "", "c.csv": smallCSV})
	if _, err := Open(named, m); err == nil || !strings.Contains(err.Error(), `holds several files`) {
		t.Errorf("%v", err)
	}
	m2 := *m
	m2.Entry = "c.csv"
	checkSmall(t, named, &m2)
	m2.Entry = "d.csv"
	if _, err := Open(named, &m2); err == nil || !strings.Contains(err.Error(), `no file "d.csv"`) {
		t.Errorf("%v", err)
	}
	// Errors inside a zip name the entry.
	bad := filepath.Join(dir, "bad.zip")
	writeZip(t, bad, map[string]string{"inner.csv": "region,uik,reg,box1,box2,inv,a,z,f\nN,1,x,0,0,0,0,0,\n"})
	r, err = Open(bad, m)
	if err != nil {
		t.Fatal(err)
	}
	_, errs = readAll(t, r)
	r.Close()
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "inner.csv:2: ") {
		t.Errorf("%v", errs)
	}
	if _, err := NewReader(strings.NewReader(""), "x.zip", m); err == nil {
		t.Error("NewReader accepted a zip")
	}
}

func writeGzip(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte(data))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeZip(t *testing.T, path string, files map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestXLSX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.xlsx")
	f := excelize.NewFile()
	f.NewSheet("Results")
	rows := [][]any{
		{"Title row to skip"},
		{"region", "uik", "reg", "box1", "box2", "inv", "a", "z", "f"},
		{"N", 1, 100, 10, 5, 1, 7, 6, "x"},
		{"S", "2", 50.0, "", "", 0, 1, 1}, // no trailing cell for "f"
		{"S", 3, 12.5, 0, 0, 0, 0, 0},
		{"S", 4.0, 1e6, 0, 0, 0, 0, 0, 7.0},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Results", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	m := mustMapping(t, testMapping)
	m.Sheet, m.SkipLines = "Results", 1
	r, err := Open(path, m)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, errs := readAll(t, r)
	if len(got) != 3 || len(errs) != 1 {
		t.Fatalf("rows %+v errs %v", got, errs)
	}
	if got[0].Line != 3 || got[0].Figures.Value(election.BallotsInBox) != 15 || got[1].Figures.Value(election.Registered) != 50 || got[1].Figures.Has(election.BallotsInBox) {
		t.Errorf("rows %+v", got)
	}
	if got[2].Path[1] != "4" || got[2].Attrs["flag"] != "7" || got[2].Figures.Value(election.Registered) != 1e6 {
		t.Errorf("row %+v", got[2])
	}
	if want := `results.xlsx:5: column "reg": value "12.5": expected a whole number from 0 to 10000000000`; errs[0].Error() != want {
		t.Errorf("got  %s\nwant %s", errs[0], want)
	}
	m.Sheet = "Nope"
	if _, err := Open(path, m); err == nil || !strings.Contains(err.Error(), `sheet "Nope"`) {
		t.Errorf("%v", err)
	}
}

func TestRecordLimit(t *testing.T) {
	defer func(n int64) { maxRecordBytes = n }(maxRecordBytes)
	maxRecordBytes = 64 << 10
	// An unbalanced quote turns the rest of the file into one record.
	data := "a,v\nA,1\n\"B,2\n" + strings.Repeat("C,3\n", 100<<10)
	r := newTestReader(t, data, `{"areas": ["a"], "options": {"X": "v"}}`, "t.csv")
	rows, errs := readAll(t, r)
	if len(rows) != 1 || len(errs) != 1 || IsRowError(errs[0]) || !strings.Contains(errs[0].Error(), "unbalanced quote") {
		t.Errorf("rows %d, errors %v", len(rows), errs)
	}
	// Long rows below the limit are fine.
	long := strings.Repeat("x", 60<<10)
	r = newTestReader(t, "a,v,n\nA,1,"+long+"\nB,2,"+long+"\n", `{"areas": ["a"], "options": {"X": "v"}}`, "t.csv")
	rows, errs = readAll(t, r)
	if len(rows) != 2 || len(errs) != 0 {
		t.Errorf("rows %d, errors %v", len(rows), errs)
	}
}

// TestXLSXLargeSheet: a sheet over xlsxMemLimit is streamed from a
// temporary file, which Close (or a failed Open) removes.
func TestXLSXLargeSheet(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where excelize puts its temporary files
	path := filepath.Join(dir, "big.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	sw.SetRow("A1", []any{"region", "uik", "reg", "box1", "box2", "inv", "a", "z", "f"})
	const n = 20000
	for i := 2; i <= n+1; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		sw.SetRow(cell, []any{"Region", i, 1000, 10, 5, 1, 7, 6, "some flag text"})
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	m := mustMapping(t, testMapping)
	r, err := Open(path, m)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) == 0 {
		t.Error("the sheet was not unpacked to a temporary file")
	}
	rows, errs := readAll(t, r)
	if len(rows) != n || len(errs) != 0 || rows[n-1].Line != n+1 || rows[n-1].Path[1] != fmt.Sprint(n+1) {
		t.Errorf("%d rows, errors %v", len(rows), errs)
	}
	r.Close()
	bad := *m
	bad.Areas = []string{"nope"}
	if _, err := Open(path, &bad); err == nil {
		t.Error("opened with a missing column")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"Москва":              "Москва",
		" Москва ":            "Москва",
		"OASIS\nP. SCHOOL":    "OASIS P. SCHOOL",
		"a  b":                "a b",
		"\u00a0Tbilisi\u00a0": "Tbilisi",
		"a\u3000b":            "a b",
		"ქართული ოცნება":  "ქართული ოცნება",
		"1 Адыгейская":    "1 Адыгейская",
		"tab\tinside\r\n": "tab inside",
		"\xff\xfe":        "\xff\xfe",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

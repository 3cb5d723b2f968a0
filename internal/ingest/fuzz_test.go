package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/xuri/excelize/v2"
)

// FuzzReader feeds arbitrary bytes (and mappings) to the CSV reader: it
// must never panic or loop, and every row it returns must be well formed.
func FuzzReader(f *testing.F) {
	f.Add([]byte(smallCSV), testMapping)
	f.Add([]byte("region,uik,reg,box1,box2,inv,a,z,f\nN,1,12a,0,0,0,0,0,\nN,\"7,1\n"), testMapping)
	f.Add([]byte("\xEF\xBB\xBF\"name; or, not\";x\r\nA;1\r\n"), `{"areas": ["name; or, not"], "options": {"X": "x"}}`)
	f.Add([]byte("6307\na|b|v\n1|2|3\n|||\n"), `{"areas": ["a", "b"], "options": {"V": "v"}, "skip_lines": 1, "delimiter": "|"}`)
	f.Add([]byte("id,r,name,v\n1,R,,NA\n2,,S,5\n"), `{"areas": ["r"], "station_name_format": "{name} {#1}", "options": {"V": ["v", "v2"]}, "empty_areas": "drop", "null_values": ["NA"]}`)
	f.Add([]byte("a,v,v2\nA,9223372036854775807,1\n"), `{"areas": ["a"], "options": {"V": ["v", "v2"]}, "figures": {"valid": "v"}}`)
	f.Add([]byte("\xff\xfea\x00,\x00v\x00\n\x00A\x00,\x001\x00\n\x00"), `{"areas": ["a"], "options": {"V": "v"}}`)
	f.Add([]byte("\xc0\xee\xeb,v\n\xc0,1\n"), `{"areas": ["Аол"], "options": {"V": "v"}, "encoding": "windows-1251"}`)
	f.Fuzz(func(t *testing.T, data []byte, mapping string) {
		m, err := ParseMapping([]byte(mapping))
		if err != nil {
			return
		}
		r, err := NewReader(bytes.NewReader(data), "fuzz.csv", m)
		if err != nil {
			if IsRowError(err) {
				t.Fatalf("NewReader returned a row error: %v", err)
			}
			return
		}
		defer r.Close()
		// Every Next consumes at least one line, so there are at most as
		// many calls as bytes (plus the end).
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("Next called %d times on %d bytes without the end", i, len(data))
			}
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Line <= m.SkipLines || re.Expected == "" || re.Error() == "" {
					t.Fatalf("bad row error %#v", re)
				}
				continue
			}
			if err != nil {
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("fatal error %v not sticky: %v", err, err2)
				}
				return
			}
			checkRow(t, m, row)
		}
	})
}

func checkRow(t *testing.T, m *Mapping, row Row) {
	t.Helper()
	if row.Line < 1 || len(row.Path) == 0 || len(row.Path) > len(m.Areas)+1 {
		t.Fatalf("row %+v", row)
	}
	for _, p := range row.Path {
		if p == "" || !utf8.ValidString(p) {
			t.Fatalf("path element %q", p)
		}
	}
	if len(row.Votes) != len(m.Options) || row.VotesAbsent != nil && len(row.VotesAbsent) != len(m.Options) {
		t.Fatalf("votes %v absent %v for %d options", row.Votes, row.VotesAbsent, len(m.Options))
	}
	for i, v := range row.Votes {
		if v < 0 || v > election.MaxCount || row.VotesAbsent != nil && row.VotesAbsent[i] && v != 0 {
			t.Fatalf("votes %v absent %v", row.Votes, row.VotesAbsent)
		}
	}
	for name, v := range row.Figures.Map() {
		// ballots_issued may be derived from its three parts.
		if v < 0 || v > 3*election.MaxCount || v > election.MaxCount && name != "ballots_issued" {
			t.Fatalf("figure %s = %d", name, v)
		}
	}
	if len(row.Attrs) != len(m.Attributes) {
		t.Fatalf("attrs %v", row.Attrs)
	}
}

// FuzzMapping: ParseMapping never panics, and what it accepts survives a
// round trip through MarshalJSON unchanged.
func FuzzMapping(f *testing.F) {
	f.Add(testMapping)
	f.Add(`{"areas": ["a"], "options": {"X": "x"}, "delimiter": "tab", "skip_lines": 1, "sheet": "S", "entry": "e.csv",
		"encoding": "cp1251", "null_values": "NA", "skip_rows_where": {"c": "v"}, "empty_areas": "drop",
		"station_name_format": "{{{a}}}", "kind": {"nested": [1, 2.5, null]}}`)
	f.Add(`{"areas": ["a"], "options": {"X": "x"}, "figures": {"valid": "x"}, "figures": {}}`)
	f.Add(`{"areas":["a"],"options":{"X":"x"},"skip_lines":1e3}`)
	files, _ := filepath.Glob(filepath.Join("..", "..", "docs", "mappings", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, data string) {
		m, err := ParseMapping([]byte(data))
		if err != nil {
			var me *MappingError
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a *MappingError", err)
			}
			return
		}
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseMapping(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the mapping:\n%+v\n%+v\n%s", m, m2, b)
		}
	})
}

// FuzzXLSX puts arbitrary worksheet and shared-strings XML into an
// otherwise valid workbook: excelize must not crash the reader (its panics
// are turned into errors), and the rows must be well formed.
func FuzzXLSX(f *testing.F) {
	tmpl := xlsxTemplate(f)
	const sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="s"><v>0</v></c></row>` +
		`<row r="2"><c r="A2" t="inlineStr"><is><t>North</t></is></c><c r="B2"><v>12.0</v></c></row>` +
		`<row r="4"><c r="A4"><v>7</v></c><c r="C4"><v>1</v></c></row>` +
		`</sheetData></worksheet>`
	const sst = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>v</t></si></sst>`
	f.Add(sheet, sst)
	f.Add(sheet, "")
	f.Add(`<worksheet><sheetData><row r="1048577"><c r="A1"><v>1</v></c></row></sheetData></worksheet>`, sst)
	f.Add(`<worksheet><sheetData><row><c r="XFD1" t="s"><v>99</v></c></row></sheetData></worksheet>`, sst)
	m, err := ParseMapping([]byte(`{"areas": ["a"], "options": {"V": "v"}, "figures": {"valid": "v"}}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sheetXML, sstXML string) {
		data := withParts(t, tmpl, map[string]string{"xl/worksheets/sheet1.xml": sheetXML, "xl/sharedStrings.xml": sstXML})
		r, err := NewReader(bytes.NewReader(data), "fuzz.xlsx", m)
		if err != nil {
			return
		}
		defer r.Close()
		for i := 0; ; i++ {
			if i > len(sheetXML)+1 {
				t.Fatalf("Next called %d times on %d bytes of sheet without the end", i, len(sheetXML))
			}
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			if IsRowError(err) {
				continue
			}
			if err != nil {
				return
			}
			checkRow(t, m, row)
		}
	})
}

// xlsxTemplate is a small workbook whose parts FuzzXLSX replaces.
func xlsxTemplate(tb testing.TB) []byte {
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"a", "v"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"North", 1})
	b, err := x.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// withParts rewrites a zip archive, replacing (or adding) the given parts;
// an empty part is left out.
func withParts(tb testing.TB, archive []byte, parts map[string]string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if _, ok := parts[f.Name]; ok {
			continue
		}
		w, _ := zw.Create(f.Name)
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	for name, data := range parts {
		if data == "" {
			continue
		}
		w, _ := zw.Create(name)
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

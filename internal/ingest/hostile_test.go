package ingest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The hostile files of issue 10 (item 7), generated here: each is refused
// with an error that says where and why, or (blank lines) read right.

const hostileMapping = `{"areas": ["a"], "figures": {"registered": "reg"}, "options": {"X": "v"}}`

func TestHostileCellAndName(t *testing.T) {
	huge := strings.Repeat("x", MaxCellBytes+1)
	long := strings.Repeat("я", MaxNameBytes/2+1)
	data := "a,reg,v,note\n" +
		"A,1,1," + huge + "\n" +
		long + ",1,1,\n" +
		"B,1,1,ok\n"
	rows, errs := readAll(t, newTestReader(t, data, hostileMapping, "h.csv"))
	want := []string{
		fmt.Sprintf(`h.csv:2: column "note": value %q: expected a cell of at most 64 KiB (it has 64 KiB)`, short(huge)),
		fmt.Sprintf(`h.csv:3: column "a": value %q: expected a name of at most 1024 bytes (it has 1026)`, short(long)),
	}
	if len(errs) != 2 || errs[0].Error() != want[0] || errs[1].Error() != want[1] || !IsRowError(errs[0]) {
		t.Fatalf("errors %v\nwant %v", errs, want)
	}
	if len(rows) != 1 || rows[0].Path[0] != "B" {
		t.Errorf("rows %+v", rows)
	}
}

// TestHostileOverflow: two stations with 2^63−1 registered voters used to
// import and tally to −2; a count above election.MaxCount is refused at its
// cell.
func TestHostileOverflow(t *testing.T) {
	data := "a,reg,v\nA,9223372036854775807,1\nB,9223372036854775807,1\nC,10000000000,1\n"
	rows, errs := readAll(t, newTestReader(t, data, hostileMapping, "o.csv"))
	want := `o.csv:2: column "reg": value "9223372036854775807": expected a whole number from 0 to 10000000000`
	if len(errs) != 2 || errs[0].Error() != want || !strings.HasPrefix(errs[1].Error(), `o.csv:3: column "reg"`) {
		t.Fatalf("errors %v", errs)
	}
	if len(rows) != 1 || rows[0].Figures.Value(0) != 10_000_000_000 {
		t.Errorf("rows %+v", rows)
	}
}

// TestHostileBlankLines: a run of blank lines longer than the record limit
// is skipped, and the row after it has its true line; an open quote
// followed by line breaks is still a record too long, from its line.
func TestHostileBlankLines(t *testing.T) {
	defer func(n int64) { maxRecordBytes = n }(maxRecordBytes)
	maxRecordBytes = 64 << 10
	const blanks = 200 << 10
	data := "a,reg,v\nA,1,1\n" + strings.Repeat("\n", blanks) + strings.Repeat("\r\n", blanks) + "B,2,2\n"
	rows, errs := readAll(t, newTestReader(t, data, hostileMapping, "b.csv"))
	if len(errs) != 0 || len(rows) != 2 || rows[1].Line != 3+2*blanks {
		t.Fatalf("rows %+v errors %v", rows, errs)
	}
	data = "a,reg,v\nA,1,1\n\"B,2,2\n" + strings.Repeat("\n", blanks)
	rows, errs = readAll(t, newTestReader(t, data, hostileMapping, "q.csv"))
	if len(rows) != 1 || len(errs) != 1 || IsRowError(errs[0]) ||
		errs[0].Error() != "q.csv: from line 3: a record longer than 64 KiB (an unbalanced quote?)" {
		t.Fatalf("rows %d errors %v", len(rows), errs)
	}
	// A long line with no quote open is not blamed on a quote.
	data = "a,reg,v\nA,1,1\nB" + strings.Repeat("x", 100<<10) + ",2,2\n"
	rows, errs = readAll(t, newTestReader(t, data, hostileMapping, "l.csv"))
	if len(rows) != 1 || len(errs) != 1 || errs[0].Error() != "l.csv: from line 3: a record longer than 64 KiB" {
		t.Fatalf("rows %d errors %v", len(rows), errs)
	}
}

func TestHostileRowCount(t *testing.T) {
	defer func(n int) { maxRows = n }(maxRows)
	maxRows = 3
	data := "a,reg,v\nA,1,1\n\nB,1,1\n,,\nC,1,1\nD,1,1\n"
	rows, errs := readAll(t, newTestReader(t, data, hostileMapping, "n.csv"))
	// Blank records count: ",," on line 5 is the third, C the fourth.
	if len(rows) != 2 || len(errs) != 1 || errs[0].Error() != "n.csv: line 6: more than 3 rows: split the file" {
		t.Fatalf("rows %d errors %v", len(rows), errs)
	}
}

// TestHostileXLSX: a workbook whose shared strings or sheet expand like a
// zip bomb is refused from its directory, before excelize reads it, both
// from a path and from a stream.
func TestHostileXLSX(t *testing.T) {
	defer func(a, b int64) { xlsxSharedStringsLimit, xlsxUnzipLimit = a, b }(xlsxSharedStringsLimit, xlsxUnzipLimit)
	xlsxSharedStringsLimit = 4 << 20
	tmpl := xlsxTemplate(t)
	m := mustMapping(t, `{"areas": ["a"], "options": {"V": "v"}}`)
	// 5 MiB of one repeated string: deflate packs it about 1000:1.
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		strings.Repeat(`<si><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></si>`, 5<<20/42) + `</sst>`
	sheet := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		strings.Repeat(`<row><c><v>1</v></c></row>`, 3<<20/26) + `</sheetData></worksheet>`
	for _, c := range []struct {
		name  string
		parts map[string]string
		want  string
	}{
		{"sst", map[string]string{"xl/sharedStrings.xml": sst},
			"the workbook's shared strings (xl/sharedStrings.xml) unpack to 5 MiB, more than the 4 MiB allowed (a zip bomb?)"},
		{"ratio", map[string]string{"xl/worksheets/sheet1.xml": sheet}, "the workbook's part xl/worksheets/sheet1.xml unpacks "},
	} {
		data := withParts(t, tmpl, c.parts)
		if len(data) > 200<<10 {
			t.Fatalf("%s: the bomb is %d bytes packed", c.name, len(data))
		}
		path := filepath.Join(t.TempDir(), "bomb.xlsx")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err1 := Open(path, m)
		_, err2 := NewReader(bytes.NewReader(data), "bomb.xlsx", m)
		for _, err := range []error{err1, err2} {
			if err == nil || !strings.Contains(err.Error(), "bomb.xlsx: "+c.want) {
				t.Errorf("%s: %v, want %q", c.name, err, c.want)
			}
		}
	}
	// The whole workbook's bound.
	xlsxUnzipLimit = 1 << 20
	data := withParts(t, tmpl, map[string]string{"xl/worksheets/sheet1.xml": strings.Replace(sheet, "<v>1</v>", "<v>2</v>", 1)})
	if _, err := NewReader(bytes.NewReader(data), "big.xlsx", m); err == nil || !strings.Contains(err.Error(), "big.xlsx: the workbook unpacks to more than 1 MiB") {
		t.Errorf("%v", err)
	}
}

package opendata_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/web/webtest"
	"github.com/vigil-elections/vigil/internal/xlsxcheck"
)

// TestOpenDataForSpreadsheets: what Excel, pandas and openpyxl need of the
// open data: a CSV with a byte-order mark (unless ?bom=0), a header with
// every name once, and XLSX sheets whose declared dimension is the range
// they fill.
func TestOpenDataForSpreadsheets(t *testing.T) {
	srv, el := webtest.DemoServer(t, storetest.SQLite(t))
	api := srv.URL + "/api/v1/elections/1/opendata/"

	withBOM := webtest.FetchBytes(t, api+"official-final.csv")
	if !bytes.HasPrefix(withBOM, []byte("\ufeffelection,")) {
		t.Fatalf("CSV starts %q, want a UTF-8 byte-order mark then the header", withBOM[:min(len(withBOM), 20)])
	}
	plain := webtest.FetchBytes(t, api+"official-final.csv?bom=0")
	if !bytes.Equal(plain, withBOM[3:]) {
		t.Fatal("?bom=0 is not the same file without its byte-order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(plain)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	for i, c := range head {
		if slices.Index(head, c) != i {
			t.Errorf("column %q twice in the header %v", c, head)
		}
	}
	flag := slices.Index(head, "is_station")
	if flag < 0 || len(recs)-1 != len(el.Stations) || recs[1][flag] != "1" {
		t.Fatalf("is_station column %d; %d rows for %d stations", flag, len(recs)-1, len(el.Stations))
	}
	readme := string(webtest.FetchBytes(t, api+"README.md"))
	if !strings.Contains(readme, "| is_station | 1 for a polling station") || !strings.Contains(readme, "byte-order mark") {
		t.Errorf("README does not document is_station and the BOM:\n%s", readme)
	}

	for _, src := range []string{"official-final", "observer"} {
		b := webtest.FetchBytes(t, api+src+".xlsx")
		sheets, err := xlsxcheck.Sheets(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(sheets) != 2 {
			t.Fatalf("%s.xlsx: %d sheets", src, len(sheets))
		}
		for _, s := range sheets {
			if s.Declared == "" || s.Declared != s.Used {
				t.Errorf("%s.xlsx %s: <dimension ref=%q>, cells fill %q", src, s.Part, s.Declared, s.Used)
			}
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("data")
		f.Close()
		if want := xlsxcheck.Range(len(head), len(rows)); sheets[0].Declared != want && sheets[1].Declared != want {
			t.Errorf("%s.xlsx: no sheet declares %s (data is %d × %d)", src, want, len(rows), len(head))
		}
	}
}

package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
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
		if v < 0 || row.VotesAbsent != nil && row.VotesAbsent[i] && v != 0 {
			t.Fatalf("votes %v absent %v", row.Votes, row.VotesAbsent)
		}
	}
	for name, v := range row.Figures.Map() {
		if v < 0 && name != "ballots_issued" { // a derived sum may overflow
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

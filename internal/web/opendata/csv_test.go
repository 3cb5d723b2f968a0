package opendata

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/election"
)

// TestOpenDataCSVNeutralisesFormulas: text cells that a spreadsheet would
// run (= + - @, tab, carriage return first) are written with a leading ',
// in the header (option names) as in the rows (area names); numbers,
// negative ones included, are left alone.
func TestOpenDataCSVNeutralisesFormulas(t *testing.T) {
	e := &election.Election{Name: "@e", Options: []election.Option{{Name: "=HYPERLINK(\"http://x\",\"y\")", Position: 0}, {Name: "Plain", Position: 1}}}
	area := &election.Area{ID: 7, Path: []string{"+North", "-cmd|' /C calc'!A0", "\tTab", "\rCR"}, Station: true}
	var f election.Figures
	f.Set(election.Registered, -5) // not a real figure: a negative number must stay a number
	tab := &openTable{e: e, source: election.OfficialPreliminary, levels: []string{"a", "b", "c", "d"},
		rows: []openRow{{p: &election.Protocol{ID: 1, Version: 1, Figures: f, Votes: []int64{1, 2}, Received: time.Unix(0, 0)}, area: area}}}
	tab.columns = append([]string{"election", "source", "area_id", "area_path"}, tab.levels...)
	tab.columns = append(tab.columns, "station", "protocol_id", "version", "received")
	for fig := election.Figure(0); fig < election.NumFigures; fig++ {
		tab.columns = append(tab.columns, fig.String())
	}
	tab.columns = append(tab.columns, e.Options[0].Name, e.Options[1].Name)
	var buf bytes.Buffer
	if err := tab.writeCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		for _, c := range rec {
			if c != "" && c != "-5" && bytes.ContainsAny([]byte{c[0]}, "=+-@\t\r") {
				t.Errorf("cell %q would run as a formula", c)
			}
		}
	}
	row := map[string]string{}
	for i, c := range recs[0] {
		row[c] = recs[1][i]
	}
	for col, want := range map[string]string{"election": "'@e", "a": "'+North", "b": "'-cmd|' /C calc'!A0", "c": "'\tTab",
		"d": "'\rCR", "registered": "-5", "'=HYPERLINK(\"http://x\",\"y\")": "1", "Plain": "2"} {
		if row[col] != want {
			t.Errorf("column %q: %q, want %q", col, row[col], want)
		}
	}
}

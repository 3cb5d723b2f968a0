package ingest

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

func TestParseMappingOrder(t *testing.T) {
	// Keys deliberately not in alphabetical order: the file's order is the
	// ballot order.
	m, err := ParseMapping([]byte(`{
		"areas": ["region", "uik"],
		"figures": {"registered": ["reg"], "ballots_in_box": ["box1", "box2"], "ballots_issued_early": "early"},
		"options": {"Zeta": "z", "Alpha": ["a1", "a2"], "Mu": "m"},
		"attributes": {"url": "url", "stratum": "s"},
		"option_kinds": {"Mu": "against-all"},
		"delimiter": ";", "skip_lines": 2, "sheet": "S", "null_values": ["NA"],
		"kind": "presidential"
	}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range m.Options {
		names = append(names, o.Name)
	}
	if want := []string{"Zeta", "Alpha", "Mu"}; !reflect.DeepEqual(names, want) {
		t.Errorf("options %q, want %q", names, want)
	}
	if got := m.Options[1].Columns; !reflect.DeepEqual(got, []string{"a1", "a2"}) {
		t.Errorf("Alpha columns %q", got)
	}
	if got := m.Figures[election.BallotsInBox]; !reflect.DeepEqual(got, []string{"box1", "box2"}) {
		t.Errorf("ballots_in_box %q", got)
	}
	if got := m.Figures[election.BallotsIssuedEarly]; !reflect.DeepEqual(got, []string{"early"}) {
		t.Errorf("ballots_issued_early %q", got)
	}
	if m.Attributes[0].Name != "url" || m.Attributes[1].Name != "stratum" {
		t.Errorf("attributes %v", m.Attributes)
	}
	if m.Delimiter != ';' || m.SkipLines != 2 || m.Sheet != "S" || m.NullValues[0] != "NA" {
		t.Errorf("delimiter %q skip %d sheet %q nulls %q", m.Delimiter, m.SkipLines, m.Sheet, m.NullValues)
	}
	opts := m.ElectionOptions(election.Candidate)
	if len(opts) != 3 || opts[2].Kind != election.AgainstAll || opts[2].Position != 2 || opts[0].Kind != election.Candidate || opts[0].Name != "Zeta" {
		t.Errorf("election options %+v", opts)
	}
	if string(m.Extra["kind"]) != `"presidential"` {
		t.Errorf("extra %q", m.Extra)
	}
	// The mapping survives a round trip through MarshalJSON.
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ParseMapping(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Errorf("round trip:\n%+v\n%+v", m, m2)
	}
}

func TestParseMappingErrors(t *testing.T) {
	base := `"areas": ["a"], "options": {"X": "x"}`
	for _, c := range []struct{ json, key, msg string }{
		{`[]`, "", "expected a JSON object"},
		{`{`, "", "unexpected end"},
		{`{` + base + `} {}`, "", "unexpected data after"},
		{`{"options": {"X": "x"}}`, "areas", "at least one column"},
		{`{"areas": [], "options": {"X": "x"}}`, "areas", "at least one column"},
		{`{"areas": {}, "options": {"X": "x"}}`, "areas", "expected a column name or a list of column names"},
		{`{"areas": [1], "options": {"X": "x"}}`, "areas", "expected a column name or a list of column names"},
		{`{"areas": ["a", "a"], "options": {"X": "x"}}`, "areas", `column "a" listed twice`},
		{`{"areas": [""], "options": {"X": "x"}}`, "areas", "empty column name"},
		{`{"areas": ["a"]}`, "options", "at least one option"},
		{`{"areas": ["a"], "options": {}}`, "options", "at least one option"},
		{`{"areas": ["a"], "options": []}`, "options", "expected an object"},
		{`{"areas": ["a"], "options": {"X": "x", "X": "y"}}`, "options.X", "given twice"},
		{`{"areas": ["a"], "options": {"X": 3}}`, "options.X", "expected a column name or a list"},
		{`{"areas": ["a"], "options": {"X": []}}`, "options.X", "needs a column"},
		{`{"areas": ["a"], "options": {" ": "x"}}`, "options. ", "empty name"},
		{`{` + base + `, "figures": {"turnout": ["t"]}}`, "figures.turnout", "unknown figure"},
		{`{` + base + `, "figures": {"valid": ["v"], "valid": ["w"]}}`, "figures.valid", "given twice"},
		{`{` + base + `, "figures": {"valid": []}}`, "figures.valid", "at least one column"},
		{`{` + base + `, "figures": {"valid": {"a": 1}}}`, "figures.valid", "expected a column name or a list"},
		{`{` + base + `, "attributes": {"s": ["a", "b"]}}`, "attributes.s", "expected one column name"},
		{`{` + base + `, "delimiter": ",,"}`, "delimiter", "expected one character"},
		{`{` + base + `, "delimiter": "\""}`, "delimiter", "cannot separate fields"},
		{`{` + base + `, "delimiter": 44}`, "delimiter", "expected a string"},
		{`{` + base + `, "skip_lines": -1}`, "skip_lines", "expected a whole number from 0"},
		{`{` + base + `, "skip_lines": 1.5}`, "skip_lines", "expected a whole number"},
		{`{` + base + `, "skip_lines": "1"}`, "skip_lines", "expected a whole number"},
		{`{` + base + `, "encoding": "ebcdic"}`, "encoding", "unknown encoding"},
		{`{` + base + `, "empty_areas": "keep"}`, "empty_areas", `expected "error"`},
		{`{` + base + `, "station_name_format": "{a"}`, "station_name_format", "unclosed"},
		{`{` + base + `, "station_name_format": "a}"}`, "station_name_format", "unmatched"},
		{`{` + base + `, "station_name_format": "plain"}`, "station_name_format", "names no {column}"},
		{`{` + base + `, "null_values": [1]}`, "null_values", "expected a string or a list of strings"},
		{`{` + base + `, "areas": ["b"]}`, "areas", "given twice"},
		{`{` + base + `, "option_kinds": {"Y": "yes"}}`, "option_kinds.Y", "not one of the options"},
		{`{` + base + `, "option_kinds": {"X": "maybe"}}`, "option_kinds.X", `expected "candidate"`},
		{`{` + base + `, "option_kinds": {"X": "yes", "X": "no"}}`, "option_kinds.X", "given twice"},
		{`{` + base + `, "option_kinds": {"X": 1}}`, "option_kinds.X", "expected a string"},
	} {
		_, err := ParseMapping([]byte(c.json))
		var me *MappingError
		if !errors.As(err, &me) {
			t.Errorf("%s: error %v, want a *MappingError", c.json, err)
			continue
		}
		if me.Key != c.key || !strings.Contains(me.Msg, c.msg) {
			t.Errorf("%s:\n got key %q msg %q\nwant key %q msg containing %q", c.json, me.Key, me.Msg, c.key, c.msg)
		}
	}
}

func TestLoadMappingNamesFile(t *testing.T) {
	_, err := LoadMapping("testdata/bad-mapping.json")
	if err == nil || !strings.Contains(err.Error(), `mapping testdata/bad-mapping.json: "figures.turnout": unknown figure`) {
		t.Errorf("error %v", err)
	}
}

func TestDelimiterWords(t *testing.T) {
	for in, want := range map[string]rune{"tab": '\t', "\t": '\t', "comma": ',', "semicolon": ';', "pipe": '|', ";": ';'} {
		if r, err := parseDelimiter(in); err != nil || r != want {
			t.Errorf("parseDelimiter(%q) = %q, %v", in, r, err)
		}
	}
}

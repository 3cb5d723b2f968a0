package store

import (
	"encoding/json"
	"testing"
)

// pathElem gives encoding/json's answer for any input and level, and
// reads appendPathJSON's output of plain names in place.
func FuzzPathElem(f *testing.F) {
	for _, s := range []string{
		`["Region 01","District 0001","PS 000001"]`, `[""]`, `["",""]`, `["a", "b"]`, `["a","b\"c"]`, `["\u003c"]`,
		`["é","ü"]`, "[\"\xff\"]", "[\"a\x01\"]", `[]`, `["a"`, `[1]`, `["a",1]`, `null`, `["a","b",]`, `[ "a"]`,
	} {
		f.Add(s, 0)
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, s string, i int) {
		var names []string
		jerr := json.Unmarshal([]byte(s), &names)
		got, err := pathElem(s, i)
		switch {
		case jerr != nil || i < 0 || i >= len(names):
			if err == nil {
				t.Errorf("pathElem(%q, %d) = %q, want an error", s, i, got)
			}
		case err != nil || got != names[i]:
			t.Errorf("pathElem(%q, %d) = %q, %v; encoding/json %q", s, i, got, err, names[i])
		}
	})
}

func TestPathElemPlain(t *testing.T) {
	p := string(appendPathJSON(nil, []string{"Region 01", "", "PS 1"}))
	for i, want := range []string{"Region 01", "", "PS 1"} {
		if got, ok := pathElemPlain(p, i); !ok || got != want {
			t.Errorf("pathElemPlain(%s, %d) = %q, %v", p, i, got, ok)
		}
	}
}

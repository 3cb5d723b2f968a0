package store

import (
	"encoding/json"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/agg"
)

// FuzzPathJSON: the hand-written encoder writes exactly what json.Marshal
// writes, so that a path stored by the import and one looked up through
// json.Marshal (AreaByPath) are the same bytes.
func FuzzPathJSON(f *testing.F) {
	for _, s := range []string{"", "Республика Адыгея (Адыгея)", `a"b\c`, "<&>", "tab\there\n", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe bad", "УИК №1"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		path := []string{a, b}
		want, err := json.Marshal(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendPathJSON(nil, path); string(got) != string(want) {
			t.Fatalf("path %q: got %s, json.Marshal %s", path, got, want)
		}
	})
}

func TestVotesJSON(t *testing.T) {
	for _, v := range [][]int64{nil, {}, {0}, {1, -2, 9223372036854775807}} {
		want, _ := json.Marshal(v)
		if v == nil {
			want = []byte("[]")
		}
		if got := appendVotesJSON(nil, v); string(got) != string(want) {
			t.Errorf("%v: got %s want %s", v, got, want)
		}
	}
}

// FuzzConflictJSON: a conflict's body is the text json.Marshal wrote for
// it before the group commit wrote it directly, so bodies stored either
// way compare equal; JSON that json.Marshal refuses is refused.
func FuzzConflictJSON(f *testing.F) {
	f.Add(int64(7), "counting", "q1", []byte(`"yes"`), []byte(`"no"`), []byte(nil), true)
	f.Add(int64(-1), "<b>", "\u2028\xff", []byte(`{"a": [1, 2]}`), []byte(`1.5e3`), []byte(`"x"`), false)
	f.Add(int64(0), "", "", []byte(``), []byte(`nul`), []byte(`{`), false)
	f.Fuzz(func(t *testing.T, area int64, phase, q string, a, b, resolved []byte, nilValues bool) {
		c := agg.Conflict{AreaID: area, Phase: phase, Question: q, Resolved: resolved,
			Values: []agg.ConflictValue{{Value: a, Reports: []int64{area, 2}}, {Value: b, Reports: nil}}}
		if nilValues {
			c.Values = nil
		}
		want, werr := json.Marshal(c)
		got, gerr := appendConflictJSON(nil, c)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%+v: error %v, json.Marshal's %v", c, gerr, werr)
		}
		if werr == nil && string(got) != string(want) {
			t.Fatalf("%+v:\n got %s\nwant %s", c, got, want)
		}
	})
}

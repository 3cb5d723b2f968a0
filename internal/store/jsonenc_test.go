package store

import (
	"encoding/json"
	"testing"
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

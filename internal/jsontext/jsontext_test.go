package jsontext

import (
	"encoding/json"
	"testing"
)

var strs = []string{"", "Республика Адыгея (Адыгея)", `a"b\c`, "<&>", "tab\there\n", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe bad", "УИК №1", "\b\f\r"}

// FuzzString: AppendString writes exactly what json.Marshal writes for a
// string, invalid bytes and HTML-sensitive characters included.
func FuzzString(f *testing.F) {
	for _, s := range strs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("%q: got %s, json.Marshal %s", s, got[1:], want)
		}
	})
}

func TestLists(t *testing.T) {
	for _, v := range [][]int64{nil, {}, {0}, {1, -2, 9223372036854775807, -9223372036854775808}} {
		want, _ := json.Marshal(v)
		if got := AppendInts(nil, v); string(got) != string(want) {
			t.Errorf("%v: got %s, json.Marshal %s", v, got, want)
		}
	}
	for _, v := range [][]string{nil, {}, strs} {
		want, _ := json.Marshal(v)
		if got := AppendStrings(nil, v); string(got) != string(want) {
			t.Errorf("%q: got %s, json.Marshal %s", v, got, want)
		}
	}
	for _, m := range []map[string]bool{nil, {}, {"units": false, "overall": true, "<b>": true, "ind:q\u2028": false, "\xff": true}} {
		want, _ := json.Marshal(m)
		if got := AppendBools(nil, m); string(got) != string(want) {
			t.Errorf("%v: got %s, json.Marshal %s", m, got, want)
		}
	}
}

// FuzzRaw: AppendRaw writes what json.Marshal writes for a
// json.RawMessage, and fails where it fails.
func FuzzRaw(f *testing.F) {
	for _, s := range []string{`"a"`, `{"b": [1, 2]}`, ` true `, `"<\u2028>"`, "\"\u2028\"", `{`, ``, `nul`, `1e5`, `"\ud800"`, `[ "x" , {"y" :null} ]`, `"a b"`, `{"a":"№ 5 — x"}`, `"\\" "`, `"\" <"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, werr := json.Marshal(json.RawMessage(raw))
		got, gerr := AppendRaw([]byte("x"), raw)
		if (werr != nil) != (gerr != nil) {
			t.Fatalf("%q: error %v, json.Marshal's %v", raw, gerr, werr)
		}
		if werr == nil && string(got) != "x"+string(want) {
			t.Fatalf("%q: got %s, json.Marshal %s", raw, got[1:], want)
		}
	})
}

// plain takes the usual text (spaces inside strings, "№", "—") as it is,
// and nothing json.Marshal would change.
func TestPlain(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"a":"very good","b":"№ 5 — x"}`: true,
		`["\\","\""]`:                     true,
		`{"a": 1}`:                        false,
		"[1,\n2]":                         false,
		`"<b>"`:                           false,
		"\"\u2028\"":                      false,
		"\"\u2029\"":                      false,
		`"\" x"`:                          true,
		`"\\" , 1`:                        false,
	} {
		if got := plain([]byte(raw)); got != want {
			t.Errorf("plain(%s) = %v, want %v", raw, got, want)
		}
	}
}

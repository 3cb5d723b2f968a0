package qc

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func answers(m map[string]Value) Lookup { return func(n string) Value { return m[n] } }

func TestEval(t *testing.T) {
	env := answers(map[string]Value{
		"ballots_in_box": IntV(510), "ballots_issued": IntV(500), "valid": IntV(490), "invalid": IntV(20),
		"protocol.ballots_in_box": IntV(510), "protocol_copy": BoolV(false), "sealed": BoolV(true),
		"overall": StrV("bad"), "zero": IntV(0), "big": IntV(1 << 62),
	})
	cases := []struct {
		src  string
		want string // true, false, unknown, or an integer
	}{
		{"ballots_in_box > ballots_issued", "true"},
		{"ballots_in_box <= ballots_issued", "false"},
		{"valid + invalid != ballots_in_box", "false"},
		{"valid + invalid = ballots_in_box", "true"},
		{"protocol.ballots_in_box - 10 == ballots_issued", "true"},
		{"not protocol_copy", "true"},
		{"!sealed", "false"},
		{"sealed and protocol_copy", "false"},
		{"sealed && (protocol_copy || ballots_in_box > 0)", "true"},
		{"overall = \"bad\"", "true"},
		{"overall != \"bad\"", "false"},
		{"overall = 3", "false"},
		{"overall > 3", "unknown"},
		{"missing > 3", "unknown"},
		{"missing > 3 or sealed", "true"},
		{"missing > 3 and sealed", "unknown"},
		{"missing > 3 and not sealed", "false"},
		{"not (missing = 1)", "unknown"},
		{"answered(missing)", "false"},
		{"answered(sealed) and not answered(missing)", "true"},
		{"ballots_issued / zero > 1", "unknown"},
		{"big * 4 > 0", "unknown"},
		{"big + big + big > 0", "unknown"},
		{"-big - big - big < 0", "unknown"},
		{"2 + 3 × 4", "14"},
		{"(2 + 3) * 4", "20"},
		{"7 ÷ 2", "3"},
		{"-7 / 2", "-3"},
		{"10 − 2 - 3", "5"},
		{"sealed + sealed", "2"},
		{"TRUE and not FALSE", "true"},
		{"a.b.c", "unknown"},
	}
	for _, c := range cases {
		e, err := Compile(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		v := e.Eval(env)
		var got string
		switch v.Kind {
		case Bool:
			got = map[bool]string{true: "true", false: "false"}[v.B]
		case Missing:
			got = "unknown"
		case Int:
			got = strconv.FormatInt(v.I, 10)
		case Str:
			got = v.S
		}
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
		if e.Fires(env) != (c.want == "true") {
			t.Errorf("%s: Fires disagrees", c.src)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct{ src, msg string }{
		{"", "at character 1: rule ends where a value was expected"},
		{"a >", "at character 4: rule ends where a value was expected"},
		{"a > b > c", "at character 7: comparisons do not chain"},
		{"(a > b", "at character 7: expected ) to close the ( at character 1"},
		{"a $ b", "at character 3: unexpected character '$'"},
		{"\"abc", "at character 1: string not closed"},
		{"99999999999999999999 > 1", "at character 1: number too large"},
		{"1abc", "at character 2: a name cannot start with a digit"},
		{"avg(a)", "unknown function \"avg\""},
		{"a b", "at character 3: unexpected \"b\""},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "nested deeper than 64"},
		{strings.Repeat("not ", 100) + "a", "nested deeper than 64"},
		{strings.Repeat("a", MaxLen+1), "longer than 4096"},
	}
	for _, c := range cases {
		_, err := Compile(c.src)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Compile(%.40q) = %v, want %q", c.src, err, c.msg)
		}
	}
}

func TestNames(t *testing.T) {
	e, err := Compile("a + b > a and answered(c)")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Names(), ","); got != "a,b,c" {
		t.Fatalf("names %s", got)
	}
	err = e.CheckNames(func(n string) bool { return n != "b" })
	if !errors.Is(err, ErrUnknownName) || !strings.Contains(err.Error(), "b") {
		t.Fatalf("CheckNames: %v", err)
	}
}

func FuzzCompileEval(f *testing.F) {
	for _, s := range []string{"a > b", "not (a + 1) * 3 = b or c", "answered(x) and \"s\" = y", "-(-(1))/0", "a×b÷c−d"} {
		f.Add(s)
	}
	env := answers(map[string]Value{"a": IntV(3), "b": IntV(-9223372036854775808), "c": BoolV(true), "y": StrV("s")})
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		e.Eval(env)
		e.Fires(env)
	})
}

// Rules read a repeat through count() and sum() (issue 13).
func TestRepeatAggregates(t *testing.T) {
	env := answers(map[string]Value{
		"incident":        MultiV(BoolV(true), BoolV(true), BoolV(true)),
		"incident.kind":   MultiV(StrV("stuffing"), StrV("intimidation"), StrV("stuffing")),
		"incident.people": MultiV(IntV(3), Value{}, IntV(4)),
		"incident.police": MultiV(BoolV(true), BoolV(false), Value{}),
		"none":            MultiV(),
		"overall":         StrV("bad"),
	})
	cases := []struct{ src, want string }{
		{"count(incident)", "3"},
		{"count(incident) > 2", "true"},
		{`count(incident.kind, "stuffing")`, "2"},
		{`count(incident.kind, "stuffing") >= 2 and overall = "bad"`, "true"},
		{"count(incident.police, true)", "1"},
		{"sum(incident.people)", "7"},
		{"count(none)", "0"},
		{"sum(none)", "0"},
		{"count(absent)", "0"},
		{"incident.kind = \"stuffing\"", "unknown"},
		{"count(incident.kind, missing)", "unknown"},
		{"count(overall, \"bad\")", "1"},
	}
	for _, c := range cases {
		e, err := Compile(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		v := e.Eval(env)
		got := "unknown"
		switch v.Kind {
		case Int:
			got = strconv.FormatInt(v.I, 10)
		case Bool:
			got = strconv.FormatBool(v.B)
		}
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
	for _, bad := range []string{"count()", "count(1)", "sum(incident.people, 2)", "count(incident"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("%s compiled", bad)
		}
	}
}

func TestDistance(t *testing.T) {
	e, err := Compile("distance(location) > 1000 and answered(location)")
	if err != nil {
		t.Fatal(err)
	}
	if !e.UsesDistance() {
		t.Error("UsesDistance is false for a rule calling distance()")
	}
	if e2, _ := Compile("answered(distance)"); e2.UsesDistance() {
		t.Error("UsesDistance is true for a question named distance")
	}
	look := func(m map[string]Value) Lookup { return func(n string) Value { return m[n] } }
	for _, c := range []struct {
		vals map[string]Value
		want string
	}{
		{map[string]Value{"location": StrV("1 2"), DistancePrefix + "location": IntV(4500)}, "true"},
		{map[string]Value{"location": StrV("1 2"), DistancePrefix + "location": IntV(90)}, "false"},
		{map[string]Value{"location": StrV("1 2")}, "missing"}, // station not located
		{map[string]Value{"location": StrV("1 2"), DistancePrefix + "location": StrV("far")}, "missing"},
	} {
		v := e.Eval(look(c.vals))
		got := "missing"
		if v.Kind == Bool {
			got = strconv.FormatBool(v.B)
		}
		if got != c.want {
			t.Errorf("%v: got %s, want %s", c.vals, got, c.want)
		}
	}
	for _, bad := range []string{"distance(", "distance()", "distance(1)", "distance(a b)"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
}

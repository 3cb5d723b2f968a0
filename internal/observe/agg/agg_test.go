package agg

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// Answers are compared, and shown in conflicts, by their JSON: valueKey
// must give exactly the bytes json.Marshal gives, or a stored conflict
// (and a rebuild's) would differ from before, and two equal answers could
// fail to match.
func TestValueKeyIsJSONMarshal(t *testing.T) {
	values := []form.Value{
		{}, form.BoolValue(true), form.BoolValue(false),
		form.IntValue(0), form.IntValue(-7), form.IntValue(math.MaxInt64), form.IntValue(math.MinInt64),
		form.DecimalValue(0), form.DecimalValue(2), form.DecimalValue(-0.125), form.DecimalValue(1e300),
		form.TextValue(""), form.TextValue("yes"), form.TextValue(`<b>"a" & 'b'</b>`), form.TextValue("line\nbreak\u2028é\x01"),
		form.ListValue(), form.ListValue("a", "<b>"),
		form.ProtocolValue(nil), form.ProtocolValue(map[string]int64{"valid": 3, "<x>": -1}),
		form.RepeatValue(), form.RepeatValue(form.Answers{"n": form.IntValue(2), "t": form.TextValue("&")}, form.Answers{}),
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%v): %v", v, err)
		}
		if got := valueKey(v); got != string(want) {
			t.Errorf("valueKey(%v) = %s, json.Marshal = %s", v, got, want)
		}
	}
}

// A conflict names each value once, by its JSON, with the reports that
// gave it in id order; equal answers of one visit merge, differing ones
// count for nothing.
func TestGroupConflictsAndMerge(t *testing.T) {
	f := &form.Form{}
	rs := []Report{
		{ID: 1, Visit: "team:1", Answers: form.Answers{"a": form.IntValue(1), "b": form.TextValue("x")}, Form: f},
		{ID: 2, Visit: "team:1", Answers: form.Answers{"a": form.IntValue(1), "b": form.TextValue("y")}, Form: f},
		{ID: 3, Visit: "team:2", Answers: form.Answers{"a": form.IntValue(2)}, Form: f},
	}
	res := Group(9, "voting", rs, nil)
	if res.Usable != 3 || len(res.Units) != 2 {
		t.Fatalf("usable %d, units %d; want 3, 2", res.Usable, len(res.Units))
	}
	if len(res.Conflicts) != 2 {
		t.Fatalf("conflicts %+v, want on a and b", res.Conflicts)
	}
	a := res.Conflicts[0]
	if a.Question != "a" || len(a.Values) != 2 || string(a.Values[0].Value) != "1" || len(a.Values[0].Reports) != 2 || string(a.Values[1].Value) != "2" {
		t.Fatalf("conflict on a: %+v", a)
	}
	if b := res.Conflicts[1]; b.Question != "b" || string(b.Values[0].Value) != `"x"` || string(b.Values[1].Value) != `"y"` {
		t.Fatalf("conflict on b: %+v", b)
	}
	merged := merge(rs[:2])
	if _, ok := merged["b"]; ok {
		t.Fatalf("merge kept b, on which the visit's reports differ: %v", merged)
	}
	if v, ok := merged["a"]; !ok || valueKey(v) != "1" {
		t.Fatalf("merge lost a, on which they agree: %v", merged)
	}
}

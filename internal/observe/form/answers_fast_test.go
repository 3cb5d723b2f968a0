package form

import (
	"bytes"
	"reflect"
	"testing"
)

// The fast path for scalar answers must give exactly what encoding/json
// gives, and must take nothing that encoding/json refuses.
func FuzzValueScalarFast(f *testing.F) {
	for _, s := range []string{`true`, `false`, `null`, `0`, `-0`, `7`, `-12`, `007`, `+5`, `1.5`, `1e3`,
		`9223372036854775807`, `-9223372036854775808`, `9223372036854775808`, `123456789012345678`, `1234567890123456789`,
		`""`, `"yes"`, `"a\"b"`, `"a"b"`, `"é"`, "\"\xff\"", "\"tab\there\"", `"\u00e9"`, `"<b>&"`, `tru`, `"`, `-`, `[]`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		if fast, ok := scalarFast(b); ok {
			sameAsGeneral(t, b, fast)
		}
	})
}

// sameAsGeneral fails unless the general path reads b as fast.
func sameAsGeneral(t *testing.T, b []byte, fast Value) {
	t.Helper()
	var general Value
	if err := general.unmarshalGeneral(b); err != nil {
		t.Fatalf("%q: the fast path read %v, encoding/json refuses it: %v", b, fast, err)
	}
	if !reflect.DeepEqual(fast, general) {
		t.Fatalf("%q: fast path %#v, encoding/json %#v", b, fast, general)
	}
}

// The answers most forms are made of take the fast path.
func TestValueScalarFastTaken(t *testing.T) {
	for _, s := range []string{`true`, `false`, `0`, `-12`, `"yes"`, `"é <b>"`} {
		if _, ok := scalarFast([]byte(s)); !ok {
			t.Errorf("%s: not taken", s)
		}
	}
	for _, s := range []string{`null`, `007`, `+5`, `1.5`, `1e3`, `"a\"b"`, "\"\xff\"", `[]`, `12345678901234567890`} {
		if _, ok := scalarFast([]byte(s)); ok {
			t.Errorf("%s: taken", s)
		}
	}
}

// FuzzAnswersFast: whatever object of answers the fast path reads,
// encoding/json reads too, to the same answers.
func FuzzAnswersFast(f *testing.F) {
	for _, s := range []string{`{}`, ` { } `, `{"a":1}`, `{"a":1,"b":"x","c":true,"d":null}`, `{"a":1,}`, `{"a":1 "b":2}`,
		`{"a":1,"a":2}`, `{"a\u0062":1}`, `{"a\"":1}`, "{\"\xff\":1}", `{"p":{"x":1,"y":2}}`, `{"l":["a","b"]}`,
		`{"l":["a",}`, `{"r":[{"q":1},{"q":"s"}]}`, `{"s":"a\"b]}"}`, `{"n":1.5e3}`, `{"n":-0}`, `{"n":1x}`,
		`{"a":1} x`, `{"a":1}}`, "{\"a\":\t1\r\n}", `{"a":"é"}`, "{\"a\":\"\xff\"}", `{"a":[1}`, `{"a":{]}`, `{"a":}`, `{:1}`, `{"a"1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.TrimSpace(b)
		if len(b) == 0 || b[0] != '{' {
			return
		}
		fast, ok := answersFast(b)
		if !ok {
			return
		}
		general, err := answersGeneral(b)
		if err != nil {
			t.Fatalf("%q: the fast path read %v, encoding/json refuses it: %v", b, fast, err)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("%q: fast path %#v, encoding/json %#v", b, fast, general)
		}
	})
}

// Objects of the answers most forms are made of take the fast path.
func TestAnswersFastTaken(t *testing.T) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x","c":true}`, "{ \"a\" : 1 ,\n\"p\":{\"x\":1},\"l\":[\"a\",\"b\"]}", `{"s":"a\"b"}`} {
		if _, ok := answersFast([]byte(s)); !ok {
			t.Errorf("%s: not taken", s)
		}
	}
	for _, s := range []string{`{"a":1,"a":2}`, `{"a\u0062":1}`, `{"a":1,}`, `{"a":1} x`, `{"a":[1}`, `{"n":1x}`} {
		if _, ok := answersFast([]byte(s)); ok {
			t.Errorf("%s: taken", s)
		}
	}
}

// BenchmarkAnswersDecode reads a report's answers as the group commit
// reads them back (twenty answers of the usual kinds and a protocol), by
// the fast path and by encoding/json's general path.
func BenchmarkAnswersDecode(b *testing.B) {
	text := []byte(`{"arrived":"07:10","opened_on_time":true,"observers_present":3,"police_inside":false,"queue":"short",` +
		`"ballot_box_sealed":true,"voter_list_ok":true,"ink_applied":true,"secrecy":"yes","assistance":0,"turned_away":2,` +
		`"incidents":["none"],"complaints":0,"count_started":"20:05","count_public":true,"invalid_shown":true,` +
		`"protocol":{"registered":1523,"ballots_issued":987,"ballots_in_box":985,"invalid":12,"valid":973,"votes:A":512,"votes:B":461},` +
		`"signed":true,"copy_given":true,"notes":"Quiet day, one complaint about the lighting."}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var a Answers
			if err := a.UnmarshalJSON(text); err != nil || len(a) != 20 {
				b.Fatal(err, len(a))
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a, err := answersGeneral(text)
			if err != nil || len(a) != 20 {
				b.Fatal(err, len(a))
			}
		}
	})
}

// FuzzValueCompositeFast: whatever protocol or list the fast paths read,
// encoding/json reads too, to the same value.
func FuzzValueCompositeFast(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":1,"b":-2}`, `{"a":1,"a":2}`, `{"a":1.5}`, `{"a":"1"}`, `{"a\u0062":1}`,
		`{"a":007}`, `{"a":-0}`, `{"a":12345678901234567890}`, `{"a":1,}`, `{"a":1}x`, `[]`, `["a"]`, `["a","b"]`, `["a",]`,
		`["a\"b"]`, `["a",1]`, `[{"q":1}]`, `["é"]`, "[\"\xff\"]", `[ "a" , "b" ]`, `["a"]]`, `["a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return
		}
		var fast Value
		var ok bool
		switch b[0] {
		case '{':
			fast, ok = protocolFast(b)
		case '[':
			fast, ok = listFast(b)
		}
		if ok {
			sameAsGeneral(t, b, fast)
		}
	})
}

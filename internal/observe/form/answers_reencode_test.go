package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// reencodes checks what the group commit relies on when it folds the
// answers a submission was decoded to rather than decoding its stored
// JSON (store.Report.Decoded, given only when ValidUTF8): answers encoded
// as the store keeps them (encoding/json over the map, as
// observe.Service.Submit writes them) and decoded again have the same
// questions, and each answer the same encoding, which is all a fold reads
// of it (agg's valueKey).
func reencodes(t *testing.T, a Answers) {
	t.Helper()
	if !a.ValidUTF8() {
		t.Fatalf("%v: not valid UTF-8", a)
	}
	stored, err := json.Marshal(a)
	if err != nil {
		return // refused at submission: nothing is stored
	}
	var back Answers
	if err := json.Unmarshal(stored, &back); err != nil {
		t.Fatalf("%s: does not decode: %v", stored, err)
	}
	if !slices.Equal(sortedKeys(a), sortedKeys(back)) {
		t.Fatalf("%s: questions %v, decoded %v", stored, sortedKeys(a), sortedKeys(back))
	}
	for q, v := range a {
		want, err1 := v.MarshalJSON()
		got, err2 := back[q].MarshalJSON()
		if (err1 != nil) != (err2 != nil) || !bytes.Equal(want, got) {
			t.Fatalf("%s: answer %q encodes as %s (%v), decoded again as %s (%v)", stored, q, want, err1, got, err2)
		}
	}
}

// appendsAsMarshalled checks that AppendJSON writes what encoding/json
// wrote for the answers before it (reference, below: the values' old
// encodings, over encoding/json), and refuses what it refused: the intake
// stores its text, so reports stored before and after compare equal.
func appendsAsMarshalled(t *testing.T, a Answers) {
	t.Helper()
	want, werr := reference(a)
	got, gerr := a.AppendJSON([]byte("x"))
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", a, gerr, werr)
	}
	if werr == nil && string(got) != "x"+string(want) {
		t.Fatalf("%q:\n got %s\nwant %s", a, got[1:], want)
	}
}

// reference encodes answers as Value.MarshalJSON did before AppendJSON:
// encoding/json for texts, lists, protocols and repeats.
func reference(a Answers) ([]byte, error) {
	if a == nil {
		return json.Marshal(a)
	}
	m := map[string]json.RawMessage{}
	for q, v := range a {
		var b []byte
		var err error
		switch v.kind {
		case KindText:
			b, err = json.Marshal(v.s)
		case KindList:
			b, err = json.Marshal(v.list)
			if v.list == nil {
				b = []byte("[]")
			}
		case KindProtocol:
			b, err = json.Marshal(v.proto)
			if v.proto == nil {
				b = []byte("{}")
			}
		case KindRepeat:
			rows := []json.RawMessage{}
			for _, r := range v.rows {
				rb, rerr := reference(r)
				if rerr != nil {
					return nil, rerr
				}
				rows = append(rows, rb)
			}
			b, err = json.Marshal(rows)
		case KindDecimal:
			if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
				return nil, errors.New("no JSON form")
			}
			s := strconv.FormatFloat(v.f, 'g', -1, 64)
			if !strings.ContainsAny(s, ".e") {
				s += ".0"
			}
			b = []byte(s)
		default:
			b, err = json.Marshal(map[Kind]any{KindNone: nil, KindBool: v.b, KindInt: v.i}[v.kind])
		}
		if err != nil {
			return nil, err
		}
		m[q] = b
	}
	return json.Marshal(m)
}

func sortedKeys(a Answers) []string {
	var ks []string
	for k := range a {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Answers made in Go (the form's calculations, SMS and XML readers) as
// well as decoded ones.
func TestAnswersReencode(t *testing.T) {
	for _, a := range []Answers{
		{},
		{"b": BoolValue(true), "f": BoolValue(false)},
		{"i": IntValue(0), "n": IntValue(-42), "max": IntValue(math.MaxInt64), "min": IntValue(math.MinInt64)},
		{"d": DecimalValue(1), "h": DecimalValue(0.5), "z": DecimalValue(math.Copysign(0, -1)), "e": DecimalValue(1e21), "t": DecimalValue(1e-7),
			"p": DecimalValue(math.Pi), "big": DecimalValue(math.MaxFloat64), "sub": DecimalValue(5e-324)},
		{"nan": DecimalValue(math.NaN())},
		{"s": TextValue(""), "html": TextValue("<b>&amp;</b>"), "u": TextValue("é 日本 \u2028"), "q": TextValue(`"\`), "ctl": TextValue("a\x00\n\t"),
			"num": TextValue("5"), "json": TextValue(`{"a":1}`)},
		{"l": ListValue(), "l1": ListValue("a"), "l2": ListValue("b", "a", "<x>")},
		{"p": ProtocolValue(map[string]int64{"registered": 1523, "votes:A": 512, "<": -1}), "p0": ProtocolValue(map[string]int64{})},
		{"r": RepeatValue(Answers{"x": IntValue(1)}, Answers{"y": TextValue("z"), "d": DecimalValue(2)}), "r0": RepeatValue()},
		{"<q>": TextValue("v"), "": BoolValue(true)},
	} {
		reencodes(t, a)
		appendsAsMarshalled(t, a)
	}
	// An invalid byte anywhere: these do not reencode (the group commit
	// decodes their JSON as a rebuild does), and ValidUTF8 says so.
	for _, a := range []Answers{
		{"t": TextValue("\xff\xfe")},
		{"\xff": IntValue(1)},
		{"l": ListValue("a", "\xff")},
		{"p": ProtocolValue(map[string]int64{"\xff": 1})},
		{"r": RepeatValue(Answers{"x": TextValue("\xc3")})},
		{"r": RepeatValue(Answers{"\xc3": TextValue("x")})},
	} {
		if a.ValidUTF8() {
			t.Errorf("%q: said valid UTF-8", a)
		}
		appendsAsMarshalled(t, a)
	}
}

// Whatever a client's JSON decodes to reencodes, and is encoded as
// encoding/json encoded it.
func FuzzAnswersReencode(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x","c":true,"d":null}`, `{"p":{"x":1,"y":2}}`, `{"l":["a","b"]}`,
		`{"r":[{"q":1},{"q":"s"}]}`, `{"s":"a\"b]}"}`, `{"n":1.5e3}`, `{"n":-0}`, `{"n":-0.0}`, `{"n":1e400}`, `{"n":12345678901234567890}`,
		`{"a":"é"}`, "{\"a\":\"\xff\"}", `{"a":"\u003c\ud800"}`, `{"a":1.0}`, `{"a":100000000000000000000000.0}`, `{"l":[]}`, `{"p":{}}`, `{"r":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Answers
		if json.Unmarshal(b, &a) != nil {
			return
		}
		appendsAsMarshalled(t, a)
		reencodes(t, a)
	})
}

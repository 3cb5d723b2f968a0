package store

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// The fast decoders must give what encoding/json gives, or hand the text
// to it: compared on the shapes json.Marshal writes and on others.
func FuzzObsUnitsDecode(f *testing.F) {
	for _, s := range []string{
		`[]`, `[25004]`, `[1,2,3]`, `[-7,0]`, `[01]`, `[1,]`, `[,1]`, `[ 1]`, `[1.0]`, `[+1]`, `[-]`, `[9223372036854775808]`, `null`, ``, `[`, `[1_000]`,
		`{}`, `{"vote_buying":false}`, `{"overall":true,"indicator:late":false}`, `{"a":true,"a":false}`, `{"a\u0041":true}`,
		`{"\u003c":true}`, `{"a":tru}`, `{"a":true,}`, `{"a":truex}`, `{"a" :true}`, `{"é":true}`, `{"a":null}`, `{a:true}`, `{"a"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want []int64
		wantErr := json.Unmarshal([]byte(s), &want)
		var got []int64
		gotErr := decodeIDs(s, &got)
		if (wantErr != nil) != (gotErr != nil) || wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("decodeIDs(%q) = %v, %v; encoding/json %v, %v", s, got, gotErr, want, wantErr)
		}
		var wantM map[string]bool
		wantErr = json.Unmarshal([]byte(s), &wantM)
		// One decoder, as ObsUnits reads rows: s decoded fresh, after a row
		// of plain keys, after a row of keys it shares, and after itself.
		hd := newHitsDecoder()
		check := func(after string) {
			t.Helper()
			hs, gotErr := hd.decode([]byte(s), []Hit{{"kept", true}})
			gotM := map[string]bool{}
			for _, h := range hs[min(1, len(hs)):] {
				if _, dup := gotM[h.Item]; dup {
					t.Errorf("decode(%q) after %q = %v: %q twice", s, after, hs, h.Item)
				}
				gotM[h.Item] = h.Hit
			}
			if wantM == nil {
				gotM = nil
			}
			if len(hs) == 0 || hs[0] != (Hit{"kept", true}) {
				t.Errorf("decode(%q) after %q = %v: the buffer's first item lost", s, after, hs)
			}
			if (wantErr != nil) != (gotErr != nil) || wantErr == nil && !reflect.DeepEqual(gotM, wantM) {
				t.Errorf("decode(%q) after %q = %v, %v; encoding/json %v, %v", s, after, gotM, gotErr, wantM, wantErr)
			}
		}
		check("nothing")
		check(s)
		for _, before := range []string{`{"a":true,"b":false,"a\\":true}`, `{"a":true,"b":false,"c":true,"d":false}`, `{"a\\":true}`, `{"\\":true}`, sharedKeys(s)} {
			if _, err := hd.decode([]byte(before), nil); err != nil {
				t.Fatalf("decode(%q): %v", before, err)
			}
			check(before)
		}
		var wantIDs []int64
		idErr := json.Unmarshal([]byte(s), &wantIDs)
		ids, err := appendIDs([]int64{-1}, s)
		if (err != nil) != (idErr != nil) || len(ids) == 0 || ids[0] != -1 || err == nil && !slices.Equal(ids[1:], wantIDs) {
			t.Errorf("appendIDs(%q) = %v, %v; encoding/json %v, %v", s, ids, err, wantIDs, idErr)
		}
	})
}

// The fast path is taken for what json.Marshal writes (else the decoders
// would be correct but no faster).
func TestObsUnitsDecodeFastPath(t *testing.T) {
	ids := []int64{25004, -3, 0, 1 << 62}
	b, _ := json.Marshal(ids)
	if got, ok := parseIDs(string(b)); !ok || !reflect.DeepEqual(got, ids) {
		t.Errorf("parseIDs(%s) = %v, %v", b, got, ok)
	}
	if got, ok := parseIDs(`[]`); !ok || got == nil || len(got) != 0 {
		t.Errorf("parseIDs([]) = %#v, %v; want an empty slice", got, ok)
	}
	hits := map[string]bool{"overall": true, "indicator:late_opening": false, "vote_buying": true}
	b, _ = json.Marshal(hits)
	hd := newHitsDecoder()
	got, ok := hd.parse(b, nil)
	gotM := map[string]bool{}
	for _, h := range got {
		gotM[h.Item] = h.Hit
	}
	if !ok || len(got) != len(hits) || !reflect.DeepEqual(gotM, hits) {
		t.Errorf("parseHits(%s) = %v, %v", b, got, ok)
	}
	if len(hd.names) != 3 {
		t.Errorf("%d names interned, want 3", len(hd.names))
	}
	// The same keys again: taken from the row before, none interned anew.
	hd.remember(got)
	again, ok := hd.parse(b, nil)
	if !ok || !reflect.DeepEqual(again, got) || len(hd.names) != 3 {
		t.Errorf("parse(%s) again = %v, %v (%d names)", b, again, ok, len(hd.names))
	}
}

// sharedKeys is a plain row with the keys of s where it has some (what
// the row before holds when s's keys are those of its form), so that the
// fuzzer's inputs meet the fast path's comparison with the row before.
func sharedKeys(s string) string {
	var m map[string]bool
	if json.Unmarshal([]byte(s), &m) != nil || len(m) == 0 {
		return `{"a":true}`
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// BenchmarkObsUnitsHits decodes rows of the shape the findings read:
// twelve items, one hit, as the generator's counting forms give.
func BenchmarkObsUnitsHits(b *testing.B) {
	items := []string{"*", "ind:ballots_not_shown", "ind:no_protocol_copy", "ind:observers_restricted", "ind:protocol_not_posted", "ind:protocol_pre_signed",
		"ind:reconciliation_skipped", "ind:unauthorised_persons_directing", "ind:unauthorised_persons_present", "ind:unused_ballots_not_cancelled", "ind:validity_inconsistent", "overall"}
	var rows [][]byte
	for i := range 64 {
		m := map[string]bool{}
		for j, it := range items {
			m[it] = (i+j)%11 == 0
		}
		r, _ := json.Marshal(m)
		rows = append(rows, r)
	}
	hd := newHitsDecoder()
	var buf []Hit
	b.SetBytes(int64(len(rows[0])))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var err error
		if buf, err = hd.decode(rows[i%len(rows)], buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

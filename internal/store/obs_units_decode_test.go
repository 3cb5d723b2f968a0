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
		hs, gotErr := decodeHits([]byte(s), []Hit{{"kept", true}}, map[string]string{})
		gotM := map[string]bool{}
		for _, h := range hs[min(1, len(hs)):] {
			if _, dup := gotM[h.Item]; dup {
				t.Errorf("decodeHits(%q) = %v: %q twice", s, hs, h.Item)
			}
			gotM[h.Item] = h.Hit
		}
		if wantM == nil {
			gotM = nil
		}
		if len(hs) == 0 || hs[0] != (Hit{"kept", true}) {
			t.Errorf("decodeHits(%q) = %v: the buffer's first item lost", s, hs)
		}
		if (wantErr != nil) != (gotErr != nil) || wantErr == nil && !reflect.DeepEqual(gotM, wantM) {
			t.Errorf("decodeHits(%q) = %v, %v; encoding/json %v, %v", s, gotM, gotErr, wantM, wantErr)
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
	names := map[string]string{}
	got, ok := parseHits(b, nil, names)
	gotM := map[string]bool{}
	for _, h := range got {
		gotM[h.Item] = h.Hit
	}
	if !ok || len(got) != len(hits) || !reflect.DeepEqual(gotM, hits) {
		t.Errorf("parseHits(%s) = %v, %v", b, got, ok)
	}
	if len(names) != 3 {
		t.Errorf("%d names interned, want 3", len(names))
	}
}

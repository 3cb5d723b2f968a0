package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/translog"
)

// packLeaf is lossless: every leaf vigil writes, and any bytes at all,
// unpack to exactly what was packed; and a report's leaf shrinks to
// about a quarter (the reason for packing).
func TestLeafPackRoundTrip(t *testing.T) {
	at := fmtTime(time.Date(2026, 12, 6, 8, 57, 1, 123456000, time.UTC))
	leaves := []translog.Leaf{
		{Kind: translog.KindImport, Ref: "batches/3", Election: 1, Data: map[string]any{"source": "official-final", "file": "results 2026.csv",
			"sha256": strings.Repeat("ab", 32), "rows": int64(9915), "rejected": int64(0), "created": at}},
		{Kind: translog.KindProtocol, Ref: "protocols/123456", Election: 1, Data: map[string]any{"area": int64(77), "path": "Almaty / District 5 / 0042",
			"source": "official-final", "version": int64(1), "batch": int64(3), "votes": []int64{10, 0, 3000000000}, "received": at,
			"registered": int64(1500), "valid": int64(1200), "invalid": int64(0)}},
		{Kind: translog.KindResolution, Ref: "resolutions/1/2/3/voting/q-01", Election: 2, Data: map[string]any{"org": int64(1), "area": int64(3),
			"phase": "voting", "question": "q-01", "value_sha256": translog.SHA256Hex("007"), "user": int64(0), "created": at}},
		{Kind: translog.KindDeleted, Ref: "elections/4", Election: 4, Data: map[string]any{"scope": "election"}},
		{Kind: translog.KindCapture, Ref: "official_captures/9", Data: map[string]any{"url": "https://x.example/r?a=1&b=\"2\"", "fetched": at,
			"sha256": strings.Repeat("0F", 32), "size": int64(-5), "content_type": "text/csv; charset=\u00e9\u2028", "previous_sha256": ""}},
		{Kind: "future-kind", Ref: "unknown/007", Data: map[string]any{"n": json.Number("-12.50e3"), "t": "2026-13-99T99:99:99.999999Z",
			"big": json.Number("123456789012345678901234567890"), "ctl": "\x00\x01\x0f\x10"}},
	}
	for i, lf := range leaves {
		enc, err := lf.Encode()
		if err != nil {
			t.Fatal(err)
		}
		p := packLeaf(nil, enc)
		got, err := unpackLeaf(p)
		if err != nil || !bytes.Equal(got, enc) {
			t.Errorf("leaf %d: unpacked\n%s, %v\nwant\n%s", i, got, err, enc)
		}
		t.Logf("%s: %d bytes, packed %d", lf.Kind, len(enc), len(p))
	}
	// A report's leaf as the intake writes it.
	r := Report{ID: 123456, OrgID: 1, ElectionID: 2, FormID: 3, Phase: "voting", AreaID: 4567, Channel: "api", ClientID: "c-1",
		Answers: json.RawMessage(`{"a":1}`), Status: "new", Submitted: time.Now(), Received: time.Now()}
	enc, _ := reportLeafEncoding(r.ID, reportLeafTail(&r))
	if p := packLeaf(nil, enc); len(p) > len(enc)/3 {
		t.Errorf("a report's leaf of %d bytes packs to %d", len(enc), len(p))
	} else {
		t.Logf("report: %d bytes, packed %d", len(enc), len(p))
	}
	// JSON stored before packing reads as it is.
	if got, err := unpackLeaf([]byte(`{"kind":"x"}`)); err != nil || string(got) != `{"kind":"x"}` {
		t.Errorf("JSON leaf: %s %v", got, err)
	}
	// Random bytes, and random splices of JSON pieces, round-trip too.
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{`"`, `,"`, `":`, `{`, `}`, `0`, `007`, `12345678901234567890`, `"reports/`, `reports/`, `"kind"`, `"new"`,
		strings.Repeat("a", 64), strings.Repeat("A", 64), at, `\"`, `\\`, "\x00", "\x0f", "\xff", `-`, `/`, `:`}
	for n := range 20000 {
		var b []byte
		for range rng.IntN(30) {
			if rng.IntN(4) == 0 {
				b = append(b, byte(rng.IntN(256)))
			} else {
				b = append(b, pieces[rng.IntN(len(pieces))]...)
			}
		}
		got, err := unpackLeaf(packLeaf(nil, b))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("case %d: %q unpacked to %q, %v", n, b, got, err)
		}
	}
}

// Malformed packed bytes (a hand edit) are an error, never a panic.
func TestLeafUnpackMalformed(t *testing.T) {
	enc, _ := translog.Leaf{Kind: "report", Ref: "reports/1", Data: map[string]any{"commitment": strings.Repeat("ab", 32), "received": fmtTime(time.Now())}}.Encode()
	p := packLeaf(nil, enc)
	for n := 1; n < len(p); n++ {
		unpackLeaf(p[:n]) // must not panic
	}
	for _, b := range [][]byte{nil, {}, {0x02}, {leafPackV1, opKey}, {leafPackV1, opKey, 255}, {leafPackV1, opStr, 250}, {leafPackV1, opRef, 200},
		{leafPackV1, opLit, 10, 'a'}, {leafPackV1, opInt}, {leafPackV1, opInt, 0xff}, {leafPackV1, 0x0e},
		{leafPackV1, opTime, 255, 255, 255, 255, 255, 255, 0, 0, 0}} {
		if _, err := unpackLeaf(b); err == nil {
			t.Errorf("%q unpacked", b)
		}
	}
}

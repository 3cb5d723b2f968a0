package translog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestCheckpointSignOpen(t *testing.T) {
	skey, vkey, err := GenerateKey("example.org/log")
	if err != nil {
		t.Fatal(err)
	}
	c := Checkpoint{Origin: "example.org/log", Size: 42, Hash: tlog.RecordHash([]byte("x"))}
	signed, err := SignCheckpoint(c, skey)
	if err != nil {
		t.Fatal(err)
	}
	// The C2SP shape: origin, size, base64 root, blank line, signature.
	lines := strings.Split(string(signed), "\n")
	if lines[0] != "example.org/log" || lines[1] != "42" || lines[3] != "" || !strings.HasPrefix(lines[4], "— example.org/log ") {
		t.Fatalf("checkpoint:\n%s", signed)
	}
	o, err := OpenCheckpoint(signed, vkey)
	if err != nil || o.Size != 42 || o.Hash != c.Hash {
		t.Fatalf("open: %+v %v", o, err)
	}
	if _, err := SignCheckpoint(Checkpoint{Origin: "other", Size: 1}, skey); err == nil {
		t.Fatal("signed a checkpoint of another origin")
	}
	// Wrong key, forged body.
	_, other, _ := GenerateKey("example.org/log")
	if _, err := OpenCheckpoint(signed, other); err == nil {
		t.Fatal("opened with the wrong key")
	}
	forged := strings.Replace(string(signed), "\n42\n", "\n43\n", 1)
	if _, err := OpenCheckpoint([]byte(forged), vkey); err == nil {
		t.Fatal("opened a forged checkpoint")
	}

	// Cosignatures: a witness's verifies, over the same body; the log's
	// own signature stays.
	wsk, wvk, err := GenerateWitnessKey("witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	cos, line, err := Cosign(signed, wsk)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "— witness.example/w1 ") {
		t.Fatalf("cosignature line %q", line)
	}
	o, err = OpenCheckpoint(cos, vkey, wvk)
	if err != nil || len(o.Witnesses) != 1 || o.Witnesses[0] != "witness.example/w1" {
		t.Fatalf("cosigned: %+v %v", o, err)
	}
	// A cosignature over another checkpoint does not verify on this one.
	c2, _ := SignCheckpoint(Checkpoint{Origin: "example.org/log", Size: 43, Hash: c.Hash}, skey)
	_, line2, _ := Cosign(c2, wsk)
	if _, err := OpenCheckpoint(append(append([]byte{}, signed...), line2...), vkey, wvk); err == nil {
		t.Fatal("a cosignature of another checkpoint verified")
	}
	// An unknown witness is ignored, not trusted.
	o, err = OpenCheckpoint(cos, vkey)
	if err != nil || len(o.Witnesses) != 0 {
		t.Fatalf("unknown witness: %+v %v", o, err)
	}
}

func TestTilePaths(t *testing.T) {
	for _, tc := range []struct {
		tile tlog.Tile
		path string
	}{
		{tlog.Tile{H: 8, L: 0, N: 1234067, W: 256}, "tile/0/x001/x234/067"},
		{tlog.Tile{H: 8, L: 1, N: 0, W: 17}, "tile/1/000.p/17"},
		{tlog.Tile{H: 8, L: -1, N: 5, W: 3}, "tile/entries/005.p/3"},
	} {
		if got := TilePath(tc.tile); got != tc.path {
			t.Errorf("%+v: %s, want %s", tc.tile, got, tc.path)
		}
		got, err := ParseTilePath(tc.path)
		if err != nil || got != tc.tile {
			t.Errorf("%s: %+v %v", tc.path, got, err)
		}
	}
	for _, bad := range []string{"tile/0/1", "tile/data/000", "tile/0/000.p/256", "tile/x/000", "tile/64/000"} {
		if _, err := ParseTilePath(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestLeafCanonical(t *testing.T) {
	a := Leaf{Kind: KindReport, Ref: "reports/1", Election: 2, Data: map[string]any{"z": int64(1), "a": "<x>"}}
	enc, err := a.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(enc) != `{"kind":"report","ref":"reports/1","election":2,"data":{"a":"<x>","z":1}}` {
		t.Fatalf("encoding %s", enc)
	}
	b, err := DecodeLeaf(enc)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := b.Encode()
	if string(again) != string(enc) {
		t.Fatalf("re-encoding changed the leaf: %s", again)
	}
	big := Leaf{Kind: KindReport, Data: map[string]any{"x": strings.Repeat("a", MaxLeafSize)}}
	if _, err := big.Encode(); err == nil {
		t.Fatal("a leaf too long for an entry bundle was encoded")
	}
}

func TestLeafEncodeMatchesJSON(t *testing.T) {
	for _, l := range []Leaf{
		{Kind: KindProtocol, Ref: "protocols/1", Election: 3, Data: map[string]any{"path": "Регион / D\"1\" <b>&", "votes": []int64{1, 2}, "valid": int64(3), "n": 4, "e": []int64(nil), "ctl": "a\tb\u2028\x01"}},
		{Kind: KindReport, Ref: "reports/2", Data: map[string]any{"bad": "x"}},
		{Kind: KindDeleted, Ref: "elections/2"},
		{Kind: KindReport, Ref: "reports/1", Data: map[string]any{}},
	} {
		got, err := l.Encode()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(l)
		if want := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Errorf("Encode\n%s\nencoding/json\n%s", got, want)
		}
		d, err := DecodeLeaf(got)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := d.Encode(); !bytes.Equal(again, got) {
			t.Errorf("decode and encode changed %s into %s", got, again)
		}
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("example.org/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	f.Add("x\n-1\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCheckpoint(s)
		if err != nil {
			return
		}
		if c2, err := ParseCheckpoint(c.Text()); err != nil || c2 != c {
			t.Fatalf("round trip of %q: %+v %v", s, c2, err)
		}
	})
}

func FuzzDecodeBundle(f *testing.F) {
	b, _ := EncodeBundle([][]byte{[]byte("a"), []byte("bc")})
	f.Add(b)
	f.Add([]byte{0, 5, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := DecodeBundle(data)
		if err != nil {
			return
		}
		again, err := EncodeBundle(es)
		if err != nil || string(again) != string(data) {
			t.Fatalf("round trip of %x", data)
		}
	})
}

package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// The intake writes report leaves directly (reportLeafTail); the audit
// recomputes them through reportLeaf and Leaf.Encode. Both must give the
// same bytes for every report, including strings Encode escapes, an
// empty status (stored as new), no QC, no election and no area.
func TestReportLeafTail(t *testing.T) {
	at := time.Date(2026, 3, 1, 7, 59, 58, 123456789, time.UTC)
	cases := []Report{
		{ID: 1, OrgID: 2, ElectionID: 3, FormID: 4, Phase: "voting", AreaID: 5, Channel: "api", ClientID: "c-1",
			Answers: json.RawMessage(`{"a":1}`), Status: "new", QC: []string{"late"}, Triage: "t", Submitted: at, Received: at.Add(time.Second)},
		{ID: 1234567890123, OrgID: 9, FormID: 1, Phase: "opening", Channel: "sms", ClientID: "",
			Answers: json.RawMessage(`{}`), Submitted: at, Received: at},
		{ID: 7, OrgID: 1, ElectionID: 2, FormID: 3, Phase: "count\"ing\\", AreaID: -1, Channel: "web<script>&",
			ClientID: "Ключ\n\t\u2028", Answers: json.RawMessage(`{"q":"ответ \"x\""}`), Status: "verified",
			QC: []string{"a\"b", "ü", "<>&"}, Triage: "{\"flag\":true}", Submitted: at, Received: at},
		{ID: 8, OrgID: 1, ElectionID: 2, FormID: 3, Phase: "voting", Channel: "openrosa\x00\x7f\xff", ClientID: "x",
			Answers: json.RawMessage(`null`), QC: []string{}, Submitted: time.Time{}, Received: at.In(time.FixedZone("x", 3600))},
		// The intake's common case, which packReportTail packs directly.
		{ID: 9, OrgID: 3, ElectionID: 4, FormID: 5, Phase: "voting", AreaID: 6, Channel: "web", ClientID: "k",
			Answers: json.RawMessage(`{"x":2}`), Status: "flagged", Triage: "call back", Submitted: at, Received: at.Add(time.Hour)},
		{ID: 10, OrgID: 3, ElectionID: 4, FormID: 5, Phase: "counting", AreaID: 0, Channel: "odk", ClientID: "k2",
			Answers: json.RawMessage(`{}`), Submitted: at, Received: at},
	}
	for i, r := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := reportLeafEncoding(r.ID, reportLeafTail(&r))
			if err != nil {
				t.Fatal(err)
			}
			qc, _ := json.Marshal(nonNil(r.QC))
			status := r.Status
			if status == "" {
				status = StatusNew
			}
			want, err := reportLeaf(r.ID, r.OrgID, r.ElectionID, r.FormID, r.Phase, r.AreaID, r.Channel, r.ClientID, string(r.Answers),
				status, string(qc), r.Triage, fmtTime(r.Submitted), fmtTime(r.Received)).Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("direct encoding\n%s\nEncode\n%s", got, want)
			}
			// The writer's packed leaf, from the submitter's packed tail,
			// is packLeaf's, and unpacks to the leaf.
			tail := makeReportTail(&r)
			if _, direct := packReportTail(&r, tail.enc); direct != (i == 1 || i >= 4) {
				t.Errorf("packed directly: %v", direct)
			}
			packed := appendReportPacked(nil, r.ID, tail.packed)
			if p := packLeaf(nil, want); !bytes.Equal(packed, p) {
				t.Errorf("packed from the tail\n%q\npackLeaf\n%q", packed, p)
			}
			if un, err := unpackLeaf(packed); err != nil || !bytes.Equal(un, want) {
				t.Errorf("unpacked %q, %v; want %q", un, err, want)
			}
		})
	}
}

// The append's frontier computes, leaf after leaf, the stored hashes
// tlog's StoredHashesForRecordHash gives, and ends on the frontier of the
// new size, from every starting size (batches of 1 to 70 leaves).
func TestFrontierMatchesTlog(t *testing.T) {
	var stored []tlog.Hash // every stored hash, by tlog's index
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	rnd := rand.New(rand.NewPCG(1, 2))
	var n int64
	for n < 1100 {
		front := make([]tlog.Hash, 0)
		for _, x := range frontierIndexes(n) {
			front = append(front, stored[x])
		}
		var f frontier
		f.load(n, front)
		batch := 1 + rnd.IntN(70)
		for range batch {
			var h tlog.Hash
			for k := range h {
				h[k] = byte(rnd.UintN(256))
			}
			want, err := tlog.StoredHashesForRecordHash(n, h, r)
			if err != nil {
				t.Fatal(err)
			}
			got := f.append(nil, h)
			var wantB []byte
			for _, w := range want {
				wantB = append(wantB, w[:]...)
			}
			if !bytes.Equal(got, wantB) {
				t.Fatalf("leaf %d: stored hashes differ from tlog's", n)
			}
			stored = append(stored, want...)
			n++
		}
		var wantFront []tlog.Hash
		for _, x := range frontierIndexes(n) {
			wantFront = append(wantFront, stored[x])
		}
		if got := f.hashes(); fmt.Sprint(got) != fmt.Sprint(wantFront) {
			t.Fatalf("frontier of %d leaves: %v, want %v", n, got, wantFront)
		}
	}
}

package load

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestBodyAsMarshalled holds Body to the bytes encoding/json writes for
// the same report, the form the load generator sent before Body wrote it
// directly: the server sees the same requests.
func TestBodyAsMarshalled(t *testing.T) {
	for _, prefix := range []string{"load-1", `odd "prefix" <&>`} {
		for _, i := range []int{0, 1, 2, 3, 16, 17, 34, 899, 900, 1999, 2000, 123457} {
			want, err := json.Marshal(map[string]any{
				"client_id": ClientID(prefix, i),
				"form":      "voting",
				"version":   "2026.1",
				"answers": map[string]any{
					"station": 1 + i%2000, "arrival_time": "10:15", "voters_so_far": i % 900,
					"boxes_sealed": true, "secrecy_ensured": true, "identity_checked": true, "group_voting": false,
					"ballot_box_stuffing": i%17 == 0, "multiple_voting": false, "identical_signatures": false,
					"unauthorised_present": false, "unauthorised_directing": false, "observers_restricted": false,
					"overall": []string{"very_good", "good", "good", "bad"}[i%4],
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := Body(prefix, i, 2000); !bytes.Equal(got, want) {
				t.Errorf("Body(%q, %d):\n got %s\nwant %s", prefix, i, got, want)
			}
		}
	}
}

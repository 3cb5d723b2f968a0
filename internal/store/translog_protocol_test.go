package store

import (
	"bytes"
	"database/sql"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
)

// TestProtocolLeafEncoding: the import's direct encoding of a protocol's
// leaf is the bytes of the leaf the log reads back (protocolLeaf, Encode),
// for paths and votes given decoded or as stored (valid JSON or not),
// names that need escaping, absent and negative figures, with and without
// a batch, a report and an election.
func TestProtocolLeafEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	names := []string{"Region 1", `Dist "7"`, "Участок №5", "a\\b", "tab\there", "<b>&", "\xff\xfe", ""}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	for i := range 5000 {
		parts := make([]string, 1+rng.IntN(3))
		for k := range parts {
			parts[k] = pick(names)
		}
		pathJSON := string(appendPathJSON(nil, parts))
		var givenParts []string
		path := pathJSON
		switch rng.IntN(3) {
		case 0:
			givenParts = parts
		case 1: // decoded from the stored path
		default:
			path = pick([]string{`["unterminated`, `{}`, `not json`, `[1,2]`})
		}
		list := make([]int64, rng.IntN(5))
		for k := range list {
			list[k] = rng.Int64N(1000) - 50
		}
		votes := string(appendVotesJSON(nil, list))
		var givenList []int64
		switch rng.IntN(4) {
		case 0:
			givenList = list
		case 1: // decoded from the stored votes
		case 2:
			votes = pick([]string{`[1,`, `x`, `{"a":1}`, `["1"]`})
		default:
			givenList, votes = []int64{}, "[]"
		}
		var figs [election.NumFigures]sql.NullInt64
		for f := range figs {
			if rng.IntN(3) > 0 {
				figs[f] = sql.NullInt64{Int64: rng.Int64N(5000) - 100, Valid: true}
			}
		}
		id, el, area := rng.Int64N(1<<40), rng.Int64N(3), rng.Int64N(1<<30)
		batch, report := rng.Int64N(2)*rng.Int64N(1000), rng.Int64N(2)*rng.Int64N(1000)
		src := pick([]string{"official-final", "observer", `we"ird`})
		received := pick([]string{"2026-12-06T23:00:00Z", "2026-12-06T23:00:00.123456789Z"})
		version := int64(1 + rng.IntN(3))
		want, err := protocolLeaf(id, el, area, path, givenParts, src, version, batch, report, votes, givenList, received, &figs).Encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := protocolLeafEncoding(id, el, area, path, givenParts, src, version, batch, report, votes, givenList, received, &figs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: path %q votes %q\ngot  %s\nwant %s", i, path, votes, got, want)
		}
	}
	// Too long a leaf is refused, as Encode refuses it.
	long := []string{strings.Repeat("x", 70000)}
	var figs [election.NumFigures]sql.NullInt64
	if _, err := protocolLeafEncoding(1, 1, 1, "", long, "official-final", 1, 1, 0, "[]", []int64{}, "t", &figs); err == nil {
		t.Fatal("a leaf of 70,000 bytes encoded")
	}
}

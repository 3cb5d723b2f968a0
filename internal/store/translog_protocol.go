package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/translog"
)

// protocolLeafKey is one key a protocol leaf's data may have: a figure
// (fig ≥ 0) or one of the other fields (fig < 0, named by key).
type protocolLeafKey struct {
	key string
	fig int
}

// protocolLeafKeys are every key of protocolLeaf's data in the order
// Leaf.Encode writes them (sorted).
var protocolLeafKeys = func() []protocolLeafKey {
	var ks []protocolLeafKey
	for _, k := range []string{"area", "source", "version", "received", "path", "batch", "report", "votes", "votes_text"} {
		ks = append(ks, protocolLeafKey{k, -1})
	}
	for f := election.Figure(0); f < election.NumFigures; f++ {
		ks = append(ks, protocolLeafKey{f.String(), int(f)})
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	return ks
}()

// protocolLeafEncoding is protocolLeaf(…).Encode() written straight from
// the values, without the leaf's map: an import encodes a leaf for each of
// its protocols, and building and sorting the maps was half of the leaves'
// cost (2 of 4 s of CPU at 1,000,000 stations, issue 9).
// TestProtocolLeafEncoding holds the two to the same bytes.
func protocolLeafEncoding(id, el, area int64, path string, parts []string, src string, version, batch, report int64, votes string, list []int64, received string, figs *[election.NumFigures]sql.NullInt64) ([]byte, error) {
	b := make([]byte, 0, 384)
	b = append(b, `{"kind":`...)
	b = translog.AppendString(b, translog.KindProtocol)
	b = append(b, `,"ref":"protocols/`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, '"')
	if el != 0 {
		b = append(b, `,"election":`...)
		b = strconv.AppendInt(b, el, 10)
	}
	rawPath := parts == nil && json.Unmarshal([]byte(path), &parts) != nil
	rawVotes := list == nil && json.Unmarshal([]byte(votes), &list) != nil
	b = append(b, `,"data":{`...)
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = translog.AppendString(b, k)
		b = append(b, ':')
	}
	for _, k := range protocolLeafKeys {
		if k.fig >= 0 {
			if f := figs[k.fig]; f.Valid {
				key(k.key)
				b = strconv.AppendInt(b, f.Int64, 10)
			}
			continue
		}
		switch k.key {
		case "area":
			key(k.key)
			b = strconv.AppendInt(b, area, 10)
		case "source":
			key(k.key)
			b = translog.AppendString(b, src)
		case "version":
			key(k.key)
			b = strconv.AppendInt(b, version, 10)
		case "received":
			key(k.key)
			b = translog.AppendString(b, received)
		case "path":
			key(k.key)
			if rawPath {
				b = translog.AppendString(b, path)
			} else {
				b = translog.AppendString(b, strings.Join(parts, " / "))
			}
		case "batch":
			if batch != 0 {
				key(k.key)
				b = strconv.AppendInt(b, batch, 10)
			}
		case "report":
			if report != 0 {
				key(k.key)
				b = strconv.AppendInt(b, report, 10)
			}
		case "votes":
			if !rawVotes {
				key(k.key)
				b = append(b, '[')
				for i, n := range list {
					if i > 0 {
						b = append(b, ',')
					}
					b = strconv.AppendInt(b, n, 10)
				}
				b = append(b, ']')
			}
		case "votes_text":
			if rawVotes {
				key(k.key)
				b = translog.AppendString(b, votes)
			}
		}
	}
	b = append(b, "}}"...)
	if len(b) > translog.MaxLeafSize {
		return nil, fmt.Errorf("leaf protocols/%d: %d bytes, more than %d", id, len(b), translog.MaxLeafSize)
	}
	return b, nil
}

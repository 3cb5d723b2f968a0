package translog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is C2SP tlog-tiles' fixed tile height: 256 hashes a tile.
const TileHeight = 8

// TilePath is a tile's path under the log's prefix in the C2SP layout:
// tile/<L>/<N>[.p/<W>] for hashes, tile/entries/<N>[.p/<W>] for entry
// bundles. Go's sumdb spells the same tiles tile/8/<L>/… and tile/8/data/…;
// only the spelling differs.
func TilePath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", TileHeight))
	if t.L == -1 {
		p = "entries" + strings.TrimPrefix(p, "data")
	}
	return "tile/" + p
}

// ParseTilePath parses a C2SP tile path (with or without the leading
// "tile/"). It refuses anything not in canonical form.
func ParseTilePath(p string) (tlog.Tile, error) {
	rest := strings.TrimPrefix(p, "tile/")
	if strings.HasPrefix(rest, "data/") {
		return tlog.Tile{}, fmt.Errorf("tile path %q: malformed", p)
	}
	if e, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + e
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", TileHeight, rest))
	if err != nil {
		return tlog.Tile{}, fmt.Errorf("tile path %q: malformed", p)
	}
	if t.L > 63 {
		return tlog.Tile{}, fmt.Errorf("tile path %q: level above 63", p)
	}
	return t, nil
}

// EncodeBundle makes an entry bundle: each entry prefixed with its length
// as a big-endian uint16.
func EncodeBundle(entries [][]byte) ([]byte, error) {
	var out []byte
	for _, e := range entries {
		if len(e) > MaxLeafSize {
			return nil, errors.New("entry bundle: entry longer than 65535 bytes")
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}

// DecodeBundle splits an entry bundle into its entries.
func DecodeBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("entry bundle: truncated length")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, errors.New("entry bundle: truncated entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

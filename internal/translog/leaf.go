// Package translog is vigil's transparency log: an append-only RFC 6962
// Merkle tree (golang.org/x/mod/sumdb/tlog) whose leaves record, as hashes
// and ids, every import batch, protocol version, observer report, photo,
// coordinator decision, published finding and recommendation assessment,
// with signed checkpoints (C2SP tlog-checkpoint, golang.org/x/mod/sumdb/note),
// witness cosignatures (C2SP tlog-cosignature), tiles (C2SP tlog-tiles),
// receipts, inclusion proofs and bundles anyone can check offline.
//
// This package is pure: the store keeps the tree, the web serves it, the
// CLI drives it. Leaves carry no personal data, so the log can be public
// while the reports behind it stay private.
package translog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Leaf kinds.
const (
	KindImport     = "import"     // an import batch: the file's SHA-256, source, time
	KindProtocol   = "protocol"   // one version of a protocol: its figures
	KindReport     = "report"     // an observer report: a commitment to its answers, channel, time
	KindPhoto      = "photo"      // a photo's SHA-256
	KindResolution = "resolution" // a coordinator's decision on a disputed answer
	KindFindings   = "findings"   // a publication of findings
	KindAssessment = "assessment" // a recommendation's assessment
	KindCapture    = "capture"    // a captured official publication
	KindDeleted    = "deleted"    // a deletion vigil made (an election removed, an assessment replaced)
)

// MaxLeafSize bounds a leaf's encoding: C2SP entry bundles prefix each
// entry with a 16-bit length.
const MaxLeafSize = 65535

// Leaf is one entry of the log. Ref names the row it records as
// "table/id" (the audit finds the row again by it); Election is the
// election it belongs to (0: none); Data holds the row's logged fields:
// strings and integers only, hashes in place of anything private.
type Leaf struct {
	Kind     string         `json:"kind"`
	Ref      string         `json:"ref"`
	Election int64          `json:"election,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
}

// Encode returns the leaf's canonical encoding: exactly what encoding/json
// writes for the Leaf (HTML not escaped), that is the struct's field order,
// the data's keys sorted, no spaces, no trailing newline. The same row
// always encodes to the same bytes, which is what lets the audit recompute
// every leaf. It is written by hand because it runs once per report in the
// intake's commit: encoding/json's reflection was a quarter of the log's
// cost there. TestLeafEncodeMatchesJSON holds the two to the same bytes.
func (l Leaf) Encode() ([]byte, error) {
	b := make([]byte, 0, 384)
	b = append(b, `{"kind":`...)
	b = appendString(b, l.Kind)
	b = append(b, `,"ref":`...)
	b = appendString(b, l.Ref)
	if l.Election != 0 {
		b = append(b, `,"election":`...)
		b = strconv.AppendInt(b, l.Election, 10)
	}
	if len(l.Data) > 0 {
		b = append(b, `,"data":{`...)
		keys := make([]string, 0, len(l.Data))
		for k := range l.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, l.Data[k]); err != nil {
				return nil, fmt.Errorf("leaf %s, %s: %w", l.Ref, k, err)
			}
		}
		b = append(b, '}')
	}
	b = append(b, '}')
	if len(b) > MaxLeafSize {
		return nil, fmt.Errorf("leaf %s: %d bytes, more than %d", l.Ref, len(b), MaxLeafSize)
	}
	return b, nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case json.Number:
		return append(b, x...), nil
	case []int64:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, n := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, n, 10)
		}
		return append(b, ']'), nil
	}
	// Anything else (a decoded leaf's arrays): as encoding/json writes it.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// AppendString appends s as Encode writes a string: for code that writes
// one kind of leaf's encoding directly (the intake's reports) and must
// produce Encode's bytes.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping off; plain printable ASCII, the common case, is copied.
func appendString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// DecodeLeaf parses a leaf's encoding; numbers stay json.Number so that
// large counts keep their exact value.
func DecodeLeaf(b []byte) (Leaf, error) {
	var l Leaf
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&l); err != nil {
		return Leaf{}, fmt.Errorf("leaf: %w", err)
	}
	return l, nil
}

// Int reads an integer field of the leaf's data; ok is false when it is
// absent or not an integer.
func (l Leaf) Int(key string) (int64, bool) {
	switch v := l.Data[key].(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case int64:
		return v, true
	case int:
		return int64(v), true
	}
	return 0, false
}

// String reads a string field of the leaf's data.
func (l Leaf) String(key string) string {
	s, _ := l.Data[key].(string)
	return s
}

// Ints reads an array of integers (a protocol's votes).
func (l Leaf) Ints(key string) ([]int64, bool) {
	switch v := l.Data[key].(type) {
	case []int64:
		return v, true
	case []any:
		out := make([]int64, len(v))
		for i, x := range v {
			n, ok := x.(json.Number)
			if !ok {
				return nil, false
			}
			k, err := n.Int64()
			if err != nil {
				return nil, false
			}
			out[i] = k
		}
		return out, true
	}
	return nil, false
}

// Ref makes a leaf reference from a table and the row's key parts.
func Ref(table string, key ...any) string {
	var b strings.Builder
	b.WriteString(table)
	for _, k := range key {
		b.WriteByte('/')
		switch v := k.(type) {
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// SHA256Hex is the hex SHA-256 of the parts joined by newlines: how leaves
// commit to what they do not show.
func SHA256Hex(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{'\n'})
		}
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// LeafHash is the RFC 6962 hash of a leaf's encoding: SHA-256(0x00 || leaf).
func LeafHash(enc []byte) tlog.Hash { return tlog.RecordHash(enc) }

// Receipt is what an acknowledged submission returns: where its leaf is in
// the log and its hash. With a later checkpoint, `vigil log prove` (or
// anyone holding the tiles) shows the leaf is in the tree.
type Receipt struct {
	Index int64  `json:"leaf_index"`
	Hash  string `json:"leaf_hash"` // base64, as tlog prints hashes
}

// ShortCode is a receipt in a few characters for an SMS reply: the leaf
// index and the first 6 hex digits of its hash ("L1234-9f2c1a").
func (r Receipt) ShortCode() string {
	h, err := tlog.ParseHash(r.Hash)
	if err != nil {
		return fmt.Sprintf("L%d", r.Index)
	}
	return fmt.Sprintf("L%d-%s", r.Index, hex.EncodeToString(h[:3]))
}

package store

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// How log_leaves stores a leaf (migration 0022). The leaf itself, what is
// hashed, served in entry bundles, proved and put in bundles, is its
// canonical JSON (translog.Leaf.Encode) and does not change. Stored as
// that JSON, a report's leaf was ~440 bytes against ~105 for the report's
// own row: two hex SHA-256, two timestamps and the key names, on every
// commit's fsync. The data column therefore holds a packed form from which
// the JSON is rebuilt byte for byte:
//
//   - a leaf stored before 0022 (or written by hand) is the JSON itself,
//     which always begins with '{';
//   - a packed leaf begins with leafPackV1, then a sequence of ops: a byte
//     of 0x10 or more stands for itself (JSON's punctuation, the plain
//     text of strings); below it, an op writes a key, a common value, a
//     hex SHA-256 from its 32 bytes, a timestamp from 9 bytes, an integer
//     from its varint, or a run of literal bytes.
//
// Packing is lossless for any input: every op is taken only when writing
// it back gives exactly the bytes it replaced (a hex string only if it is
// lowercase, an integer only without leading zeros, a time only in
// TimeLayout), and anything else is kept literally. A report's packed leaf
// is ~120 bytes. The dictionaries below are part of the stored format:
// entries may be appended, never changed or reordered (a new order would
// need a new version byte).
const leafPackV1 = 0x01

const (
	opLit      = 0x01 // uvarint n, then n bytes, written as they are
	opKey      = 0x02 // k: "key": (packKeys[k])
	opCommaKey = 0x03 // k: ,"key":
	opStr      = 0x04 // k: "value" (packValues[k])
	opHex      = 0x05 // 32 bytes: a string of their 64 lowercase hex digits
	opTime     = 0x06 // 6 bytes of YYYYMMDDhhmmss, 3 of microseconds: a TimeLayout string
	opInt      = 0x07 // uvarint: its decimal digits
	opRef      = 0x08 // k: a quote and packTables[k] + "/", the string's rest following
	opPlain    = 0x10 // bytes from here up stand for themselves
)

var packKeys = []string{
	"kind", "ref", "election", "data",
	// import
	"source", "file", "sha256", "rows", "rejected", "created",
	// protocol
	"area", "path", "version", "batch", "report", "votes", "votes_text", "received",
	"registered", "registered_supplementary", "ballots_received",
	"ballots_issued_early", "ballots_issued_station", "ballots_issued_mobile",
	"ballots_issued", "ballots_cancelled", "ballots_lost", "ballots_in_box",
	"invalid", "valid",
	// report
	"org", "form", "phase", "channel", "commitment", "status", "qc", "triage", "submitted",
	// photo, resolution, findings, assessment, capture, deleted
	"question", "size", "value_sha256", "user", "published", "published_by_sha256",
	"findings_sha256", "statement_sha256", "recommendation", "reasoning_sha256",
	"evidence_sha256", "proposed", "updated", "url", "fetched", "content_type",
	"previous_sha256", "scope",
}

var packValues = []string{
	// kinds
	"import", "protocol", "report", "photo", "resolution", "findings", "assessment", "capture", "deleted",
	// channels, phases, statuses, sources
	"api", "web", "sms", "odk", "offline",
	"opening", "voting", "counting", "closing", "tabulation",
	"new", "verified", "flagged", "rejected", "resolved",
	"official-preliminary", "official-final", "observer", "pvt",
	// a report with no QC rule fired, a report with no triage note
	"[]", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"", "election", "observation",
}

var packTables = []string{
	"batches", "protocols", "reports", "photos", "resolutions", "published_findings",
	"rec_assessments", "official_captures", "elections",
}

var packKeyIdx, packValueIdx, packTableIdx = indexOf(packKeys), indexOf(packValues), indexOf(packTables)

func indexOf(list []string) map[string]byte {
	if len(list) > 256 {
		panic("store: leaf pack dictionary over 256 entries")
	}
	m := make(map[string]byte, len(list))
	for i, s := range list {
		if _, dup := m[s]; dup {
			panic("store: leaf pack dictionary repeats " + s)
		}
		m[s] = byte(i)
	}
	return m
}

// packLeaf appends the packed form of a leaf's encoding to dst.
func packLeaf(dst, enc []byte) []byte {
	return packAppend(append(dst, leafPackV1), enc)
}

// packAppend appends the ops that write src. Packed runs concatenate: the
// ops of a followed by those of b write a then b.
func packAppend(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"':
			end := stringEnd(src, i)
			if end < 0 {
				dst = append(dst, c)
				i++
				continue
			}
			s := src[i+1 : end]
			if end+1 < len(src) && src[end+1] == ':' {
				if k, ok := packKeyIdx[string(s)]; ok {
					dst = append(dst, opKey, k)
					i = end + 2
					continue
				}
			}
			dst = packString(dst, s)
			i = end + 1
		case c == ',' && i+1 < len(src) && src[i+1] == '"':
			end := stringEnd(src, i+1)
			if end > 0 && end+1 < len(src) && src[end+1] == ':' {
				if k, ok := packKeyIdx[string(src[i+2:end])]; ok {
					dst = append(dst, opCommaKey, k)
					i = end + 2
					continue
				}
			}
			dst = append(dst, c)
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			dst = packDigits(dst, src[i:j])
			i = j
		case c >= opPlain:
			dst = append(dst, c)
			i++
		default:
			dst = append(dst, opLit, 1, c)
			i++
		}
	}
	return dst
}

// stringEnd is the index of the quote closing the JSON string opened at
// i, or -1 if it has an escape (kept literally) or no end.
func stringEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '"':
			return j
		case '\\':
			return -1
		}
	}
	return -1
}

// packString writes the JSON string "s" (s without escapes).
func packString(dst, s []byte) []byte {
	if k, ok := packValueIdx[string(s)]; ok {
		return append(dst, opStr, k)
	}
	if len(s) == 64 && isLowerHex(s) {
		dst = append(dst, opHex)
		n := len(dst)
		dst = append(dst, make([]byte, 32)...)
		hex.Decode(dst[n:], s)
		return dst
	}
	if t, ok := packTimeOf(s); ok {
		return append(append(dst, opTime), t[:]...)
	}
	rest := s
	if slash := indexByte(s, '/'); slash > 0 {
		if k, ok := packTableIdx[string(s[:slash])]; ok {
			dst = append(dst, opRef, k)
			rest = s[slash+1:]
		}
	}
	if len(rest) == len(s) {
		dst = append(dst, '"')
	}
	for i := 0; i < len(rest); {
		c := rest[i]
		if c >= '0' && c <= '9' {
			j := i
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			dst = packDigits(dst, rest[i:j])
			i = j
			continue
		}
		if c >= opPlain {
			dst = append(dst, c)
		} else {
			dst = append(dst, opLit, 1, c)
		}
		i++
	}
	return append(dst, '"')
}

func indexByte(s []byte, c byte) int {
	for i, x := range s {
		if x == c {
			return i
		}
	}
	return -1
}

// packDigits writes a run of decimal digits: as a varint when writing it
// back gives the same digits (no leading zero, at most 19 digits), else
// as they are.
func packDigits(dst, d []byte) []byte {
	if len(d) > 19 || len(d) > 1 && d[0] == '0' {
		return append(dst, d...)
	}
	var n uint64
	for _, c := range d {
		n = n*10 + uint64(c-'0')
	}
	return binary.AppendUvarint(append(dst, opInt), n)
}

func isLowerHex(s []byte) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// packTimeOf packs a TimeLayout string ("2006-01-02T15:04:05.000000Z") as
// its digits: YYYYMMDDhhmmss in 6 bytes and the microseconds in 3, both
// big-endian. Only the digits' positions are checked, not that they make a
// date: unpacking writes the same digits back whatever they are.
func packTimeOf(s []byte) (t [9]byte, ok bool) {
	if len(s) != len(TimeLayout) {
		return t, false
	}
	var dt, us uint64
	for i, c := range s {
		switch i {
		case 4, 7:
			ok = c == '-'
		case 10:
			ok = c == 'T'
		case 13, 16:
			ok = c == ':'
		case 19:
			ok = c == '.'
		case 26:
			ok = c == 'Z'
		default:
			ok = c >= '0' && c <= '9'
			if i < 19 {
				dt = dt*10 + uint64(c-'0')
			} else {
				us = us*10 + uint64(c-'0')
			}
		}
		if !ok {
			return t, false
		}
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], dt)
	copy(t[:6], b[2:])
	binary.BigEndian.PutUint64(b[:], us)
	copy(t[6:], b[5:])
	return t, true
}

// unpackLeaf returns a stored leaf's canonical encoding: the stored bytes
// themselves when they are the JSON, else rebuilt from the packed form.
func unpackLeaf(b []byte) ([]byte, error) {
	if len(b) > 0 && b[0] == '{' {
		return b, nil
	}
	if len(b) == 0 || b[0] != leafPackV1 {
		return nil, errors.New("log: a stored leaf in no known encoding")
	}
	out := make([]byte, 0, 4*len(b))
	for i := 1; i < len(b); {
		c := b[i]
		i++
		if c >= opPlain {
			out = append(out, c)
			continue
		}
		bad := func() ([]byte, error) {
			return nil, fmt.Errorf("log: a packed leaf cut short or malformed at byte %d", i-1)
		}
		switch c {
		case opLit:
			n, k := binary.Uvarint(b[i:])
			if k <= 0 || uint64(len(b)-i-k) < n {
				return bad()
			}
			i += k
			out = append(out, b[i:i+int(n)]...)
			i += int(n)
		case opKey, opCommaKey:
			if i >= len(b) || int(b[i]) >= len(packKeys) {
				return bad()
			}
			if c == opCommaKey {
				out = append(out, ',')
			}
			out = append(out, '"')
			out = append(out, packKeys[b[i]]...)
			out = append(out, '"', ':')
			i++
		case opStr:
			if i >= len(b) || int(b[i]) >= len(packValues) {
				return bad()
			}
			out = append(out, '"')
			out = append(out, packValues[b[i]]...)
			out = append(out, '"')
			i++
		case opHex:
			if len(b)-i < 32 {
				return bad()
			}
			out = append(out, '"')
			out = hex.AppendEncode(out, b[i:i+32])
			out = append(out, '"')
			i += 32
		case opTime:
			if len(b)-i < 9 {
				return bad()
			}
			var x [8]byte
			copy(x[2:], b[i:i+6])
			dt := binary.BigEndian.Uint64(x[:])
			x = [8]byte{}
			copy(x[5:], b[i+6:i+9])
			us := binary.BigEndian.Uint64(x[:])
			if dt > 99999999999999 || us > 999999 {
				return bad()
			}
			var d [20]byte
			for k := 13; k >= 0; k-- {
				d[k] = byte('0' + dt%10)
				dt /= 10
			}
			for k := 19; k >= 14; k-- {
				d[k] = byte('0' + us%10)
				us /= 10
			}
			out = append(out, '"')
			out = append(out, d[0:4]...)
			out = append(out, '-')
			out = append(out, d[4:6]...)
			out = append(out, '-')
			out = append(out, d[6:8]...)
			out = append(out, 'T')
			out = append(out, d[8:10]...)
			out = append(out, ':')
			out = append(out, d[10:12]...)
			out = append(out, ':')
			out = append(out, d[12:14]...)
			out = append(out, '.')
			out = append(out, d[14:20]...)
			out = append(out, 'Z', '"')
			i += 9
		case opInt:
			n, k := binary.Uvarint(b[i:])
			if k <= 0 {
				return bad()
			}
			out = strconv.AppendUint(out, n, 10)
			i += k
		case opRef:
			if i >= len(b) || int(b[i]) >= len(packTables) {
				return bad()
			}
			out = append(out, '"')
			out = append(out, packTables[b[i]]...)
			out = append(out, '/')
			i++
		default:
			return bad()
		}
	}
	return out, nil
}

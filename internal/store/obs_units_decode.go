package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// The findings API reads every stored observation's report ids and hits
// (obs_units.reports and .hits, 78,000 rows at 1,000,000 stations):
// decoding them with encoding/json was two thirds of a cold request's CPU.
// Both columns are written as json.Marshal writes a []int64 and a
// map[string]bool (jsontext), so they have one plain shape; these
// decoders read that shape directly and hand anything else (an escape, white space, another spelling) to
// encoding/json, so that what they accept decodes as it always did.

// decodeIDs decodes a JSON array of integers.
func decodeIDs(s string, out *[]int64) error {
	if ids, ok := parseIDs(s); ok {
		*out = ids
		return nil
	}
	return json.Unmarshal([]byte(s), out)
}

// parseIDs parses "[1,2,3]" (no spaces, decimal integers); ok false on
// anything else.
func parseIDs(s string) ([]int64, bool) {
	return parseIDsInto(make([]int64, 0, strings.Count(s, ",")+1), s)
}

// parseIDsInto is parseIDs appending to ids.
func parseIDsInto(ids []int64, s string) ([]int64, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if body == "" {
		if ids == nil {
			ids = []int64{}
		}
		return ids, true
	}
	for body != "" {
		i := strings.IndexByte(body, ',')
		num := body
		if i >= 0 {
			num, body = body[:i], body[i+1:]
			if body == "" {
				return nil, false // a trailing comma
			}
		} else {
			body = ""
		}
		// strconv accepts a leading '+' and '_' only with base 0; JSON
		// has no '+': refuse it so that the fallback reports the error.
		// Leading zeros are not JSON either.
		digits := strings.TrimPrefix(num, "-")
		if num == "" || num[0] == '+' || digits == "" || len(digits) > 1 && digits[0] == '0' {
			return nil, false
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, false
		}
		ids = append(ids, n)
	}
	return ids, true
}

// appendIDs decodes a JSON array of integers, appending to buf.
func appendIDs(buf []int64, s string) ([]int64, error) {
	if ids, ok := parseIDsInto(buf, s); ok {
		return ids, nil
	}
	var ids []int64
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return buf, err
	}
	return append(buf, ids...), nil
}

// hitsDecoder decodes obs_units.hits one row after another. Rows of a
// phase carry the same items (those of one form) in the same order, so
// each key is first compared with the key at its place in the row before:
// equal, it needs no check of its bytes, no look-up and no search for a
// duplicate (at 250,000 observations, 3.7 million keys: hashing and
// checking them was a third of a cold findings request's decoding).
type hitsDecoder struct {
	names map[string]string // interned item names
	last  []string          // the keys of the row before, in its order
}

func newHitsDecoder() *hitsDecoder { return &hitsDecoder{names: map[string]string{}} }

// decode decodes a JSON object of booleans into a list, appending to buf:
// each key once, with encoding/json's value for it (the last of
// duplicates), in the order of the text for the plain shape and by key
// otherwise. It reads s in place (a row's bytes: 80 MB of them for
// 250,000 observations) and keeps none of it.
func (d *hitsDecoder) decode(s []byte, buf []Hit) ([]Hit, error) {
	start := len(buf)
	if hs, ok := d.parse(s, buf); ok {
		d.remember(hs[start:])
		return hs, nil
	}
	var m map[string]bool
	if err := json.Unmarshal(s, &m); err != nil {
		return buf, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		buf = append(buf, Hit{intern(d.names, []byte(k)), m[k]})
	}
	// Not remembered: a key decoded from an escape may equal a raw key
	// that is not valid JSON on its own (`a\`). The row before's keys are
	// only ever plain ones.
	d.last = d.last[:0]
	return buf, nil
}

func (d *hitsDecoder) remember(hs []Hit) {
	d.last = d.last[:0]
	for _, h := range hs {
		d.last = append(d.last, h.Item)
	}
}

// parse parses `{"a":true,"b":false}` (no spaces, printable ASCII, no
// escapes, no key twice); ok false on anything else.
func (d *hitsDecoder) parse(s []byte, buf []Hit) ([]Hit, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	start := len(buf)
	// same: every key so far is the one at its place in the row before,
	// whose keys were all checked and distinct.
	same := true
	for i := 0; len(body) > 0; i++ {
		if body[0] != '"' {
			return nil, false
		}
		end := bytes.IndexByte(body[1:], '"')
		if end < 0 {
			return nil, false
		}
		key := body[1 : 1+end]
		body = body[end+2:]
		if len(body) == 0 || body[0] != ':' {
			return nil, false
		}
		body = body[1:]
		var v bool
		switch {
		case bytes.HasPrefix(body, trueJSON):
			v, body = true, body[4:]
		case bytes.HasPrefix(body, falseJSON):
			v, body = false, body[5:]
		default:
			return nil, false
		}
		if len(body) > 0 {
			if body[0] != ',' || len(body) == 1 {
				return nil, false
			}
			body = body[1:]
		}
		var name string
		if same && i < len(d.last) && string(key) == d.last[i] {
			name = d.last[i]
		} else {
			same = false
			// What encoding/json would unescape, replace or reject.
			for _, c := range key {
				if c < 0x20 || c >= 0x7f || c == '\\' {
					return nil, false
				}
			}
			name = intern(d.names, key)
			for _, h := range buf[start:] {
				if h.Item == name {
					return nil, false // encoding/json's rule for duplicates applies
				}
			}
		}
		buf = append(buf, Hit{name, v})
	}
	return buf, true
}

var trueJSON, falseJSON = []byte("true"), []byte("false")

// intern returns the string of b, the same one for every equal b.
func intern(names map[string]string, b []byte) string {
	if s, ok := names[string(b)]; ok { // no copy for the lookup
		return s
	}
	s := string(b)
	names[s] = s
	return s
}

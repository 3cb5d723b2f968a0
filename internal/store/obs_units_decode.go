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
// Both columns are written by json.Marshal ([]int64 and map[string]bool),
// so they have one plain shape; these decoders read that shape directly
// and hand anything else (an escape, white space, another spelling) to
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

// decodeHits decodes a JSON object of booleans into a list, appending to
// buf: each key once, with encoding/json's value for it (the last of
// duplicates), in the order of the text for the plain shape and by key
// otherwise. It reads s in place (a row's bytes: 80 MB of them for
// 250,000 observations) and keeps none of it.
func decodeHits(s []byte, buf []Hit, names map[string]string) ([]Hit, error) {
	if hs, ok := parseHits(s, buf, names); ok {
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
		buf = append(buf, Hit{k, m[k]})
	}
	return buf, nil
}

// parseHits parses `{"a":true,"b":false}` (no spaces, printable ASCII,
// no escapes, no key twice); ok false on anything else. names interns the
// keys: the same few item names recur in every row.
func parseHits(s []byte, buf []Hit, names map[string]string) ([]Hit, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	// One pass for what no key may hold (encoding/json would unescape,
	// replace or reject it), rather than one per key.
	for _, c := range body {
		if c < 0x20 || c >= 0x7f || c == '\\' {
			return nil, false
		}
	}
	start := len(buf)
	for len(body) > 0 {
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
		name := intern(names, key)
		for _, h := range buf[start:] {
			if h.Item == name {
				return nil, false // encoding/json's rule for duplicates applies
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

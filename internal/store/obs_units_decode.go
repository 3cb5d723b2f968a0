package store

import (
	"encoding/json"
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
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return []int64{}, true
	}
	ids := make([]int64, 0, strings.Count(body, ",")+1)
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

// decodeHits decodes a JSON object of booleans.
func decodeHits(s string, out *map[string]bool, names map[string]string) error {
	if m, ok := parseHits(s, names); ok {
		*out = m
		return nil
	}
	return json.Unmarshal([]byte(s), out)
}

// parseHits parses `{"a":true,"b":false}` (no spaces, keys without
// escapes); ok false on anything else. names interns the keys: the same
// few item names recur in every row.
func parseHits(s string, names map[string]string) (map[string]bool, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	m := make(map[string]bool, strings.Count(body, ":"))
	for body != "" {
		if body[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(body[1:], '"')
		if end < 0 {
			return nil, false
		}
		key := body[1 : 1+end]
		if strings.IndexByte(key, '\\') >= 0 || !plainKey(key) {
			return nil, false
		}
		body = body[end+2:]
		if body == "" || body[0] != ':' {
			return nil, false
		}
		body = body[1:]
		var v bool
		switch {
		case strings.HasPrefix(body, "true"):
			v, body = true, body[4:]
		case strings.HasPrefix(body, "false"):
			v, body = false, body[5:]
		default:
			return nil, false
		}
		if body != "" {
			if body[0] != ',' || len(body) == 1 {
				return nil, false
			}
			body = body[1:]
		}
		name, ok := names[key]
		if !ok {
			name = strings.Clone(key)
			names[name] = name
		}
		if _, dup := m[name]; dup {
			return nil, false // encoding/json's rule for duplicates applies
		}
		m[name] = v
	}
	return m, true
}

// plainKey reports whether a key is printable ASCII (no control
// characters, nothing that encoding/json would replace or reject).
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

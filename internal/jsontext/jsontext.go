// Package jsontext writes JSON without reflection: for each kind of value
// it takes, the same bytes json.Marshal writes (HTML-safe escaping
// included), so that text written either way compares equal. The import
// writes an area path and a list of votes for every row, the intake a
// report's answers, and the observation aggregates a unit and a conflict
// for every touched station on every commit: encoding/json's reflection
// was a fifth of the import's CPU, and a sixth of the group commit's
// encoding (issue 9).
package jsontext

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, following encoding/json's
// encodeState.string with escapeHTML set, as json.Marshal uses it: an
// invalid byte becomes U+FFFD, and <, >, &, U+2028 and U+2029 are escaped.
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// AppendInts appends a list of integers; nil is null, as json.Marshal
// writes a nil slice.
func AppendInts(buf []byte, v []int64) []byte {
	return appendList(buf, v, func(b []byte, x int64) []byte { return strconv.AppendInt(b, x, 10) })
}

// AppendStrings appends a list of strings; nil is null.
func AppendStrings(buf []byte, v []string) []byte { return appendList(buf, v, AppendString) }

// appendList appends a list, each element as each writes it; nil is null.
func appendList[T any](buf []byte, v []T, each func([]byte, T) []byte) []byte {
	if v == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '[')
	for i, x := range v {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = each(buf, x)
	}
	return append(buf, ']')
}

// AppendBools appends a map of yes/no values as an object, its keys in
// order (json.Marshal sorts a map's keys); nil is null.
func AppendBools(buf []byte, m map[string]bool) []byte {
	if m == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = AppendString(buf, k)
		buf = append(buf, ':')
		buf = strconv.AppendBool(buf, m[k])
	}
	return append(buf, '}')
}

// plain reports whether valid JSON text has nothing json.Marshal would
// change: no white space between values (inside a string it stays),
// nothing HTML-sensitive, no U+2028 or U+2029. It reads the text as JSON
// only as far as telling strings from the rest, so it is for text
// json.Valid accepted.
func plain(raw []byte) bool {
	in := false // inside a string
	for i := 0; i < len(raw); i++ {
		switch b := raw[i]; {
		case b == '<' || b == '>' || b == '&':
			return false
		case b == 0xe2 && i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xa8 || raw[i+2] == 0xa9):
			return false
		case in && b == '\\':
			i++ // the escaped byte (an escape is ASCII: never the start of the above)
		case b == '"':
			in = !in
		case !in && (b == ' ' || b == '\t' || b == '\r' || b == '\n'):
			return false
		}
	}
	return true
}

// AppendRaw appends JSON text as json.Marshal writes a json.RawMessage:
// compact and HTML-safe, nil as null; invalid text is an error, as it is
// for json.Marshal. Text that is already so (the usual case: it was
// written by this package or by json.Marshal) is appended as it is.
func AppendRaw(buf []byte, raw []byte) ([]byte, error) {
	if raw == nil {
		return append(buf, "null"...), nil
	}
	if json.Valid(raw) && plain(raw) {
		return append(buf, raw...), nil
	}
	b, err := json.Marshal(json.RawMessage(raw))
	if err != nil {
		return buf, err
	}
	return append(buf, b...), nil
}

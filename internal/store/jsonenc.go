package store

import "github.com/vigil-elections/vigil/internal/jsontext"

// The import writes an area path (a JSON array of names) for every level
// of every row and a JSON array of votes for every protocol:
// encoding/json's reflection was a fifth of the import's CPU. These append
// the same bytes json.Marshal writes (its HTML-safe escaping included, so
// that paths stored either way compare equal), without reflection.

// appendPathJSON writes no path as an empty list, not as null.
func appendPathJSON(buf []byte, path []string) []byte {
	if path == nil {
		return append(buf, "[]"...)
	}
	return jsontext.AppendStrings(buf, path)
}

// appendVotesJSON writes no votes as an empty list, not as null.
func appendVotesJSON(buf []byte, votes []int64) []byte {
	if votes == nil {
		return append(buf, "[]"...)
	}
	return jsontext.AppendInts(buf, votes)
}

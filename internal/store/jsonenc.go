package store

import (
	"strconv"

	"github.com/vigil-elections/vigil/internal/jsontext"
	"github.com/vigil-elections/vigil/internal/observe/agg"
)

// The import writes an area path (a JSON array of names) for every level
// of every row and a JSON array of votes for every protocol, and the group
// commit a conflict for every changed question of every touched station:
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

// appendConflictJSON writes a conflict as json.Marshal writes an
// agg.Conflict (its fields' tags: the resolution left out when empty).
func appendConflictJSON(buf []byte, c agg.Conflict) ([]byte, error) {
	buf = append(buf, `{"area_id":`...)
	buf = strconv.AppendInt(buf, c.AreaID, 10)
	buf = append(buf, `,"phase":`...)
	buf = jsontext.AppendString(buf, c.Phase)
	buf = append(buf, `,"question":`...)
	buf = jsontext.AppendString(buf, c.Question)
	buf = append(buf, `,"values":`...)
	if c.Values == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i, v := range c.Values {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			buf = append(buf, `{"value":`...)
			if buf, err = jsontext.AppendRaw(buf, v.Value); err != nil {
				return nil, err
			}
			buf = append(buf, `,"reports":`...)
			buf = jsontext.AppendInts(buf, v.Reports)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	if len(c.Resolved) > 0 {
		var err error
		buf = append(buf, `,"resolved":`...)
		if buf, err = jsontext.AppendRaw(buf, c.Resolved); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

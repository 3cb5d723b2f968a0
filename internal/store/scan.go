package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// TimeLayout is how every time is stored: UTC, fixed width, microseconds.
// Fixed width makes SQL's string order time order on both engines (Go's
// RFC3339Nano drops trailing zeros, and "…:05Z" sorts after "…:05.5Z"),
// so comparisons such as "s.expires > $2" and ORDER BY on a time column
// are right within a second too. Migration 0010 converted older rows.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// fmtTime is a time as stored.
func fmtTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// scanTime is a Scan destination for a stored time: a malformed value
// fails the Scan, naming the text, rather than reading as the zero time.
func scanTime(t *time.Time) timeDest { return timeDest{t} }

type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case time.Time:
		*d.t = x.UTC()
		return nil
	default:
		return fmt.Errorf("stored time: unexpected %T", v)
	}
	// RFC3339Nano parses both the fixed layout and the older variable one.
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("stored time %q: %w", s, err)
	}
	*d.t = t.UTC()
	return nil
}

// scanJSON is a Scan destination for a JSON column decoded into v: a
// malformed value fails the Scan, naming the column, rather than leaving v
// half-filled (a report's area path or QC flags silently empty would
// misplace it on the dashboard).
func scanJSON(v any, column string) jsonDest { return jsonDest{v, column} }

type jsonDest struct {
	v      any
	column string
}

func (d jsonDest) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("stored %s: unexpected %T", d.column, src)
	}
	if err := json.Unmarshal(b, d.v); err != nil {
		return fmt.Errorf("stored %s %.40q: %w", d.column, b, err)
	}
	return nil
}

package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-elections/vigil/internal/election"
)

// LevelArea is an area above the stations with the stations under it,
// counted in the database: what a sample's strata need (their sizes and
// the order in which reading every station would meet them) without
// reading every station (issue 9: the dashboard's PVT read all of them).
type LevelArea struct {
	ID       int64
	Name     string
	Stations int // the stations under it
	// First is its first station in the order of Areas (by level, then
	// id), as level<<40 | id; 0 when it has none.
	First int64
}

// walkDown calls fn with every area from level 1 down to level, parents
// before children, children by id, going down from the election's roots
// through parent_id's index: the areas above the stations are few, and a
// condition on the election alone would have the engine read every area
// (SQLite 3.54 planned the same walk as one recursive statement as a scan
// of every station). Stations are not descended into.
func (db *DB) walkDown(ctx context.Context, electionID int64, level int, fn func(a election.Area)) error {
	frontier, err := queryList(ctx, db, func(sc interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	}, `SELECT id FROM areas WHERE parent_id IS NULL AND +election_id = $1 AND station = 0 ORDER BY id`, electionID)
	if err != nil {
		return err
	}
	for depth := 1; depth <= level && len(frontier) > 0; depth++ {
		var next []int64
		for _, p := range frontier {
			children, err := queryList(ctx, db, scanArea, `SELECT `+areaCols+` FROM areas WHERE parent_id = $1 AND `+visible("batch_id")+` ORDER BY id`, p)
			if err != nil {
				return err
			}
			for _, c := range children {
				fn(c)
				if !c.Station {
					next = append(next, c.ID)
				}
			}
		}
		frontier = next
	}
	return nil
}

// LevelAreas returns the areas of an election at a level that are not
// stations, by id, each with the stations under it, as area_stations
// keeps them (area_stations.go).
func (db *DB) LevelAreas(ctx context.Context, electionID int64, level int) (_ []LevelArea, err error) {
	defer wrap(&err, "store.LevelAreas(election %d, level %d)", electionID, level)
	var areas []election.Area
	if err := db.walkDown(ctx, electionID, level, func(a election.Area) {
		if a.Level == level && !a.Station {
			areas = append(areas, a)
		}
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(areas, func(a, b election.Area) int { return int(a.ID - b.ID) })
	ids := make([]int64, len(areas))
	for i, a := range areas {
		ids[i] = a.ID
	}
	counts, err := db.areaStationCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]LevelArea, len(areas))
	for i, a := range areas {
		c := counts[a.ID]
		out[i] = LevelArea{ID: a.ID, Name: a.Name, Stations: int(c[0]), First: c[1]}
	}
	return out, nil
}

// StationsAbove returns the first stations of an election, in the order
// of Areas, at most limit, that are at level or above it (whose path has
// no area at that level above them).
func (db *DB) StationsAbove(ctx context.Context, electionID int64, level, limit int) (_ []election.Area, err error) {
	defer wrap(&err, "store.StationsAbove(election %d, level %d)", electionID, level)
	var out []election.Area
	if err := db.walkDown(ctx, electionID, level, func(a election.Area) {
		if a.Station {
			out = append(out, a)
		}
	}); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b election.Area) int {
		if a.Level != b.Level {
			return a.Level - b.Level
		}
		return int(a.ID - b.ID)
	})
	return out[:min(len(out), limit)], nil
}

// SampleProtocol is what a sample's estimate reads of a station's current
// protocol: the station's stratum (the name of its area at a level), its
// registered voters (0 when not stated), its votes by option position and
// when it was received.
type SampleProtocol struct {
	Stratum    string
	Registered int64
	Votes      []int64
	Received   time.Time
}

// SampleProtocols calls fn with the current protocol of source of every
// station of an election that has an area at level above it, in the order
// of Areas (by level, then id). Four columns where CurrentProtocols scans
// every figure and the whole area (issue 9: a cold dashboard spent 1.2 s
// reading the 80,000 sampled stations' protocols that way, 0.2 s of it in
// SQLite). fn's argument is reused between calls.
//
// The rows are put in order here, not by the database: at 80,000 sampled
// stations PostgreSQL's sort spilled to disk and merged its workers'
// streams (about 0.1 s of a 0.45 s statement), where sorting them in Go
// takes a few milliseconds.
func (db *DB) SampleProtocols(ctx context.Context, electionID int64, source election.Source, level int, fn func(*SampleProtocol) error) (err error) {
	defer wrap(&err, "store.SampleProtocols(election %d, %s, level %d)", electionID, source, level)
	// The current protocol of a source is one of that source's protocols:
	// said again (p.election_id, p.source) so that PostgreSQL reads those
	// through protocols_election_source instead of hashing every protocol
	// of the election and every area (at 1,000,000 stations, 80,000 sampled:
	// 0.62 → 0.35 s, its tables in shared_buffers).
	rows, err := db.QueryContext(ctx, `SELECT a.level, a.id, a.path, p.registered, p.votes, p.received
		FROM protocol_current c JOIN protocols p ON p.id = c.protocol_id JOIN areas a ON a.id = c.area_id
		WHERE c.election_id = $1 AND c.source = $2 AND c.station = 1 AND a.level > $3
		AND p.election_id = $1 AND p.source = $2`, electionID, string(source), level)
	if err != nil {
		return err
	}
	defer rows.Close()
	type sampled struct {
		level      int
		id         int64
		stratum    string
		registered int64
		votes      [2]int // votes[0]:votes[1] in arena
		received   time.Time
	}
	var (
		all    []sampled
		arena  []int64
		strata = map[string]string{} // strata are few: one string each, not one a row
		path   string
		votes  string
		reg    sql.NullInt64
		r      sampled
	)
	for rows.Next() {
		if err := rows.Scan(&r.level, &r.id, &path, &reg, &votes, scanTime(&r.received)); err != nil {
			return err
		}
		name, err := pathElem(path, level-1)
		if err != nil {
			return err
		}
		if st, ok := strata[name]; ok {
			r.stratum = st
		} else {
			r.stratum = strings.Clone(name) // name shares path's memory
			strata[r.stratum] = r.stratum
		}
		r.registered = reg.Int64
		from := len(arena)
		if arena, err = appendIDs(arena, votes); err != nil {
			return fmt.Errorf("bad votes %q: %w", votes, err)
		}
		r.votes = [2]int{from, len(arena)}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	slices.SortFunc(all, func(a, b sampled) int {
		if a.level != b.level {
			return a.level - b.level
		}
		return cmp.Compare(a.id, b.id)
	})
	var sp SampleProtocol
	for _, r := range all {
		sp.Stratum, sp.Registered, sp.Received = r.stratum, r.registered, r.received
		sp.Votes = arena[r.votes[0]:r.votes[1]:r.votes[1]]
		if err := fn(&sp); err != nil {
			return err
		}
	}
	return nil
}

// pathElem is the i-th name of a stored path (a JSON array of strings),
// read in place when the path has no escapes (appendPathJSON's output for
// plain names), through encoding/json otherwise. The result may share the
// path's memory.
func pathElem(path string, i int) (string, error) {
	if name, ok := pathElemPlain(path, i); ok {
		return name, nil
	}
	var names []string
	if err := json.Unmarshal([]byte(path), &names); err != nil {
		return "", fmt.Errorf("bad path %s: %w", path, err)
	}
	if i < 0 || i >= len(names) {
		return "", fmt.Errorf("path %s has no name at level %d", path, i+1)
	}
	return names[i], nil
}

// pathElemPlain is pathElem for `["a","b"]`: valid UTF-8, no escapes, no
// spaces; ok is false for anything else.
func pathElemPlain(path string, i int) (_ string, ok bool) {
	if len(path) < 4 || path[0] != '[' || path[1] != '"' || path[len(path)-2] != '"' || path[len(path)-1] != ']' || !utf8.ValidString(path) {
		return "", false
	}
	for j := range len(path) {
		if path[j] == '\\' || path[j] < 0x20 {
			return "", false // escapes and control characters: encoding/json's
		}
	}
	rest := path[2 : len(path)-2]
	var out string
	for k := 0; ; k++ {
		name, tail, more := strings.Cut(rest, `","`)
		if strings.ContainsRune(name, '"') {
			return "", false // `["a", "b"]` and the like: not this writer's
		}
		if k == i {
			out, ok = name, true
		}
		if !more {
			return out, ok
		}
		rest = tail
	}
}

package store

import (
	"context"
	"slices"

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
// stations, by id, each with the stations under it: one indexed count
// per area (over the range of paths below it).
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
	out := make([]LevelArea, len(areas))
	for i, a := range areas {
		lo, hi := pathPrefix(a)
		out[i] = LevelArea{ID: a.ID, Name: a.Name}
		if err := db.QueryRowContext(ctx, `SELECT count(*), COALESCE(min(level * 1099511627776 + id), 0) FROM areas
			WHERE election_id = $1 AND path >= $2 AND path < $3 AND station = 1 AND `+visible("batch_id"),
			electionID, lo, hi).Scan(&out[i].Stations, &out[i].First); err != nil {
			return nil, err
		}
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

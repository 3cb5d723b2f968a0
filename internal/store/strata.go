package store

import (
	"context"
	"strings"

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

// FirstKey is the order key of LevelArea.First for a station.
func FirstKey(a election.Area) int64 { return int64(a.Level)<<40 | a.ID }

// LevelAreas returns the areas of an election at a level that are not
// stations, by id, each with the stations under it: one indexed count
// per area (over the range of paths below it).
func (db *DB) LevelAreas(ctx context.Context, electionID int64, level int) (_ []LevelArea, err error) {
	defer wrap(&err, "store.LevelAreas(election %d, level %d)", electionID, level)
	areas, err := queryList(ctx, db, scanArea, `SELECT `+areaCols+` FROM areas WHERE election_id = $1 AND level = $2 AND station = 0 AND `+
		visible("batch_id")+` ORDER BY id`, electionID, level)
	if err != nil {
		return nil, err
	}
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
// no area at that level above them), walking down from the root through
// the areas above level (parent_id's index), not over every station.
func (db *DB) StationsAbove(ctx context.Context, electionID int64, level, limit int) (_ []election.Area, err error) {
	defer wrap(&err, "store.StationsAbove(election %d, level %d)", electionID, level)
	return queryList(ctx, db, scanArea, `WITH RECURSIVE up(id) AS (
			SELECT id FROM areas WHERE election_id = $1 AND parent_id IS NULL AND station = 0
			UNION ALL
			SELECT a.id FROM up JOIN areas a ON a.parent_id = up.id WHERE a.station = 0 AND a.level < $2)
		SELECT `+strings.ReplaceAll(areaCols, "parent_id", "s.parent_id")+` FROM areas s
		WHERE s.parent_id IN (SELECT id FROM up) AND s.election_id = $1 AND s.station = 1 AND `+visible("s.batch_id")+`
		ORDER BY s.level, s.id LIMIT $3`, electionID, level, limit)
}

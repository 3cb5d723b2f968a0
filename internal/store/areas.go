package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vigil-elections/vigil/internal/election"
)

const areaCols = `id, COALESCE(parent_id, 0), level, name, path, station, attrs`

func scanArea(sc interface{ Scan(...any) error }) (election.Area, error) {
	var a election.Area
	var path, attrs string
	var station int
	if err := sc.Scan(&a.ID, &a.ParentID, &a.Level, &a.Name, &path, &station, &attrs); err != nil {
		return a, err
	}
	a.Station = station != 0
	if err := json.Unmarshal([]byte(path), &a.Path); err != nil {
		return a, fmt.Errorf("area %d: bad path: %w", a.ID, err)
	}
	if attrs != "{}" && attrs != "" {
		if err := json.Unmarshal([]byte(attrs), &a.Attrs); err != nil {
			return a, fmt.Errorf("area %d: bad attributes: %w", a.ID, err)
		}
	}
	return a, nil
}

// Areas returns every area of an election, parents before children (the
// root first), which is the order tabulation wants.
func (db *DB) Areas(ctx context.Context, electionID int64) (_ []election.Area, err error) {
	defer wrap(&err, "store.Areas(election %d)", electionID)
	return queryList(ctx, db, scanArea, `SELECT `+areaCols+` FROM areas WHERE election_id = $1 AND `+visible("batch_id")+` ORDER BY level, id`, electionID)
}

// Area loads one area of an election.
func (db *DB) Area(ctx context.Context, electionID, areaID int64) (_ election.Area, err error) {
	defer wrap(&err, "store.Area(election %d, area %d)", electionID, areaID)
	a, err := scanArea(db.QueryRowContext(ctx, `SELECT `+areaCols+` FROM areas WHERE election_id = $1 AND id = $2 AND `+visible("batch_id"), electionID, areaID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("area %d: %w", areaID, ErrNotFound)
	}
	return a, err
}

// AreaByPath finds an area by its path of names.
func (db *DB) AreaByPath(ctx context.Context, electionID int64, path []string) (_ election.Area, err error) {
	defer wrap(&err, "store.AreaByPath(election %d)", electionID)
	p, _ := json.Marshal(nonNil(path))
	a, err := scanArea(db.QueryRowContext(ctx, `SELECT `+areaCols+` FROM areas WHERE election_id = $1 AND path = $2 AND `+visible("batch_id"), electionID, string(p)))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("area %q: %w", path, ErrNotFound)
	}
	return a, err
}

// Children lists an area's direct children by name.
func (db *DB) Children(ctx context.Context, electionID, areaID int64) (_ []election.Area, err error) {
	defer wrap(&err, "store.Children(election %d, area %d)", electionID, areaID)
	return queryList(ctx, db, scanArea, `SELECT `+areaCols+` FROM areas WHERE election_id = $1 AND parent_id = $2 AND `+visible("batch_id")+` ORDER BY id`, electionID, areaID)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

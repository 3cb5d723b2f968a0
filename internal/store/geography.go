package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// AreaShape is the stored outline of an area: a GeoJSON MultiPolygon's
// coordinates.
type AreaShape struct {
	AreaID int64
	Level  int
	Shape  json.RawMessage
	Source string // the file the boundaries came from; "synthetic" for the demo's
}

// StationPoint is a polling station's stored coordinates.
type StationPoint struct {
	AreaID   int64
	Lat, Lon float64
}

// ReplaceShapes stores the outlines of one level of an election's areas,
// replacing whatever that level had, in one transaction: a failed import
// leaves the old map.
func (db *DB) ReplaceShapes(ctx context.Context, electionID int64, level int, shapes []AreaShape) (err error) {
	defer wrap(&err, "store.ReplaceShapes(election %d, level %d)", electionID, level)
	return db.inTxTouch(ctx, electionID, []ChangeKind{ChangeElection}, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM area_shapes WHERE election_id = $1 AND level = $2`, electionID, level); err != nil {
			return err
		}
		for _, s := range shapes {
			res, err := tx.ExecContext(ctx, `INSERT INTO area_shapes (area_id, election_id, level, shape, source)
				SELECT id, election_id, $3, $4, $5 FROM areas WHERE id = $1 AND election_id = $2 AND `+visible("batch_id"), s.AreaID, electionID, level, string(s.Shape), s.Source)
			if err != nil {
				return fmt.Errorf("area %d: %w", s.AreaID, err)
			}
			if n, err := rowsAffected(res); err != nil {
				return fmt.Errorf("area %d: %w", s.AreaID, err)
			} else if n != 1 {
				return fmt.Errorf("area %d is not in election %d", s.AreaID, electionID)
			}
		}
		return nil
	})
}

// ReplaceStationPoints stores the coordinates of an election's stations,
// replacing all it had, in one transaction.
func (db *DB) ReplaceStationPoints(ctx context.Context, electionID int64, pts []StationPoint) (err error) {
	defer wrap(&err, "store.ReplaceStationPoints(election %d)", electionID)
	return db.inTxTouch(ctx, electionID, []ChangeKind{ChangeElection}, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM station_points WHERE election_id = $1`, electionID); err != nil {
			return err
		}
		for _, p := range pts {
			res, err := tx.ExecContext(ctx, `INSERT INTO station_points (area_id, election_id, lat, lon)
				SELECT id, election_id, $3, $4 FROM areas WHERE id = $1 AND election_id = $2 AND `+visible("batch_id"), p.AreaID, electionID, p.Lat, p.Lon)
			if err != nil {
				return fmt.Errorf("station %d: %w", p.AreaID, err)
			}
			if n, err := rowsAffected(res); err != nil {
				return fmt.Errorf("station %d: %w", p.AreaID, err)
			} else if n != 1 {
				return fmt.Errorf("station %d is not in election %d", p.AreaID, electionID)
			}
		}
		return nil
	})
}

// Shapes returns the stored outlines of an election's areas.
func (db *DB) Shapes(ctx context.Context, electionID int64) (_ []AreaShape, err error) {
	defer wrap(&err, "store.Shapes(election %d)", electionID)
	rows, err := db.QueryContext(ctx, `SELECT area_id, level, shape, source FROM area_shapes WHERE election_id = $1 ORDER BY area_id`, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AreaShape
	for rows.Next() {
		var s AreaShape
		var txt string
		if err := rows.Scan(&s.AreaID, &s.Level, &txt, &s.Source); err != nil {
			return nil, err
		}
		s.Shape = json.RawMessage(txt)
		out = append(out, s)
	}
	return out, rows.Err()
}

// StationPoints returns the stored coordinates of an election's stations.
func (db *DB) StationPoints(ctx context.Context, electionID int64) (_ []StationPoint, err error) {
	defer wrap(&err, "store.StationPoints(election %d)", electionID)
	rows, err := db.QueryContext(ctx, `SELECT area_id, lat, lon FROM station_points WHERE election_id = $1 ORDER BY area_id`, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StationPoint
	for rows.Next() {
		var p StationPoint
		if err := rows.Scan(&p.AreaID, &p.Lat, &p.Lon); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// StationPointOf returns one station's stored coordinates (ok false when
// none are stored): QC rules using distance() read it per report.
func (db *DB) StationPointOf(ctx context.Context, areaID int64) (p StationPoint, ok bool, err error) {
	defer wrap(&err, "store.StationPointOf(area %d)", areaID)
	p.AreaID = areaID
	err = db.QueryRowContext(ctx, `SELECT lat, lon FROM station_points WHERE area_id = $1`, areaID).Scan(&p.Lat, &p.Lon)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	return p, err == nil, err
}

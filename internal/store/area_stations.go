package store

import (
	"context"
	"fmt"
	"strings"
)

// area_stations (migration 0023) keeps, per area above the stations, the
// stations under it and the first of them: LevelAreas reads the strata's
// sizes from it in a row per stratum, where counting them read every
// station's row (0.6 s of a cold dashboard at 1,000,000 stations).

// stationsUp is the recursive part shared by the import's delta and the
// rebuild: every (area above, stations, first station) from a set of
// stations (where, over areas), each station's count carried to every
// ancestor. Grouped by parent first: the carrying then walks a few
// thousand rows, not a million.
func stationsUp(where string) string {
	return `WITH RECURSIVE up (area_id, n, f) AS (
    SELECT parent_id, count(*), min(level * 1099511627776 + id) FROM areas
    WHERE station = 1 AND parent_id IS NOT NULL AND ` + where + `
    GROUP BY parent_id
  UNION ALL
    SELECT a.parent_id, up.n, up.f FROM up JOIN areas a ON a.id = up.area_id WHERE a.parent_id IS NOT NULL
)`
}

// areaStations is one area's share of new stations.
type areaStations struct {
	area, election, n, first int64
}

// batchAreaStations reads what an import batch's new stations add to the
// areas above them. Its rows are the batch's own, which nothing else
// writes: read before the final transaction, outside its lock.
func batchAreaStations(ctx context.Context, l loader, batchID int64) (out []areaStations, err error) {
	defer wrap(&err, "store.batchAreaStations(batch %d)", batchID)
	err = l.each(ctx, stationsUp(`batch_id = $1`)+`
		SELECT up.area_id, a.election_id, sum(up.n), min(up.f) FROM up JOIN areas a ON a.id = up.area_id
		GROUP BY up.area_id, a.election_id`, []any{batchID}, func(scan func(...any) error) error {
		var r areaStations
		if err := scan(&r.area, &r.election, &r.n, &r.first); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// addAreaStations adds new stations' counts to area_stations, in the
// transaction that makes them visible.
func addAreaStations(ctx context.Context, l loader, rows []areaStations) (err error) {
	defer wrap(&err, "store.addAreaStations(%d areas)", len(rows))
	const per = 200
	for lo := 0; lo < len(rows); lo += per {
		var b strings.Builder
		b.WriteString(`INSERT INTO area_stations (area_id, election_id, stations, first) VALUES `)
		for i, r := range rows[lo:min(lo+per, len(rows))] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, %d, %d, %d)", r.area, r.election, r.n, r.first)
		}
		b.WriteString(` ON CONFLICT (area_id) DO UPDATE SET stations = area_stations.stations + excluded.stations,
			first = CASE WHEN excluded.first < area_stations.first THEN excluded.first ELSE area_stations.first END`)
		if err := l.exec(ctx, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// rebuildAreaStations recomputes area_stations from every visible station.
func rebuildAreaStations(ctx context.Context, l loader) error {
	if err := l.exec(ctx, `DELETE FROM area_stations`); err != nil {
		return err
	}
	return l.exec(ctx, stationsUp(visible("batch_id"))+`
		INSERT INTO area_stations (area_id, election_id, stations, first)
		SELECT up.area_id, a.election_id, sum(up.n), min(up.f) FROM up JOIN areas a ON a.id = up.area_id
		GROUP BY up.area_id, a.election_id
		ON CONFLICT (area_id) DO UPDATE SET stations = excluded.stations, first = excluded.first`)
	// (On PostgreSQL an import of a new election, which the rebuild has not
	// locked, can commit its rows between the DELETE and this statement,
	// which counts its stations too: the count read here stands.)
}

// areaStationCounts reads the stations under each of the areas and the
// first of them (0 for an area without stations).
func (db *DB) areaStationCounts(ctx context.Context, ids []int64) (map[int64][2]int64, error) {
	out := make(map[int64][2]int64, len(ids))
	for lo := 0; lo < len(ids); lo += 500 {
		rs, err := queryList(ctx, db, func(sc interface{ Scan(...any) error }) (r [3]int64, err error) {
			err = sc.Scan(&r[0], &r[1], &r[2])
			return r, err
		}, `SELECT area_id, stations, first FROM area_stations WHERE area_id IN (`+obsIDs(ids[lo:min(lo+500, len(ids))])+`)`)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out[r[0]] = [2]int64{r[1], r[2]}
		}
	}
	return out, nil
}

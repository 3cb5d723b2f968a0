package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// AreaResult is one area's results aggregate for one source: the sums over
// the stations under it of their current protocol of that source.
type AreaResult struct {
	Area     election.Area
	Stations int              // stations counted
	Figures  election.Figures // a figure is known when some station states it
	// Coverage is, per figure, how many of the counted stations state it.
	Coverage [election.NumFigures]int
	// Cast is the sum of the ballots cast (valid + invalid, else ballots
	// in the box) over CastStations stations.
	Cast         int64
	CastStations int
	// Votes by option position, and how many stations give each.
	Votes         []int64
	VotesStations []int
	// Flags is, per control code (FlagCodes), how many counted stations
	// fail it.
	Flags map[string]int
	// Differs is how many stations under the area have current protocols
	// of different sources that disagree (whatever the source asked).
	Differs int
}

// ResultsStamp changes whenever an election's results aggregates change:
// a protocol committed, a configuration changed, a rebuild.
func (db *DB) ResultsStamp(ctx context.Context, electionID int64) (_ string, err error) {
	defer wrap(&err, "store.ResultsStamp(%d)", electionID)
	var n int64
	err = db.QueryRowContext(ctx, `SELECT changes FROM result_elections WHERE election_id = $1`, electionID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "0", nil
	}
	return strconv.FormatInt(n, 10), err
}

const resultSelect = `SELECT a.id, COALESCE(a.parent_id, 0), a.level, a.name, a.path, a.station, a.attrs,
	COALESCE(r.stations, 0)`

func resultCols() string {
	var b strings.Builder
	for _, f := range aggFigures {
		fmt.Fprintf(&b, ", COALESCE(r.%[1]s, 0), COALESCE(r.%[1]s_n, 0)", f)
	}
	for _, c := range flagCodes {
		fmt.Fprintf(&b, ", COALESCE(r.%s, 0)", flagCol(c))
	}
	b.WriteString(", COALESCE(s.differs, 0)")
	return b.String()
}

const resultFrom = ` FROM areas a LEFT JOIN result_areas r ON r.area_id = a.id AND r.source = $1
	LEFT JOIN result_areas s ON s.area_id = a.id AND s.source = '*'`

func scanResult(sc interface{ Scan(...any) error }) (*AreaResult, error) {
	r := &AreaResult{Flags: make(map[string]int, len(flagCodes))}
	var path, attrs string
	var station int
	sums := make([]int64, 2*len(aggFigures))
	flags := make([]int, len(flagCodes))
	dest := []any{&r.Area.ID, &r.Area.ParentID, &r.Area.Level, &r.Area.Name, &path, &station, &attrs, &r.Stations}
	for i := range sums {
		dest = append(dest, &sums[i])
	}
	for i := range flags {
		dest = append(dest, &flags[i])
	}
	dest = append(dest, &r.Differs)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	r.Area.Station = station != 0
	if err := json.Unmarshal([]byte(path), &r.Area.Path); err != nil {
		return nil, fmt.Errorf("area %d: bad path: %w", r.Area.ID, err)
	}
	if attrs != "{}" && attrs != "" {
		if err := json.Unmarshal([]byte(attrs), &r.Area.Attrs); err != nil {
			return nil, fmt.Errorf("area %d: bad attributes: %w", r.Area.ID, err)
		}
	}
	for f := election.Figure(0); f < election.NumFigures; f++ {
		sum, n := sums[2*f], sums[2*f+1]
		r.Coverage[f] = int(n)
		if n > 0 {
			r.Figures.Set(f, sum)
		}
	}
	r.Cast, r.CastStations = sums[2*election.NumFigures], int(sums[2*election.NumFigures+1])
	for i, c := range flagCodes {
		r.Flags[c] = flags[i]
	}
	return r, nil
}

// ResultTree returns the results aggregate of source for area rootID and
// the areas below it down to depth levels (0: the area alone; negative:
// every level), parents before children, children by id (the order of
// store.Areas and tally.Index). Its cost is that of the rows it returns.
func (db *DB) ResultTree(ctx context.Context, electionID int64, source election.Source, rootID int64, depth int) (_ []*AreaResult, err error) {
	defer wrap(&err, "store.ResultTree(election %d, %s, area %d)", electionID, source, rootID)
	root, err := scanResult(db.QueryRowContext(ctx, resultSelect+resultCols()+resultFrom+` WHERE a.election_id = $2 AND a.id = $3`, string(source), electionID, rootID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("area %d: %w", rootID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	out := []*AreaResult{root}
	level := []int64{root.Area.ID}
	for d := 0; (depth < 0 || d < depth) && len(level) > 0; d++ {
		var next []int64
		for lo := 0; lo < len(level); lo += 500 {
			in, args := inIDs(level[lo:min(lo+500, len(level))], string(source), electionID)
			rows, err := db.QueryContext(ctx, resultSelect+resultCols()+resultFrom+` WHERE a.election_id = $2 AND a.parent_id`+in+` ORDER BY a.id`, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				r, err := scanResult(rows)
				if err != nil {
					rows.Close()
					return nil, err
				}
				out = append(out, r)
				next = append(next, r.Area.ID)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		level = next
	}
	if err := db.fillVotes(ctx, source, out); err != nil {
		return nil, err
	}
	if err := db.fillStations(ctx, source, out); err != nil {
		return nil, err
	}
	return out, nil
}

// fillStations sets the numbers of the stations among rs from their
// current protocol of source, counted as tally counts a station (ballots
// issued derived from its parts), and whether their sources differ.
func (db *DB) fillStations(ctx context.Context, source election.Source, rs []*AreaResult) error {
	byID := map[int64]*AreaResult{}
	var ids []int64
	for _, r := range rs {
		if r.Area.Station {
			byID[r.Area.ID] = r
			ids = append(ids, r.Area.ID)
		}
	}
	for lo := 0; lo < len(ids); lo += 500 {
		in, args := inIDs(ids[lo:min(lo+500, len(ids))], string(source))
		rows, err := db.QueryContext(ctx, `SELECT c.area_id, c.flags, p.`+strings.ReplaceAll(figureCols, ", ", ", p.")+`, p.votes
			FROM protocol_current c JOIN protocols p ON p.id = c.protocol_id WHERE c.source = $1 AND c.area_id`+in, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, flags int64
			var figs [election.NumFigures]sql.NullInt64
			var votes string
			dest := []any{&id, &flags}
			for i := range figs {
				dest = append(dest, &figs[i])
			}
			if err := rows.Scan(append(dest, &votes)...); err != nil {
				rows.Close()
				return err
			}
			r := byID[id]
			if r == nil {
				continue
			}
			var f election.Figures
			for i, v := range figs {
				if v.Valid {
					f.Set(election.Figure(i), v.Int64)
				}
			}
			var vs []int64
			if err := json.Unmarshal([]byte(votes), &vs); err != nil {
				rows.Close()
				return fmt.Errorf("area %d: bad votes: %w", id, err)
			}
			setStation(r, flags, f, vs)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		in, args = inIDs(ids[lo:min(lo+500, len(ids))])
		if err := db.scanIDs(ctx, `SELECT area_id FROM station_differs WHERE area_id`+in, func(id int64) { byID[id].Differs = 1 }, args...); err != nil {
			return err
		}
	}
	return nil
}

// inIDs is the condition " IN (1,2,3)" on the ids of a page, with their
// values written into it (integers the caller holds); one id is a
// parameter instead, after args, so that the query is the same text for
// every area and its prepared statement is kept (stmtcache.go): the pages
// of one station or area are the most frequent.
func inIDs(ids []int64, args ...any) (string, []any) {
	if len(ids) == 1 {
		return " = $" + strconv.Itoa(len(args)+1), append(args, ids[0])
	}
	return strings.TrimPrefix(idList(ids), "t.id"), args
}

func (db *DB) scanIDs(ctx context.Context, q string, fn func(id int64), args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		fn(id)
	}
	return rows.Err()
}

// fillVotes reads the votes of the areas of rs.
func (db *DB) fillVotes(ctx context.Context, source election.Source, rs []*AreaResult) error {
	byID := make(map[int64]*AreaResult, len(rs))
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		if r.Stations > 0 && !r.Area.Station {
			byID[r.Area.ID] = r
			ids = append(ids, r.Area.ID)
		}
	}
	for lo := 0; lo < len(ids); lo += 500 {
		in, args := inIDs(ids[lo:min(lo+500, len(ids))], string(source))
		rows, err := db.QueryContext(ctx, `SELECT t.area_id, t.position, t.votes, t.stations FROM result_votes t WHERE t.source = $1 AND t.area_id`+
			in+` ORDER BY t.area_id, t.position`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, v, n int64
			var pos int
			if err := rows.Scan(&id, &pos, &v, &n); err != nil {
				rows.Close()
				return err
			}
			r := byID[id]
			if r == nil || pos < 0 {
				continue
			}
			for len(r.Votes) <= pos {
				r.Votes = append(r.Votes, 0)
				r.VotesStations = append(r.VotesStations, 0)
			}
			r.Votes[pos], r.VotesStations[pos] = v, int(n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// setStation sets a station's result r from its current protocol's
// figures, votes and control flags, counted as tally counts a station
// (ballots issued derived from its parts).
func setStation(r *AreaResult, flags int64, figs election.Figures, votes []int64) {
	r.Figures = figs
	if v, ok := r.Figures.Get(election.BallotsIssued); ok {
		r.Figures.Set(election.BallotsIssued, v)
	}
	for f := election.Figure(0); f < election.NumFigures; f++ {
		if r.Figures.Has(f) {
			r.Coverage[f] = 1
		}
	}
	if v, ok := r.Figures.Ballots(); ok {
		r.Cast, r.CastStations = v, 1
	}
	r.Votes = votes
	r.VotesStations = make([]int, len(r.Votes))
	for i := range r.VotesStations {
		r.VotesStations[i] = 1
	}
	for i, c := range flagCodes {
		if flags&(1<<i) != 0 {
			r.Flags[c] = 1
		}
	}
	r.Stations = 1
}

// StationResults is, for one polling station (st, as AreaWithAncestors
// or Area read it), what ResultTree(source, st, 1) and AreaProtocols give,
// read in one statement: every version of its protocol, which one is
// current for source with its control flags, and whether its sources
// differ. A station's page is the portal's most numerous cold page (one
// per station); on PostgreSQL each statement is a round trip that costs
// both servers CPU, and the two calls took five (ResultTree four for a
// station, one of them for children it cannot have).
func (db *DB) StationResults(ctx context.Context, electionID int64, source election.Source, st election.Area) (_ *AreaResult, _ []*election.Protocol, err error) {
	defer wrap(&err, "store.StationResults(election %d, %s, area %d)", electionID, source, st.ID)
	if !st.Station {
		return nil, nil, fmt.Errorf("area %d is not a polling station", st.ID)
	}
	rows, err := db.QueryContext(ctx, `SELECT `+protoHead+figureCols+`, votes, received,
			(SELECT c.flags FROM protocol_current c WHERE c.area_id = protocols.area_id AND c.source = $3 AND c.protocol_id = protocols.id),
			EXISTS (SELECT 1 FROM station_differs d WHERE d.area_id = protocols.area_id)
		FROM protocols WHERE election_id = $1 AND area_id = $2 AND `+visible("batch_id")+` ORDER BY source, version`, electionID, st.ID, string(source))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	r := &AreaResult{Area: st, Flags: make(map[string]int, len(flagCodes))}
	for _, c := range flagCodes {
		r.Flags[c] = 0
	}
	var ps []*election.Protocol
	for rows.Next() {
		var flags sql.NullInt64
		var differs bool
		p, err := scanProtocol(scanSplit{func(dest []any) error { return rows.Scan(append(dest, &flags, &differs)...) }})
		if err != nil {
			return nil, nil, err
		}
		ps = append(ps, p)
		if differs {
			r.Differs = 1
		}
		if flags.Valid { // the current version of source
			setStation(r, flags.Int64, p.Figures, slices.Clone(p.Votes))
		}
	}
	return r, ps, rows.Err()
}

// AreaAncestors returns the areas above an area, from the root down.
func (db *DB) AreaAncestors(ctx context.Context, electionID, areaID int64) (_ []election.Area, err error) {
	defer wrap(&err, "store.AreaAncestors(election %d, area %d)", electionID, areaID)
	_, up, err := db.areaWithAncestors(ctx, electionID, areaID)
	return up, err
}

// AreaWithAncestors is Area and AreaAncestors in one statement: a results
// page's area and its breadcrumbs.
func (db *DB) AreaWithAncestors(ctx context.Context, electionID, areaID int64) (_ election.Area, _ []election.Area, err error) {
	defer wrap(&err, "store.AreaWithAncestors(election %d, area %d)", electionID, areaID)
	return db.areaWithAncestors(ctx, electionID, areaID)
}

func (db *DB) areaWithAncestors(ctx context.Context, electionID, areaID int64) (election.Area, []election.Area, error) {
	// One statement walks up the parents (a page's breadcrumbs were a
	// query per level): the area itself at n = 0, its parent at 1, ...
	rows, err := db.QueryContext(ctx, `WITH RECURSIVE up(n, id, parent_id, level, name, path, station, attrs) AS (
			SELECT 0, id, parent_id, level, name, path, station, attrs FROM areas
			WHERE election_id = $1 AND id = $2 AND `+visible("batch_id")+`
			UNION ALL
			SELECT up.n + 1, a.id, a.parent_id, a.level, a.name, a.path, a.station, a.attrs
			FROM up JOIN areas a ON a.id = up.parent_id
			WHERE up.n < 64 AND a.election_id = $1 AND `+visible("a.batch_id")+`)
		SELECT n, id, COALESCE(parent_id, 0), level, name, path, station, attrs FROM up ORDER BY n DESC`, electionID, areaID)
	if err != nil {
		return election.Area{}, nil, err
	}
	defer rows.Close()
	var self election.Area
	var out []election.Area
	want := -1 // the n the next row must have: the rows go down to the area itself
	read := false
	for rows.Next() {
		var n int
		a, err := scanArea(scanSplit{func(rest []any) error { return rows.Scan(append([]any{&n}, rest...)...) }})
		if err != nil {
			return election.Area{}, nil, err
		}
		if !read && n < 64 && a.ParentID != 0 || read && n != want {
			// A parent on the way is missing (another election's, or in
			// an import not yet committed), as Area would have said.
			return election.Area{}, nil, fmt.Errorf("area %d: %w", a.ParentID, ErrNotFound)
		}
		want, read = n-1, true
		if n > 0 {
			out = append(out, a)
		} else {
			self = a
		}
	}
	if err := rows.Err(); err != nil {
		return election.Area{}, nil, err
	}
	if !read || want != -1 {
		return election.Area{}, nil, fmt.Errorf("area %d: %w", areaID, ErrNotFound)
	}
	return self, out, nil
}

// RootArea returns an election's root area (level 0).
func (db *DB) RootArea(ctx context.Context, electionID int64) (_ election.Area, err error) {
	defer wrap(&err, "store.RootArea(election %d)", electionID)
	a, err := scanArea(db.QueryRowContext(ctx, `SELECT `+areaCols+` FROM areas WHERE election_id = $1 AND parent_id IS NULL ORDER BY id LIMIT 1`, electionID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("election %d has no areas: %w", electionID, ErrNotFound)
	}
	return a, err
}

// pathPrefix is the range of the paths under an area: every descendant's
// path (JSON text) starts with its own path without the closing bracket.
func pathPrefix(a election.Area) (lo, hi string) {
	if len(a.Path) == 0 {
		return "[", "\\" // every path; '\' sorts right after '['
	}
	b, _ := json.Marshal(a.Path)
	p := string(b[:len(b)-1]) + ","
	return p, p[:len(p)-1] + "-" // ',' + 1 = '-'
}

// StationsUnder counts the stations under an area (itself, if a station),
// with or without a protocol, of the imports committed.
func (db *DB) StationsUnder(ctx context.Context, electionID int64, a election.Area) (n int, err error) {
	defer wrap(&err, "store.StationsUnder(election %d, area %d)", electionID, a.ID)
	if a.Station {
		return 1, nil
	}
	// Kept per area (area_stations.go): counting the range of paths below
	// it read every station's row, 0.1–0.6 s for a region of 60,000, and
	// counted the stations of an import not yet committed.
	err = db.QueryRowContext(ctx, `SELECT stations FROM area_stations WHERE area_id = $1 AND election_id = $2`, a.ID, electionID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// CurrentProtocols calls fn with the current protocol (the highest version)
// of every (area, source) of an election whose source is among sources
// (every source when none is given), with its area, ordered by area id,
// one at a time: the caller keeps what it needs, not the whole election.
func (db *DB) CurrentProtocols(ctx context.Context, electionID int64, sources []election.Source, fn func(a *election.Area, p *election.Protocol) error) (err error) {
	defer wrap(&err, "store.CurrentProtocols(election %d)", electionID)
	return db.currentProtocols(ctx, electionID, sources, "", fn)
}

// FlaggedProtocols is CurrentProtocols for the protocols that can carry a
// flag of the controls: those of the stations that fail a control (their
// maintained flags), and every protocol of the areas above the stations
// (few; a summary is also checked against its stations' sums). The
// controls page reads these instead of every protocol.
func (db *DB) FlaggedProtocols(ctx context.Context, electionID int64, fn func(a *election.Area, p *election.Protocol) error) (err error) {
	defer wrap(&err, "store.FlaggedProtocols(election %d)", electionID)
	// Written as migration 0025's partial index is (failBits is
	// 4294967295), so that SQLite reads the flagged protocols through it.
	return db.currentProtocols(ctx, electionID, nil, fmt.Sprintf(` AND ((c.flags & %d) <> 0 OR c.station = 0)`, failBits), fn)
}

func (db *DB) currentProtocols(ctx context.Context, electionID int64, sources []election.Source, cond string, fn func(a *election.Area, p *election.Protocol) error) error {
	where := cond
	if len(sources) > 0 {
		var q []string
		for _, s := range sources {
			q = append(q, "'"+strings.ReplaceAll(string(s), "'", "''")+"'")
		}
		where += ` AND c.source IN (` + strings.Join(q, ", ") + `)`
	}
	sel := `p.id, p.area_id, p.source, p.version, COALESCE(p.batch_id, 0), p.` + strings.ReplaceAll(figureCols, ", ", ", p.")
	rows, err := db.QueryContext(ctx, `SELECT `+sel+`, p.votes, p.received, `+
		`a.id, COALESCE(a.parent_id, 0), a.level, a.name, a.path, a.station, a.attrs
		FROM protocol_current c JOIN protocols p ON p.id = c.protocol_id JOIN areas a ON a.id = c.area_id
		WHERE c.election_id = $1`+where+` ORDER BY a.level, a.id, `+sourceRank("c.source"), electionID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var a election.Area
	for rows.Next() {
		var pa election.Area
		p, err := scanProtocol(scanSplit{func(rest []any) error {
			var path, attrs string
			var station int
			if err := rows.Scan(append(rest, &pa.ID, &pa.ParentID, &pa.Level, &pa.Name, &path, &station, &attrs)...); err != nil {
				return err
			}
			pa.Station = station != 0
			if pa.ID == a.ID {
				pa = a // the same area as the row before: decoded once
				return nil
			}
			if err := json.Unmarshal([]byte(path), &pa.Path); err != nil {
				return fmt.Errorf("area %d: bad path: %w", pa.ID, err)
			}
			if attrs != "{}" && attrs != "" {
				if err := json.Unmarshal([]byte(attrs), &pa.Attrs); err != nil {
					return fmt.Errorf("area %d: bad attributes: %w", pa.ID, err)
				}
			}
			return nil
		}})
		if err != nil {
			return err
		}
		a = pa
		if err := fn(&a, p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanSplit lets scanProtocol's Scan also fill the columns after the
// protocol's.
type scanSplit struct {
	rest func(dest []any) error
}

func (s scanSplit) Scan(dest ...any) error { return s.rest(dest) }

// SummaryProtocols returns the current summary protocols of the areas
// under an area (itself included), with their areas.
func (db *DB) SummaryProtocols(ctx context.Context, electionID int64, under election.Area) (_ []*election.Protocol, _ []election.Area, err error) {
	defer wrap(&err, "store.SummaryProtocols(election %d, area %d)", electionID, under.ID)
	lo, hi := pathPrefix(under)
	rows, err := db.QueryContext(ctx, `SELECT `+protoHead+figureCols+`, votes, received FROM protocols
		WHERE id IN (SELECT c.protocol_id FROM protocol_current c JOIN areas a ON a.id = c.area_id
			WHERE c.election_id = $1 AND c.source = 'summary' AND (a.id = $2 OR (a.path >= $3 AND a.path < $4)))
		ORDER BY area_id`, electionID, under.ID, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	var ps []*election.Protocol
	for rows.Next() {
		p, err := scanProtocol(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	areas := make([]election.Area, len(ps))
	for i, p := range ps {
		if areas[i], err = db.Area(ctx, electionID, p.AreaID); err != nil {
			return nil, nil, err
		}
	}
	return ps, areas, nil
}

// SummaryTotals are the sums a summary protocol of r's area is compared
// with (election.Report.CheckSummaryTotals): expected is the number of
// stations under the area (StationsUnder), nOpt the election's options.
func (r *AreaResult) SummaryTotals(expected, nOpt int) election.SummaryTotals {
	t := election.SummaryTotals{Stations: expected, WithProtocol: r.Stations, Votes: make([]int64, nOpt)}
	for f := election.Figure(0); f < election.NumFigures; f++ {
		t.Sum[f] = r.Figures.Value(f)
		t.InAll[f] = expected > 0 && r.Coverage[f] == expected
	}
	copy(t.Votes, r.Votes)
	t.VotesInAll = expected > 0 && nOpt > 0 && len(r.VotesStations) >= nOpt
	for i := 0; t.VotesInAll && i < nOpt; i++ {
		t.VotesInAll = r.VotesStations[i] == expected
	}
	return t
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// stationDeltas turns agg_change into the deltas of the stations' parents
// (agg_delta, agg_vdelta at depth 1): figures, votes and flags, the new
// protocol counted and the old one taken out. It reads agg_change, areas
// and protocols and writes work tables only.
//
// The sums are made here, not by GROUP BY: SQLite has no hash aggregate
// and sorts the rows of a GROUP BY — a first import of 1,000,000 stations
// made it sort a million wide rows (spilling to disk) and six million of
// their votes, 21 s of the import's 86 s of CPU — and PostgreSQL took
// 26.5 s for the same three statements (the work table has no statistics
// when they run, and each vote became a row of jsonb_array_elements_text).
// Each station's values are still SQL's (the same figureExpr, the votes
// as stored); only the sums move (issue 9). One row per parent and source:
// carryChanges sums agg_delta and agg_vdelta by area and source anyway, so
// one row or three (the new side, the old side, the flags) add up the same.
func stationDeltas(ctx context.Context, l loader) error {
	ds := newDeltaSums()
	figs := make([]string, len(aggFigures))
	for i, f := range aggFigures {
		figs[i] = figureExpr("p", f)
	}
	vals := make([]sql.NullInt64, len(aggFigures))
	var votesBuf []int64
	// add counts one protocol's figures and votes, sign +1 or −1.
	add := func(k deltaKey, sign int64, votes sql.NullString) error {
		votesBuf = votesBuf[:0]
		if votes.Valid {
			var err error
			if votesBuf, err = appendIDs(votesBuf, votes.String); err != nil {
				return fmt.Errorf("station deltas: votes %q: %w", votes.String, err)
			}
		}
		ds.group(k).add(sign, vals, votesBuf)
		return nil
	}
	// The new side, with the flags: every change of a station whose parent
	// is kept, for its new protocol (when it has one) and for its flags
	// (when they changed).
	var (
		k                  deltaKey
		hasNew             bool
		oldFlags, newFlags int64
		votes              sql.NullString
	)
	dest := []any{&k.parent, &k.source, &hasNew, &oldFlags, &newFlags}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	dest = append(dest, &votes)
	if err := l.each(ctx, `SELECT a.parent_id, ch.source, ch.new_id IS NOT NULL, ch.old_flags, ch.new_flags, `+strings.Join(figs, ", ")+`, p.votes
		FROM agg_change ch JOIN areas a ON a.id = ch.area_id LEFT JOIN protocols p ON p.id = ch.new_id
		WHERE ch.station = 1 AND a.parent_id IS NOT NULL AND (ch.new_id IS NOT NULL OR ch.new_flags <> ch.old_flags)`, nil,
		func(scan func(...any) error) error {
			if err := scan(dest...); err != nil {
				return err
			}
			if hasNew {
				if err := add(k, 1, votes); err != nil {
					return err
				}
			}
			ds.group(k).flags(oldFlags, newFlags)
			return nil
		}); err != nil {
		return fmt.Errorf("station deltas: %w", err)
	}
	// The side taken out: the protocols that were current before, where a
	// current protocol is replaced (on a first import none is: the join
	// would read every change for nothing).
	var replaced int
	if err := l.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM agg_change WHERE old_id IS NOT NULL LIMIT 1) x`).Scan(&replaced); err != nil {
		return fmt.Errorf("station deltas: %w", err)
	}
	if replaced > 0 {
		dest = append([]any{&k.parent, &k.source}, dest[5:]...)
		if err := l.each(ctx, `SELECT a.parent_id, ch.source, `+strings.Join(figs, ", ")+`, p.votes
			FROM agg_change ch JOIN areas a ON a.id = ch.area_id JOIN protocols p ON p.id = ch.old_id
			WHERE ch.station = 1 AND a.parent_id IS NOT NULL`, nil,
			func(scan func(...any) error) error {
				if err := scan(dest...); err != nil {
					return err
				}
				return add(k, -1, votes)
			}); err != nil {
			return fmt.Errorf("station deltas: %w", err)
		}
	}
	return ds.insert(ctx, l)
}

// deltaKey is a station's parent and a source: what the stations' deltas
// are summed by.
type deltaKey struct {
	parent int64
	source string
}

// deltaSums are the stations' deltas summed by parent and source, in
// agg_delta's and agg_vdelta's terms: what stationDeltas reads from the
// database, and what an import of new stations sums as it writes them
// (importRun.sums).
type deltaSums struct {
	order []deltaKey // the groups in the order met, for a deterministic insert
	all   map[deltaKey]*deltaGroup
}

type deltaGroup struct {
	vals   []int64 // aggCols' order
	votes  []int64 // by position
	voters []int64 // the stations counted at each position
}

func newDeltaSums() *deltaSums { return &deltaSums{all: map[deltaKey]*deltaGroup{}} }

func (ds *deltaSums) group(k deltaKey) *deltaGroup {
	g := ds.all[k]
	if g == nil {
		g = &deltaGroup{vals: make([]int64, len(aggCols))}
		ds.all[k] = g
		ds.order = append(ds.order, k)
	}
	return g
}

// Where each sum goes in aggCols: stations first, then each figure and its
// count, the flags' and the "ran" columns found by name.
var (
	aggFigureAt = func() []int {
		at := make([]int, len(aggFigures))
		for i, f := range aggFigures {
			at[i] = slices.Index(aggCols, f)
		}
		return at
	}()
	aggFlagAt, aggCheckedAt = func() ([]int, []int) {
		f, c := make([]int, len(flagCodes)), make([]int, len(flagCodes))
		for i, code := range flagCodes {
			f[i], c[i] = slices.Index(aggCols, flagCol(code)), slices.Index(aggCols, checkedCol(code))
		}
		return f, c
	}()
)

// add counts a protocol, sign +1 or −1: a station, its figures (vals, in
// aggFigures' order: figureExpr's values) and its votes by position.
func (g *deltaGroup) add(sign int64, vals []sql.NullInt64, votes []int64) {
	g.vals[0] += sign // stations
	for i, v := range vals {
		if v.Valid {
			g.vals[aggFigureAt[i]] += sign * v.Int64
			g.vals[aggFigureAt[i]+1] += sign // its _n
		}
	}
	for pos, n := range votes {
		for len(g.votes) <= pos {
			g.votes, g.voters = append(g.votes, 0), append(g.voters, 0)
		}
		g.votes[pos] += sign * n
		g.voters[pos] += sign
	}
}

// flags counts a change of a station's flags.
func (g *deltaGroup) flags(was, now int64) {
	if was == now {
		return
	}
	for i := range flagCodes {
		g.vals[aggFlagAt[i]] += bitDelta(was, now, int64(1)<<i)
		g.vals[aggCheckedAt[i]] += bitDelta(was, now, checkedBit(i))
	}
}

// insert writes the sums into agg_delta and agg_vdelta at depth 1 (the
// stations' parents).
func (ds *deltaSums) insert(ctx context.Context, l loader) error {
	cols := append([]string{"area_id", "source", "depth"}, aggCols...)
	var rows, vrows [][]any
	for _, k := range ds.order {
		g := ds.all[k]
		r := make([]any, 0, len(cols))
		r = append(r, k.parent, k.source, 1)
		for _, v := range g.vals {
			r = append(r, v)
		}
		rows = append(rows, r)
		for pos := range g.votes {
			if g.voters[pos] != 0 || g.votes[pos] != 0 {
				vrows = append(vrows, []any{k.parent, k.source, 1, pos, g.votes[pos], g.voters[pos]})
			}
		}
	}
	if err := l.insert(ctx, "agg_delta", cols, rows); err != nil {
		return fmt.Errorf("station deltas: %w", err)
	}
	if err := l.insert(ctx, "agg_vdelta", []string{"area_id", "source", "depth", "position", "votes", "stations"}, vrows); err != nil {
		return fmt.Errorf("station vote deltas: %w", err)
	}
	return nil
}

// bitDelta is +1 when bit is set in now and not in was, −1 the reverse.
func bitDelta(was, now, bit int64) int64 {
	switch {
	case now&bit != 0 && was&bit == 0:
		return 1
	case now&bit == 0 && was&bit != 0:
		return -1
	}
	return 0
}

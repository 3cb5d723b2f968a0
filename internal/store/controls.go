package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// checkedCond is the SQL condition that election.Check runs the
// per-protocol control code on a protocol (alias p): the figures it needs
// are stated (ballots issued may be derived from its parts), as in Check;
// "" for a control that always runs. maskExpr sets a bit for each;
// TestFlagsStoreSameAsCheckAll holds them to Check.
func checkedCond(code string, options int) string {
	issued := issuedExpr("p")
	switch code {
	case election.CodeMissing, election.CodeNegative:
		return ""
	case election.CodeValidInvalidBox:
		return "p.valid IS NOT NULL AND p.invalid IS NOT NULL AND p.ballots_in_box IS NOT NULL"
	case election.CodeBoxIssued:
		return "p.ballots_in_box IS NOT NULL AND " + issued + " IS NOT NULL"
	case election.CodeIssuedRegistered:
		return "p.registered IS NOT NULL AND " + issued + " IS NOT NULL"
	case election.CodeTurnout:
		return "p.registered IS NOT NULL AND " + figureExpr("p", "ballots_cast") + " IS NOT NULL"
	case election.CodeReceivedBalance:
		return "p.ballots_received IS NOT NULL AND " + issued + " IS NOT NULL AND p.ballots_cancelled IS NOT NULL"
	case election.CodeIssuedParts:
		return "p.ballots_issued IS NOT NULL AND " + partsExpr("p") + " IS NOT NULL"
	case election.CodeOptionsValid:
		if options == 0 {
			return "1 = 0"
		}
		return fmt.Sprintf("p.valid IS NOT NULL AND %s = %d", votesLen("p.votes"), options)
	}
	return "1 = 0"
}

// ControlCounts are the per-protocol controls' totals over the current
// station protocols of every source of an election, as the root's
// aggregates keep them: how many protocols, and per control (flagCodes)
// how many it ran on and how many fail it. The flags API adds the
// protocols of the areas above the stations, which it reads anyway
// (issue 9: it checked every protocol, 20 s at 1,000,000 stations).
type ControlCounts struct {
	Protocols int
	Checked   map[string]int
	Failed    map[string]int
}

// StationControlCounts reads ControlCounts from the root's rows of
// result_areas.
func (db *DB) StationControlCounts(ctx context.Context, electionID int64) (cc ControlCounts, err error) {
	defer wrap(&err, "store.StationControlCounts(election %d)", electionID)
	sums := []string{"COALESCE(sum(r.stations), 0)"}
	for _, code := range flagCodes {
		sums = append(sums, "COALESCE(sum(r."+checkedCol(code)+"), 0)", "COALESCE(sum(r."+flagCol(code)+"), 0)")
	}
	vals := make([]int64, len(sums))
	dest := make([]any, len(sums))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := db.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+`
		FROM result_areas r JOIN areas a ON a.id = r.area_id
		WHERE r.election_id = $1 AND r.source <> '*' AND a.parent_id IS NULL AND a.election_id = $1`, electionID).Scan(dest...); err != nil {
		return cc, err
	}
	cc = ControlCounts{Protocols: int(vals[0]), Checked: map[string]int{}, Failed: map[string]int{}}
	for i, code := range flagCodes {
		cc.Checked[code], cc.Failed[code] = int(vals[1+2*i]), int(vals[2+2*i])
	}
	return cc, nil
}

// refreshStaleFlags recomputes the flags (and the counts they carry) of
// every election whose stored flag settings are of another layout than
// this vigil's (flagLayout): a database upgraded across 0024. Reading the
// settings costs a row per election; only stale ones take a transaction.
func (db *DB) refreshStaleFlags(ctx context.Context) error {
	type stored struct {
		id  int64
		cfg string
	}
	elections, err := queryList(ctx, db, func(sc interface{ Scan(...any) error }) (s stored, err error) {
		err = sc.Scan(&s.id, &s.cfg)
		return s, err
	}, `SELECT election_id, config FROM result_elections ORDER BY election_id`)
	if err != nil {
		return err
	}
	var stale []int64
	for _, s := range elections {
		var fc flagConfig
		if s.cfg != "" && (json.Unmarshal([]byte(s.cfg), &fc) != nil || fc.V != flagLayout) {
			stale = append(stale, s.id)
		}
	}
	for _, id := range stale {
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			l := qLoader{tx, db.Dialect}
			if err := lockResults(ctx, l, id); err != nil {
				return err
			}
			_, err := refreshFlags(ctx, l, id)
			return err
		}); err != nil {
			return fmt.Errorf("election %d: %w", id, err)
		}
	}
	return nil
}

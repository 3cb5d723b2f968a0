package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
)

// checkedCond is the SQL condition that election.Check runs the
// per-protocol control code on a protocol (alias p): the figures it needs
// are stated (ballots issued may be derived from its parts), as in Check;
// "" for a control that always runs. TestControlCountsSameAsCheckAll holds
// the two together.
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

// ControlCounts counts, over the current protocol of every (area, source)
// of an election (what tally.CheckAll checks), the protocols and, per
// per-protocol control (flagCodes), those it runs on: the report's
// Protocols and Checked, summed in the database in one pass, where
// CheckAll tabulated and checked every protocol in memory (issue 9: the
// flags API's first request took 23 s at 1,000,000 stations).
func (db *DB) ControlCounts(ctx context.Context, electionID int64, options int) (protocols int, checked map[string]int, err error) {
	defer wrap(&err, "store.ControlCounts(election %d)", electionID)
	sums := []string{"count(*)"}
	for _, code := range flagCodes {
		if c := checkedCond(code, options); c != "" {
			sums = append(sums, "COALESCE(sum(CASE WHEN "+c+" THEN 1 ELSE 0 END), 0)")
		} else {
			sums = append(sums, "count(*)")
		}
	}
	vals := make([]int64, len(sums))
	dest := make([]any, len(sums))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := db.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+`
		FROM protocol_current c JOIN protocols p ON p.id = c.protocol_id WHERE c.election_id = $1`, electionID).Scan(dest...); err != nil {
		return 0, nil, err
	}
	checked = make(map[string]int, len(flagCodes))
	for i, code := range flagCodes {
		checked[code] = int(vals[i+1])
	}
	return int(vals[0]), checked, nil
}

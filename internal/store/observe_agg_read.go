package store

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/observe/agg"
)

// ObsNode is one node's counts: coverage and the lengths of the review
// lists. Missing is Deployed − Reported.
type ObsNode struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Station     bool   `json:"station"`
	Deployed    int64  `json:"deployed"`
	Reported    int64  `json:"reported"`
	Conflicted  int64  `json:"conflicted"`
	Incidents   int64  `json:"incidents"`
	Queued      int64  `json:"queued"`
	Quarantined int64  `json:"quarantined"`
	Conflicts   int64  `json:"conflicts"`
	Open        int64  `json:"open_conflicts"`
}

// ObsStat is one share's sufficient statistics at a node.
type ObsStat struct {
	Node  int64
	Phase string
	Item  string
	agg.Stats
}

// ObsChange reads an organisation's change counter for an election: it
// moves with every transaction that changes the observation aggregates
// (one row; 0 before the first).
func (db *DB) ObsChange(ctx context.Context, orgID, electionID int64) (n int64, err error) {
	defer wrap(&err, "store.ObsChange(org %d, election %d)", orgID, electionID)
	err = db.QueryRowContext(ctx, `SELECT n FROM obs_changes WHERE org_id = $1 AND election_id = $2`, orgID, electionID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// ObservedElections lists, by id, the elections observation has touched:
// a deployment or a report of any organisation (each moves the election's
// row of obs_changes). An instance indexes the areas of the newest of
// them as it starts (observe.Service.AreasToWarm).
func (db *DB) ObservedElections(ctx context.Context) (ids []int64, err error) {
	defer wrap(&err, "store.ObservedElections")
	return queryList(ctx, db, scanID, `SELECT DISTINCT election_id FROM obs_changes ORDER BY election_id`)
}

// ObsNodeOf finds the node of an area path in an election: 0 for the
// whole country (an empty path); ErrNotFound when no area has the path.
// station says whether the area is a station, whose figures are not kept
// as a node below the region level.
func (db *DB) ObsNodeOf(ctx context.Context, electionID int64, path []string) (node int64, station bool, err error) {
	if len(path) == 0 {
		return 0, false, nil
	}
	a, err := db.AreaByPath(ctx, electionID, path)
	if err != nil {
		return 0, false, err
	}
	return a.ID, a.Station && a.Level != 1, nil
}

const obsNodeCols = `deployed, reported, conflicted, incidents, queued, quarantined, conflicts, open_conflicts`

func scanObsNode(sc interface{ Scan(...any) error }, n *ObsNode, extra ...any) error {
	return sc.Scan(append([]any{&n.Deployed, &n.Reported, &n.Conflicted, &n.Incidents, &n.Queued, &n.Quarantined, &n.Conflicts, &n.Open}, extra...)...)
}

// ObsNodeCounts reads one node's counts (zero when nothing is counted
// there).
func (db *DB) ObsNodeCounts(ctx context.Context, orgID, electionID, node int64) (n ObsNode, err error) {
	defer wrap(&err, "store.ObsNodeCounts(org %d, election %d, node %d)", orgID, electionID, node)
	n.ID = node
	err = scanObsNode(db.QueryRowContext(ctx, `SELECT `+obsNodeCols+` FROM obs_nodes WHERE org_id = $1 AND election_id = $2 AND node_id = $3`, orgID, electionID, node), &n)
	if errors.Is(err, sql.ErrNoRows) {
		return n, nil
	}
	return n, err
}

// ObsChildren reads the counts of the areas just below a node (node 0:
// the regions) that have anything counted: the areas' own nodes, and for
// stations their station rows (deployed, reported, in conflict).
func (db *DB) ObsChildren(ctx context.Context, orgID, electionID, node int64) (_ []ObsNode, err error) {
	defer wrap(&err, "store.ObsChildren(org %d, election %d, node %d)", orgID, electionID, node)
	parent := `a.parent_id = $3`
	args := []any{orgID, electionID, node}
	if node == 0 {
		parent, args = `a.level = 1 AND a.election_id = $2`, []any{orgID, electionID}
	}
	rows, err := db.QueryContext(ctx, `SELECT `+obsNodeCols+`, a.id, a.name, a.station FROM obs_nodes n JOIN areas a ON a.id = n.node_id
		WHERE n.org_id = $1 AND n.election_id = $2 AND `+parent, args...)
	if err != nil {
		return nil, err
	}
	var out []ObsNode
	seen := map[int64]bool{}
	for rows.Next() {
		var n ObsNode
		var st int
		if err := scanObsNode(rows, &n, &n.ID, &n.Name, &st); err != nil {
			rows.Close()
			return nil, err
		}
		n.Station = st != 0
		seen[n.ID] = true
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Stations: their own row (a region that is a station has its node too).
	// Below the country, the level-1 areas are found from the root's
	// children (areas_parent) rather than by reading every station of
	// obs_stations for its level: the import and CreateElection give
	// every level-1 area the election's root (level 0, no parent) as its
	// parent. That read was 48 ms of every dashboard request at 1,000,000
	// stations (25,000 deployed), cache or not. CROSS JOIN keeps SQLite's
	// planner to that order (PostgreSQL plans it as an inner join).
	stParent := parent
	if node == 0 {
		stParent = `a.parent_id IN (SELECT r.id FROM areas r WHERE r.parent_id IS NULL AND r.level = 0 AND +r.election_id = $2) AND a.level = 1 AND +a.election_id = $2`
	}
	rows, err = db.QueryContext(ctx, `SELECT s.deployed, s.usable, s.open_conflicts, a.id, a.name FROM areas a CROSS JOIN obs_stations s
		WHERE s.org_id = $1 AND s.election_id = $2 AND s.area_id = a.id AND a.station = 1 AND s.deployed = 1 AND `+stParent, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var dep int
		var usable, open int64
		n := ObsNode{Station: true}
		if err := rows.Scan(&dep, &usable, &open, &n.ID, &n.Name); err != nil {
			return nil, err
		}
		if seen[n.ID] {
			continue
		}
		n.Deployed = 1
		if usable > 0 {
			n.Reported = 1
			if open > 0 {
				n.Conflicted = 1
			}
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ObsStats reads the statistics of nodes (all phases and items).
func (db *DB) ObsStats(ctx context.Context, orgID, electionID int64, nodes []int64) (_ []ObsStat, err error) {
	defer wrap(&err, "store.ObsStats(org %d, election %d)", orgID, electionID)
	if len(nodes) == 0 {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT node_id, phase, sums FROM obs_stats WHERE org_id = $1 AND election_id = $2 AND node_id IN (`+obsIDs(nodes)+`)`,
		orgID, electionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ObsStat
	for rows.Next() {
		var node int64
		var phase, sums string
		if err := rows.Scan(&node, &phase, &sums); err != nil {
			return nil, err
		}
		stats, err := parseStatSums(sums)
		if err != nil {
			return nil, fmt.Errorf("node %d (%s): %w: the aggregates are damaged (run vigil rebuild)", node, phase, err)
		}
		for item, s := range stats {
			out = append(out, ObsStat{Node: node, Phase: phase, Item: item, Stats: s})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b ObsStat) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), strings.Compare(a.Phase, b.Phase), strings.Compare(a.Item, b.Item))
	})
	return out, nil
}

// ObsUnit is one observation behind the figures: its reports and what it
// counts (item → hit, each item once), with its region (the level-1 area;
// 0 when none).
type ObsUnit struct {
	Region  int64
	Phase   string
	Reports []int64
	Hits    []Hit
}

// Hit is one item an observation counts, and whether it was hit.
type Hit struct {
	Item string
	Hit  bool
}

// Hit reports whether the unit counts item and its value.
func (u *ObsUnit) Hit(item string) (hit, ok bool) {
	for _, h := range u.Hits {
		if h.Item == item {
			return h.Hit, true
		}
	}
	return false, false
}

// ObsUnits calls fn with each observation under a node (0: all), in order
// of their first report: the evidence behind every figure. fn's argument
// and its slices are reused for the next row (issue 9: holding 250,000
// units, each with a map of its hits, was most of a cold findings
// request's CPU); item names and phases are shared between rows.
func (db *DB) ObsUnits(ctx context.Context, orgID, electionID, node int64, fn func(*ObsUnit) error) (err error) {
	defer wrap(&err, "store.ObsUnits(org %d, election %d, node %d)", orgID, electionID, node)
	q := `SELECT u.region_id, u.phase, u.reports, u.hits FROM obs_units u WHERE u.org_id = $1 AND u.election_id = $2 ORDER BY u.first_report`
	args := []any{orgID, electionID}
	if node != 0 {
		q = `SELECT u.region_id, u.phase, u.reports, u.hits FROM obs_units u JOIN obs_anc x ON x.area_id = u.area_id AND x.node_id = $3
			WHERE u.org_id = $1 AND u.election_id = $2 ORDER BY u.first_report`
		args = append(args, node)
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	hd := newHitsDecoder()
	var u ObsUnit
	var phase, reps, hits sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&u.Region, &phase, &reps, &hits); err != nil {
			return err
		}
		u.Phase = intern(hd.names, phase)
		if u.Reports, err = appendIDs(u.Reports[:0], string(reps)); err != nil {
			return err
		}
		if u.Hits, err = hd.decode(hits, u.Hits[:0]); err != nil {
			return err
		}
		if err := fn(&u); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AreaNames maps area ids to their names.
func (db *DB) AreaNames(ctx context.Context, ids []int64) (_ map[int64]string, err error) {
	defer wrap(&err, "store.AreaNames(%d areas)", len(ids))
	out := map[int64]string{}
	for lo := 0; lo < len(ids); lo += 500 {
		rows, err := db.QueryContext(ctx, `SELECT id, name FROM areas WHERE id IN (`+obsIDs(ids[lo:min(lo+500, len(ids))])+`)`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ObsConflicts lists the conflicts under a node (0: all), by area, phase
// and question; limit 0 is all. Unresolved only when open. A conflict's
// row says only that it is one and whether it is open: its values and
// the reports that gave them come from its group's state
// (agg.State.Conflict), its resolution from resolutions. A state the
// group commit would not fold into (unreadable, or one a writer that
// keeps none has left behind: foldable) is not read either: such a
// group's conflicts come from its reports.
func (db *DB) ObsConflicts(ctx context.Context, orgID, electionID, node int64, open bool, limit int) (_ []agg.Conflict, err error) {
	defer wrap(&err, "store.ObsConflicts(org %d, election %d, node %d)", orgID, electionID, node)
	q := `SELECT c.area_id, c.phase, c.question, r.value FROM obs_conflicts c`
	args := []any{orgID, electionID}
	if node != 0 {
		q += ` JOIN obs_anc x ON x.area_id = c.area_id AND x.node_id = $3`
		args = append(args, node)
	}
	q += ` LEFT JOIN resolutions r ON r.org_id = c.org_id AND r.election_id = c.election_id AND r.area_id = c.area_id AND r.phase = c.phase AND r.question = c.question
		WHERE c.org_id = $1 AND c.election_id = $2`
	if open {
		q += ` AND c.unresolved = 1`
	}
	q += ` ORDER BY c.area_id, c.phase, c.question`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	type row struct {
		group    obsGroup
		question string
		resolved json.RawMessage
	}
	var list []row
	var states map[obsGroup]*agg.State
	// The rows and the states they are read against in one snapshot: a
	// commit between the two reads would otherwise leave a row its
	// group's state does not bear out.
	err = db.readSnapshot(ctx, func(sq Querier) error {
		err := qLoader{sq, db.Dialect}.each(ctx, q, args, func(scan func(...any) error) error {
			r := row{group: obsGroup{org: orgID, election: electionID}}
			var value sql.NullString
			if err := scan(&r.group.area, &r.group.phase, &r.question, &value); err != nil {
				return err
			}
			if value.Valid {
				var err error
				if r.resolved, err = resolutionValue(value.String); err != nil {
					return fmt.Errorf("area %d %s/%s: %w", r.group.area, r.group.phase, r.question, err)
				}
			}
			list = append(list, r)
			return nil
		})
		if err != nil {
			return err
		}
		groups := map[obsGroup]bool{}
		for _, r := range list {
			groups[r.group] = true
		}
		states, err = conflictStates(ctx, qLoader{sq, db.Dialect}, orgID, electionID, groups)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]agg.Conflict, 0, len(list))
	for _, r := range list {
		var c agg.Conflict
		ok := false
		if s := states[r.group]; s != nil { // nil: no usable report left
			c, ok = s.Conflict(r.group.area, r.group.phase, r.question, r.resolved)
		}
		if !ok {
			return nil, fmt.Errorf("area %d %s/%s: a conflict its group's reports do not bear out: the aggregates are inconsistent (run vigil rebuild)", r.group.area, r.group.phase, r.question)
		}
		out = append(out, c)
	}
	return out, nil
}

// conflictStates gives the states of groups (of one organisation and
// election): each group's stored state when it decodes and is trusted
// (stateTrusted, as the group commit trusts it), else one folded from the
// group's reports, as a rebuild reads them.
func conflictStates(ctx context.Context, q qLoader, orgID, electionID int64, groups map[obsGroup]bool) (map[obsGroup]*agg.State, error) {
	byArea := map[int64][]obsGroup{}
	for g := range groups {
		byArea[g.area] = append(byArea[g.area], g)
	}
	areas := slices.Sorted(maps.Keys(byArea))
	states := map[obsGroup]*agg.State{}
	for lo := 0; lo < len(areas); lo += 500 {
		chunk := areas[lo:min(lo+500, len(areas))]
		in := ` AND area_id IN (` + obsIDs(chunk) + `)`
		usable := map[int64]int64{}
		err := q.each(ctx, `SELECT area_id, usable FROM obs_stations WHERE org_id = $1 AND election_id = $2`+in, []any{orgID, electionID},
			func(scan func(...any) error) error {
				var a, u int64
				if err := scan(&a, &u); err != nil {
					return err
				}
				usable[a] = u
				return nil
			})
		if err != nil {
			return nil, err
		}
		sum := map[int64]int64{}
		stored := map[obsGroup]*agg.State{}
		rowUsable := map[obsGroup]int64{}
		err = q.each(ctx, `SELECT area_id, phase, usable, state FROM obs_groups WHERE org_id = $1 AND election_id = $2`+in, []any{orgID, electionID},
			func(scan func(...any) error) error {
				g := obsGroup{org: orgID, election: electionID}
				var u int64
				var text string
				if err := scan(&g.area, &g.phase, &u, &text); err != nil {
					return err
				}
				sum[g.area] += u
				if !groups[g] {
					return nil
				}
				if s := agg.NewState(); s.Decode([]byte(text)) == nil {
					stored[g], rowUsable[g] = s, u
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
		var fold []int64
		for _, a := range chunk {
			folded := false
			for _, g := range byArea[a] {
				if stored[g] != nil && stateTrusted(stored[g], rowUsable[g], sum[a], usable[a]) {
					states[g] = stored[g]
				} else if !folded {
					fold, folded = append(fold, a), true
				}
			}
		}
		if len(fold) == 0 {
			continue
		}
		from := map[obsGroup]*agg.State{}
		err = q.each(ctx, `SELECT id, area_id, phase, status, answers FROM reports WHERE org_id = $1 AND election_id = $2 AND phase <> 'incident' AND area_id IN (`+obsIDs(fold)+`)`, []any{orgID, electionID},
			func(scan func(...any) error) error {
				g := obsGroup{org: orgID, election: electionID}
				var r agg.Report
				var answers string
				if err := scan(&r.ID, &g.area, &g.phase, &r.Status, &answers); err != nil {
					return err
				}
				if !groups[g] || states[g] != nil {
					return nil
				}
				var err error
				if r.Answers, err = decodeAnswers(answers); err != nil {
					return fmt.Errorf("report %d: %w", r.ID, err)
				}
				if from[g] == nil {
					from[g] = agg.NewState()
				}
				from[g].Add(r)
				return nil
			})
		if err != nil {
			return nil, err
		}
		for g, s := range from {
			states[g] = s
		}
	}
	return states, nil
}

// ReviewList lists the reports of a review list under a node (0: all),
// by id, at most limit (0: all): "incident" the incident reports, "queue"
// the other reports flagged or quarantined, "flagged" every report
// flagged or quarantined.
func (db *DB) ReviewList(ctx context.Context, orgID, electionID, node int64, list string, limit int) (_ []*Report, err error) {
	defer wrap(&err, "store.ReviewList(org %d, election %d, node %d, %s)", orgID, electionID, node, list)
	where := ` WHERE r.org_id = $1 AND r.election_id = $2`
	switch list {
	case "incident":
		where += ` AND r.phase = 'incident'`
	case "queue":
		where += ` AND r.phase <> 'incident' AND r.status IN ('flagged', 'quarantined')`
	case "flagged":
		where += ` AND r.status IN ('flagged', 'quarantined')`
	default:
		return nil, fmt.Errorf("no review list %q", list)
	}
	q := `SELECT ` + reportCols + reportFrom
	args := []any{orgID, electionID}
	if node != 0 {
		q += ` JOIN obs_anc x ON x.area_id = r.area_id AND x.node_id = $3`
		args = append(args, node)
	}
	q += where + ` ORDER BY r.id`
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	return queryList(ctx, db, scanReport, q, args...)
}

// FormsByID loads stored forms by id.
func (db *DB) FormsByID(ctx context.Context, ids []int64) (_ map[int64]*StoredForm, err error) {
	defer wrap(&err, "store.FormsByID")
	out := map[int64]*StoredForm{}
	for _, id := range ids {
		if out[id] != nil {
			continue
		}
		sf, err := db.FormByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = sf
	}
	return out, nil
}

// ReportForms maps report ids to their forms' ids.
func (db *DB) ReportForms(ctx context.Context, orgID int64, ids []int64) (_ map[int64]int64, err error) {
	defer wrap(&err, "store.ReportForms(org %d, %d reports)", orgID, len(ids))
	out := map[int64]int64{}
	// +org_id: on org_id SQLite chose the reports' (org_id, …) index and
	// read every report of the organisation (79,595 at 1,000,000 stations,
	// 15 ms of every dashboard request) instead of looking the ids up.
	for lo := 0; lo < len(ids); lo += 500 {
		pairs, err := queryList(ctx, db, scanIDPair, `SELECT id, form_id FROM reports WHERE +org_id = $1 AND id IN (`+obsIDs(ids[lo:min(lo+500, len(ids))])+`)`, orgID)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			out[p[0]] = p[1]
		}
	}
	return out, nil
}

// AreaPaths maps area ids to their paths.
func (db *DB) AreaPaths(ctx context.Context, ids []int64) (_ map[int64][]string, err error) {
	defer wrap(&err, "store.AreaPaths(%d areas)", len(ids))
	out := map[int64][]string{}
	for lo := 0; lo < len(ids); lo += 500 {
		rows, err := db.QueryContext(ctx, `SELECT id, path FROM areas WHERE id IN (`+obsIDs(ids[lo:min(lo+500, len(ids))])+`)`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var p []string
			if err := rows.Scan(&id, scanJSON(&p, "area path")); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readSnapshot runs fn with a querier whose statements all see one
// committed state of the database, without holding writers back: on
// PostgreSQL a read-only repeatable-read transaction; on SQLite a
// deferred transaction on one connection (in WAL mode its first read
// fixes what it sees, and the group commit goes on beside it: the
// transactions the store begins are immediate, which would stop it).
func (db *DB) readSnapshot(ctx context.Context, fn func(q Querier) error) error {
	if db.Dialect == Postgres {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		return fn(tx)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return err
	}
	ferr := fn(conn)
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); err != nil {
		// Not back to the pool in a transaction.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if ferr == nil {
			ferr = err
		}
	}
	return ferr
}

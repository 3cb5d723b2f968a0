package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-elections/vigil/internal/election"
)

// Results aggregates (migration 0012): what the tally, the portal's area
// pages and the tally API read, so that a page costs O(rows shown) rather
// than a pass over every protocol.
//
//   - protocol_current: the version of each (area, source) that counts (the
//     highest version), with a bit per failed per-protocol control;
//   - result_areas / result_votes: per area at every level and per source,
//     the sums over the stations under it of their current protocol;
//   - station_differs: the stations whose sources disagree (the portal's
//     "differs" column), counted per area under the pseudo-source '*';
//   - result_elections: a change counter per election (the caches' stamp)
//     and the settings the flags were computed with.
//
// They change only inside the transaction that commits the protocols
// (applyResultAggregates for an import batch, ApplyProtocols for the
// observation writer's copies) or the configuration (UpdateConfig), so
// every instance reads the same numbers, and `vigil rebuild` (Rebuild)
// recomputes them from the raw rows. Every change is a delta: the new
// current protocol's contribution added, the one it replaces subtracted,
// computed for the stations at once and carried up the area tree one level
// per statement, then added to the stored rows with an upsert.

// flagCodes are the per-protocol controls kept as bits of
// protocol_current.flags, bit i for flagCodes[i] when the protocol fails
// it, bit 32 + i when the control ran on it (checkedBit). The summary controls
// compare a summary with its stations' sums and are computed when read,
// from the aggregates (SummaryFlags).
var flagCodes = []string{
	election.CodeMissing, election.CodeNegative, election.CodeValidInvalidBox, election.CodeBoxIssued,
	election.CodeIssuedRegistered, election.CodeTurnout, election.CodeReceivedBalance, election.CodeIssuedParts,
	election.CodeOptionsValid,
}

// FlagCodes returns the control codes whose station counts the aggregates
// keep, in their stored order.
func FlagCodes() []string { return append([]string(nil), flagCodes...) }

func flagCol(code string) string { return "flag_" + strings.ToLower(code) }

// checkedCol is result_areas' count of the stations a control ran on.
func checkedCol(code string) string { return "checked_" + strings.ToLower(code) }

// failBits are the bits of protocol_current.flags that say a control
// failed; the bits above say which controls ran.
const failBits = int64(1)<<32 - 1

// checkedBit is the bit of protocol_current.flags that says control i ran.
func checkedBit(i int) int64 { return int64(1) << (32 + i) }

// aggFigures are the summed columns of result_areas besides stations: the
// protocol figures in election.Figure order, then ballots cast.
var aggFigures = func() []string {
	out := strings.Split(figureCols, ", ")
	return append(out, "ballots_cast")
}()

// aggCols are result_areas' value columns, in the order the deltas carry
// them.
var aggCols = func() []string {
	cols := []string{"stations"}
	for _, f := range aggFigures {
		cols = append(cols, f, f+"_n")
	}
	for _, c := range flagCodes {
		cols = append(cols, flagCol(c))
	}
	for _, c := range flagCodes {
		cols = append(cols, checkedCol(c))
	}
	return append(cols, "differs")
}()

// figureExpr is a station's value of an aggregated figure as tally counts
// it: ballots issued derived from its parts when not stated, ballots cast
// as valid + invalid, else the ballots in the box. NULL when unknown.
func figureExpr(p, f string) string {
	switch f {
	case "ballots_issued":
		return issuedExpr(p)
	case "ballots_cast":
		return fmt.Sprintf(`(CASE WHEN %[1]s.valid IS NOT NULL AND %[1]s.invalid IS NOT NULL THEN %[1]s.valid + %[1]s.invalid ELSE %[1]s.ballots_in_box END)`, p)
	}
	return p + "." + f
}

// aggFigureValues sets vals (aggFigures' order) to what figureExpr gives
// for a protocol of figures f, as the import sums them in Go
// (importRun.count): Figures.Get derives ballots issued from its parts and
// Figures.Ballots the ballots cast, as the SQL does.
func aggFigureValues(f election.Figures, vals []sql.NullInt64) {
	for fig := election.Figure(0); fig < election.NumFigures; fig++ {
		n, ok := f.Get(fig)
		vals[fig] = sql.NullInt64{Int64: n, Valid: ok}
	}
	n, ok := f.Ballots()
	vals[len(aggFigures)-1] = sql.NullInt64{Int64: n, Valid: ok} // ballots_cast
}

func issuedExpr(p string) string {
	return fmt.Sprintf(`COALESCE(%[1]s.ballots_issued, %[2]s)`, p, partsExpr(p))
}

// partsExpr is the sum of the stated parts of ballots issued, NULL when no
// part is stated.
func partsExpr(p string) string {
	return fmt.Sprintf(`(CASE WHEN %[1]s.ballots_issued_early IS NOT NULL OR %[1]s.ballots_issued_station IS NOT NULL OR %[1]s.ballots_issued_mobile IS NOT NULL
		THEN COALESCE(%[1]s.ballots_issued_early, 0) + COALESCE(%[1]s.ballots_issued_station, 0) + COALESCE(%[1]s.ballots_issued_mobile, 0) END)`, p)
}

// votesLen is the number of elements of a votes column (compact JSON of
// integers, as every writer stores it), without a JSON function, which the
// two engines name differently.
func votesLen(col string) string {
	return fmt.Sprintf(`(CASE WHEN %[1]s = '[]' THEN 0 ELSE length(%[1]s) - length(replace(%[1]s, ',', '')) + 1 END)`, col)
}

// votesSum is the sum of a votes column's elements.
func votesSum(d Dialect, col string) string {
	if d == Postgres {
		return `(SELECT sum(j.value::bigint) FROM jsonb_array_elements_text(` + col + `::jsonb) AS j(value))`
	}
	return `(SELECT sum(j.value) FROM json_each(` + col + `) j)`
}

// flagConfig is what a protocol's flags depend on besides the protocol:
// the election's tolerances and essential figures and its number of
// options. Its JSON is stored in result_elections.config to notice a
// change.
type flagConfig struct {
	// V is the flags' layout: 2 since they carry the controls that ran
	// (migration 0024); a key stored by an older vigil differs.
	V            int                           `json:"v"`
	Tolerances   map[string]election.Tolerance `json:"t,omitempty"`
	Essential    []string                      `json:"e,omitempty"`
	EssentialSet bool                          `json:"s,omitempty"`
	Options      int                           `json:"o"`
}

// flagLayout is flagConfig.V of this vigil.
const flagLayout = 2

func (c flagConfig) key() string {
	b, _ := json.Marshal(c) // map keys sorted: the same settings give the same key
	return string(b)
}

func loadFlagConfig(ctx context.Context, l loader, electionID int64) (flagConfig, error) {
	var cfgText string
	fc := flagConfig{V: flagLayout}
	if err := l.queryRow(ctx, `SELECT config FROM elections WHERE id = $1`, electionID).Scan(&cfgText); err != nil {
		return fc, fmt.Errorf("election %d: %w", electionID, err)
	}
	var cfg election.Config
	if err := json.Unmarshal([]byte(cfgText), &cfg); err != nil {
		return fc, fmt.Errorf("election %d: bad config: %w", electionID, err)
	}
	fc.Tolerances, fc.Essential, fc.EssentialSet = cfg.Tolerances, cfg.Essential, cfg.Essential != nil
	if err := l.queryRow(ctx, `SELECT count(*) FROM options WHERE election_id = $1`, electionID).Scan(&fc.Options); err != nil {
		return fc, err
	}
	return fc, nil
}

// maskExpr is the SQL of a protocol's (alias p) failed controls as a bit
// mask, and of the controls that ran on it (checkedCond) in the bits above,
// the same rules as election.Check (checkAggregates and
// TestFlagsStoreSameAsCheckAll hold them together) with the tolerances
// written in as literals.
func maskExpr(d Dialect, c flagConfig) string {
	var terms []string
	for i, code := range flagCodes {
		if cond := flagCond(d, c, code); cond != "" {
			terms = append(terms, fmt.Sprintf("CASE WHEN %s THEN %d ELSE 0 END", cond, int64(1)<<i))
		}
		if cond := checkedCond(code, c.Options); cond == "" {
			terms = append(terms, strconv.FormatInt(checkedBit(i), 10))
		} else {
			terms = append(terms, fmt.Sprintf("CASE WHEN %s THEN %d ELSE 0 END", cond, checkedBit(i)))
		}
	}
	if len(terms) == 0 {
		return "0"
	}
	return "(" + strings.Join(terms, "\n + ") + ")"
}

// outside is the condition that the difference left − right is beyond
// the code's tolerance (Tolerance.Allows); strict for "≤" rules.
func outside(c flagConfig, code, left, right string, le bool) string {
	diff := "((" + left + ") - (" + right + "))"
	cond := diff + " <> 0"
	if le {
		cond = diff + " > 0"
	}
	t := c.Tolerances[code]
	if t.Absolute > 0 {
		cond += fmt.Sprintf(" AND abs%s > %d", diff, t.Absolute)
	}
	if t.Relative > 0 {
		big := fmt.Sprintf("(CASE WHEN abs(%[1]s) > abs(%[2]s) THEN abs(%[1]s) ELSE abs(%[2]s) END)", left, right)
		cond += fmt.Sprintf(" AND abs%s > CAST(%s AS DOUBLE PRECISION) * %s", diff, strconv.FormatFloat(t.Relative, 'g', -1, 64), big)
	}
	return "(" + cond + ")"
}

func flagCond(d Dialect, c flagConfig, code string) string {
	const p = "p"
	issued := issuedExpr(p)
	regTotal := "p.registered + COALESCE(p.registered_supplementary, 0)"
	switch code {
	case election.CodeMissing:
		ess := c.Essential
		if !c.EssentialSet {
			ess = election.DefaultEssential
		}
		var or []string
		for _, name := range ess {
			if name == "votes" {
				if c.Options > 0 {
					or = append(or, fmt.Sprintf("%s < %d", votesLen("p.votes"), c.Options))
				}
				continue
			}
			if fig, ok := election.ParseFigure(name); ok {
				or = append(or, figureExpr(p, fig.String())+" IS NULL")
			}
		}
		if len(or) == 0 {
			return ""
		}
		return "(" + strings.Join(or, " OR ") + ")"
	case election.CodeNegative:
		var or []string
		for f := election.Figure(0); f < election.NumFigures; f++ {
			or = append(or, "p."+f.String()+" < 0")
		}
		or = append(or, "p.votes LIKE '%-%'")
		return "(" + strings.Join(or, " OR ") + ")"
	case election.CodeValidInvalidBox:
		return outside(c, code, "p.valid + p.invalid", "p.ballots_in_box", false)
	case election.CodeBoxIssued:
		return outside(c, code, "p.ballots_in_box", issued, true)
	case election.CodeIssuedRegistered:
		return outside(c, code, issued, regTotal, true)
	case election.CodeTurnout:
		return outside(c, code, figureExpr(p, "ballots_cast"), regTotal, true)
	case election.CodeReceivedBalance:
		return outside(c, code, "p.ballots_received", issued+" + p.ballots_cancelled + COALESCE(p.ballots_lost, 0)", false)
	case election.CodeIssuedParts:
		return outside(c, code, "p.ballots_issued", partsExpr(p), false)
	case election.CodeOptionsValid:
		if c.Options == 0 {
			return ""
		}
		return fmt.Sprintf("(%s = %d AND %s)", votesLen("p.votes"), c.Options, outside(c, code, votesSum(d, "p.votes"), "p.valid", false))
	}
	return ""
}

// sourceRank orders the sources as election.Sources does (the portal
// compares every source's protocol with the first one present).
func sourceRank(col string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for i, s := range election.Sources {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", s, i)
	}
	fmt.Fprintf(&b, " ELSE %d END)", len(election.Sources))
	return b.String()
}

// sameCountExpr: two protocols (aliases a, b) agree on every figure both
// state (ballots issued derived) and on every vote.
func sameCountExpr(a, b string) string {
	var and []string
	for f := election.Figure(0); f < election.NumFigures; f++ {
		x, y := figureExpr(a, f.String()), figureExpr(b, f.String())
		and = append(and, fmt.Sprintf("(%s IS NULL OR %s IS NULL OR %s = %s)", x, y, x, y))
	}
	and = append(and, a+".votes = "+b+".votes")
	return "(" + strings.Join(and, " AND ") + ")"
}

// The work tables of a change, one set per connection, emptied at the
// start of every change (and at commit on PostgreSQL).
var aggTemps = []string{
	`agg_change (area_id BIGINT, source TEXT, station INTEGER, old_id BIGINT, new_id BIGINT, new_version INTEGER, old_flags BIGINT, new_flags BIGINT)`,
	`agg_delta (area_id BIGINT, source TEXT, depth INTEGER, ` + strings.Join(aggCols, " BIGINT NOT NULL DEFAULT 0, ") + ` BIGINT NOT NULL DEFAULT 0)`,
	`agg_vdelta (area_id BIGINT, source TEXT, depth INTEGER, position INTEGER, votes BIGINT, stations BIGINT)`,
	`agg_sd (area_id BIGINT, was INTEGER, now INTEGER)`,
}

// aggTempIndexes steer the planner (SQLite has no statistics on a work
// table): the deltas are read a level at a time.
var aggTempIndexes = []string{
	`agg_delta_depth ON agg_delta (depth)`,
	`agg_vdelta_depth ON agg_vdelta (depth)`,
}

func prepareTemps(ctx context.Context, l loader) error {
	for _, t := range aggTemps {
		q := `CREATE TEMP TABLE IF NOT EXISTS ` + t
		if l.dialect() == Postgres {
			q += ` ON COMMIT DELETE ROWS`
		}
		if err := l.exec(ctx, q); err != nil {
			return fmt.Errorf("work table: %w", err)
		}
		name, _, _ := strings.Cut(t, " ")
		if err := l.exec(ctx, `DELETE FROM `+name); err != nil {
			return err
		}
	}
	for _, ix := range aggTempIndexes {
		if err := l.exec(ctx, `CREATE INDEX IF NOT EXISTS `+ix); err != nil {
			return fmt.Errorf("work table: %w", err)
		}
	}
	return nil
}

// lockResults serialises the changes of one election's aggregates on
// PostgreSQL (every change updates the root's rows; taken in one order,
// two writers cannot deadlock on them). SQLite has one writer anyway.
func lockResults(ctx context.Context, l loader, electionID int64) error {
	if l.dialect() != Postgres {
		return nil
	}
	// Advisory locks are server-wide: the key carries the schema, so that
	// vigils (or test runs) in two schemas of one server never wait on
	// each other's election of the same id.
	return l.exec(ctx, `SELECT pg_advisory_xact_lock((hashtext('vigil results ' || current_schema())::bigint << 32) | ($1::bigint & 4294967295))`, electionID)
}

// applyResultAggregates brings an election's results aggregates up to date
// with the protocols of one import batch, set-wise, in the import's
// transaction (the one that makes the batch visible): for every (area,
// source) the batch brings a higher version of, the new version becomes
// current and its contribution replaces the old one's at the station and
// every area above it. A batch version lower than the current one (a
// concurrent import that committed a later version first) changes nothing:
// results never go backwards.
func applyResultAggregates(ctx context.Context, l loader, batchID int64) (err error) {
	defer wrap(&err, "store.applyResultAggregates(batch %d)", batchID)
	var electionID int64
	if err := l.queryRow(ctx, `SELECT election_id FROM batches WHERE id = $1`, batchID).Scan(&electionID); err != nil {
		return err
	}
	return applyNew(ctx, l, electionID, batchSet, batchID)
}

// applyPreparedBatch is applyResultAggregates with a prework computed
// before the results lock (prepareBatchResults, on the same connection:
// before the final transaction on SQLite, in it on PostgreSQL), used when
// the election's results have not changed since; otherwise, or with no
// prework, it computes everything as applyResultAggregates does.
//
// It counts what it did on db (PreworkStats in the tests).
func applyPreparedBatch(ctx context.Context, db *DB, l loader, batchID int64, pre *resultsPrework) (err error) {
	if pre == nil {
		return applyResultAggregates(ctx, l, batchID)
	}
	defer wrap(&err, "store.applyPreparedBatch(batch %d)", batchID)
	if err := lockResults(ctx, l, pre.electionID); err != nil {
		return err
	}
	valid, rechecked, err := preworkValid(ctx, l, pre)
	if err != nil {
		return err
	}
	if !valid {
		db.preworkRedone.Add(1)
		return applyResultAggregates(ctx, l, batchID)
	}
	db.preworkUsed.Add(1)
	if rechecked {
		db.preworkRechecked.Add(1)
	}
	if _, err := refreshFlags(ctx, l, pre.electionID); err != nil { // stores the settings if there were no results yet
		return err
	}
	if err := storeCurrent(ctx, l, pre.electionID); err != nil {
		return err
	}
	return carryChanges(ctx, l, pre.electionID)
}

// ApplyProtocols brings the results aggregates up to date with protocols
// stored one by one (InsertProtocol: observers' copies, recounts), in the
// transaction that stored them. Callers of InsertProtocol call it once
// for all the protocols of their transaction.
func ApplyProtocols(ctx context.Context, q Querier, d Dialect, ids []int64) (err error) {
	defer wrap(&err, "store.ApplyProtocols(%d protocols)", len(ids))
	if len(ids) == 0 {
		return nil
	}
	l := qLoader{q, d}
	in := strings.TrimPrefix(idList(ids), "t.id")
	var elections []int64
	if err := l.each(ctx, `SELECT DISTINCT election_id FROM protocols t WHERE t.id`+in+` ORDER BY election_id`, nil, func(scan func(...any) error) error {
		var id int64
		if err := scan(&id); err != nil {
			return err
		}
		elections = append(elections, id)
		return nil
	}); err != nil {
		return err
	}
	for _, e := range elections {
		if err := applyNew(ctx, l, e, func(a string) string { return a + ".id" + in }); err != nil {
			return err
		}
	}
	return nil
}

// applyNew applies the protocols of election electionID that set(alias)
// selects (its parameters from $2 are args).
func applyNew(ctx context.Context, l loader, electionID int64, set func(alias string) string, args ...any) error {
	if err := lockResults(ctx, l, electionID); err != nil {
		return err
	}
	fc, err := refreshFlags(ctx, l, electionID)
	if err != nil {
		return err
	}
	if err := chooseCurrent(ctx, l, electionID, maskExpr(l.dialect(), fc), set, args...); err != nil {
		return err
	}
	if err := storeCurrent(ctx, l, electionID); err != nil {
		return err
	}
	return applyChanges(ctx, l, electionID)
}

// chooseCurrent fills agg_change (emptied first) with the newest version
// of each (area, source) among the protocols set selects, where it is newer
// than the current one, with its flags computed by mask (maskExpr, on
// protocols p). It writes work tables only.
func chooseCurrent(ctx context.Context, l loader, electionID int64, mask string, set func(alias string) string, args ...any) error {
	if err := prepareTemps(ctx, l); err != nil {
		return err
	}
	if err := l.exec(ctx, `INSERT INTO agg_change (area_id, source, station, old_id, new_id, new_version, old_flags, new_flags)
		SELECT p.area_id, p.source, a.station, c.protocol_id, p.id, p.version, COALESCE(c.flags, 0), `+mask+`
		FROM protocols p JOIN areas a ON a.id = p.area_id
		LEFT JOIN protocol_current c ON c.area_id = p.area_id AND c.source = p.source
		WHERE p.election_id = $1 AND `+set("p")+` AND (c.version IS NULL OR c.version < p.version)
		AND NOT EXISTS (SELECT 1 FROM protocols q WHERE q.area_id = p.area_id AND q.source = p.source AND q.version > p.version AND `+set("q")+`)`,
		append([]any{electionID}, args...)...); err != nil {
		return fmt.Errorf("choosing the current versions: %w", err)
	}
	return nil
}

// storeCurrent makes agg_change's new versions current. A change with no
// old version has no row yet (agg_change was filled in this transaction,
// under the results lock, or checked by preworkValid since): a plain
// insert, which PostgreSQL does in three quarters of the time of an
// upsert (a first import of 1,000,000 stations: 10.6 against 14.1–14.7 s
// in psql). The others replace their row.
func storeCurrent(ctx context.Context, l loader, electionID int64) error {
	if err := l.exec(ctx, `INSERT INTO protocol_current (area_id, source, election_id, protocol_id, version, station, flags)
		SELECT ch.area_id, ch.source, $1, ch.new_id, ch.new_version, ch.station, ch.new_flags FROM agg_change ch WHERE ch.old_id IS NULL`, electionID); err != nil {
		return fmt.Errorf("storing the current versions: %w", err)
	}
	// An upsert rather than UPDATE … FROM: SQLite may loop over
	// protocol_current and look each row up in the unindexed work table.
	if err := l.exec(ctx, `INSERT INTO protocol_current (area_id, source, election_id, protocol_id, version, station, flags)
		SELECT ch.area_id, ch.source, $1, ch.new_id, ch.new_version, ch.station, ch.new_flags FROM agg_change ch WHERE ch.old_id IS NOT NULL
		ON CONFLICT (area_id, source) DO UPDATE SET protocol_id = excluded.protocol_id, version = excluded.version,
			station = excluded.station, flags = excluded.flags`, electionID); err != nil {
		return fmt.Errorf("storing the current versions: %w", err)
	}
	return nil
}

// batchSet selects the protocols of one batch ($2) for chooseCurrent.
func batchSet(a string) string { return a + ".batch_id = $2" }

// resultsPrework is the part of applying an import batch to the results
// that only reads the database and writes the connection's work tables —
// the versions that become current, the stations' deltas of figures, votes
// and flags: 85 % of the final transaction's time at 100,000 stations
// (2.3 of 2.7 s). On SQLite the import computes it before its final
// transaction, which would otherwise hold the database's only write lock
// through it while observers' submissions wait (about 30 s at 1,000,000
// stations); on PostgreSQL in its final transaction, before the results
// lock that observers' copies of protocols wait for. It stays valid while
// the current protocols it replaces are still current, with the same
// flags, under the same flag settings (preworkValid).
type resultsPrework struct {
	electionID int64
	changes    int64  // result_elections.changes when computed (-1: no row)
	key        string // the flag settings' key
}

// resultsState is what of an election's maintained results a prework
// depends on: the change counter (-1 without results yet) and the flag
// settings; ok is false when the stored flags are not those of the present
// settings (refreshFlags must rewrite them first, in a write transaction).
//
// options, when not negative, is the number of options the election will
// have when the prework is used (an import adds its file's new options in
// its final transaction).
func resultsState(ctx context.Context, l loader, electionID int64, options int) (changes int64, fc flagConfig, ok bool, err error) {
	fc, err = loadFlagConfig(ctx, l, electionID)
	if err != nil {
		return 0, fc, false, err
	}
	if options >= 0 {
		fc.Options = options
	}
	var stored string
	err = l.queryRow(ctx, `SELECT changes, config FROM result_elections WHERE election_id = $1`, electionID).Scan(&changes, &stored)
	switch {
	case errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows):
		// No results yet: refreshFlags only stores the settings.
		return -1, fc, true, nil
	case err != nil:
		return 0, fc, false, err
	}
	return changes, fc, stored == fc.key(), nil
}

// preworkValid reports whether pre still describes the change its batch
// makes. Every change of an election's current protocols, their flags or
// its settings adds one to result_elections.changes in its transaction: an
// unchanged counter is enough. Otherwise (observers' copies arriving, an
// import of another source) the prework holds if every current protocol it
// replaces is still current with the same flags: a version it found newer
// than the batch's can only have grown since (results never go backwards),
// and a station's deltas depend on nothing else that can change.
func preworkValid(ctx context.Context, l loader, pre *resultsPrework) (valid, rechecked bool, err error) {
	changes, fc, ok, err := resultsState(ctx, l, pre.electionID, -1)
	if err != nil || !ok || fc.key() != pre.key {
		return false, false, err
	}
	if changes == pre.changes {
		return true, false, nil
	}
	var stale int
	if err := l.queryRow(ctx, `SELECT count(*) FROM agg_change ch
		LEFT JOIN protocol_current c ON c.area_id = ch.area_id AND c.source = ch.source
		WHERE (c.protocol_id IS NULL) <> (ch.old_id IS NULL) OR c.protocol_id <> ch.old_id OR COALESCE(c.flags, 0) <> ch.old_flags`).Scan(&stale); err != nil {
		return false, false, fmt.Errorf("checking the prework: %w", err)
	}
	return stale == 0, true, nil
}

// importPrework is what an import computed of its batch's results as it
// wrote the chunks, under the flag settings of key: each protocol's flags
// (on SQLite in the connection's work table import_flags, when table) and,
// when every protocol of the batch is the first of a station the batch
// created, the stations' deltas (sums; nil otherwise).
type importPrework struct {
	key   string
	table bool
	sums  *deltaSums
	// fill, with sums, writes agg_change's rows of the batch (what the
	// statement below selects) from what the import kept of its rows.
	fill func(ctx context.Context) error
}

// prepareBatchResults computes the prework of applying batch batchID of
// election electionID, which will have options options then, holding no
// lock that others wait on (on SQLite outside any write transaction; on
// PostgreSQL in the final transaction, before its results lock); nil when
// it cannot be done ahead (new options for an election with results: every
// current protocol's flags are recomputed first).
//
// imp, when not nil, is what the import computed ahead in Go, used if the
// flag settings are still those it computed under.
func prepareBatchResults(ctx context.Context, l loader, electionID, batchID int64, options int, imp *importPrework) (_ *resultsPrework, err error) {
	defer wrap(&err, "store.prepareBatchResults(batch %d)", batchID)
	changes, fc, ok, err := resultsState(ctx, l, electionID, options)
	if err != nil || !ok {
		return nil, err
	}
	if imp != nil && imp.key != fc.key() {
		imp = nil
	}
	mask := maskExpr(l.dialect(), fc)
	if imp != nil && imp.table {
		// A protocol without its row there (none should be) gets the
		// expression, which COALESCE evaluates only then.
		mask = `COALESCE((SELECT f.flags FROM import_flags f WHERE f.id = p.id), ` + mask + `)`
	}
	pre := &resultsPrework{electionID: electionID, changes: changes, key: fc.key()}
	if imp != nil && imp.sums != nil {
		// Every protocol of the batch is the first of a station the batch
		// created, which nothing else can see until it commits: each
		// becomes current, replacing none, and the deltas were summed as
		// the rows were written (a first import of 1,000,000 stations read
		// them all back: 4.6 s of SQLite's time, 6.9 s of PostgreSQL's).
		if err := prepareTemps(ctx, l); err != nil {
			return nil, err
		}
		if imp.fill != nil {
			if err := imp.fill(ctx); err != nil {
				return nil, fmt.Errorf("the batch's new stations: %w", err)
			}
		} else if err := l.exec(ctx, `INSERT INTO agg_change (area_id, source, station, old_id, new_id, new_version, old_flags, new_flags)
			SELECT p.area_id, p.source, 1, NULL, p.id, p.version, 0, `+mask+` FROM protocols p WHERE p.election_id = $1 AND p.batch_id = $2`,
			electionID, batchID); err != nil {
			return nil, fmt.Errorf("the batch's new stations: %w", err)
		}
		if err := imp.sums.insert(ctx, l); err != nil {
			return nil, err
		}
		batchSums.Add(1)
		return pre, nil
	}
	if err := chooseCurrent(ctx, l, electionID, mask, batchSet, batchID); err != nil {
		return nil, err
	}
	if err := stationDeltas(ctx, l); err != nil {
		return nil, err
	}
	return pre, nil
}

// batchSums counts the imports whose prework used the deltas they summed
// (tests).
var batchSums atomic.Int64

// refreshFlags makes the stored flags of an election's current protocols
// those of its present configuration and options, when they were
// computed under others (a tolerance changed, an option was added), and
// returns that configuration.
func refreshFlags(ctx context.Context, l loader, electionID int64) (flagConfig, error) {
	fc, err := loadFlagConfig(ctx, l, electionID)
	if err != nil {
		return fc, err
	}
	var stored sql.NullString
	err = l.queryRow(ctx, `SELECT config FROM result_elections WHERE election_id = $1`, electionID).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, pgx.ErrNoRows) {
		return fc, err
	}
	key := fc.key()
	if stored.Valid && stored.String == key {
		return fc, nil
	}
	if stored.Valid {
		if err := prepareTemps(ctx, l); err != nil {
			return fc, err
		}
		if err := l.exec(ctx, `INSERT INTO agg_change (area_id, source, station, old_id, new_id, new_version, old_flags, new_flags)
			SELECT x.area_id, x.source, x.station, NULL, NULL, x.version, x.flags, x.m FROM (
				SELECT c.area_id, c.source, c.station, c.version, c.flags, `+maskExpr(l.dialect(), fc)+` AS m
				FROM protocol_current c JOIN protocols p ON p.id = c.protocol_id WHERE c.election_id = $1) x
			WHERE x.flags <> x.m`, electionID); err != nil {
			return fc, fmt.Errorf("recomputing the flags: %w", err)
		}
		// The changed rows found by their key in agg_change: without an
		// index SQLite scanned the work table once per protocol, quadratic
		// when a change of settings (or of the flags' layout) touches most
		// of an election's flags (at 100,000 stations it ran for over ten
		// minutes). Made for this statement and dropped after: the imports
		// fill agg_change without needing it.
		if l.dialect() == SQLite {
			if err := l.exec(ctx, `CREATE INDEX IF NOT EXISTS temp.agg_change_key ON agg_change (area_id, source)`); err != nil {
				return fc, err
			}
		}
		if err := l.exec(ctx, `UPDATE protocol_current SET flags = ch.new_flags FROM agg_change ch
			WHERE ch.area_id = protocol_current.area_id AND ch.source = protocol_current.source AND protocol_current.election_id = $1`, electionID); err != nil {
			return fc, err
		}
		if l.dialect() == SQLite {
			if err := l.exec(ctx, `DROP INDEX IF EXISTS temp.agg_change_key`); err != nil {
				return fc, err
			}
		}
		if err := applyChanges(ctx, l, electionID); err != nil {
			return fc, err
		}
	}
	err = l.exec(ctx, `INSERT INTO result_elections (election_id, changes, options, config) VALUES ($1, 1, $2, $3)
		ON CONFLICT (election_id) DO UPDATE SET changes = result_elections.changes + 1, options = excluded.options, config = excluded.config`,
		electionID, fc.Options, key)
	return fc, err
}

// applyChanges turns agg_change (the (area, source) pairs whose current
// protocol or flags changed) into deltas at the stations, carries them up
// the tree and adds them to the stored aggregates.
func applyChanges(ctx context.Context, l loader, electionID int64) error {
	if err := stationDeltas(ctx, l); err != nil {
		return err
	}
	return carryChanges(ctx, l, electionID)
}

// carryChanges finishes applyChanges once the stations' deltas are in the
// work tables: which stations' sources differ, the deltas carried up the
// tree and added to the stored aggregates.
func carryChanges(ctx context.Context, l loader, electionID int64) error {
	d := l.dialect()
	// Stations whose sources disagree: recomputed for the stations that
	// have a new current protocol.
	// A station compared only where it has protocols of two sources (a
	// join that gives no row for the others, most stations on the night of
	// a first import); its first source, in election.Sources order, is
	// the one no lower-ranked source precedes.
	// Only the stations that differed or now have a second source can
	// change: a station with one source (every station of a first import)
	// would be a row with was = now = 0, which changes nothing below, and
	// the comparison's joins over 100,000 of them took 3.3 s of a final
	// transaction on PostgreSQL. A scalar count per station (an index
	// range on protocol_current's key): PostgreSQL flattened an EXISTS
	// with a self-join into a plan that ran for over ten minutes.
	twoSources, err := mayHaveTwoSources(ctx, l, electionID)
	if err != nil {
		return fmt.Errorf("comparing sources: %w", err)
	}
	two := `(SELECT count(*) FROM protocol_current f WHERE f.area_id = t.area_id AND f.source <> 'summary') > 1`
	if !twoSources {
		two = `false`
	}
	if err := l.exec(ctx, `INSERT INTO agg_sd (area_id, was, now)
		SELECT t.area_id, CASE WHEN s.area_id IS NULL THEN 0 ELSE 1 END, 0
		FROM (SELECT DISTINCT area_id FROM agg_change WHERE station = 1 AND new_id IS NOT NULL AND source <> 'summary') t
		LEFT JOIN station_differs s ON s.area_id = t.area_id
		WHERE s.area_id IS NOT NULL OR `+two); err != nil {
		return fmt.Errorf("comparing sources: %w", err)
	}
	if d == Postgres {
		// Statistics for the planner: without them it takes a work table
		// for a few rows and loops over it.
		if err := l.exec(ctx, `ANALYZE agg_change, agg_sd`); err != nil {
			return err
		}
	}
	if err := l.exec(ctx, `UPDATE agg_sd SET now = 1 WHERE area_id IN (
		SELECT f.area_id FROM agg_sd t JOIN protocol_current f ON f.area_id = t.area_id AND f.source <> 'summary'
		JOIN protocol_current o ON o.area_id = f.area_id AND o.source <> f.source AND o.source <> 'summary'
		JOIN protocols fp ON fp.id = f.protocol_id JOIN protocols op ON op.id = o.protocol_id
		WHERE NOT EXISTS (SELECT 1 FROM protocol_current x WHERE x.area_id = f.area_id AND x.source <> 'summary' AND `+sourceRank("x.source")+` < `+sourceRank("f.source")+`)
		AND NOT `+sameCountExpr("fp", "op")+`)`); err != nil {
		return fmt.Errorf("comparing sources: %w", err)
	}
	for _, q := range []string{
		`INSERT INTO agg_delta (area_id, source, depth, differs) SELECT a.parent_id, '*', 1, sum(sd.now - sd.was) FROM agg_sd sd JOIN areas a ON a.id = sd.area_id
			WHERE sd.now <> sd.was AND a.parent_id IS NOT NULL GROUP BY a.parent_id`,
		`DELETE FROM station_differs WHERE area_id IN (SELECT area_id FROM agg_sd WHERE now = 0 AND was = 1)`,
		`INSERT INTO station_differs (area_id, election_id) SELECT area_id, $1 FROM agg_sd WHERE now = 1 AND was = 0`,
	} {
		args := []any{}
		if strings.Contains(q, "$1") {
			args = append(args, electionID)
		}
		if err := l.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("comparing sources: %w", err)
		}
	}
	// Up the tree, one level per statement: every area's delta is the sum
	// of its children's (a station at any depth reaches each of its
	// ancestors exactly once). A station's own figures are its protocol's
	// (ResultTree reads them there): the deltas start at its parent.
	var sums []string
	for _, c := range aggCols {
		sums = append(sums, "sum("+c+")")
	}
	for depth := 1; ; depth++ {
		if err := l.exec(ctx, `INSERT INTO agg_delta (area_id, source, depth, `+strings.Join(aggCols, ", ")+`)
			SELECT a.parent_id, d.source, $1, `+strings.Join(sums, ", ")+`
			FROM agg_delta d JOIN areas a ON a.id = d.area_id WHERE d.depth = $2 AND a.parent_id IS NOT NULL
			GROUP BY a.parent_id, d.source`, depth+1, depth); err != nil {
			return fmt.Errorf("carrying up level %d: %w", depth, err)
		}
		if err := l.exec(ctx, `INSERT INTO agg_vdelta (area_id, source, depth, position, votes, stations)
			SELECT a.parent_id, d.source, $1, d.position, sum(d.votes), sum(d.stations)
			FROM agg_vdelta d JOIN areas a ON a.id = d.area_id WHERE d.depth = $2 AND a.parent_id IS NOT NULL
			GROUP BY a.parent_id, d.source, d.position`, depth+1, depth); err != nil {
			return fmt.Errorf("carrying votes up level %d: %w", depth, err)
		}
		var n int
		if err := l.queryRow(ctx, `SELECT (SELECT count(*) FROM agg_delta WHERE depth = $1) + (SELECT count(*) FROM agg_vdelta WHERE depth = $1)`, depth+1).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if depth > 64 {
			return fmt.Errorf("election %d: the area tree is deeper than 64 levels (a cycle?)", electionID)
		}
	}
	// Into the stored rows.
	var sets []string
	for _, c := range aggCols {
		sets = append(sets, c+" = result_areas."+c+" + excluded."+c)
	}
	if err := l.exec(ctx, `INSERT INTO result_areas (area_id, source, election_id, `+strings.Join(aggCols, ", ")+`)
		SELECT area_id, source, $1, `+strings.Join(sums, ", ")+` FROM agg_delta WHERE true GROUP BY area_id, source
		ON CONFLICT (area_id, source) DO UPDATE SET `+strings.Join(sets, ", "), electionID); err != nil {
		return fmt.Errorf("adding the deltas: %w", err)
	}
	if err := l.exec(ctx, `INSERT INTO result_votes (area_id, source, position, election_id, votes, stations)
		SELECT area_id, source, position, $1, sum(votes), sum(stations) FROM agg_vdelta WHERE true GROUP BY area_id, source, position
		ON CONFLICT (area_id, source, position) DO UPDATE SET votes = result_votes.votes + excluded.votes, stations = result_votes.stations + excluded.stations`, electionID); err != nil {
		return fmt.Errorf("adding the vote deltas: %w", err)
	}
	// Rows no station counts in any more go: a rebuild would not have them.
	if err := l.exec(ctx, `DELETE FROM result_areas WHERE stations = 0 AND differs = 0 AND area_id IN (SELECT area_id FROM agg_delta)`); err != nil {
		return err
	}
	if err := l.exec(ctx, `DELETE FROM result_votes WHERE stations = 0 AND area_id IN (SELECT area_id FROM agg_vdelta)`); err != nil {
		return err
	}
	return l.exec(ctx, `UPDATE result_elections SET changes = changes + 1 WHERE election_id = $1`, electionID)
}

// mayHaveTwoSources reports whether a station changed in agg_change can
// have current protocols of two sources (summaries aside). Not when the
// changes are all of one source and the election has no current protocol
// of another: then carryChanges compares only the stations that differed
// before, rather than counting each changed station's sources (on a first
// import of 1,000,000 stations, a million probes of protocol_current:
// 9.3 s of the final transaction on PostgreSQL). The results lock, held,
// keeps another source from arriving meanwhile.
func mayHaveTwoSources(ctx context.Context, l loader, electionID int64) (bool, error) {
	var lo, hi sql.NullString
	if err := l.queryRow(ctx, `SELECT min(source), max(source) FROM agg_change WHERE station = 1 AND new_id IS NOT NULL AND source <> 'summary'`).Scan(&lo, &hi); err != nil {
		return false, err
	}
	if !lo.Valid || lo.String != hi.String {
		return lo.Valid, nil
	}
	// Two index ranges on either side of the changed source, not one
	// "source <> $2" scan that reads the source's own rows (at 1,000,000
	// stations of one source, 112–143 ms for every observers' group commit
	// against 0.05 ms).
	var other int
	if err := l.queryRow(ctx, `SELECT CASE WHEN EXISTS (SELECT 1 FROM protocol_current WHERE election_id = $1 AND source < $2 AND source <> 'summary')
		OR EXISTS (SELECT 1 FROM protocol_current WHERE election_id = $1 AND source > $2 AND source <> 'summary') THEN 1 ELSE 0 END`,
		electionID, lo.String).Scan(&other); err != nil {
		return false, err
	}
	return other > 0, nil
}

// electionIDs lists every election, in id order.
func electionIDs(ctx context.Context, l loader) ([]int64, error) {
	var ids []int64
	err := l.each(ctx, `SELECT id FROM elections ORDER BY id`, nil, func(scan func(...any) error) error {
		var id int64
		if err := scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// rebuildResults recomputes every election's results aggregates from the
// protocols: the current versions chosen afresh, then the same deltas as
// an import, from nothing.
func rebuildResults(ctx context.Context, l loader) error {
	// Every election's lock before clearing: a protocol applied through
	// another instance after the clearing would survive it and be added
	// again below (a duplicate key, or votes counted twice).
	all, err := electionIDs(ctx, l)
	if err != nil {
		return err
	}
	for _, id := range all {
		if err := lockResults(ctx, l, id); err != nil {
			return err
		}
	}
	for _, t := range []string{"protocol_current", "result_areas", "result_votes", "station_differs"} {
		if err := l.exec(ctx, `DELETE FROM `+t); err != nil {
			return err
		}
	}
	// Settings computed afresh below (the counter stays: caches keyed on it
	// must see the rebuild as a change).
	if err := l.exec(ctx, `UPDATE result_elections SET config = ''`); err != nil {
		return err
	}
	// Again: an election an import created meanwhile lost its rows too.
	ids, err := electionIDs(ctx, l)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := lockResults(ctx, l, id); err != nil {
			return err
		}
		fc, err := refreshFlags(ctx, l, id) // stores the settings (no current protocol to recompute) and counts a change
		if err != nil {
			return err
		}
		if err := prepareTemps(ctx, l); err != nil {
			return err
		}
		if err := l.exec(ctx, `INSERT INTO agg_change (area_id, source, station, old_id, new_id, new_version, old_flags, new_flags)
			SELECT p.area_id, p.source, a.station, NULL, p.id, p.version, 0, `+maskExpr(l.dialect(), fc)+`
			FROM protocols p JOIN areas a ON a.id = p.area_id
			WHERE p.election_id = $1 AND `+visible("p.batch_id")+`
			AND p.version = (SELECT max(q.version) FROM protocols q WHERE q.area_id = p.area_id AND q.source = p.source AND `+visible("q.batch_id")+`)`, id); err != nil {
			return fmt.Errorf("election %d: choosing the current versions: %w", id, err)
		}
		if err := l.exec(ctx, `INSERT INTO protocol_current (area_id, source, election_id, protocol_id, version, station, flags)
			SELECT ch.area_id, ch.source, $1, ch.new_id, ch.new_version, ch.station, ch.new_flags FROM agg_change ch`, id); err != nil {
			return err
		}
		if err := applyChanges(ctx, l, id); err != nil {
			return fmt.Errorf("election %d: %w", id, err)
		}
	}
	return nil
}

// deleteResultAggregates removes an election's aggregates (DeleteElection).
func deleteResultAggregates(ctx context.Context, l loader, electionID int64) error {
	for _, t := range []string{"protocol_current", "result_areas", "result_votes", "station_differs", "result_elections", "area_stations"} {
		if err := l.exec(ctx, `DELETE FROM `+t+` WHERE election_id = $1`, electionID); err != nil {
			return err
		}
	}
	return nil
}

// RebuildStep is one family of maintained aggregates that Rebuild
// recomputes from the raw rows.
type RebuildStep struct {
	Name string
	Run  func(ctx context.Context, l loader) error
}

// rebuildSteps are the aggregates `vigil rebuild` recomputes, in order.
// Each family of aggregates adds its step here.
var rebuildSteps = []RebuildStep{
	{Name: "results", Run: rebuildResults},
	{Name: "area stations", Run: rebuildAreaStations},
}

// Rebuild recomputes every maintained aggregate from the raw rows: the
// results' steps in one transaction, then the observation's in another
// (readers see the old numbers of each until it commits), and returns the
// steps it ran.
func (db *DB) Rebuild(ctx context.Context) (steps []string, err error) {
	defer wrap(&err, "store.Rebuild()")
	steps, err = db.rebuildResultSteps(ctx)
	if err != nil {
		return steps, err
	}
	// The observation aggregates are rebuilt by replaying every report
	// through the writers' own code, in a transaction of their own.
	if err := db.RebuildObservation(ctx); err != nil {
		return steps, err
	}
	return append(steps, "observation"), nil
}

// rebuildResultSteps runs rebuildSteps in one transaction.
func (db *DB) rebuildResultSteps(ctx context.Context) (steps []string, err error) {
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		l := qLoader{tx, db.Dialect}
		for _, s := range rebuildSteps {
			if err := s.Run(ctx, l); err != nil {
				return fmt.Errorf("%s: %w", s.Name, err)
			}
			steps = append(steps, s.Name)
		}
		return nil
	})
	return steps, err
}

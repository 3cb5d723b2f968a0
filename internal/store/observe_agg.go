package store

// The observation aggregates (migration 0013, docs/observation.md
// "Aggregates"): kept in the transaction that commits a report
// (InsertReports, InsertReport), a review decision (UpdateReport), a
// resolution (Resolve), a deployment or an assignment (SaveDeployment,
// Assign), and rebuilt from the raw rows by RebuildObservation (also
// after a roster import that moves observers between teams: their
// reports change cluster).
//
// A change names what it touched: groups (an organisation's reports of
// one area and phase, which agg.State turns into observations and
// conflicts), incident reports, and per-report counters. obsApply brings
// each touched group up to date — new reports folded into its stored state
// (obs_groups), or the group computed from all its reports and
// resolutions (groupChunk says when) — and adds the difference between
// what it contributes now and before to the running sums of every node
// above it. The rules are observe/agg's, a pure package: the store calls
// them so that no writer can forget the aggregates.

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vigil-elections/vigil/internal/jsontext"
	"github.com/vigil-elections/vigil/internal/observe/agg"
	"github.com/vigil-elections/vigil/internal/observe/form"
)

const phaseIncident = "incident"

type obsScope struct{ org, election int64 }

type obsGroup struct {
	org, election, area int64
	phase               string
}

// obsChange is what one transaction touched.
type obsChange struct {
	groups    map[obsGroup]bool
	added     map[obsGroup][]*Report // reports new in this transaction, by group: folded into its state
	recompute map[obsGroup]bool      // groups to compute from all their reports (a status changed, a rebuild)
	incidents map[obsScope][]int64   // incident reports to recount
	counters  []obsCounter           // per-report counts to move
	touched   map[obsScope]bool      // whose change counter moves
	deployed  map[obsScope]bool      // whose deployment to re-read
}

// obsCounter moves the per-report counts (incidents, review queue,
// quarantined) of one report from one state to another.
type obsCounter struct {
	scope    obsScope
	area     int64
	old, new reportState
	hasOld   bool
	hasNew   bool
}

type reportState struct {
	incident, queued, quarantined bool
}

func stateOf(phase, status string) reportState {
	inc := phase == phaseIncident
	return reportState{incident: inc, queued: !inc && (status == StatusFlagged || status == StatusQuarantined), quarantined: status == StatusQuarantined}
}

func newObsChange() *obsChange {
	return &obsChange{groups: map[obsGroup]bool{}, added: map[obsGroup][]*Report{}, recompute: map[obsGroup]bool{}, incidents: map[obsScope][]int64{}, touched: map[obsScope]bool{}, deployed: map[obsScope]bool{}}
}

// report records a report as added (hasOld false) or changed from
// oldStatus.
func (c *obsChange) report(r *Report, oldStatus string, hasOld bool) {
	sc := obsScope{r.OrgID, r.ElectionID}
	c.touched[sc] = true
	ct := obsCounter{scope: sc, area: r.AreaID, new: stateOf(r.Phase, r.Status), hasNew: true}
	if hasOld {
		ct.old, ct.hasOld = stateOf(r.Phase, oldStatus), true
	}
	c.counters = append(c.counters, ct)
	if r.Phase == phaseIncident {
		c.incidents[sc] = append(c.incidents[sc], r.ID)
		return
	}
	if r.AreaID != 0 {
		g := obsGroup{r.OrgID, r.ElectionID, r.AreaID, r.Phase}
		c.groups[g] = true
		if hasOld {
			c.recompute[g] = true
		} else {
			c.added[g] = append(c.added[g], r)
		}
	}
}

// areaNode is what the aggregates need of an area.
type areaNode struct {
	parent  int64
	level   int
	station bool
}

// obsTx is one application of changes in a transaction.
type obsTx struct {
	ctx   context.Context
	q     Querier
	d     Dialect
	areas map[int64]areaNode
	forms map[int64]*form.Form
	// the deltas, per scope
	clusters map[obsScope]map[clusterKey][2]int64
	stats    map[obsScope]map[statKey]agg.Stats
	nodes    map[obsScope]map[int64]*nodeCounts
	anc      map[int64][]int64
	teams    map[int64]int64      // observer → team (0: none), as read in this transaction
	stmts    map[string]*sql.Stmt // prepared for this transaction (observe_agg_stmt.go)
	pipe     *pipeline            // the statements queued for one round trip (PostgreSQL's group commit), or nil
	// the states written, kept (obsStates) once everything is written
	written []writtenState
}

type writtenState struct {
	g    obsGroup
	text string
	s    *agg.State
}

type clusterKey struct {
	cluster     string
	node        int64
	phase, item string
}

type statKey struct {
	node        int64
	phase, item string
}

type nodeCounts struct {
	deployed, reported, conflicted, incidents, queued, quarantined, conflicts, open int64
}

func (n *nodeCounts) zero() bool { return *n == nodeCounts{} }

func newObsTx(ctx context.Context, q Querier, d Dialect) *obsTx {
	return &obsTx{ctx: ctx, q: q, d: d, areas: map[int64]areaNode{}, forms: map[int64]*form.Form{},
		clusters: map[obsScope]map[clusterKey][2]int64{}, stats: map[obsScope]map[statKey]agg.Stats{}, nodes: map[obsScope]map[int64]*nodeCounts{},
		anc: map[int64][]int64{}, teams: map[int64]int64{}}
}

// obsApply brings the aggregates in step with what c touched, in q's
// transaction.
func obsApply(ctx context.Context, q Querier, d Dialect, c *obsChange) (err error) {
	defer wrap(&err, "store: observation aggregates")
	if d == Postgres {
		if err := lockObs(ctx, q, c); err != nil {
			return err
		}
	}
	t := newObsTx(ctx, q, d)
	defer t.closeStmts()
	// In the group commit on PostgreSQL q sends a queue (pipeQ): the
	// aggregates' writes and independent reads join it.
	if t.pipe = piped(q); t.pipe != nil {
		defer func() {
			if t.pipe.err != nil {
				// A statement that failed after the queue's failure says
				// only that the transaction is aborted.
				err = t.pipe.err
			}
		}()
	}
	for sc := range c.deployed {
		if err := t.deployment(sc); err != nil {
			return err
		}
		c.touched[sc] = true
	}
	var areas []int64
	for _, ct := range c.counters {
		areas = append(areas, ct.area)
	}
	for g := range c.groups {
		areas = append(areas, g.area)
	}
	if err := t.loadAreas(areas); err != nil {
		return err
	}
	for _, ct := range c.counters {
		t.counter(ct)
	}
	for sc, ids := range c.incidents {
		if err := t.incidents(sc, ids); err != nil {
			return err
		}
	}
	if err := t.groups(c); err != nil {
		return err
	}
	if err := t.flush(c.touched); err != nil {
		return err
	}
	if err := t.pipe.flush(ctx); err != nil {
		return err
	}
	// Kept before the commit: should it fail, no row has these texts, and
	// the states are decoded from the rows as they are (groupStates).
	for _, w := range t.written {
		obsStates.put(w.g, w.text, w.s)
	}
	return nil
}

// lockObs serialises, on PostgreSQL, the transactions that recompute the
// same part of the aggregates. A group is recomputed from a read of its
// reports and of what it contributed before; two instances committing
// reports of one station at once (their own group commits, one
// PostgreSQL) each read the group without the other's uncommitted
// report, and the second to commit wrote units and station counts that
// missed the first's: units counted twice, a conflict lost, or a
// duplicate key that failed both batches (TestAggregatesAcrossInstances
// found all three). SQLite has one writer at a time and needs none of
// this.
//
// The locks are transaction-scoped advisory locks, in two tiers:
//
//   - the whole (every organisation) and each organisation, shared by
//     every writer and exclusive for a rebuild of them (rebuildObservation
//     clears the tables before it re-enters the reports);
//   - each organisation's election (shared by writers, exclusive for a
//     change of deployment, which rewrites the deployed flag of many
//     stations at once), each station (all of its phases share its row of
//     obs_stations) and each incident report, exclusive.
//
// They are taken in one statement, in ascending key order, the first
// tier's keys below every key of the second, before anything is read:
// every writer takes its locks in the same order, so none waits for
// another in a cycle, and the one that waited reads (read committed) what
// the other committed.
func lockObs(ctx context.Context, q Querier, c *obsChange) error {
	keys := map[int64]bool{} // key → exclusive
	lock := func(k int64, exclusive bool) { keys[k] = keys[k] || exclusive }
	scope := func(sc obsScope, exclusive bool) {
		lock(obsTopKey(0), false)
		lock(obsTopKey(sc.org), false)
		lock(obsLockKey(0, sc.org, sc.election), exclusive)
	}
	for sc := range c.deployed {
		scope(sc, true)
	}
	for g := range c.groups {
		scope(obsScope{g.org, g.election}, false)
		lock(obsLockKey(1, g.org, g.election, g.area), true)
	}
	for sc, ids := range c.incidents {
		scope(sc, false)
		for _, id := range ids {
			lock(obsLockKey(2, sc.org, sc.election, id), true)
		}
	}
	return takeObsLocks(ctx, q, keys)
}

// lockObsRebuild takes the lock that a rebuild of an organisation's
// aggregates (orgID 0: every organisation's) holds alone: writers of it
// wait for the rebuild, and it for them, before it clears a row.
func lockObsRebuild(ctx context.Context, q Querier, orgID int64) error {
	keys := map[int64]bool{obsTopKey(orgID): true}
	if orgID != 0 {
		keys[obsTopKey(0)] = false
	}
	return takeObsLocks(ctx, q, keys)
}

func takeObsLocks(ctx context.Context, q Querier, keys map[int64]bool) error {
	if len(keys) == 0 {
		return nil
	}
	ks := make([]int64, 0, len(keys))
	for k := range keys {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	excl := make([]bool, len(ks))
	for i, k := range ks {
		excl[i] = keys[k]
	}
	const lock = `SELECT count(CASE WHEN x THEN pg_advisory_xact_lock(` + obsLockExpr + `) ELSE pg_advisory_xact_lock_shared(` + obsLockExpr + `) END)
		FROM unnest($1::bigint[], $2::boolean[]) AS u(k, x)`
	if p := piped(q); p != nil {
		// Sent with the group commit's next statement, which reads what
		// the locks guard: the locks are still taken before anything is
		// read.
		p.addNamed(fmt.Sprintf("locking %d parts of the aggregates", len(ks)), lock, []any{ks, excl})
		return nil
	}
	if _, err := q.ExecContext(ctx, lock, ks, excl); err != nil {
		return fmt.Errorf("locking %d parts of the aggregates: %w", len(ks), err)
	}
	return nil
}

// obsLockExpr is the advisory lock of key k: the schema in the high half
// (as lockResults does, so that databases in other schemas of one server
// never wait for each other), k in the low one.
const obsLockExpr = `(hashtext('vigil obs ' || current_schema())::bigint << 32) | k`

// obsTier is where the second tier's keys begin.
const obsTier = 1 << 20

// obsTopKey is the first tier's key: 0 for the whole, one per
// organisation (hashed below obsTier) otherwise.
func obsTopKey(org int64) int64 {
	if org == 0 {
		return 0
	}
	return 1 + int64(fnv32(org))%(obsTier-1)
}

// obsLockKey hashes what a second-tier lock covers (a kind, then its ids)
// above obsTier. Two parts that collide share one lock: more waiting,
// never a wrong count.
func obsLockKey(parts ...int64) int64 {
	return obsTier + int64(fnv32(parts...))%(1<<32-obsTier)
}

// fnv32 is FNV-1a over the parts' bytes.
func fnv32(parts ...int64) uint32 {
	h := uint32(2166136261)
	for _, p := range parts {
		for i := 0; i < 8; i++ {
			h ^= uint32(byte(p >> (8 * i)))
			h *= 16777619
		}
	}
	return h
}

// loadAreas reads the areas named and every area above them.
func (t *obsTx) loadAreas(ids []int64) error {
	var want []int64
	for _, id := range ids {
		if _, ok := t.areas[id]; !ok && id != 0 {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		// All known: nothing to send (what is queued waits for the
		// reads that come next).
		return nil
	}
	slices.Sort(want)
	want = slices.Compact(want)
	// The areas and all their ancestors in one statement: level by level,
	// a station's chain took a round trip a level (four a commit), each
	// paid on PostgreSQL in waiting for the server and for a turn of the
	// busy process's CPU.
	for lo := 0; lo < len(want); lo += 500 {
		chunk := want[lo:min(lo+500, len(want))]
		in, inArgs := t.idsIn(chunk, 1)
		err := t.read(ancestorsQuery(t.d, in), inArgs, func(scan func(...any) error) error {
			var id int64
			var a areaNode
			var st int
			if err := scan(&id, &a.parent, &a.level, &st); err != nil {
				return err
			}
			a.station = st != 0
			t.areas[id] = a
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Sent now, with whatever the group commit queued before (its locks
	// and checks): one round trip.
	return t.sendReads()
}

// ancestorsQuery reads the areas whose ids are in (an IN list) and every
// area above them, as (id, parent, level, station). Each step up is a
// primary-key lookup a parent. On PostgreSQL the step is a LATERAL
// subquery that OFFSET 0 keeps from being flattened into a join: as a
// join, the planner, which guesses the walk at ten times the areas given,
// hashed the whole areas table instead once it was of some tens of
// thousands of rows (a sequential scan of every area in every commit:
// 6 ms of a commit's 16 at 20,000 stations, 35 ms at 50,000; at 100,000
// and over it chose the lookups again). SQLite has no LATERAL and walks
// the key anyway. TestAncestorsByKey holds both plans.
func ancestorsQuery(d Dialect, in string) string {
	step := `SELECT a.id, COALESCE(a.parent_id, 0), a.level, a.station FROM areas a JOIN up ON a.id = up.parent`
	if d == Postgres {
		step = `SELECT a.id, COALESCE(a.parent_id, 0), a.level, a.station FROM up
				CROSS JOIN LATERAL (SELECT id, parent_id, level, station FROM areas WHERE areas.id = up.parent OFFSET 0) a`
	}
	return `WITH RECURSIVE up(id, parent, level, station) AS (
				SELECT id, COALESCE(parent_id, 0), level, station FROM areas WHERE id` + in + `
				UNION ` + step + `)
			SELECT id, parent, level, station FROM up`
}

// obsIDs writes ids for an IN list: integers only, so inlining them is
// safe and keeps one statement text per length out of the way.
func obsIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d", id)
	}
	return b.String()
}

// nodesOf lists the nodes an area's reports count in: 0 (the whole
// country), itself unless it is a station (a station's own figures are
// its reports), and every area above it below the root; the last is the
// region (level 1).
func (t *obsTx) nodesOf(area int64) []int64 {
	if ns, ok := t.anc[area]; ok {
		return ns
	}
	out := []int64{0}
	if area != 0 {
		a, ok := t.areas[area]
		// A station counts in its own node only where it is a region too
		// (an election without levels between the country and stations).
		if ok && a.level > 0 && (!a.station || a.level == 1) {
			out = append(out, area)
		}
		for p := a.parent; p != 0; {
			pa, ok := t.areas[p]
			if !ok {
				break
			}
			if pa.level > 0 {
				out = append(out, p)
			}
			p = pa.parent
		}
	}
	t.anc[area] = out
	return out
}

func (t *obsTx) node(sc obsScope, id int64) *nodeCounts {
	m := t.nodes[sc]
	if m == nil {
		m = map[int64]*nodeCounts{}
		t.nodes[sc] = m
	}
	n := m[id]
	if n == nil {
		n = &nodeCounts{}
		m[id] = n
	}
	return n
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (t *obsTx) counter(ct obsCounter) {
	var old, nw reportState
	if ct.hasOld {
		old = ct.old
	}
	if ct.hasNew {
		nw = ct.new
	}
	if old == nw {
		return
	}
	for _, id := range t.nodesOf(ct.area) {
		n := t.node(ct.scope, id)
		n.incidents += b2i(nw.incident) - b2i(old.incident)
		n.queued += b2i(nw.queued) - b2i(old.queued)
		n.quarantined += b2i(nw.quarantined) - b2i(old.quarantined)
	}
}

func (t *obsTx) clusterDelta(sc obsScope, k clusterKey, dn, dx int64) {
	m := t.clusters[sc]
	if m == nil {
		m = map[clusterKey][2]int64{}
		t.clusters[sc] = m
	}
	v := m[k]
	v[0] += dn
	v[1] += dx
	m[k] = v
}

func (t *obsTx) statDelta(sc obsScope, k statKey, d agg.Stats) {
	m := t.stats[sc]
	if m == nil {
		m = map[statKey]agg.Stats{}
		t.stats[sc] = m
	}
	s := m[k]
	s.Add(d)
	m[k] = s
}

// unit is an observation as obs_units holds it.
type unit struct {
	first   int64
	area    int64
	phase   string
	cluster string
	reports []int64
	hits    map[string]bool
}

// count adds (sign 1) or takes away (-1) a unit's contribution.
func (t *obsTx) count(sc obsScope, u unit, sign int64) {
	for _, node := range t.nodesOf(u.area) {
		for item, hit := range u.hits {
			if u.phase == phaseIncident {
				// Incidents are events, not a sample: counts without clusters.
				t.statDelta(sc, statKey{node, u.phase, item}, agg.Stats{N: sign, X: sign * b2i(hit)})
				continue
			}
			t.clusterDelta(sc, clusterKey{u.cluster, node, u.phase, item}, sign, sign*b2i(hit))
		}
	}
}

func (t *obsTx) form(id int64) (*form.Form, error) {
	if f, ok := t.forms[id]; ok {
		return f, nil
	}
	formQueries.Add(1)
	var body string
	if err := t.q.QueryRowContext(t.ctx, `SELECT body FROM forms WHERE id = $1`, id).Scan(&body); err != nil {
		return nil, fmt.Errorf("form %d: %w", id, err)
	}
	f, err := obsForms.decode(id, body)
	if err != nil {
		return nil, fmt.Errorf("form %d: %w", id, err)
	}
	t.forms[id] = f
	return f, nil
}

// formQueries counts the forms form had to read itself, in a statement
// of their own (tests: readForms reads a batch's).
var formQueries atomic.Int64

// readForms reads the forms of reports that this transaction has not
// read yet, queued with the batch's other reads (obsTx.read): form then
// finds them without a round trip of its own. A form not found is left
// to form, which says so.
func (t *obsTx) readForms(rs []*Report) error {
	var ids []int64
	for _, r := range rs {
		if _, ok := t.forms[r.FormID]; !ok && !slices.Contains(ids, r.FormID) {
			ids = append(ids, r.FormID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	in, args := t.idsIn(ids, 1)
	return t.read(`SELECT id, body FROM forms WHERE id`+in, args, func(scan func(...any) error) error {
		var id int64
		var body string
		if err := scan(&id, &body); err != nil {
			return err
		}
		f, err := obsForms.decode(id, body)
		if err != nil {
			return fmt.Errorf("form %d: %w", id, err)
		}
		t.forms[id] = f
		return nil
	})
}

// decodedForms keeps each form the group commit decoded, by id, beside its
// text. Every commit read and decoded its reports' forms again; and a
// visit's observation, kept with a state between commits, holds while its
// form is the same pointer (agg's derived), so a form whose text is the
// one read is given as it was, whichever database it came from.
type decodedForms struct {
	mu sync.Mutex
	m  map[int64]decodedForm
}

type decodedForm struct {
	body string
	f    *form.Form
}

// maxDecodedForms bounds the forms kept: a deployment has a few dozen.
const maxDecodedForms = 256

var obsForms = &decodedForms{m: map[int64]decodedForm{}}

// decode returns form id of text body: the one kept if its text is body.
func (c *decodedForms) decode(id int64, body string) (*form.Form, error) {
	c.mu.Lock()
	k, ok := c.m[id]
	c.mu.Unlock()
	if ok && k.body == body {
		return k.f, nil
	}
	f := &form.Form{}
	if err := json.Unmarshal([]byte(body), f); err != nil {
		return nil, err
	}
	c.mu.Lock()
	for k := range c.m {
		if len(c.m) < maxDecodedForms {
			break
		}
		delete(c.m, k) // any: map order
	}
	c.m[id] = decodedForm{body, f}
	c.mu.Unlock()
	return f, nil
}

// oldUnits reads the units stored for areas of a scope (phase incident or
// not), by area and phase.
func (t *obsTx) oldUnits(sc obsScope, where string, args ...any) ([]unit, error) {
	rows, err := t.q.QueryContext(t.ctx, `SELECT first_report, area_id, phase, cluster, reports, hits FROM obs_units WHERE org_id = $1 AND election_id = $2 AND `+where,
		append([]any{sc.org, sc.election}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []unit
	for rows.Next() {
		var u unit
		var reports, hits string
		if err := rows.Scan(&u.first, &u.area, &u.phase, &u.cluster, &reports, &hits); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(reports), &u.reports); err != nil {
			return nil, fmt.Errorf("obs_units %d: %w", u.first, err)
		}
		if err := json.Unmarshal([]byte(hits), &u.hits); err != nil {
			return nil, fmt.Errorf("obs_units %d: %w", u.first, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// insertUnits writes units, replacing those stored with the same first
// report (a group's observation that gained a report is updated in place).
func (t *obsTx) insertUnits(sc obsScope, us []unit) error {
	return t.writeRows(`INSERT INTO obs_units (org_id, election_id, first_report, area_id, region_id, phase, cluster, reports, hits) VALUES `,
		` ON CONFLICT (org_id, election_id, first_report) DO UPDATE SET area_id = excluded.area_id, region_id = excluded.region_id, phase = excluded.phase, cluster = excluded.cluster, reports = excluded.reports, hits = excluded.hits`,
		len(us), 100, func(i int) ([]any, error) {
			u := us[i]
			reps := jsontext.AppendInts(nil, u.reports)
			hits := jsontext.AppendBools(nil, u.hits)
			ns := t.nodesOf(u.area)
			return []any{sc.org, sc.election, u.first, u.area, ns[len(ns)-1], u.phase, u.cluster, string(reps), string(hits)}, nil
		})
}

// incidents recounts incident reports: a usable one is a unit counting
// its category (a hit when triaged as confirmed).
func (t *obsTx) incidents(sc obsScope, ids []int64) error {
	for lo := 0; lo < len(ids); lo += 500 {
		chunk := ids[lo:min(lo+500, len(ids))]
		old, err := t.oldUnits(sc, `first_report IN (`+obsIDs(chunk)+`) AND phase = 'incident'`)
		if err != nil {
			return err
		}
		for _, u := range old {
			t.count(sc, u, -1)
		}
		if err := t.exec(`DELETE FROM obs_units WHERE org_id = $1 AND election_id = $2 AND phase = 'incident' AND first_report IN (`+obsIDs(chunk)+`)`, sc.org, sc.election); err != nil {
			return err
		}
		rows, err := t.q.QueryContext(t.ctx, `SELECT id, COALESCE(area_id, 0), status, triage, answers FROM reports WHERE org_id = $1 AND election_id = $2 AND id IN (`+obsIDs(chunk)+`)`, sc.org, sc.election)
		if err != nil {
			return err
		}
		var units []unit
		var areas []int64
		for rows.Next() {
			var id, area int64
			var status, triage, answers string
			if err := rows.Scan(&id, &area, &status, &triage, &answers); err != nil {
				rows.Close()
				return err
			}
			if status == StatusQuarantined {
				continue
			}
			var a form.Answers
			if err := json.Unmarshal([]byte(answers), &a); err != nil {
				rows.Close()
				return fmt.Errorf("report %d: %w", id, err)
			}
			cat, _ := a["category"].Text()
			units = append(units, unit{first: id, area: area, phase: phaseIncident, reports: []int64{id}, hits: map[string]bool{cat: triage == "confirmed"}})
			areas = append(areas, area)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := t.loadAreas(areas); err != nil {
			return err
		}
		for _, u := range units {
			t.count(sc, u, 1)
		}
		if err := t.insertUnits(sc, units); err != nil {
			return err
		}
		if err := t.ancestry(areas); err != nil {
			return err
		}
	}
	return nil
}

type stationState struct {
	deployed     bool
	usable, open int64
	known        bool
}

func (s stationState) covered() (rep, con bool) {
	return s.deployed && s.usable > 0, s.deployed && s.usable > 0 && s.open > 0
}

// station moves the coverage of the nodes above a station from old to new.
func (t *obsTx) station(sc obsScope, area int64, old, nw stationState) {
	r0, c0 := old.covered()
	r1, c1 := nw.covered()
	dd, dr, dc := b2i(nw.deployed)-b2i(old.deployed), b2i(r1)-b2i(r0), b2i(c1)-b2i(c0)
	if dd == 0 && dr == 0 && dc == 0 {
		return
	}
	for _, node := range t.nodesOf(area) {
		n := t.node(sc, node)
		n.deployed += dd
		n.reported += dr
		n.conflicted += dc
	}
}

// stations reads the stations' rows of obs_stations: complete once the
// reads are sent (sendReads).
func (t *obsTx) stations(sc obsScope, areas []int64) (map[int64]stationState, error) {
	out := map[int64]stationState{}
	for lo := 0; lo < len(areas); lo += 500 {
		chunk := areas[lo:min(lo+500, len(areas))]
		in, inArgs := t.idsIn(chunk, 3)
		err := t.read(`SELECT area_id, deployed, usable, open_conflicts FROM obs_stations WHERE org_id = $1 AND election_id = $2 AND area_id`+in, append([]any{sc.org, sc.election}, inArgs...),
			func(scan func(...any) error) error {
				var id int64
				var dep int
				s := stationState{known: true}
				if err := scan(&id, &dep, &s.usable, &s.open); err != nil {
					return err
				}
				s.deployed = dep != 0
				out[id] = s
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *obsTx) saveStations(sc obsScope, st map[int64]stationState) error {
	ids := make([]int64, 0, len(st))
	for id := range st {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var del []int64
	var keep []int64
	for _, id := range ids {
		if s := st[id]; !s.deployed && s.usable == 0 && s.open == 0 {
			del = append(del, id)
		} else {
			keep = append(keep, id)
		}
	}
	for lo := 0; lo < len(del); lo += 500 {
		in, inArgs := t.idsIn(del[lo:min(lo+500, len(del))], 3)
		if err := t.exec(`DELETE FROM obs_stations WHERE org_id = $1 AND election_id = $2 AND area_id`+in, append([]any{sc.org, sc.election}, inArgs...)...); err != nil {
			return err
		}
	}
	if err := t.writeRows(`INSERT INTO obs_stations (org_id, election_id, area_id, deployed, usable, open_conflicts) VALUES `,
		` ON CONFLICT (org_id, election_id, area_id) DO UPDATE SET deployed = excluded.deployed, usable = excluded.usable, open_conflicts = excluded.open_conflicts`,
		len(keep), 200, func(i int) ([]any, error) {
			id := keep[i]
			s := st[id]
			return []any{sc.org, sc.election, id, b2i(s.deployed), s.usable, s.open}, nil
		}); err != nil {
		return err
	}
	return nil
}

// groups recomputes the groups touched, scope by scope and phase by
// phase: only the touched (area, phase) groups are read and recomputed,
// not the other phases of a touched area (a report changes its own
// group only; a station's usable and open counts move by the difference
// each recomputed group makes).
func (t *obsTx) groups(c *obsChange) error {
	gs := c.groups
	type scopePhase struct {
		sc    obsScope
		phase string
	}
	byPhase := map[scopePhase][]int64{}
	for g := range gs {
		k := scopePhase{obsScope{g.org, g.election}, g.phase}
		byPhase[k] = append(byPhase[k], g.area)
	}
	keys := make([]scopePhase, 0, len(byPhase))
	for k := range byPhase {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.sc != b.sc {
			return a.sc.org < b.sc.org || a.sc.org == b.sc.org && a.sc.election < b.sc.election
		}
		return a.phase < b.phase
	})
	for _, k := range keys {
		areas := byPhase[k]
		sort.Slice(areas, func(i, j int) bool { return areas[i] < areas[j] })
		for lo := 0; lo < len(areas); lo += 500 {
			if err := t.groupChunk(k.sc, k.phase, areas[lo:min(lo+500, len(areas))], c); err != nil {
				return err
			}
		}
	}
	return nil
}

// groupChunk brings the groups of one phase in areas (distinct, sorted)
// up to date. A group that only gained reports in this transaction, and
// has a stored state, folds them into it (agg.State.Fold): none of its
// other reports is read, and only the observations and conflicts the new
// reports touched are counted again and written (updated in place). Any
// other group (a report's status changed, a resolution, a rebuild, no
// state yet) is computed from all its reports and resolutions, what it
// contributed before is read from obs_units and obs_conflicts, and its
// rows are replaced. Either way its state is written back.
func (t *obsTx) groupChunk(sc obsScope, phase string, areas []int64, c *obsChange) error {
	if err := t.loadAreas(areas); err != nil {
		return err
	}
	in, inArgs := t.idsIn(areas, 4)
	args := append([]any{sc.org, sc.election, phase}, inArgs...)
	// Four reads that depend only on the batch: in one round trip on
	// PostgreSQL's group commit (sendReads).
	resolved, err := t.resolutions(sc, phase, in, args)
	if err != nil {
		return err
	}
	st, err := t.stations(sc, areas)
	if err != nil {
		return err
	}
	stored, err := t.storedStates(sc, phase, areas, c)
	if err != nil {
		return err
	}
	var batch []*Report
	for _, a := range areas {
		batch = append(batch, c.added[obsGroup{sc.org, sc.election, a, phase}]...)
	}
	if err := t.readForms(batch); err != nil {
		return err
	}
	// The teams of the reports that are folded (loadTeams below), read now.
	if err := t.readTeams(t.unknownTeams(batch)); err != nil {
		return err
	}
	if err := t.sendReads(); err != nil {
		return err
	}
	states := t.foldable(sc, phase, c, st, stored)
	var added []*Report
	for a := range states {
		added = append(added, c.added[obsGroup{sc.org, sc.election, a, phase}]...)
	}
	if err := t.loadTeams(added); err != nil {
		return err
	}
	deltas := map[int64]*groupDelta{}
	for a, s := range states {
		rs, err := t.aggReports(c.added[obsGroup{sc.org, sc.election, a, phase}])
		if err != nil {
			return fmt.Errorf("group of area %d %s: %w", a, phase, err)
		}
		ch, err := s.Fold(a, phase, rs, resolved[a], t.form)
		if err != nil {
			// A state naming a form that does not load is not one to
			// trust: the group is computed from its reports instead.
			delete(states, a)
			continue
		}
		deltas[a] = foldDelta(a, phase, ch)
	}
	var whole []int64
	for _, a := range areas {
		if states[a] == nil {
			whole = append(whole, a)
			states[a] = agg.NewState()
		}
	}
	obsGroupsFolded.Add(int64(len(areas) - len(whole)))
	obsGroupsComputed.Add(int64(len(whole)))
	if err := t.groupsFromReports(sc, phase, whole, states, resolved, deltas); err != nil {
		return err
	}
	newStations := map[int64]stationState{}
	var units []unit
	var conflictRows [][]any
	var keep, empty []int64
	for _, a := range areas {
		d := deltas[a]
		if states[a].Usable() > 0 {
			keep = append(keep, a)
		} else {
			empty = append(empty, a)
		}
		for _, u := range d.minus {
			t.count(sc, u, -1)
		}
		for _, u := range d.plus {
			t.count(sc, u, 1)
			units = append(units, u)
		}
		units = append(units, d.moved...)
		for _, c := range d.conflicts {
			// Whether it is open: ObsConflicts derives the rest from the
			// group's state, written below (State.Conflict says why).
			conflictRows = append(conflictRows, []any{sc.org, sc.election, a, phase, c.Question, b2i(c.Resolved == nil)})
		}
		if d.conflictsBy != 0 || d.openBy != 0 {
			for _, node := range t.nodesOf(a) {
				n := t.node(sc, node)
				n.conflicts += d.conflictsBy
				n.open += d.openBy
			}
		}
		s := st[a]
		s.usable += d.usableBy
		s.open += d.openBy
		newStations[a] = s
		t.station(sc, a, st[a], s)
	}
	for _, a := range areas {
		for _, first := range deltas[a].goneUnits {
			if err := t.exec(`DELETE FROM obs_units WHERE org_id = $1 AND election_id = $2 AND first_report = $3`, sc.org, sc.election, first); err != nil {
				return err
			}
		}
		for _, q := range deltas[a].goneConflicts {
			if err := t.exec(`DELETE FROM obs_conflicts WHERE org_id = $1 AND election_id = $2 AND phase = $3 AND area_id = $4 AND question = $5`,
				sc.org, sc.election, phase, a, q); err != nil {
				return err
			}
		}
	}
	if err := t.insertUnits(sc, units); err != nil {
		return err
	}
	if err := t.writeRows(`INSERT INTO obs_conflicts (org_id, election_id, area_id, phase, question, unresolved) VALUES `,
		` ON CONFLICT (org_id, election_id, area_id, phase, question) DO UPDATE SET unresolved = excluded.unresolved`,
		len(conflictRows), 100, func(i int) ([]any, error) { return conflictRows[i], nil }); err != nil {
		return err
	}
	if err := t.saveStates(sc, phase, states, keep, empty); err != nil {
		return err
	}
	if err := t.saveStations(sc, newStations); err != nil {
		return err
	}
	// A folded group had reports before, so its area's ancestry is
	// recorded: only the computed ones may be new.
	return t.ancestry(whole)
}

// The groups brought up to date by this process, folded and computed
// (metrics' vigil_observation_groups_total; tests).
var obsGroupsFolded, obsGroupsComputed atomic.Int64

// ObservationGroupCounts returns how many observation groups this process
// brought up to date by folding new reports into their stored state, and
// how many it computed from all their reports.
func ObservationGroupCounts() (folded, computed int64) {
	return obsGroupsFolded.Load(), obsGroupsComputed.Load()
}

// groupDelta is how a group's contribution changes: the units to take
// away and to count (and write), the rows to delete, the conflicts to
// write, and the differences in its conflicts, open conflicts and usable
// reports.
type groupDelta struct {
	minus, plus []unit
	// moved are units whose reports changed but not what they count (a
	// report that joined its visit and changed none of its counted
	// items): written, not taken away and counted again.
	moved         []unit
	goneUnits     []int64 // first reports of units no longer there
	goneConflicts []string
	conflicts     []agg.Conflict
	conflictsBy   int64
	openBy        int64
	usableBy      int64
}

// foldDelta is a fold's change as the store applies it. An observation or
// a conflict the new reports touched but left as it was (they agreed with
// it) is neither counted again nor written; an observation whose reports
// changed but not what it counts is written, not counted again (moved).
func foldDelta(area int64, phase string, ch agg.Change) *groupDelta {
	d := &groupDelta{
		conflictsBy: int64(len(ch.After.Conflicts) - len(ch.Before.Conflicts)),
		openBy:      int64(ch.After.Open() - ch.Before.Open()),
		usableBy:    int64(ch.Added),
	}
	after := map[int64]agg.Unit{}
	for _, u := range ch.After.Units {
		after[u.Reports[0]] = u
	}
	same := map[int64]bool{}
	counted := map[int64]bool{}
	for _, u := range ch.Before.Units {
		n, ok := after[u.Reports[0]]
		switch {
		case !ok:
			d.goneUnits = append(d.goneUnits, u.Reports[0])
		case sameUnit(u, n):
			same[u.Reports[0]] = true
			continue
		case sameCount(u, n):
			counted[u.Reports[0]] = true
			continue
		}
		d.minus = append(d.minus, unitOf(area, phase, u))
	}
	for _, u := range unitsOf(area, phase, ch.After) {
		switch {
		case same[u.first]:
		case counted[u.first]:
			d.moved = append(d.moved, u)
		default:
			d.plus = append(d.plus, u)
		}
	}
	before := map[string]agg.Conflict{}
	for _, c := range ch.Before.Conflicts {
		before[c.Question] = c
	}
	for _, c := range ch.After.Conflicts {
		// A conflict's row says only that it is one and whether it is
		// open (its values are the state's): a fold writes it when it
		// appears. (Whether it is open changes only with a resolution,
		// which computes the group again: not a fold.)
		if _, ok := before[c.Question]; !ok {
			d.conflicts = append(d.conflicts, c)
		}
		delete(before, c.Question)
	}
	for q := range before {
		d.goneConflicts = append(d.goneConflicts, q)
	}
	sort.Strings(d.goneConflicts)
	return d
}

// sameUnit reports whether a group's observation is unchanged: the same
// reports in the same cluster, counting the same items the same way.
func sameUnit(a, b agg.Unit) bool {
	return a.Cluster == b.Cluster && slices.Equal(a.Reports, b.Reports) && maps.Equal(a.Hits, b.Hits)
}

// sameCount reports whether a group's observation counts as it did: in
// the same cluster, the same items the same way (its reports may differ).
// Taking it away and counting it again would change nothing.
func sameCount(a, b agg.Unit) bool {
	return a.Cluster == b.Cluster && maps.Equal(a.Hits, b.Hits)
}

// unitsOf is a group's result as the units the store keeps.
func unitsOf(area int64, phase string, res agg.Result) []unit {
	out := make([]unit, 0, len(res.Units))
	for _, u := range res.Units {
		out = append(out, unitOf(area, phase, u))
	}
	return out
}

// unitOf is one observation of a group as the store keeps it.
func unitOf(area int64, phase string, u agg.Unit) unit {
	return unit{first: u.Reports[0], area: area, phase: phase, cluster: u.Cluster, reports: u.Reports, hits: u.Hits}
}

// resolutions reads the resolutions of a phase's groups in areas (the
// condition in and its args from groupChunk), by area and question:
// complete once the reads are sent (sendReads).
func (t *obsTx) resolutions(sc obsScope, phase string, in string, args []any) (map[int64]map[string]json.RawMessage, error) {
	resolved := map[int64]map[string]json.RawMessage{}
	err := t.read(`SELECT area_id, question, value FROM resolutions WHERE org_id = $1 AND election_id = $2 AND phase = $3 AND area_id`+in, args,
		func(scan func(...any) error) error {
			var a int64
			var q, v string
			if err := scan(&a, &q, &v); err != nil {
				return err
			}
			if resolved[a] == nil {
				resolved[a] = map[string]json.RawMessage{}
			}
			var err error
			if resolved[a][q], err = resolutionValue(v); err != nil {
				return fmt.Errorf("area %d %s/%s: %w", a, phase, q, err)
			}
			return nil
		})
	return resolved, err
}

// foldable chooses, among the stored states of the groups in areas that
// only gained reports in this transaction (read by storedStates), those
// it can trust: that read, whose station's usable reports (obs_stations,
// kept by every writer) are those its phases' states hold, and that do
// not already hold a report this transaction stored. Any other group is
// computed from its reports, which writes its state afresh: a state that
// does not read, one left behind by a writer that did not keep states (a
// vigil from before them, still running beside a newer one), a damaged
// row.
func (t *obsTx) foldable(sc obsScope, phase string, c *obsChange, st map[int64]stationState, stored *storedStates) map[int64]*agg.State {
	out := map[int64]*agg.State{}
	texts, usable, sum := stored.texts, stored.usable, stored.sum
	for a, text := range texts {
		if sum[a] != st[a].usable {
			continue // not trusted (stateTrusted), whatever the text: not decoded
		}
		s := obsStates.take(obsGroup{sc.org, sc.election, a, phase}, text)
		if s == nil {
			s = &agg.State{}
			if s.Decode([]byte(text)) != nil {
				continue
			}
		}
		if !stateTrusted(s, usable[a], sum[a], st[a].usable) {
			continue
		}
		fresh := true
		for _, r := range c.added[obsGroup{sc.org, sc.election, a, phase}] {
			if s.Has(r.ID) {
				fresh = false
			}
		}
		if fresh {
			out[a] = s
		}
	}
	return out
}

// stateTrusted says whether a stored state (decoded) is its group's: the
// group commit folds into it, ObsConflicts reads it. Its station's groups
// must add up to the station's usable reports (a writer that keeps no
// states moves the station but not them), and it must count the reports
// its row says.
func stateTrusted(s *agg.State, rowUsable, stationSum, stationUsable int64) bool {
	return stationSum == stationUsable && int64(s.Usable()) == rowUsable
}

// storedStates are the rows of obs_groups foldable chooses from.
type storedStates struct {
	texts  map[int64]string // the phase's state, by station
	usable map[int64]int64  // the group's usable reports, as its row says
	sum    map[int64]int64  // the station's, over its phases
}

// storedStates reads the states of the groups in areas that only gained
// reports in this transaction: complete once the reads are sent
// (sendReads).
func (t *obsTx) storedStates(sc obsScope, phase string, areas []int64, c *obsChange) (*storedStates, error) {
	out := &storedStates{texts: map[int64]string{}, usable: map[int64]int64{}, sum: map[int64]int64{}}
	var ids []int64
	for _, a := range areas {
		g := obsGroup{sc.org, sc.election, a, phase}
		if len(c.added[g]) > 0 && !c.recompute[g] {
			ids = append(ids, a)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	in, inArgs := t.idsIn(ids, 4)
	err := t.read(`SELECT area_id, phase, usable, CASE WHEN phase = $3 THEN state ELSE '' END FROM obs_groups WHERE org_id = $1 AND election_id = $2 AND area_id`+in,
		append([]any{sc.org, sc.election, phase}, inArgs...),
		func(scan func(...any) error) error {
			var a, u int64
			var ph, text string
			if err := scan(&a, &ph, &u, &text); err != nil {
				return err
			}
			out.sum[a] += u
			if ph == phase {
				out.texts[a], out.usable[a] = text, u
			}
			return nil
		})
	return out, err
}

// loadTeams reads the teams of the observers of rs that this transaction
// has not read yet, in one query (a commit's reports come from as many
// observers as stations).
func (t *obsTx) loadTeams(rs []*Report) error {
	observers := t.unknownTeams(rs)
	if len(observers) == 0 {
		return nil
	}
	teamQueries.Add(1)
	if err := t.readTeams(observers); err != nil {
		return err
	}
	return t.sendReads()
}

// teamQueries counts the teams loadTeams had to read in a round trip of
// their own (tests: groupChunk reads a batch's with its other reads).
var teamQueries atomic.Int64

// unknownTeams lists, sorted, the observers of rs whose team this
// transaction has not read.
func (t *obsTx) unknownTeams(rs []*Report) []int64 {
	var observers []int64
	for _, r := range rs {
		if r.ObserverID != 0 {
			if _, ok := t.teams[r.ObserverID]; !ok {
				observers = append(observers, r.ObserverID)
			}
		}
	}
	slices.Sort(observers)
	return slices.Compact(observers)
}

// readTeams reads the observers' teams, queued with the batch's other
// reads (obsTx.read): at a national election's shape every report is an
// observer's, and a round trip of its own in every commit cost about a
// tenth of the writer's time when commits are small.
func (t *obsTx) readTeams(observers []int64) error {
	if len(observers) == 0 {
		return nil
	}
	in, inArgs := t.idsIn(observers, 1)
	return t.read(`SELECT id, COALESCE(team_id, 0) FROM observers WHERE id`+in, inArgs, func(scan func(...any) error) error {
		var id, team int64
		if err := scan(&id, &team); err != nil {
			return err
		}
		t.teams[id] = team
		return nil
	})
}

// aggReports are reports new in this transaction as the rules see them:
// their answers decoded, their visit from the observer's team (loadTeams
// read it).
func (t *obsTx) aggReports(rs []*Report) ([]agg.Report, error) {
	out := make([]agg.Report, 0, len(rs))
	for _, r := range rs {
		a := r.Decoded
		if a == nil {
			if err := json.Unmarshal(r.Answers, &a); err != nil {
				return nil, fmt.Errorf("report %d: %w", r.ID, err)
			}
		}
		f, err := t.form(r.FormID)
		if err != nil {
			return nil, err
		}
		out = append(out, agg.Report{ID: r.ID, Visit: visitOf(t.teams[r.ObserverID], r.ObserverID, r.UserID), Status: r.Status, Answers: a, FormID: r.FormID, Form: f})
	}
	return out, nil
}

// groupsFromReports computes the groups in areas from all their reports
// (folded into the empty states given) and resolutions: what they
// contributed before is read from obs_units and obs_conflicts, and their
// rows are deleted, to be written afresh.
func (t *obsTx) groupsFromReports(sc obsScope, phase string, areas []int64, states map[int64]*agg.State, resolved map[int64]map[string]json.RawMessage, deltas map[int64]*groupDelta) error {
	if len(areas) == 0 {
		return nil
	}
	in, inArgs := t.idsIn(areas, 4)
	args := append([]any{sc.org, sc.election, phase}, inArgs...)
	for _, a := range areas {
		deltas[a] = &groupDelta{}
	}
	old, err := t.oldUnits(sc, `phase = $3 AND area_id`+in, args[2:]...)
	if err != nil {
		return err
	}
	for _, u := range old {
		d := deltas[u.area]
		d.minus = append(d.minus, u)
		d.usableBy -= int64(len(u.reports))
	}
	rows, err := t.q.QueryContext(t.ctx, `SELECT area_id, unresolved FROM obs_conflicts WHERE org_id = $1 AND election_id = $2 AND phase = $3 AND area_id`+in, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a, open int64
		if err := rows.Scan(&a, &open); err != nil {
			rows.Close()
			return err
		}
		deltas[a].conflictsBy--
		deltas[a].openBy -= open
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = t.q.QueryContext(t.ctx, `SELECT r.id, r.area_id, r.form_id, r.status, r.answers, COALESCE(r.observer_id, 0), COALESCE(r.user_id, 0), COALESCE(o.team_id, 0)
		FROM reports r LEFT JOIN observers o ON o.id = r.observer_id
		WHERE r.org_id = $1 AND r.election_id = $2 AND r.phase = $3 AND r.area_id`+in+` ORDER BY r.id`, args...)
	if err != nil {
		return err
	}
	type raw struct {
		id, area, form      int64
		status, answers     string
		observer, user, tid int64
	}
	var raws []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.id, &r.area, &r.form, &r.status, &r.answers, &r.observer, &r.user, &r.tid); err != nil {
			rows.Close()
			return err
		}
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range raws {
		f, err := t.form(r.form)
		if err != nil {
			return err
		}
		a, err := decodeAnswers(r.answers)
		if err != nil {
			return fmt.Errorf("report %d: %w", r.id, err)
		}
		states[r.area].Add(agg.Report{ID: r.id, Visit: visitOf(r.tid, r.observer, r.user), Status: r.status, Answers: a, FormID: r.form, Form: f})
	}
	for _, q := range []string{`DELETE FROM obs_units WHERE org_id = $1 AND election_id = $2 AND phase = $3 AND area_id` + in,
		`DELETE FROM obs_conflicts WHERE org_id = $1 AND election_id = $2 AND phase = $3 AND area_id` + in} {
		if err := t.exec(q, args...); err != nil {
			return err
		}
	}
	for _, a := range areas {
		res, err := states[a].Result(a, phase, resolved[a], t.form)
		if err != nil {
			return fmt.Errorf("group of area %d %s: %w", a, phase, err)
		}
		d := deltas[a]
		d.plus = unitsOf(a, phase, res)
		d.conflicts = res.Conflicts
		d.conflictsBy += int64(len(res.Conflicts))
		d.openBy += int64(res.Open())
		d.usableBy += int64(res.Usable)
	}
	return nil
}

// saveStates writes the states of the groups in keep and removes those
// of the groups in empty (no usable report: as a rebuild leaves them).
func (t *obsTx) saveStates(sc obsScope, phase string, states map[int64]*agg.State, keep, empty []int64) error {
	if len(empty) > 0 {
		in, inArgs := t.idsIn(empty, 4)
		if err := t.exec(`DELETE FROM obs_groups WHERE org_id = $1 AND election_id = $2 AND phase = $3 AND area_id`+in,
			append([]any{sc.org, sc.election, phase}, inArgs...)...); err != nil {
			return err
		}
	}
	return t.writeRows(`INSERT INTO obs_groups (org_id, election_id, area_id, phase, usable, state) VALUES `,
		` ON CONFLICT (org_id, election_id, area_id, phase) DO UPDATE SET usable = excluded.usable, state = excluded.state`, len(keep), 200,
		func(i int) ([]any, error) {
			s := states[keep[i]]
			text := string(s.Encode())
			t.written = append(t.written, writtenState{obsGroup{sc.org, sc.election, keep[i], phase}, text, s})
			return []any{sc.org, sc.election, keep[i], phase, int64(s.Usable()), text}, nil
		})
}

// ancestry records the nodes above areas (obs_anc), for scoped lists.
func (t *obsTx) ancestry(areas []int64) error {
	var pairs [][2]int64
	for _, a := range areas {
		if a == 0 {
			continue
		}
		for _, n := range t.nodesOf(a) {
			pairs = append(pairs, [2]int64{a, n})
		}
	}
	return t.writeRows(`INSERT INTO obs_anc (area_id, node_id) VALUES `, ` ON CONFLICT (area_id, node_id) DO NOTHING`, len(pairs), 300,
		func(i int) ([]any, error) { return []any{pairs[i][0], pairs[i][1]}, nil })
}

// visitOf names who visited: a team, else the observer, else the user;
// "" when nobody is known (the report is its own visit).
func visitOf(team, observer, user int64) string {
	switch {
	case observer != 0 && team != 0:
		return fmt.Sprintf("team:%d", team)
	case observer != 0:
		return fmt.Sprintf("observer:%d", observer)
	case user != 0:
		return fmt.Sprintf("user:%d", user)
	}
	return ""
}

// deployment re-reads which stations of a scope are deployed: the
// latest deployment's, or without one the assigned stations.
func (t *obsTx) deployment(sc obsScope) error {
	var dep int64
	err := t.q.QueryRowContext(t.ctx, `SELECT id FROM deployments WHERE org_id = $1 AND election_id = $2 ORDER BY id DESC LIMIT 1`, sc.org, sc.election).Scan(&dep)
	var q string
	var args []any
	switch {
	case err == nil:
		q, args = `SELECT DISTINCT area_id FROM deployment_stations WHERE deployment_id = $1`, []any{dep}
	case err == sql.ErrNoRows:
		q, args = `SELECT DISTINCT a.area_id FROM assignments a JOIN areas ar ON ar.id = a.area_id WHERE a.org_id = $1 AND a.election_id = $2 AND ar.station = 1`, []any{sc.org, sc.election}
	default:
		return err
	}
	now, err := t.idSet(q, args...)
	if err != nil {
		return err
	}
	before, err := t.idSet(`SELECT area_id FROM obs_stations WHERE org_id = $1 AND election_id = $2 AND deployed = 1`, sc.org, sc.election)
	if err != nil {
		return err
	}
	var changed []int64
	for id := range now {
		if !before[id] {
			changed = append(changed, id)
		}
	}
	for id := range before {
		if !now[id] {
			changed = append(changed, id)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	sort.Slice(changed, func(i, j int) bool { return changed[i] < changed[j] })
	if err := t.loadAreas(changed); err != nil {
		return err
	}
	st, err := t.stations(sc, changed)
	if err == nil {
		err = t.sendReads()
	}
	if err != nil {
		return err
	}
	nw := map[int64]stationState{}
	for _, id := range changed {
		s := st[id]
		s.deployed = now[id]
		nw[id] = s
		t.station(sc, id, st[id], s)
	}
	return t.saveStations(sc, nw)
}

// flush writes the deltas: each touched cluster's new counts and the
// change they make to the sufficient statistics, the statistics, the node
// counts, and the scopes' change counters.
//
// Scopes go in (organisation, election) order, never a map's: a batch can
// hold two organisations' reports of one election, and two instances
// writing such batches would otherwise lock the two scopes' rows in
// opposite orders and deadlock (TestInstancesTwoScopesInOneBatch).
func (t *obsTx) flush(touched map[obsScope]bool) error {
	for _, sc := range sortedScopes(t.clusters) {
		if err := t.flushClusters(sc, t.clusters[sc]); err != nil {
			return err
		}
	}
	// After the clusters: their moves add to the statistics.
	for _, sc := range sortedScopes(t.stats) {
		if err := t.flushStats(sc, t.stats[sc]); err != nil {
			return err
		}
	}
	for _, sc := range sortedScopes(t.nodes) {
		m := t.nodes[sc]
		ids := make([]int64, 0, len(m))
		for id, n := range m {
			if !n.zero() {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		if err := t.writeRows(`INSERT INTO obs_nodes (org_id, election_id, node_id, deployed, reported, conflicted, incidents, queued, quarantined, conflicts, open_conflicts) VALUES `,
			` ON CONFLICT (org_id, election_id, node_id) DO UPDATE SET deployed = obs_nodes.deployed + excluded.deployed,
				reported = obs_nodes.reported + excluded.reported, conflicted = obs_nodes.conflicted + excluded.conflicted,
				incidents = obs_nodes.incidents + excluded.incidents, queued = obs_nodes.queued + excluded.queued,
				quarantined = obs_nodes.quarantined + excluded.quarantined, conflicts = obs_nodes.conflicts + excluded.conflicts,
				open_conflicts = obs_nodes.open_conflicts + excluded.open_conflicts`,
			len(ids), 100, func(i int) ([]any, error) {
				id := ids[i]
				n := m[id]
				return []any{sc.org, sc.election, id, n.deployed, n.reported, n.conflicted, n.incidents, n.queued, n.quarantined, n.conflicts, n.open}, nil
			}); err != nil {
			return err
		}
	}
	scopes := sortedScopes(touched)
	for _, sc := range scopes {
		if err := t.exec(`INSERT INTO obs_changes (org_id, election_id, n) VALUES ($1, $2, 1)
			ON CONFLICT (org_id, election_id) DO UPDATE SET n = obs_changes.n + 1`, sc.org, sc.election); err != nil {
			return err
		}
	}
	return nil
}

// sortedScopes lists m's scopes in (organisation, election) order.
func sortedScopes[V any](m map[obsScope]V) []obsScope {
	return slices.SortedFunc(maps.Keys(m), func(a, b obsScope) int {
		return cmp.Or(cmp.Compare(a.org, b.org), cmp.Compare(a.election, b.election))
	})
}

// idSet is the set of ids a query returns.
func (t *obsTx) idSet(q string, args ...any) (map[int64]bool, error) {
	ids, err := queryList(t.ctx, t.q, scanID, q, args...)
	if err != nil {
		return nil, err
	}
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

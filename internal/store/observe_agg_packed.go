package store

// The packed aggregates: obs_clusters and obs_stats keep, in one row for
// each key, every item's counts in one text, in byte order of the items.
//
// With a row per item, a report moved a dozen rows at each node above its
// station: at a national election's shape (teams at a few stations each)
// the clusters' rows were eighteen a report and 43 % of PostgreSQL's
// statement time (migration 0029), then the statistics' rows, seven a
// report and every one of the country's, regions' and districts' rows
// moved by nearly every commit, were PostgreSQL's largest statement
// (migration 0030; issue 9). A row now holds a key's items together: a
// commit moves a row for each cluster and node it touches, and a row for
// each node and phase.
//
// The rows are read and locked by an upsert that changes nothing and
// returns them (a row this commit creates is created empty), the moves
// are added in Go, and the rows are written back in a statement queued
// for the commit's next round trip (packedRows). A second writer moving
// the same row (another instance) waits for the first at the lock, and
// every writer locks the rows in the same order: the scopes in order
// (flush), a scope's rows in the keys' order.

import (
	"cmp"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/observe/agg"
)

// packedKey is the key of a packed row after its organisation and
// election; String names it in errors.
type packedKey interface {
	comparable
	String() string
}

// packedTable is one packed table: its name, its key's columns after
// org_id and election_id, how a key is written as the statements'
// arguments and how the upsert's returned key and text are scanned.
type packedTable[K packedKey] struct {
	name    string
	keyCols []string
	args    func(K) []any
	scan    func(*sql.Rows) (K, string, error)
}

// packedRows brings the rows of keys (sorted, distinct) up to date: next
// turns a row's stored text ("" for a new row) into its new one, and a row
// whose new text is "" (no item left: as a rebuild leaves it) is deleted.
func packedRows[K packedKey](t *obsTx, sc obsScope, tb packedTable[K], keys []K, next func(K, string) (string, error)) error {
	if len(keys) == 0 {
		return nil
	}
	cols := "org_id, election_id, " + strings.Join(tb.keyCols, ", ")
	row := func(k K, sums string) []any {
		return append(append([]any{sc.org, sc.election}, tb.args(k)...), sums)
	}
	want := make(map[K]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	old := make(map[K]string, len(keys))
	err := t.writeRowsScan(`INSERT INTO `+tb.name+` (`+cols+`, sums) VALUES `,
		` ON CONFLICT (`+cols+`) DO UPDATE SET sums = `+tb.name+`.sums RETURNING `+strings.Join(tb.keyCols, ", ")+`, sums`,
		len(keys), 150, func(i int) ([]any, error) { return row(keys[i], ""), nil },
		func(rs *sql.Rows) error {
			k, sums, err := tb.scan(rs)
			if err != nil {
				return err
			}
			if !want[k] {
				return fmt.Errorf("%s: %s returned by the upsert but not written", tb.name, k)
			}
			old[k] = sums
			return nil
		})
	if err != nil {
		return err
	}
	var write, gone []K
	sums := make(map[K]string, len(keys))
	for _, k := range keys {
		text, ok := old[k]
		if !ok {
			return fmt.Errorf("%s: %s not returned by its upsert", tb.name, k)
		}
		nw, err := next(k, text)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", tb.name, k, err)
		}
		if nw == "" {
			gone = append(gone, k)
			continue
		}
		sums[k] = nw
		write = append(write, k)
	}
	if err := t.writeRows(`INSERT INTO `+tb.name+` (`+cols+`, sums) VALUES `,
		` ON CONFLICT (`+cols+`) DO UPDATE SET sums = excluded.sums`,
		len(write), 150, func(i int) ([]any, error) { return row(write[i], sums[write[i]]), nil }); err != nil {
		return err
	}
	var where strings.Builder
	for i, c := range tb.keyCols {
		fmt.Fprintf(&where, " AND %s = $%d", c, i+3)
	}
	for _, k := range gone {
		if err := t.exec(`DELETE FROM `+tb.name+` WHERE org_id = $1 AND election_id = $2`+where.String(),
			append([]any{sc.org, sc.election}, tb.args(k)...)...); err != nil {
			return err
		}
	}
	return nil
}

// clusterRow is a row of obs_clusters: one cluster's counts at one node
// in one phase, for every item (formatClusterSums).
type clusterRow struct {
	cluster string
	node    int64
	phase   string
}

func (r clusterRow) String() string {
	return fmt.Sprintf("cluster %s at node %d (%s)", r.cluster, r.node, r.phase)
}

var clustersTable = packedTable[clusterRow]{
	name:    "obs_clusters",
	keyCols: []string{"cluster", "node_id", "phase"},
	args:    func(r clusterRow) []any { return []any{r.cluster, r.node, r.phase} },
	scan: func(rs *sql.Rows) (r clusterRow, sums string, err error) {
		err = rs.Scan(&r.cluster, &r.node, &r.phase, &sums)
		return r, sums, err
	},
}

// flushClusters adds the touched clusters' moves to their counts and
// turns each cluster's move into a change of the statistics.
func (t *obsTx) flushClusters(sc obsScope, m map[clusterKey][2]int64) error {
	moves := map[clusterRow]map[string][2]int64{}
	for k, d := range m {
		if d == [2]int64{} {
			continue
		}
		r := clusterRow{k.cluster, k.node, k.phase}
		if moves[r] == nil {
			moves[r] = map[string][2]int64{}
		}
		moves[r][k.item] = d
	}
	rows := slices.SortedFunc(maps.Keys(moves), func(a, b clusterRow) int {
		return cmp.Or(strings.Compare(a.cluster, b.cluster), cmp.Compare(a.node, b.node), strings.Compare(a.phase, b.phase))
	})
	return packedRows(t, sc, clustersTable, rows, func(r clusterRow, text string) (string, error) {
		counts, err := parseClusterSums(text)
		if err != nil {
			return "", fmt.Errorf("%w: the aggregates are damaged (run vigil rebuild)", err)
		}
		for item, d := range moves[r] {
			o := counts[item]
			nv := [2]int64{o[0] + d[0], o[1] + d[1]}
			if nv[0] < 0 || nv[1] < 0 || nv[1] > nv[0] {
				return "", fmt.Errorf("item %s would hold %d units and %d hits: the aggregates are inconsistent (run vigil rebuild)", item, nv[0], nv[1])
			}
			t.statDelta(sc, statKey{r.node, r.phase, item}, agg.Move(o[0], o[1], nv[0], nv[1]))
			if nv[0] == 0 {
				// An item without units is not in the row.
				delete(counts, item)
			} else {
				counts[item] = nv
			}
		}
		if len(counts) == 0 {
			return "", nil
		}
		return formatClusterSums(counts)
	})
}

// formatClusterSums writes a row's counts as obs_clusters.sums holds them:
// "item units hits" for each item, in byte order, joined by "|"
// (migration 0029 writes the same text). Items are the names of a
// form's questions, which have neither spaces nor bars.
func formatClusterSums(counts map[string][2]int64) (string, error) {
	items := slices.Sorted(maps.Keys(counts))
	b := make([]byte, 0, 24*len(items))
	for i, item := range items {
		if item == "" || strings.ContainsAny(item, " |") {
			return "", fmt.Errorf("item %q: a cluster's counts cannot name an empty item or one with a space or a bar", item)
		}
		if i > 0 {
			b = append(b, '|')
		}
		c := counts[item]
		b = append(b, item...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, c[0], 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, c[1], 10)
	}
	return string(b), nil
}

// parseClusterSums reads formatClusterSums' text.
func parseClusterSums(s string) (map[string][2]int64, error) {
	counts := map[string][2]int64{}
	if s == "" {
		return counts, nil
	}
	for entry := range strings.SplitSeq(s, "|") {
		item, rest, ok1 := strings.Cut(entry, " ")
		ns, xs, ok2 := strings.Cut(rest, " ")
		n, err1 := strconv.ParseInt(ns, 10, 64)
		x, err2 := strconv.ParseInt(xs, 10, 64)
		if !ok1 || !ok2 || item == "" || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("counts %.60q: want \"item units hits\" entries joined by |", s)
		}
		if _, dup := counts[item]; dup {
			return nil, fmt.Errorf("counts %.60q: item %q twice", s, item)
		}
		counts[item] = [2]int64{n, x}
	}
	return counts, nil
}

// statRow is a row of obs_stats: the statistics at one node in one phase,
// for every item (formatStatEntries).
type statRow struct {
	node  int64
	phase string
}

func (r statRow) String() string { return fmt.Sprintf("node %d (%s)", r.node, r.phase) }

var statsTable = packedTable[statRow]{
	name:    "obs_stats",
	keyCols: []string{"node_id", "phase"},
	args:    func(r statRow) []any { return []any{r.node, r.phase} },
	scan: func(rs *sql.Rows) (r statRow, sums string, err error) {
		err = rs.Scan(&r.node, &r.phase, &sums)
		return r, sums, err
	},
}

// flushStats adds a scope's changes of the statistics to their rows.
func (t *obsTx) flushStats(sc obsScope, m map[statKey]agg.Stats) error {
	moves := map[statRow][]statEntry{}
	for k, d := range m {
		if !d.Zero() {
			r := statRow{k.node, k.phase}
			moves[r] = append(moves[r], statEntry{escapeStatItem(k.item), d})
		}
	}
	rows := slices.SortedFunc(maps.Keys(moves), func(a, b statRow) int {
		return cmp.Or(cmp.Compare(a.node, b.node), strings.Compare(a.phase, b.phase))
	})
	var buf []statEntry
	return packedRows(t, sc, statsTable, rows, func(r statRow, text string) (string, error) {
		entries, err := parseStatEntries(text, buf[:0])
		if err != nil {
			return "", fmt.Errorf("%w: the aggregates are damaged (run vigil rebuild)", err)
		}
		for _, mv := range moves[r] {
			i, found := slices.BinarySearchFunc(entries, mv.esc, func(e statEntry, esc string) int { return strings.Compare(e.esc, esc) })
			if !found {
				entries = slices.Insert(entries, i, statEntry{esc: mv.esc})
			}
			s := &entries[i].s
			s.Add(mv.s)
			if s.N < 0 || s.X < 0 || s.X > s.N || s.C < 0 || s.Sxx < 0 || s.Sxn < 0 || s.Snn < 0 {
				return "", fmt.Errorf("item %q would hold %+v: the aggregates are inconsistent (run vigil rebuild)", statItemUnescape.Replace(mv.esc), *s)
			}
		}
		buf = entries
		return formatStatEntries(entries), nil
	})
}

// statEntry is one item's statistics in a row of obs_stats, its item
// escaped (escapeStatItem).
type statEntry struct {
	esc string
	s   agg.Stats
}

// An item is escaped for obs_stats.sums: an incident's category is
// whatever an observer sent, spaces and bars included. Migration 0030's
// SQL escapes alike.
var (
	statItemEscape   = strings.NewReplacer("%", "%25", " ", "%20", "|", "%7C")
	statItemUnescape = strings.NewReplacer("%25", "%", "%20", " ", "%7C", "|")
)

func escapeStatItem(item string) string {
	if !strings.ContainsAny(item, "% |") {
		return item
	}
	return statItemEscape.Replace(item)
}

// formatStatEntries writes a row's statistics as obs_stats.sums holds
// them: "item n x c sxx sxn snn" for each entry (its item escaped:
// escapeStatItem), in the entries' order (byte order of the escaped
// items), joined by "|", leaving out an item whose sums are all zero (a
// count that went up and down again); "" when there is none.
func formatStatEntries(entries []statEntry) string {
	b := make([]byte, 0, 48*len(entries))
	for _, e := range entries {
		if e.s.Zero() {
			continue
		}
		if len(b) > 0 {
			b = append(b, '|')
		}
		b = append(b, e.esc...)
		for _, v := range [...]int64{e.s.N, e.s.X, e.s.C, e.s.Sxx, e.s.Sxn, e.s.Snn} {
			b = append(b, ' ')
			b = strconv.AppendInt(b, v, 10)
		}
	}
	return string(b)
}

// parseStatSums reads formatStatEntries' text.
func parseStatSums(s string) (map[string]agg.Stats, error) {
	entries, err := parseStatEntries(s, nil)
	if err != nil {
		return nil, err
	}
	stats := make(map[string]agg.Stats, len(entries))
	for _, e := range entries {
		stats[statItemUnescape.Replace(e.esc)] = e.s
	}
	return stats, nil
}

// parseStatEntries reads formatStatEntries' text into entries (appended to
// buf), refusing text formatStatEntries would not write: an item escaped
// otherwise, items out of order or twice, an item whose sums are all zero.
func parseStatEntries(s string, buf []statEntry) ([]statEntry, error) {
	if s == "" {
		return buf, nil
	}
	for entry := range strings.SplitSeq(s, "|") {
		esc, rest, _ := strings.Cut(entry, " ")
		if strings.Contains(esc, "%") && statItemEscape.Replace(statItemUnescape.Replace(esc)) != esc {
			return nil, fmt.Errorf("statistics %.60q: item %q escaped otherwise than as %%25, %%20, %%7C", s, esc)
		}
		if n := len(buf); n > 0 && buf[n-1].esc >= esc {
			return nil, fmt.Errorf("statistics %.60q: item %q out of order or twice", s, esc)
		}
		var v [6]int64
		for i := range v {
			f, more, ok := strings.Cut(rest, " ")
			if ok != (i < 5) || f == "" {
				return nil, fmt.Errorf("statistics %.60q: want \"item n x c sxx sxn snn\" entries joined by |", s)
			}
			n, err := strconv.ParseInt(f, 10, 64)
			if err == nil && (f[0] == '+' || len(f) > 1 && (f[0] == '0' || f[:2] == "-0")) {
				err = fmt.Errorf("%q is not written so", f)
			}
			if err != nil {
				return nil, fmt.Errorf("statistics %.60q: item %q: %w", s, esc, err)
			}
			v[i], rest = n, more
		}
		e := statEntry{esc, agg.Stats{N: v[0], X: v[1], C: v[2], Sxx: v[3], Sxn: v[4], Snn: v[5]}}
		if e.s.Zero() {
			return nil, fmt.Errorf("statistics %.60q: item %q with no count", s, esc)
		}
		buf = append(buf, e)
	}
	return buf, nil
}

package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/translog"
)

// LogProblem is one thing the audit found wrong.
type LogProblem struct {
	Ref     string `json:"ref"` // the row ("reports/12"), leaf ("leaf 7") or checkpoint
	Problem string `json:"problem"`
}

func (p LogProblem) String() string { return p.Ref + ": " + p.Problem }

// LogAudit is what `vigil log audit` found.
type LogAudit struct {
	Leaves      int64        `json:"leaves"`
	Rows        int          `json:"rows"`
	Checkpoints int          `json:"checkpoints"`
	Root        string       `json:"root"`
	Problems    []LogProblem `json:"problems"`
}

// observationKinds are the leaves an observation deletion covers.
var observationKinds = map[string]bool{translog.KindReport: true, translog.KindResolution: true, translog.KindFindings: true}

// AuditTransparencyLog recomputes the tree from its leaves and every leaf from its
// row, and reports every difference: a leaf missing or altered, stored
// hashes or checkpoints that do not match the leaves (history rewritten),
// a row edited since its leaf, a row deleted without vigil saying so, a
// row with no leaf (inserted outside vigil). It reads; it writes nothing.
func (db *DB) AuditTransparencyLog(ctx context.Context) (*LogAudit, error) {
	a := &LogAudit{}
	size, err := db.LogSize(ctx)
	if err != nil {
		return nil, err
	}
	a.Leaves = size
	leaves, err := db.LogLeaves(ctx, 0, 1<<62)
	if err != nil {
		return nil, err
	}
	problem := func(ref, f string, args ...any) {
		a.Problems = append(a.Problems, LogProblem{ref, fmt.Sprintf(f, args...)})
	}

	// The tree, recomputed from the leaves.
	var hashes []tlog.Hash
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(hashes)) {
				return nil, fmt.Errorf("hash %d not computed", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	type latest struct {
		idx  int64
		leaf LogLeaf
	}
	last := map[string]latest{}
	type tomb struct {
		idx   int64
		scope string
	}
	tombs := map[int64][]tomb{}
	importTombs := map[int64]int64{} // batch -> the tombstone of its swept import
	next := int64(0)
	for _, l := range leaves {
		if l.Index != next {
			problem(fmt.Sprintf("leaf %d", next), "missing from the log (leaves %d to %d are gone)", next, l.Index-1)
			// The tree cannot be recomputed past a gap.
			break
		}
		next++
		hs, err := tlog.StoredHashes(l.Index, l.Data, mem)
		if err != nil {
			return nil, err
		}
		hashes = append(hashes, hs...)
		last[l.Ref] = latest{l.Index, l}
		if l.Kind == translog.KindDeleted {
			lf, err := translog.DecodeLeaf(l.Data)
			if b, ok := lf.Int("batch"); err == nil && lf.String("scope") == "import" && ok {
				importTombs[b] = l.Index
			} else if err == nil && lf.String("scope") != "" {
				tombs[l.Election] = append(tombs[l.Election], tomb{l.Index, lf.String("scope")})
			}
		}
	}
	if next < size && len(a.Problems) == 0 {
		problem(fmt.Sprintf("leaf %d", next), "missing from the log: it holds %d leaves, its size says %d", next, size)
	}
	if int64(len(leaves)) > size {
		problem(fmt.Sprintf("leaf %d", size), "%d leaves beyond the log's size %d", int64(len(leaves))-size, size)
	}
	complete := next
	if complete > 0 {
		root, err := tlog.TreeHash(complete, mem)
		if err != nil {
			return nil, err
		}
		a.Root = root.String()
	}

	// The stored hashes, against the recomputed ones.
	bad := 0
	for _, l := range leaves[:complete] {
		lo, hi := tlog.StoredHashIndex(0, l.Index), tlog.StoredHashIndex(0, l.Index+1)
		var want []byte
		for _, h := range hashes[lo:hi] {
			want = append(want, h[:]...)
		}
		if string(want) != string(l.Hashes) {
			if bad < 5 {
				problem(fmt.Sprintf("leaf %d", l.Index), "its stored tree hashes differ from those recomputed from the leaves")
			}
			bad++
		}
	}
	if bad > 5 {
		problem("log_leaves", "%d more leaves' stored hashes differ", bad-5)
	}

	// Every checkpoint the log signed, against the recomputed tree.
	cps, err := db.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	a.Checkpoints = len(cps)
	for _, c := range cps {
		ref := fmt.Sprintf("checkpoint %d", c.Size)
		if c.Size > complete {
			problem(ref, "signed for %d leaves, the log holds %d intact: leaves were removed", c.Size, complete)
			continue
		}
		root, err := tlog.TreeHash(c.Size, mem)
		if err != nil {
			return nil, err
		}
		if root.String() != c.Root {
			problem(ref, "its root %s is not that of the leaves (%s): history was rewritten", c.Root, root)
		}
		i := strings.Index(string(c.Signed), "\n\n")
		if i < 0 {
			problem(ref, "not a signed note")
			continue
		}
		cp, err := translog.ParseCheckpoint(string(c.Signed[:i+1]))
		if err != nil || cp.Size != c.Size || cp.Hash != root {
			problem(ref, "the signed note does not state this size and root")
		}
	}

	// Every row, against its latest leaf.
	seen := map[string]bool{}
	for _, t := range logTables {
		where := ""
		if t.table == "batches" {
			where = `t.pending = ''` // an import still being written
		}
		rows, err := tableLeaves(ctx, qLoader{db, db.Dialect}, t.table, where)
		if err != nil {
			return nil, err
		}
		for _, lf := range rows {
			a.Rows++
			seen[lf.Ref] = true
			enc, err := lf.Encode()
			if err != nil {
				problem(lf.Ref, "%v", err)
				continue
			}
			l, ok := last[lf.Ref]
			switch {
			case !ok:
				problem(lf.Ref, "has no leaf: inserted outside vigil")
			case l.leaf.Kind == translog.KindDeleted:
				problem(lf.Ref, "present, though leaf %d records its deletion", l.idx)
			case string(enc) != string(l.leaf.Data):
				problem(lf.Ref, "differs from its leaf %d: edited outside vigil (now %s)", l.idx, diffLeaf(l.leaf.Data, enc))
			}
		}
	}
	var refs []string
	for ref := range last {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		l := last[ref]
		if seen[ref] || l.leaf.Kind == translog.KindDeleted || !isRowRef(ref) {
			continue
		}
		excused := false
		for _, tb := range tombs[l.leaf.Election] {
			if tb.idx > l.idx && (tb.scope == "election" || tb.scope == "observation" && observationKinds[l.leaf.Kind]) {
				excused = true
			}
		}
		if !excused && l.leaf.Kind == translog.KindProtocol && len(importTombs) > 0 {
			// A protocol of an import that failed: logged as it was
			// written, removed with a tombstone of the import.
			if lf, err := translog.DecodeLeaf(l.leaf.Data); err == nil {
				if b, ok := lf.Int("batch"); ok && importTombs[b] > l.idx {
					excused = true
				}
			}
		}
		if !excused {
			problem(ref, "recorded by leaf %d but gone: deleted outside vigil", l.idx)
		}
	}
	return a, nil
}

// isRowRef reports whether a ref names a row of a logged table (and not,
// say, a tombstone's election).
func isRowRef(ref string) bool {
	table, _, _ := strings.Cut(ref, "/")
	for _, t := range logTables {
		if t.table == table {
			return true
		}
	}
	return false
}

// diffLeaf names the data fields that differ between a leaf and a row's
// recomputed leaf, for the audit's message.
func diffLeaf(was, now []byte) string {
	a, err1 := translog.DecodeLeaf(was)
	b, err2 := translog.DecodeLeaf(now)
	if err1 != nil || err2 != nil {
		return string(now)
	}
	var keys []string
	for k, v := range b.Data {
		if fmt.Sprint(a.Data[k]) != fmt.Sprint(v) {
			keys = append(keys, fmt.Sprintf("%s=%v, was %v", k, v, a.Data[k]))
		}
	}
	for k, v := range a.Data {
		if _, ok := b.Data[k]; !ok {
			keys = append(keys, fmt.Sprintf("%s gone, was %v", k, v))
		}
	}
	sort.Strings(keys)
	return strings.Join(keys, "; ")
}

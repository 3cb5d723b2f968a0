package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/translog"
)

// logFixture fills a database with one of each logged thing: an import
// of three protocols, two reports with an observer protocol, a published
// finding; then signs a checkpoint.
func logFixture(t *testing.T, db *store.DB) (e *election.Election, skey, vkey string) {
	t.Helper()
	ctx := context.Background()
	e = newElection(t, db)
	rows := []store.Row{station(2, []int64{50, 40}, "R1", "D1", "S1"), station(3, []int64{30, 60}, "R1", "D1", "S2"), station(4, []int64{10, 20}, "R1", "D2", "S3")}
	b, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "a.csv", SHA256: "abc", Options: []string{"A", "B"}}, storetest.Rows(rows))
	if err != nil {
		t.Fatal(err)
	}
	if b.LeafHash == "" {
		t.Fatal("the import returned no leaf")
	}
	org, err := db.EnsureOrganisation(ctx, "Mission", "international")
	if err != nil {
		t.Fatal(err)
	}
	sf, err := db.SaveForm(ctx, org.ID, form.CountingTemplate())
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := db.AreaByPath(ctx, e.ID, []string{"R1", "D1", "S1"})
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UTC()
		rs := []*store.Report{
			{OrgID: org.ID, ElectionID: e.ID, FormID: sf.ID, Phase: "counting", AreaID: s1.ID, Channel: "api", ClientID: "c1", Answers: json.RawMessage(`{"a":1}`), Submitted: now, Received: now},
			{OrgID: org.ID, ElectionID: e.ID, FormID: sf.ID, Phase: "counting", AreaID: s1.ID, Channel: "sms", ClientID: "c2", Answers: json.RawMessage(`{"a":2}`), Submitted: now, Received: now},
		}
		if _, err := store.InsertReports(ctx, tx, db.Dialect, rs); err != nil {
			return err
		}
		p := &election.Protocol{AreaID: s1.ID, Source: election.Observer, Votes: []int64{50, 40}, ReportID: rs[0].ID}
		p.Figures.Set(election.Valid, 90)
		if err := store.InsertProtocol(ctx, tx, e.ID, p); err != nil {
			return err
		}
		rc, err := store.LogRows(ctx, tx, db.Dialect, store.RowSet{Table: "reports", IDs: []int64{rs[0].ID, rs[1].ID}}, store.RowSet{Table: "protocols", IDs: []int64{p.ID}})
		if err != nil {
			return err
		}
		if len(rc) != 3 {
			return fmt.Errorf("%d receipts, want 3", len(rc))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pub := &store.PublishedFindings{OrgID: org.ID, ElectionID: e.ID, PublishedBy: "analyst", Findings: `{"n":2}`, Statement: "<p>x</p>"}
	if err := db.PublishFindings(ctx, pub); err != nil {
		t.Fatal(err)
	}
	if pub.Receipt.Hash == "" {
		t.Fatal("the publication returned no leaf")
	}
	skey, vkey, err = translog.GenerateKey("vigil.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signCheckpoint(t, db, skey)
	return e, skey, vkey
}

func signCheckpoint(t *testing.T, db *store.DB, skey string) translog.Checkpoint {
	t.Helper()
	ctx := context.Background()
	n, err := db.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := db.LogRoot(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	c := translog.Checkpoint{Origin: "vigil.test/log", Size: n, Hash: root}
	signed, err := translog.SignCheckpoint(c, skey)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheckpoint(ctx, n, root, signed); err != nil {
		t.Fatal(err)
	}
	return c
}

func auditProblems(t *testing.T, db *store.DB) []string {
	t.Helper()
	a, err := db.AuditTransparencyLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range a.Problems {
		out = append(out, p.String())
	}
	return out
}

func wantProblem(t *testing.T, probs []string, ref, words string) {
	t.Helper()
	for _, p := range probs {
		if strings.HasPrefix(p, ref) && strings.Contains(p, words) {
			return
		}
	}
	t.Fatalf("audit did not report %s %q; it said %q", ref, words, probs)
}

func TestTransparencyLogAppendsProvesAudits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, _, vkey := logFixture(t, db)
		n, _ := db.LogSize(ctx)
		// 1 batch + 3 protocols + 2 reports + 1 observer protocol + 1 finding.
		if n != 8 {
			t.Fatalf("log size %d, want 8", n)
		}
		if probs := auditProblems(t, db); len(probs) != 0 {
			t.Fatalf("a clean database audits with problems: %q", probs)
		}
		cp, err := db.LatestCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		o, err := translog.OpenCheckpoint(cp.Signed, vkey)
		if err != nil {
			t.Fatal(err)
		}
		// Every leaf proves into the signed root; a wrong leaf does not.
		for i := int64(0); i < n; i++ {
			p, err := db.ProveLeaf(ctx, i, o.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p.Proof, o.Size, o.Hash, i, translog.LeafHash([]byte(p.Leaf))); err != nil {
				t.Fatalf("leaf %d: %v", i, err)
			}
			if err := tlog.CheckRecord(p.Proof, o.Size, o.Hash, i, translog.LeafHash([]byte(p.Leaf+" "))); err == nil {
				t.Fatalf("leaf %d: an altered leaf proved", i)
			}
		}
		// Tiles read back the tree: the level-0 tile's hashes are the leaves'.
		tile := tlog.Tile{H: translog.TileHeight, L: 0, N: 0, W: int(n)}
		data, err := db.LogTile(ctx, tile)
		if err != nil {
			t.Fatal(err)
		}
		leaves, _ := db.LogLeaves(ctx, 0, n)
		for i, l := range leaves {
			h, err := tlog.HashFromTile(tile, data, tlog.StoredHashIndex(0, int64(i)))
			if err != nil || h != translog.LeafHash(l.Data) {
				t.Fatalf("tile hash %d: %v", i, err)
			}
		}
		bundle, err := db.LogTile(ctx, tlog.Tile{H: translog.TileHeight, L: -1, N: 0, W: int(n)})
		if err != nil {
			t.Fatal(err)
		}
		if es, err := translog.DecodeBundle(bundle); err != nil || len(es) != int(n) || string(es[3]) != string(leaves[3].Data) {
			t.Fatalf("entry bundle: %d entries, %v", len(es), err)
		}
		// The leaves hold no answers.
		for _, l := range leaves {
			if strings.Contains(string(l.Data), `"a":1`) || strings.Contains(string(l.Data), "analyst") {
				t.Fatalf("leaf %d carries private data: %s", l.Index, l.Data)
			}
		}
	})
}

func TestTransparencyLogVigilsOwnChangesAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, _, _ := logFixture(t, db)
		reps, err := db.Reports(ctx, store.ReportFilter{OrgID: 1, ElectionID: e.ID})
		if err != nil || len(reps) == 0 {
			t.Fatalf("reports: %v", err)
		}
		if err := db.UpdateReport(ctx, reps[0].OrgID, reps[0].ID, store.StatusVerified, "", store.AuditEntry{OrgID: reps[0].OrgID, Actor: "x", Channel: "web", Action: "qc"}); err != nil {
			t.Fatal(err)
		}
		if probs := auditProblems(t, db); len(probs) != 0 {
			t.Fatalf("after a QC decision: %q", probs)
		}
		if err := db.DeleteElection(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if probs := auditProblems(t, db); len(probs) != 0 {
			t.Fatalf("after deleting the election through vigil: %q", probs)
		}
	})
}

func TestTransparencyLogAuditCatchesTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, db *store.DB, e *election.Election)
		ref    string
		words  string
	}{
		{"row edited", func(t *testing.T, db *store.DB, e *election.Election) {
			exec(t, db, `UPDATE protocols SET valid = valid + 100 WHERE id = (SELECT min(id) FROM protocols)`)
		}, "protocols/", "edited outside vigil"},
		{"report edited", func(t *testing.T, db *store.DB, e *election.Election) {
			exec(t, db, `UPDATE reports SET answers = '{"a":9}' WHERE client_id = 'c1'`)
		}, "reports/", "commitment="},
		{"row deleted", func(t *testing.T, db *store.DB, e *election.Election) {
			exec(t, db, `DELETE FROM protocols WHERE source = 'observer'`)
		}, "protocols/", "deleted outside vigil"},
		{"row inserted", func(t *testing.T, db *store.DB, e *election.Election) {
			exec(t, db, fmt.Sprintf(`INSERT INTO published_findings (org_id, election_id, published, published_by, findings, statement_html) VALUES (1, %d, 'x', 'y', '{}', '')`, e.ID))
		}, "published_findings/", "inserted outside vigil"},
		{"leaf removed", func(t *testing.T, db *store.DB, e *election.Election) {
			exec(t, db, `DELETE FROM log_leaves WHERE idx = 5`)
		}, "leaf 5", "missing"},
		{"last leaf removed and size lowered", func(t *testing.T, db *store.DB, e *election.Election) {
			exec(t, db, `DELETE FROM log_leaves WHERE idx = 7`)
			exec(t, db, `UPDATE log_state SET size = 7`)
		}, "checkpoint 8", "leaves were removed"},
		{"history rewritten", func(t *testing.T, db *store.DB, e *election.Election) {
			// The operator edits a protocol, rewrites its leaf to match and
			// recomputes every stored hash: only the signed checkpoint
			// still remembers the old tree.
			exec(t, db, `UPDATE protocols SET valid = valid + 100 WHERE id = (SELECT min(id) FROM protocols)`)
			rewriteLog(t, db)
		}, "checkpoint 8", "history was rewritten"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				e, _, _ := logFixture(t, db)
				tc.tamper(t, db, e)
				wantProblem(t, auditProblems(t, db), tc.ref, tc.words)
			})
		})
	}
}

func exec(t *testing.T, db *store.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rewriteLog recomputes every leaf from its row and every stored hash
// from the leaves, as an operator covering their tracks would.
func rewriteLog(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	n, _ := db.LogSize(ctx)
	leaves, _ := db.LogLeaves(ctx, 0, n)
	// Rewrite protocol leaves from the rows.
	for _, l := range leaves {
		if !strings.HasPrefix(l.Ref, "protocols/") {
			continue
		}
		lf, _ := translog.DecodeLeaf(l.Data)
		var valid int64
		if err := db.QueryRow(`SELECT valid FROM protocols WHERE id = $1`, strings.TrimPrefix(l.Ref, "protocols/")).Scan(&valid); err != nil {
			t.Fatal(err)
		}
		lf.Data["valid"] = valid
		enc, _ := lf.Encode()
		exec(t, db, fmt.Sprintf(`UPDATE log_leaves SET data = '%s' WHERE idx = %d`, strings.ReplaceAll(string(enc), "'", "''"), l.Index))
	}
	leaves, _ = db.LogLeaves(ctx, 0, n)
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for _, l := range leaves {
		hs, err := tlog.StoredHashes(l.Index, l.Data, r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	for _, l := range leaves {
		var blob []byte
		for _, h := range hashes[tlog.StoredHashIndex(0, l.Index):tlog.StoredHashIndex(0, l.Index+1)] {
			blob = append(blob, h[:]...)
		}
		if _, err := db.Exec(`UPDATE log_leaves SET hashes = $1 WHERE idx = $2`, blob, l.Index); err != nil {
			t.Fatal(err)
		}
	}
}

// An import builds its protocols' leaves from the values it writes
// instead of reading the rows back: the audit, which reads them back,
// must find every leaf equal to its row, whatever the names (escapes,
// HTML characters, invalid UTF-8, a summary of an area above stations),
// the figures left out, the versions after the first and the options an
// import adds.
func TestImportLeavesAreTheRowsRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newElection(t, db)
		odd := []string{`Région "Nord" \ <b>&`, "Dist\u2028rict\tÉ", "Station 1"}
		if db.Dialect == store.SQLite {
			odd[2] = "St\xffation 1" // PostgreSQL refuses invalid UTF-8 itself
		}
		rows := []store.Row{station(2, []int64{50, 40}, odd...), station(3, []int64{30, 60}, "R1", "D1", "S2"), station(4, []int64{10, 20, 5}, "R1", "D2", "S3")}
		rows[1].Figures = election.Figures{}
		rows[1].Figures.Set(election.Valid, 90)
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "a.csv", Options: []string{"A", "B", "C"}}, storetest.Rows(rows)); err != nil {
			t.Fatal(err)
		}
		// A second version of the same stations, and the summary of a district.
		again := []store.Row{station(2, []int64{51, 40}, odd...), station(3, []int64{31, 60}, "R1", "D1", "S2"), station(5, []int64{40, 80}, "R1", "D1")}
		if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "b.csv", Options: []string{"A", "B", "C"}}, storetest.Rows(again)); err != nil {
			t.Fatal(err)
		}
		if probs := auditProblems(t, db); len(probs) != 0 {
			t.Fatalf("leaves built by the import differ from their rows read back: %q", probs)
		}
		leaves, err := db.LogLeaves(ctx, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(leaves) != 8 { // 2 batches, 6 protocols
			t.Fatalf("%d leaves, want 8", len(leaves))
		}
	})
}

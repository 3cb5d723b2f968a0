package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/translog"
)

// Leaves stored as JSON text before migration 0022 (which makes the column
// bytes and stores new leaves packed) read back byte for byte after it,
// escapes and non-ASCII included, on both engines; the log with old and
// new leaves side by side audits clean and proves an old leaf; and a
// packed leaf rewritten as its JSON (the old form) still reads the same.
func TestLeafStorageUpgrade(t *testing.T) {
	ctx := context.Background()
	storetest.EachAddr(t, func(t *testing.T, addr string) {
		old, err := store.OpenAtVersion(ctx, addr, 21)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := translog.Leaf{Kind: translog.KindDeleted, Ref: "elections/99", Election: 99,
			Data: map[string]any{"scope": "election", "note": "a \"quoted\" \\ back-slashed, accentué \u2028 note"}}.Encode()
		if err != nil {
			t.Fatal(err)
		}
		h := translog.LeafHash(enc)
		if _, err := old.Exec(`INSERT INTO log_leaves (idx, kind, ref, election_id, data, hashes) VALUES (0, 'deleted', 'elections/99', 99, $1, $2)`,
			string(enc), h[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(`UPDATE log_state SET size = 1, frontier = NULL WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		old.Close()

		db, err := store.Open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ls, err := db.LogLeaves(ctx, 0, 1)
		if err != nil || len(ls) != 1 || !bytes.Equal(ls[0].Data, enc) {
			t.Fatalf("the old leaf after the upgrade: %+v %v\nwant %s", ls, err, enc)
		}
		// New leaves after it, stored packed.
		body := []byte("results\n")
		sum := sha256.Sum256(body)
		c := &store.Capture{URL: "https://x.example/r", Fetched: time.Now().UTC(), SHA256: hex.EncodeToString(sum[:]), Size: len(body), Body: body}
		if _, err := db.SaveCapture(ctx, c); err != nil {
			t.Fatal(err)
		}
		var raw []byte
		if err := db.QueryRow(`SELECT data FROM log_leaves WHERE idx = 1`).Scan(&raw); err != nil || len(raw) == 0 {
			t.Fatalf("the new leaf: %q %v", raw, err)
		}
		if raw[0] == '{' {
			t.Errorf("a new leaf is stored as JSON: %q", raw)
		}
		audit := func(when string) {
			a, err := db.AuditTransparencyLog(ctx)
			if err != nil || len(a.Problems) > 0 || a.Leaves != 2 {
				t.Fatalf("audit %s: %+v %v", when, a, err)
			}
		}
		audit("after the upgrade")
		root, err := db.LogRoot(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.ProveLeaf(ctx, 0, 2)
		if err != nil || tlog.CheckRecord(p.Proof, 2, root, 0, translog.LeafHash([]byte(p.Leaf))) != nil || p.Leaf != string(enc) {
			t.Fatalf("proving the old leaf: %+v %v", p, err)
		}
		// The new leaf rewritten in the old form reads the same (the
		// audit recomputes every stored hash from the leaves).
		ls, _ = db.LogLeaves(ctx, 1, 2)
		if _, err := db.Exec(`UPDATE log_leaves SET data = $1 WHERE idx = 1`, ls[0].Data); err != nil {
			t.Fatal(err)
		}
		audit("with a leaf rewritten as JSON")
		if r2, _ := db.LogRoot(ctx, 2); r2 != root {
			t.Errorf("root %v, was %v", r2, root)
		}
	})
}

// store.Tables, the list backups and copies go through, is exactly the
// database's tables after every migration, a table rebuilt under its own
// name (0022's log_leaves) included once, on both engines.
func TestTablesAfterRebuild(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tables, err := store.Tables()
		if err != nil {
			t.Fatal(err)
		}
		q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
		if db.Dialect == store.Postgres {
			q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
		}
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		have := map[string]bool{}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			have[n] = true
		}
		delete(have, "schema_migrations")
		seen := map[string]bool{}
		for _, tb := range tables {
			if seen[tb] || !have[tb] {
				t.Errorf("store.Tables lists %s (twice, or a table the database does not have)", tb)
			}
			seen[tb] = true
		}
		for tb := range have {
			if !seen[tb] {
				t.Errorf("table %s is not in store.Tables", tb)
			}
		}
	})
}

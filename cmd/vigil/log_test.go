package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
	"github.com/vigil-elections/vigil/internal/translog"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

// TestTransparencyLogEndToEnd drives the log as a mission, a witness and
// a reader would: import, sign, serve, witness twice (checking
// consistency), publish cosignatures, bundle, verify offline; then the
// tampering a reader must catch.
func TestTransparencyLogEndToEnd(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) { testLogEndToEnd(t, engine) })
	}
}

func testLogEndToEnd(t *testing.T, engine string) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	if engine == "postgres" {
		db = storetest.PostgresAddr(t)
	}
	key := filepath.Join(dir, "log.key")
	wkey := filepath.Join(dir, "witness.key")
	state := filepath.Join(dir, "witness.json")
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	vkey := strings.TrimSpace(mustVigil(t, "log", "keygen", "--origin", "test.vigil/log", "--out", key))
	if !strings.HasPrefix(vkey, "test.vigil/log+") {
		t.Fatalf("public key %q", vkey)
	}
	if _, err := vigil(t, "log", "keygen", "--origin", "x", "--out", key); err == nil {
		t.Fatal("keygen overwrote an existing key")
	}
	mustVigil(t, "log", "witness-keygen", "--name", "newsroom.test/w", "--out", wkey)
	wpub := wkey + ".pub"
	mustVigil(t, "log", "sign", "--db", db, "--key", key)

	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	wv, _ := readKeyFile(wpub)
	h, err := site.New(d, web.Options{LogVKey: vkey, Witnesses: []string{wv}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// The checkpoint and tiles as C2SP serves them.
	resp, err := http.Get(srv.URL + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=5") || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("checkpoint: %s %v", resp.Status, resp.Header)
	}
	if r, _ := http.Get(srv.URL + "/log/tile/0/000.p/200"); r.StatusCode != 404 {
		t.Fatalf("a tile beyond the signed tree: %s", r.Status)
	}

	out := mustVigil(t, "log", "witness", srv.URL, "--log-key", key+".pub", "--key", wkey, "--state", state, "--post")
	if !strings.Contains(out, "cosigned test.vigil/log checkpoint 5") {
		t.Fatalf("witness: %s", out)
	}
	// The log grows; the witness checks the new checkpoint extends the one
	// it cosigned.
	mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
	mustVigil(t, "log", "sign", "--db", db, "--key", key)
	out = mustVigil(t, "log", "witness", srv.URL, "--log-key", key+".pub", "--key", wkey, "--state", state, "--post")
	if !strings.Contains(out, "checkpoint 10") {
		t.Fatalf("witness: %s", out)
	}
	cp, _ := d.LatestCheckpoint(context.Background())
	if !strings.Contains(string(cp.Signed), "— newsroom.test/w ") {
		t.Fatalf("the cosignature was not published:\n%s", cp.Signed)
	}

	// A receipt's proof.
	var proof Proof
	if err := json.Unmarshal([]byte(mustVigil(t, "log", "prove", "--db", db, "--index", "7")), &proof); err != nil {
		t.Fatal(err)
	}
	o, err := translog.OpenCheckpoint([]byte(proof.Checkpoint), vkey, wv)
	if err != nil || len(o.Witnesses) != 1 {
		t.Fatalf("proof's checkpoint: %v %+v", err, o)
	}
	if err := tlog.CheckRecord(proof.Proof, o.Size, o.Hash, 7, translog.LeafHash([]byte(proof.Leaf))); err != nil {
		t.Fatal(err)
	}
	if _, err := vigil(t, "log", "prove", "--db", db, "--index", "7", "--hash", "AAAA"); err == nil {
		t.Fatal("prove accepted a receipt hash that is not the leaf's")
	}

	// A results bundle, verified offline with the witness required.
	bundle := filepath.Join(dir, "results.json")
	mustVigil(t, "log", "bundle", "results", "--db", db, "--election", "e1", "--stations", "--out", bundle)
	out = mustVigil(t, "verify", bundle, "--key", key+".pub", "--witness", wpub)
	if !strings.Contains(out, "verified against checkpoint 10") || !strings.Contains(out, "cosigned by newsroom.test/w") {
		t.Fatalf("verify: %s", out)
	}

	// Tampering a reader must catch.
	other := filepath.Join(dir, "other.key")
	mustVigil(t, "log", "keygen", "--origin", "test.vigil/log", "--out", other)
	if _, err := vigil(t, "verify", bundle, "--key", other+".pub"); err == nil {
		t.Fatal("verify accepted a checkpoint under the wrong key")
	}
	raw, _ := os.ReadFile(bundle)
	var b translog.Bundle
	json.Unmarshal(raw, &b)
	for name, tamper := range map[string]func(b *translog.Bundle){
		"forged checkpoint": func(b *translog.Bundle) {
			lines := strings.SplitN(b.Checkpoint, "\n", 4)
			lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
			b.Checkpoint = strings.Join(lines, "\n")
		},
		"figure changed": func(b *translog.Bundle) {
			b.Claims = json.RawMessage(strings.Replace(string(b.Claims), `"valid":`, `"valid":1`, 1))
		},
		"leaf changed": func(b *translog.Bundle) {
			b.Leaves[0].Leaf = strings.Replace(b.Leaves[0].Leaf, `"valid":`, `"valid":1`, 1)
		},
		"leaf dropped": func(b *translog.Bundle) { b.Leaves = b.Leaves[1:] },
		"witness missing": func(b *translog.Bundle) {
			i := strings.Index(b.Checkpoint, "— newsroom.test/w")
			b.Checkpoint = b.Checkpoint[:i]
		},
	} {
		c := b
		c.Leaves = append([]translog.BundleLeaf(nil), b.Leaves...)
		tamper(&c)
		p := filepath.Join(dir, "tampered.json")
		enc, _ := json.Marshal(c)
		os.WriteFile(p, enc, 0o644)
		if out, err := vigil(t, "verify", p, "--key", key+".pub", "--witness", wpub); err == nil {
			t.Errorf("%s: verified: %s", name, out)
		}
	}

	// History rewritten on the server: a protocol edited, its leaf and
	// every hash recomputed, a fresh checkpoint signed with the log's own
	// key. The witness, who remembers checkpoint 10, refuses it.
	if _, err := d.Exec(`UPDATE protocols SET valid = valid + 1000 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	rewriteLogForTest(t, d)
	d.Exec(`DELETE FROM log_checkpoints`)
	d.Exec(`DELETE FROM log_cosignatures`)
	mustVigil(t, "log", "sign", "--db", db, "--key", key)
	if out, err := vigil(t, "log", "witness", srv.URL, "--log-key", key+".pub", "--key", wkey, "--state", state); err == nil || !strings.Contains(err.Error(), "REFUSED") {
		t.Fatalf("the witness cosigned a rewritten history: %v %s", err, out)
	}
}

// rewriteLogForTest recomputes protocol leaves from their rows and every
// stored hash, as an operator covering their tracks would.
func rewriteLogForTest(t *testing.T, d *store.DB) {
	t.Helper()
	ctx := context.Background()
	n, _ := d.LogSize(ctx)
	leaves, _ := d.LogLeaves(ctx, 0, n)
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for _, l := range leaves {
		data := l.Data
		if l.Ref == "protocols/1" {
			lf, _ := translog.DecodeLeaf(l.Data)
			var valid int64
			d.QueryRow(`SELECT valid FROM protocols WHERE id = 1`).Scan(&valid)
			lf.Data["valid"] = valid
			data, _ = lf.Encode()
			if _, err := d.Exec(`UPDATE log_leaves SET data = $1 WHERE idx = $2`, string(data), l.Index); err != nil {
				t.Fatal(err)
			}
		}
		hs, err := tlog.StoredHashes(l.Index, data, r)
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
		if _, err := d.Exec(`UPDATE log_leaves SET hashes = $1 WHERE idx = $2`, blob, l.Index); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLogAuditCommand edits each engine's database by hand and expects
// `vigil log audit` to fail naming the row.
func TestLogAuditCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "v.db")
			if engine == "postgres" {
				db = storetest.PostgresAddr(t)
			}
			mustVigil(t, "import", "--db", db, "--election", "e1", "--source", "official-final", "--mapping", "testdata/small.json", "testdata/small.csv")
			if out := mustVigil(t, "log", "audit", "--db", db); !strings.Contains(out, "every row matches its leaf") {
				t.Fatalf("audit: %s", out)
			}
			d, err := store.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for _, q := range []string{
				`UPDATE protocols SET registered = registered + 1 WHERE id = 2`,
				`DELETE FROM protocols WHERE id = 3`,
				`UPDATE batches SET sha256 = 'forged' WHERE id = 1`,
			} {
				if _, err := d.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			var out strings.Builder
			err = run(context.Background(), []string{"vigil", "log", "audit", "--db", db}, os.Getenv, strings.NewReader(""), &out, &out)
			if err == nil || exitCode(err) != 1 {
				t.Fatalf("audit of an edited database: %v", err)
			}
			for _, want := range []string{"protocols/2: differs from its leaf", "registered=", "protocols/3: recorded by leaf", "deleted outside vigil", "batches/1: differs", "sha256=forged"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("audit output lacks %q:\n%s", want, out.String())
				}
			}
			fmt.Fprint(os.Stderr)
		})
	}
}

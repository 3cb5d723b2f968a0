package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
)

// The transparency log's commands (docs/evidence.md).
func init() {
	register(command{name: "log keygen", summary: "make the log's signing key (kept outside the database) and its public key", run: runLogKeygen})
	register(command{name: "log witness-keygen", summary: "make a witness's cosigning key pair", run: runWitnessKeygen})
	register(command{name: "log sign", summary: "sign a checkpoint of the log now (serve does it every few seconds)", run: runLogSign})
	register(command{name: "log audit", summary: "recompute every leaf from the rows; exit 1 naming rows edited, deleted or inserted outside vigil", run: runLogAudit})
	register(command{name: "log prove", summary: "an inclusion proof of a receipt's leaf against a signed checkpoint", run: runLogProve})
	register(command{name: "log witness", summary: "check a vigil log's new checkpoint is consistent with the last one seen, and cosign it", run: runLogWitness})
	register(command{name: "log cosignatures", summary: "add witnesses' cosignatures (from vigil log witness) to the published checkpoints", run: runLogCosignatures})
	register(command{name: "log bundle", summary: "write a verifiable bundle: results, findings or recommendations", run: runLogBundle})
	register(command{name: "verify", summary: "check a bundle offline: proofs, signature, cosignatures, every figure", run: runVerify})
}

// readKeyFile reads a key file (its first line).
func readKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("key: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if i := strings.IndexByte(k, '\n'); i >= 0 {
		k = k[:i]
	}
	return k, nil
}

// readKeyArg reads a public key given as the key itself or as a file.
func readKeyArg(s string) (string, error) {
	if fileExists(s) {
		return readKeyFile(s)
	}
	return strings.TrimSpace(s), nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func runLogKeygen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log keygen", "--origin NAME --out FILE")
	origin := fs.String("origin", "", "the log's name, by convention its URL without https:// (e.g. observers.example.org/log)")
	out := fs.String("out", "", "file to write the secret key to (mode 0600); the public key goes to FILE.pub and stdout")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *origin == "" || *out == "" {
		return usagef("log keygen: --origin and --out are required")
	}
	skey, vkey, err := translog.GenerateKey(*origin)
	if err != nil {
		return err
	}
	return writeKeyPair(e, *out, skey, vkey)
}

func writeKeyPair(e *env, out, skey, vkey string) error {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing the key: %w (an existing key is never overwritten)", err)
	}
	if _, err := fmt.Fprintln(f, skey); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out+".pub", []byte(vkey+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, vkey)
	return nil
}

func runWitnessKeygen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log witness-keygen", "--name NAME --out FILE")
	name := fs.String("name", "", "the witness's name (e.g. newsroom.example/witness)")
	out := fs.String("out", "", "file for the secret key; the public key goes to FILE.pub and stdout")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *out == "" {
		return usagef("log witness-keygen: --name and --out are required")
	}
	skey, vkey, err := translog.GenerateWitnessKey(*name)
	if err != nil {
		return err
	}
	return writeKeyPair(e, *out, skey, vkey)
}

// signLatest signs a checkpoint of the log as it stands, unless the latest
// one already covers every leaf. It returns the checkpoint's size.
func signLatest(ctx context.Context, d *store.DB, skey string) (int64, bool, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return 0, false, fmt.Errorf("log key: %w", err)
	}
	n, err := d.LogSize(ctx)
	if err != nil {
		return 0, false, err
	}
	if cp, err := d.LatestCheckpoint(ctx); err == nil && cp.Size >= n {
		return cp.Size, false, nil
	}
	root, err := d.LogRoot(ctx, n)
	if err != nil {
		return 0, false, err
	}
	signed, err := translog.SignCheckpoint(translog.Checkpoint{Origin: s.Name(), Size: n, Hash: root}, skey)
	if err != nil {
		return 0, false, err
	}
	if err := d.SaveCheckpoint(ctx, n, root, signed); err != nil {
		return 0, false, err
	}
	return n, true, nil
}

// checkpointer signs a checkpoint every period while the log grows, until
// ctx ends.
func checkpointer(ctx context.Context, d *store.DB, skey string, every time.Duration, logf func(string, ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, _, err := signLatest(ctx, d, skey); err != nil && ctx.Err() == nil {
			logf("signing a checkpoint: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func logKeyFlag(e *env, fs interface {
	String(string, string, string) *string
}) *string {
	def := e.getenv("VIGIL_LOG_KEY_FILE")
	return fs.String("key", def, "the log's secret key file (vigil log keygen); default $VIGIL_LOG_KEY_FILE")
}

func runLogSign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log sign", "[--db D] --key FILE")
	db := dbFlag(fs)
	key := logKeyFlag(e, fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *key == "" {
		return usagef("log sign: --key (or VIGIL_LOG_KEY_FILE) is required")
	}
	skey, err := readKeyFile(*key)
	if err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	n, signed, err := signLatest(ctx, d, skey)
	if err != nil {
		return err
	}
	if signed {
		fmt.Fprintf(e.stdout, "signed checkpoint %d\n", n)
	} else {
		fmt.Fprintf(e.stdout, "checkpoint %d already covers the log\n", n)
	}
	return nil
}

// errAudit is the audit's failure: the problems are already printed.
var errAudit = errors.New("log audit: the database does not match its log")

func runLogAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log audit", "--db D [--key PUB] [--json]")
	db := dbFlag(fs)
	key := fs.String("key", "", "the log's public key (or its file): every stored checkpoint's signature is checked too")
	asJSON := fs.Bool("json", false, "print the audit as JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	a, err := d.AuditTransparencyLog(ctx)
	if err != nil {
		return err
	}
	if *key != "" {
		vkey, err := readKeyArg(*key)
		if err != nil {
			return err
		}
		cps, err := d.Checkpoints(ctx)
		if err != nil {
			return err
		}
		for _, c := range cps {
			o, err := translog.OpenCheckpoint(c.Signed, vkey)
			if err != nil {
				a.Problems = append(a.Problems, store.LogProblem{Ref: fmt.Sprintf("checkpoint %d", c.Size), Problem: "signature: " + err.Error()})
			} else if o.Size != c.Size || o.Hash.String() != c.Root {
				a.Problems = append(a.Problems, store.LogProblem{Ref: fmt.Sprintf("checkpoint %d", c.Size), Problem: "the signed note states another size or root"})
			}
		}
	}
	if *asJSON {
		if err := printJSON(e.stdout, a); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "log: %d leaves, root %s; %d rows checked; %d signed checkpoints\n", a.Leaves, a.Root, a.Rows, a.Checkpoints)
		for _, p := range a.Problems {
			fmt.Fprintln(e.stdout, "PROBLEM", p)
		}
		if len(a.Problems) == 0 {
			fmt.Fprintln(e.stdout, "every row matches its leaf; every checkpoint matches the tree")
		}
	}
	if len(a.Problems) > 0 {
		return fmt.Errorf("%w: %d problems", errAudit, len(a.Problems))
	}
	return nil
}

// Proof is what `vigil log prove` prints: a leaf, its inclusion proof and
// the signed checkpoint it is against.
type Proof struct {
	store.LogProof
	LeafHash   string `json:"leaf_hash"`
	Checkpoint string `json:"checkpoint"`
}

func runLogProve(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log prove", "[--db D] --index N [--hash RECEIPT_HASH] [--size N]")
	db := dbFlag(fs)
	index := fs.Int64("index", -1, "the receipt's leaf index")
	hash := fs.String("hash", "", "the receipt's leaf hash: checked against the stored leaf")
	size := fs.Int64("size", 0, "prove against the signed checkpoint of this size (default: the latest)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *index < 0 {
		return usagef("log prove: --index is required")
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	var cp *store.Checkpoint
	if *size > 0 {
		cp, err = d.CheckpointAt(ctx, *size)
	} else {
		cp, err = d.LatestCheckpoint(ctx)
	}
	if err != nil {
		return err
	}
	p, err := d.ProveLeaf(ctx, *index, cp.Size)
	if err != nil {
		return err
	}
	lh := translog.LeafHash([]byte(p.Leaf)).String()
	if *hash != "" && *hash != lh {
		return fmt.Errorf("leaf %d has hash %s, not the receipt's %s: the leaf is not the one acknowledged", *index, lh, *hash)
	}
	return printJSON(e.stdout, Proof{LogProof: *p, LeafHash: lh, Checkpoint: string(cp.Signed)})
}

// httpTiles reads a log's tiles over HTTP (C2SP tlog-tiles).
type httpTiles struct {
	ctx    context.Context
	base   string
	client *http.Client
}

func (h httpTiles) Height() int { return translog.TileHeight }
func (h httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := h.get(translog.TilePath(t))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (h httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func (h httpTiles) get(p string) ([]byte, error) {
	req, err := http.NewRequestWithContext(h.ctx, "GET", h.base+"/log/"+p, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	return b, nil
}

func runLogWitness(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log witness", "URL --log-key PUB --key WITNESS_KEY_FILE --state FILE [--post] [--out FILE]")
	logKey := fs.String("log-key", "", "the log's public key (or its file)")
	key := fs.String("key", "", "the witness's secret key file (vigil log witness-keygen)")
	state := fs.String("state", "witness-state.json", "where the witness remembers the last checkpoint it cosigned of each log")
	post := fs.Bool("post", false, "send the cosignature back to the log (POST URL/log/cosignature)")
	out := fs.String("out", "", "also write the cosigned checkpoint to this file (for vigil log cosignatures)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *logKey == "" || *key == "" {
		return usagef("log witness: want URL, --log-key and --key")
	}
	base := strings.TrimSuffix(pos[0], "/")
	vkey, err := readKeyArg(*logKey)
	if err != nil {
		return err
	}
	wkey, err := readKeyFile(*key)
	if err != nil {
		return err
	}
	h := httpTiles{ctx: ctx, base: base, client: &http.Client{Timeout: 30 * time.Second}}
	msg, err := h.get("checkpoint")
	if err != nil {
		return err
	}
	o, err := translog.OpenCheckpoint(msg, vkey)
	if err != nil {
		return fmt.Errorf("%s: %w", base, err)
	}
	seen := map[string]string{}
	if b, err := os.ReadFile(*state); err == nil {
		if err := json.Unmarshal(b, &seen); err != nil {
			return fmt.Errorf("witness state %s: %w", *state, err)
		}
	}
	tree := tlog.Tree{N: o.Size, Hash: o.Hash}
	thr := tlog.TileHashReader(tree, h)
	// The tiles must hash up to the signed root: TileHashReader checks
	// every tile it reads against the tree; reading the root proves them.
	if o.Size > 0 {
		if root, err := tlog.TreeHash(o.Size, thr); err != nil || root != o.Hash {
			return fmt.Errorf("%s: the tiles do not hash to the signed root: %v", base, err)
		}
	}
	if old, ok := seen[o.Origin]; ok {
		prev, err := translog.OpenCheckpoint([]byte(old), vkey)
		if err != nil {
			return fmt.Errorf("witness state: %w", err)
		}
		if o.Size < prev.Size {
			return fmt.Errorf("%s: REFUSED: checkpoint %d is smaller than %d, which this witness cosigned: the log went back", o.Origin, o.Size, prev.Size)
		}
		if o.Size == prev.Size && o.Hash != prev.Hash {
			return fmt.Errorf("%s: REFUSED: two different roots for %d leaves (%s, cosigned before, and %s): the log forked", o.Origin, o.Size, prev.Hash, o.Hash)
		}
		if prev.Size > 0 && o.Size > prev.Size {
			p, err := tlog.ProveTree(o.Size, prev.Size, thr)
			if err != nil {
				return fmt.Errorf("%s: consistency proof from %d to %d: %w", o.Origin, prev.Size, o.Size, err)
			}
			if err := tlog.CheckTree(p, o.Size, o.Hash, prev.Size, prev.Hash); err != nil {
				return fmt.Errorf("%s: REFUSED: checkpoint %d is not an extension of %d, which this witness cosigned: history was rewritten (%v)", o.Origin, o.Size, prev.Size, err)
			}
		}
	}
	cosigned, line, err := translog.Cosign(msg, wkey)
	if err != nil {
		return err
	}
	seen[o.Origin] = string(msg)
	b, _ := json.MarshalIndent(seen, "", "  ")
	if err := os.WriteFile(*state, b, 0o644); err != nil {
		return err
	}
	if *out != "" {
		if err := os.WriteFile(*out, cosigned, 0o644); err != nil {
			return err
		}
	}
	if *post {
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/log/cosignature", bytes.NewReader(cosigned))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		resp, err := h.client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("posting the cosignature: %s: %s", resp.Status, strings.TrimSpace(string(body)))
		}
	}
	fmt.Fprintf(e.stdout, "cosigned %s checkpoint %d (root %s)\n%s", o.Origin, o.Size, o.Hash, line)
	return nil
}

func runLogCosignatures(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log cosignatures", "[--db D] --log-key PUB --witness PUB... FILE...")
	db := dbFlag(fs)
	logKey := fs.String("log-key", "", "the log's public key (or its file)")
	var witnesses multiFlag
	fs.Var(&witnesses, "witness", "a witness's public key (or its file); repeat for several")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *logKey == "" || len(witnesses) == 0 || len(files) == 0 {
		return usagef("log cosignatures: want --log-key, --witness and files")
	}
	vkey, err := readKeyArg(*logKey)
	if err != nil {
		return err
	}
	var wkeys []string
	for _, w := range witnesses {
		k, err := readKeyArg(w)
		if err != nil {
			return err
		}
		wkeys = append(wkeys, k)
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		n, err := addCosignatures(ctx, d, b, vkey, wkeys)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fmt.Fprintf(e.stdout, "%s: %d cosignatures added\n", f, n)
	}
	return nil
}

// addCosignatures verifies a cosigned checkpoint and stores the
// cosignatures of the known witnesses on it.
func addCosignatures(ctx context.Context, d *store.DB, msg []byte, vkey string, witnesses []string) (int, error) {
	o, err := translog.OpenCheckpoint(msg, vkey, witnesses...)
	if err != nil {
		return 0, err
	}
	cp, err := d.CheckpointAt(ctx, o.Size)
	if err != nil {
		return 0, fmt.Errorf("checkpoint %d: %w", o.Size, err)
	}
	if cp.Root != o.Hash.String() {
		return 0, fmt.Errorf("checkpoint %d: the cosigned root is not this log's", o.Size)
	}
	n := 0
	for _, s := range o.Note.Sigs {
		for _, w := range o.Witnesses {
			if s.Name == w {
				if err := d.AddCosignature(ctx, o.Size, s.Name, fmt.Sprintf("— %s %s\n", s.Name, s.Base64)); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	if n == 0 {
		return 0, errors.New("no cosignature of a known witness")
	}
	return n, nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runLogBundle(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "log bundle", "results|findings|recommendations [--db D] --election NAME [--source S] [--stations] [--publication ID] [--report ID] --out FILE")
	db := dbFlag(fs)
	elName := fs.String("election", "", "the election (results, findings)")
	source := fs.String("source", string(election.OfficialFinal), "the results' source (results)")
	stations := fs.Bool("stations", false, "include every station's figures: the open data (results)")
	pubID := fs.Int64("publication", 0, "the publication's id (findings)")
	reportID := fs.Int64("report", 0, "the follow-up report's id (recommendations)")
	out := fs.String("out", "", "the bundle file (default: stdout)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("log bundle: say results, findings or recommendations")
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	var b *translog.Bundle
	switch pos[0] {
	case "results", "findings":
		el, err := d.ElectionByName(ctx, *elName)
		if err != nil {
			return err
		}
		if pos[0] == "results" {
			b, err = d.ResultsBundle(ctx, el.ID, election.Source(*source), *stations)
		} else {
			b, err = d.FindingsBundle(ctx, el.ID, *pubID)
		}
		if err != nil {
			return err
		}
	case "recommendations":
		b, err = d.RecommendationsBundle(ctx, *reportID)
		if err != nil {
			return err
		}
	default:
		return usagef("log bundle: unknown kind %q", pos[0])
	}
	w := e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return json.NewEncoder(w).Encode(b)
}

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify", "BUNDLE --key PUB [--witness PUB]...")
	key := fs.String("key", "", "the log's public key (or its file), obtained from the mission by a channel you trust")
	var witnesses multiFlag
	fs.Var(&witnesses, "witness", "a witness's public key (or its file) whose cosignature you require; repeat for several")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *key == "" {
		return usagef("verify: want BUNDLE and --key")
	}
	vkey, err := readKeyArg(*key)
	if err != nil {
		return err
	}
	var wkeys []string
	for _, w := range witnesses {
		k, err := readKeyArg(w)
		if err != nil {
			return err
		}
		wkeys = append(wkeys, k)
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	var b translog.Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("bundle %s: %w", pos[0], err)
	}
	t0 := time.Now()
	v, err := translog.VerifyBundle(&b, vkey, wkeys...)
	if err != nil {
		return fmt.Errorf("bundle %s: NOT VERIFIED: %w", pos[0], err)
	}
	// A witness the reader named must have cosigned.
	for _, w := range wkeys {
		name, _, _ := strings.Cut(w, "+")
		found := false
		for _, got := range v.Witnesses {
			found = found || got == name
		}
		if !found {
			return fmt.Errorf("bundle %s: NOT VERIFIED: witness %s has not cosigned its checkpoint", pos[0], name)
		}
	}
	if *asJSON {
		return printJSON(e.stdout, v)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", v.Title, v.Summary())
	for _, c := range v.Checks {
		fmt.Fprintln(e.stdout, "  ok:", c)
	}
	fmt.Fprintf(e.stdout, "checked in %s\n", time.Since(t0).Round(time.Millisecond))
	return nil
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
)

// Official publications captured: the election administration's results
// page or file, fetched and kept in every distinct version with the time
// and hash in the transparency log, so that a result altered after it was
// first published is proved altered (docs/evidence.md).
func init() {
	register(command{name: "capture", summary: "fetch an official publication once; keep it if it changed, with its hash in the log", run: runCapture})
	register(command{name: "watch", summary: "capture an official publication every few minutes, flagging changes", run: runWatch})
}

// maxCapture bounds a fetched document: a results file of a whole country
// is tens of megabytes at most.
const maxCapture = 256 << 20

type captureOpts struct {
	db, url, election, mapping, source *string
}

func captureFlags(e *env, name, usage string) (*flag.FlagSet, captureOpts) {
	fs := newFlags(e, name, usage)
	o := captureOpts{
		db:       dbFlag(fs),
		url:      fs.String("url", "", "the official page or file (http or https)"),
		election: fs.String("election", "", "the election it belongs to (needed with --mapping)"),
		mapping:  fs.String("mapping", "", "import each new version as an official batch with this column mapping (docs/import.md)"),
		source:   fs.String("source", "official-preliminary", "the source of imported versions"),
	}
	return fs, o
}

func runCapture(ctx context.Context, e *env, args []string) error {
	fs, o := captureFlags(e, "capture", "--url URL [--db D] [--election NAME --mapping MAP.json [--source S]]")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	d, err := store.Open(ctx, *o.db)
	if err != nil {
		return err
	}
	defer d.Close()
	return captureOnce(ctx, e, d, o)
}

func runWatch(ctx context.Context, e *env, args []string) error {
	fs, o := captureFlags(e, "watch", "--url URL --every 5m [--db D] [--election NAME --mapping MAP.json]")
	every := fs.Duration("every", 5*time.Minute, "how often to fetch")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if *every < time.Second {
		return usagef("watch: --every must be at least 1s")
	}
	d, err := store.Open(ctx, *o.db)
	if err != nil {
		return err
	}
	defer d.Close()
	t := time.NewTicker(*every)
	defer t.Stop()
	for {
		// A failed fetch is reported and tried again next time: the
		// administration's site being down is no reason to stop watching.
		if err := captureOnce(ctx, e, d, o); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(e.stderr, "vigil watch: %s: %v\n", *o.url, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (o captureOpts) check() error {
	u, err := url.Parse(*o.url)
	if *o.url == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return usagef("--url: want an http or https address")
	}
	if *o.mapping != "" && *o.election == "" {
		return usagef("--mapping needs --election")
	}
	return nil
}

// captureOnce fetches the URL and stores it if it differs from the last
// version; a change after the first version is flagged, with what changed.
func captureOnce(ctx context.Context, e *env, d *store.DB, o captureOpts) error {
	req, err := http.NewRequestWithContext(ctx, "GET", *o.url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", *o.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetching %s: %s", *o.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCapture+1))
	if err != nil {
		return fmt.Errorf("fetching %s: %w", *o.url, err)
	}
	if len(body) > maxCapture {
		return fmt.Errorf("fetching %s: more than %d bytes", *o.url, maxCapture)
	}
	sum := sha256.Sum256(body)
	c := &store.Capture{URL: *o.url, Fetched: time.Now().UTC(), SHA256: hex.EncodeToString(sum[:]), Size: len(body), ContentType: resp.Header.Get("Content-Type"), Body: body}
	prev, err := d.LatestCapture(ctx, *o.url)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if prev != nil && prev.SHA256 == c.SHA256 {
		fmt.Fprintf(e.stdout, "%s: unchanged since %s (sha256 %s)\n", *o.url, prev.Fetched.Format(time.RFC3339), c.SHA256)
		return nil
	}
	if *o.election != "" {
		el, err := d.ElectionByName(ctx, *o.election)
		if err == nil {
			c.ElectionID = el.ID
		} else if !errors.Is(err, store.ErrNotFound) || *o.mapping == "" {
			return err
		}
	}
	var importErr error
	if *o.mapping != "" {
		c.BatchID, importErr = importCapture(ctx, e, o, body)
		if importErr == nil && c.ElectionID == 0 {
			if el, err := d.ElectionByName(ctx, *o.election); err == nil {
				c.ElectionID = el.ID
			}
		}
	}
	stored, err := d.SaveCapture(ctx, c)
	if err != nil {
		return err
	}
	if !stored {
		fmt.Fprintf(e.stdout, "%s: unchanged (sha256 %s)\n", *o.url, c.SHA256)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s: captured version %d at %s, %d bytes, sha256 %s, log leaf %d\n", *o.url, c.ID, c.Fetched.Format(time.RFC3339), c.Size, c.SHA256, c.Receipt.Index)
	if prev != nil {
		first, err := d.Captures(ctx, *o.url)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "CHANGED after first publication: first captured %s (sha256 %s); previous version %s (sha256 %s); now %s\n",
			first[0].Fetched.Format(time.RFC3339), first[0].SHA256, prev.Fetched.Format(time.RFC3339), prev.SHA256, c.SHA256)
		for _, l := range lineDiff(prev.Body, body, 20) {
			fmt.Fprintln(e.stdout, "  "+l)
		}
	}
	if importErr != nil {
		return fmt.Errorf("the new version was kept, but importing it failed: %w", importErr)
	}
	return nil
}

// importCapture imports a captured version through vigil import, from a
// temporary file named like the URL's (the reader picks the format by the
// extension).
func importCapture(ctx context.Context, e *env, o captureOpts, body []byte) (int64, error) {
	u, err := url.Parse(*o.url)
	if err != nil {
		return 0, fmt.Errorf("capture URL %q: %w", *o.url, err)
	}
	ext := strings.ToLower(path.Ext(u.Path))
	if ext != ".xlsx" && ext != ".csv" {
		ext = ".csv"
	}
	dir, err := os.MkdirTemp("", "vigil-capture")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "capture"+ext)
	if err := os.WriteFile(f, body, 0o600); err != nil {
		return 0, err
	}
	var out bytes.Buffer
	ie := &env{getenv: e.getenv, stdin: e.stdin, stdout: &out, stderr: e.stderr}
	if err := runImport(ctx, ie, []string{"--db", *o.db, "--election", *o.election, "--source", *o.source, "--mapping", *o.mapping, f, "--json"}); err != nil {
		return 0, err
	}
	var b struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(out.Bytes(), &b); err != nil {
		return 0, err
	}
	return b.ID, nil
}

// lineDiff lists, for text, the lines removed (-) and added (+) between
// two versions, at most max of them: what changed, for the flag.
func lineDiff(a, b []byte, max int) []string {
	count := func(x []byte) map[string]int {
		m := map[string]int{}
		sc := bufio.NewScanner(bytes.NewReader(x))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			m[sc.Text()]++
		}
		return m
	}
	ca, cb := count(a), count(b)
	var out []string
	emit := func(prefix string, x []byte, mine, other map[string]int) {
		sc := bufio.NewScanner(bytes.NewReader(x))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if mine[l] > other[l] {
				mine[l]--
				if len(out) < max {
					out = append(out, prefix+" "+l)
				} else if len(out) == max {
					out = append(out, "…")
				}
			}
		}
	}
	emit("-", a, ca, cb)
	ca, cb = count(a), count(b)
	emit("+", b, cb, ca)
	return out
}

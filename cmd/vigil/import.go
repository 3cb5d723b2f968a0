package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/gcpace"
	"github.com/vigil-elections/vigil/internal/ingest"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "import", summary: "import polling-station results from CSV or XLSX", run: runImport})
}

func runImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import", "--db D --election NAME --source SOURCE --mapping MAP.json FILE [--skip-invalid REPORT] [--json]")
	db := dbFlag(fs)
	name := fs.String("election", "", "election name (created if new)")
	source := fs.String("source", "", "official-final, official-preliminary, observer, recount or summary")
	mapping := fs.String("mapping", "", "JSON column mapping (docs/import.md)")
	skip := fs.String("skip-invalid", "", "import the valid rows and write the rejected ones, with reasons, to this CSV file")
	kind := fs.String("kind", "presidential", "kind of a new election: presidential, party-list, referendum, single-member")
	country := fs.String("country", "", "country code of a new election (ISO 3166-1 alpha-2)")
	date := fs.String("date", "", "election day of a new election (YYYY-MM-DD)")
	asJSON := fs.Bool("json", false, "print the batch as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("import takes one file (got %d)", len(pos))
	}
	var missing []string
	for _, f := range []struct{ flag, value string }{{"--election", *name}, {"--source", *source}, {"--mapping", *mapping}} {
		if f.value == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return usagef("import: missing %s (import needs --election, --source and --mapping)", strings.Join(missing, " and "))
	}
	src, err := election.ParseSource(*source)
	if err != nil {
		return usageError{err.Error()}
	}
	defer gcpace.Set(e.getenv, gcpace.Import)()
	file := pos[0]
	m, err := ingest.LoadMapping(*mapping)
	if err != nil {
		return err
	}
	sum, err := fileSHA256(file)
	if err != nil {
		return err
	}
	rd, err := ingest.Open(file, m)
	if err != nil {
		return err
	}
	defer rd.Close()

	var report *csv.Writer
	var reportFile *os.File
	if *skip != "" {
		reportFile, err = os.Create(*skip)
		if err != nil {
			return err
		}
		defer reportFile.Close()
		report = csv.NewWriter(reportFile)
		report.Write([]string{"file", "line", "column", "value", "expected"})
	}

	rejected := 0
	next := func() (store.Row, error) {
		for {
			r, err := rd.Next()
			var re *ingest.RowError
			if report != nil && errors.As(err, &re) {
				rejected++
				report.Write([]string{re.File, strconv.Itoa(re.Line), re.Column, re.Value, re.Expected})
				continue
			}
			if err != nil {
				return store.Row{}, err
			}
			return store.Row{Line: r.Line, Path: r.Path, Attrs: r.Attrs, Figures: r.Figures, Votes: r.Votes}, nil
		}
	}
	// Read the first row before touching the database: a file with a header
	// and nothing under it (or only rejected rows) imports nothing, and must
	// not leave a new election or database behind as if it had.
	first, err := next()
	if errors.Is(err, io.EOF) {
		if rejected > 0 {
			err = fmt.Errorf("import %s: every row was rejected (%d, listed in %s): nothing imported", file, rejected, *skip)
		} else {
			err = fmt.Errorf("import %s: no rows under the header: nothing imported", file)
		}
	}
	if err != nil {
		if report != nil {
			report.Flush()
		}
		return err
	}
	pending := &first
	pr := newProgress(e, "import "+filepath.Base(file), *asJSON)
	read := 0
	rows := func() (store.Row, error) {
		read++
		pr.update(read, 0, "rows read")
		if r := pending; r != nil {
			pending = nil
			return *r, nil
		}
		return next()
	}

	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	// The batch's lease (docs/import.md): the tests that kill imports
	// shorten it so that the next open sweeps the dead import's rows soon.
	d.ImportLease = store.ParseImportLease(e.getenv("VIGIL_IMPORT_LEASE"))
	// A new election is created inside the import's transaction, so that
	// a failed import leaves none behind. An existing one is used as it
	// is: --kind, --country or --date that contradict it are an error
	// rather than silently ignored (change an election with its own
	// commands, or import under another name).
	req := store.ImportRequest{Source: src, File: filepath.Base(file), SHA256: sum, Options: rd.Options(), AreaLevels: m.Levels()}
	el, err := d.ElectionByName(ctx, *name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		el = &election.Election{Name: *name, Kind: election.Kind(*kind), Country: *country, Date: *date}
		req.Create = el
	case err != nil:
		return err
	default:
		if err := sameElection(fs, el); err != nil {
			return err
		}
		req.ElectionID = el.ID
	}
	req.Rejected = func() int { return rejected }
	b, err := d.Import(ctx, req, rows)
	pr.done()
	if err != nil {
		if report != nil {
			// The import stored nothing: leave no report that suggests otherwise.
			reportFile.Close()
			os.Remove(*skip)
		}
		return err
	}
	if report != nil {
		report.Flush()
		if err := report.Error(); err != nil {
			return fmt.Errorf("writing %s: %w", *skip, err)
		}
	}
	if *asJSON {
		return printJSON(e.stdout, b)
	}
	fmt.Fprintf(e.stdout, "imported %d protocols (%s) into %q as batch %d", b.Rows, src, el.Name, b.ID)
	if report != nil {
		fmt.Fprintf(e.stdout, "; %d rows rejected, listed in %s", rejected, *skip)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// sameElection refuses --kind, --country or --date given for an existing
// election with other values than it has.
func sameElection(fs *flag.FlagSet, el *election.Election) error {
	var diffs []string
	fs.Visit(func(f *flag.Flag) {
		var have string
		switch f.Name {
		case "kind":
			have = string(el.Kind)
		case "country":
			have = el.Country
		case "date":
			have = el.Date
		default:
			return
		}
		if v := f.Value.String(); v != have {
			diffs = append(diffs, fmt.Sprintf("--%s %s (it has %q)", f.Name, v, have))
		}
	})
	if len(diffs) > 0 {
		return fmt.Errorf("election %q exists and differs: %s; nothing was imported (drop the flag to import into it, or give another --election name)",
			el.Name, strings.Join(diffs, ", "))
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

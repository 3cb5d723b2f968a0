package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vigil-elections/vigil/internal/store"
)

// Backups, restores and moves between engines. A backup is always a
// SQLite file, whatever the engine served: from SQLite it is the online
// copy VACUUM INTO makes while vigil serves (a consistent snapshot, the
// writers not stopped), from PostgreSQL the logical copy of every table
// from one repeatable-read snapshot. So one format restores into either
// engine, and a backup can be opened and inspected with vigil itself.

func init() {
	register(command{name: "backup", summary: "write a consistent backup of a database (served or not) to a SQLite file", run: runBackup})
	register(command{name: "restore", summary: "restore a backup into an empty database (SQLite or PostgreSQL)", run: runRestore})
	register(command{name: "copy", summary: "copy everything from one database into an empty one (SQLite ⇄ PostgreSQL), verified", run: runCopy})
}

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup", "--db D OUT [--json]")
	db := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print the tables' counts and checksums as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("backup: give one output file")
	}
	out := pos[0]
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("backup: %s exists; a backup never overwrites a file", out)
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	// Written under a temporary name and renamed when complete, so that
	// OUT is either a whole backup or absent.
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".partial")
	os.Remove(tmp)
	defer os.Remove(tmp)
	if err := store.Backup(ctx, d, tmp); err != nil {
		return fmt.Errorf("backup of %s: %w", d.Addr, err)
	}
	// Read the backup back: it opens, its pages are sound, its tables
	// count and checksum.
	b, err := store.Open(ctx, tmp)
	if err != nil {
		return fmt.Errorf("the backup does not open: %w", err)
	}
	if err := b.IntegrityCheck(ctx); err != nil {
		b.Close()
		return fmt.Errorf("the backup fails its integrity check: %w", err)
	}
	sums, err := store.Sums(ctx, b)
	b.Close()
	if err != nil {
		return err
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	return printSums(e, *asJSON, fmt.Sprintf("backup of %s written to %s", d.Addr, out), sums)
}

func runRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "restore", "--db D IN [--json]")
	db := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print the tables' counts and checksums as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("restore: give one backup file")
	}
	// Opening a database brings its schema up to date; a backup of an
	// older vigil is upgraded in a scratch copy, never in place.
	in, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	scratch, err := os.MkdirTemp("", "vigil-restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	tmp := filepath.Join(scratch, "backup.db")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore: reading %s: %w", pos[0], err)
	}
	return copyDB(ctx, e, tmp, *db, *asJSON, "restored "+pos[0]+" (%.0s) into %s")
}

func runCopy(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "copy", "--from D1 --to D2 [--json]")
	from := fs.String("from", "", "the database to copy: a SQLite file or postgres://…")
	to := fs.String("to", "", "the empty database to fill: a SQLite file (created) or postgres://…")
	asJSON := fs.Bool("json", false, "print the tables' counts and checksums as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *from == "" || *to == "" || len(pos) > 0 {
		return usagef("copy: give --from and --to (and nothing else)")
	}
	if !store.IsPostgresAddr(*from) {
		if _, err := os.Stat(*from); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
	}
	return copyDB(ctx, e, *from, *to, *asJSON, "copied %s into %s")
}

func copyDB(ctx context.Context, e *env, fromAddr, toAddr string, asJSON bool, done string) error {
	from, err := store.Open(ctx, fromAddr)
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := store.Open(ctx, toAddr)
	if err != nil {
		return err
	}
	defer to.Close()
	rep, err := store.Copy(ctx, from, to)
	if err != nil {
		return err
	}
	return printSums(e, asJSON, fmt.Sprintf(done, from.Addr, to.Addr), rep.Tables)
}

func printSums(e *env, asJSON bool, head string, sums []store.TableSum) error {
	var rows int64
	for _, s := range sums {
		rows += s.Rows
	}
	if asJSON {
		return printJSON(e.stdout, map[string]any{"message": head, "rows": rows, "tables": sums})
	}
	fmt.Fprintf(e.stdout, "%s: %d rows in %d tables, verified\n", head, rows, len(sums))
	w := e.stdout
	for _, s := range sums {
		fmt.Fprintf(w, "  %-24s %10d  %s\n", s.Table, s.Rows, s.Checksum)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

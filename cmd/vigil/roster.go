package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "roster import", summary: "import an observer roster (CSV: id, name, phone, organisation, team, area)", run: runRosterImport})
}

func runRosterImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "roster import", "FILE.csv --org NAME [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME` the observers belong to (created when new)")
	kind := fs.String("org-kind", "domestic", "kind of a new organisation: domestic or international")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 1 {
		return usagef("roster import: give one CSV file and --org")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	// Parse before opening the database: a bad file changes nothing.
	obs, err := observe.ParseRoster(f, filepath.Base(pos[0]), *org)
	if err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	o, err := d.EnsureOrganisation(ctx, *org, *kind)
	if err != nil {
		return err
	}
	created, updated, err := d.ImportRoster(ctx, o.ID, obs, cliEntry(o.ID, "roster.import", filepath.Base(pos[0]), nil))
	if err != nil {
		return err
	}
	teams := map[string]bool{}
	for _, ob := range obs {
		if ob.Team != "" {
			teams[ob.Team] = true
		}
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"organisation": o.Name, "observers": len(obs), "created": created, "updated": updated, "teams": len(teams)})
	}
	fmt.Fprintf(e.stdout, "%s: %d observer(s) in %d team(s): %d new, %d updated\n", o.Name, len(obs), len(teams), created, updated)
	return nil
}

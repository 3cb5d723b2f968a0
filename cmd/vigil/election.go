package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "elections", summary: "list the elections in a database", run: runElections})
	register(command{name: "election config", summary: "show or set an election's control settings (tolerances, essential figures)", run: runElectionConfig})
}

func runElections(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "elections", "[--db D] [--json]")
	db := dbFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	es, err := d.Elections(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"elections": es})
	}
	for _, el := range es {
		fmt.Fprintf(e.stdout, "%-24s %-13s %s %s, %d options\n", el.Name, el.Kind, el.Country, el.Date, len(el.Options))
	}
	return nil
}

// runElectionConfig replaces an election's settings with a JSON file (the
// form docs/controls.md shows), or prints them.
func runElectionConfig(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "election config", "--db D --election NAME [--set CONFIG.json]")
	db := dbFlag(fs)
	name := fs.String("election", "", "election name")
	set := fs.String("set", "", "a JSON file with the new settings: {\"tolerances\": {CODE: {\"absolute\": n, \"relative\": x}}, \"essential\": [...]}")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return usagef("name the election with --election")
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	el, err := d.ElectionByName(ctx, *name)
	if err != nil {
		return err
	}
	if *set != "" {
		b, err := os.ReadFile(*set)
		if err != nil {
			return err
		}
		var cfg election.Config
		dec := json.NewDecoder(bytesReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return fmt.Errorf("%s: %w", *set, err)
		}
		if cfg.AreaLevels == nil {
			cfg.AreaLevels = el.Config.AreaLevels
		}
		if err := election.ValidateConfig(cfg); err != nil {
			return fmt.Errorf("%s: %w", *set, err)
		}
		if err := d.UpdateConfig(ctx, el.ID, cfg); err != nil {
			return err
		}
		el.Config = cfg
	}
	return printJSON(e.stdout, el.Config)
}

package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "deploy draw", summary: "draw a stratified random sample of stations from a published seed and assign teams", run: runDeployDraw})
}

func runDeployDraw(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "deploy draw", "--org NAME --election NAME --seed S --size N [--strata region,urban,size] [--no-assign] [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	elName := fs.String("election", "", "election `NAME`")
	seed := fs.String("seed", "", "the published seed (any text: the draw is reproducible from it)")
	size := fs.Int("size", 0, "number of stations to draw")
	strata := fs.String("strata", "region", "stratification `VARS`, comma-separated: region, urban, size (\"\" for none); every stratum gets --min-per-stratum, so a small --size draws more")
	minPer := fs.Int("min-per-stratum", 1, "stations at least in every stratum")
	noAssign := fs.Bool("no-assign", false, "draw only; do not assign the organisation's teams")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" || *elName == "" || *seed == "" || *size < 1 {
		return usagef("deploy draw: --org, --election, --seed and --size are required")
	}
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	el, err := d.ElectionByName(ctx, *elName)
	if err != nil {
		return err
	}
	var vars []string
	for _, v := range strings.Split(*strata, ",") {
		if v = strings.TrimSpace(v); v != "" {
			vars = append(vars, v)
		}
	}
	dep, err := observe.DrawSample(ctx, d, o.ID, el.ID, observe.DrawOptions{Seed: *seed, Size: *size, Strata: vars, MinPerStratum: *minPer})
	if err != nil {
		return err
	}
	var assignments []store.Assignment
	if !*noAssign {
		teams, err := d.Teams(ctx, o.ID)
		if err != nil {
			return err
		}
		areas, err := d.Areas(ctx, el.ID)
		if err != nil {
			return err
		}
		byID := map[int64]*election.Area{}
		for i := range areas {
			byID[areas[i].ID] = &areas[i]
		}
		if assignments, err = observe.AssignTeams(dep, byID, teams); err != nil {
			return err
		}
	}
	if err := d.Deploy(ctx, dep, assignments, cliEntry(o.ID, "deployment.draw", "", map[string]any{"seed": *seed, "size": *size, "strata": vars})); err != nil {
		return err
	}
	note := drawNote(dep, *size, vars, *minPer)
	if *asJSON {
		out := map[string]any{"deployment": dep, "assignments": len(assignments)}
		if note != "" {
			out["note"] = note
		}
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "deployment %d: %d station(s) drawn with seed %q, %d assignment(s)\n", dep.ID, len(dep.Stations), *seed, len(assignments))
	if note != "" {
		fmt.Fprintln(e.stdout, note)
	}
	return nil
}

// drawNote explains a draw of another size than asked for: every stratum
// gets its minimum, so many strata and a small --size draw more.
func drawNote(dep *store.Deployment, size int, strata []string, minPer int) string {
	if len(dep.Stations) == size {
		return ""
	}
	n := map[string]bool{}
	for _, s := range dep.Stations {
		n[s.Stratum] = true
	}
	by := strings.Join(strata, ", ")
	if by == "" {
		by = "none"
	}
	return fmt.Sprintf("note: %d stations drawn, not the %d asked for: each of the %d strata (by %s) gets at least %d (--min-per-stratum); "+
		"for exactly %d, draw without strata (--strata \"\") or ask for at least %d",
		len(dep.Stations), size, len(n), by, max(minPer, 1), size, len(n)*max(minPer, 1))
}

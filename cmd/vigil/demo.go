package main

import (
	"context"
	"fmt"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/recommend"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "demo", summary: "write a synthetic Kazakhstan-like election and serve it", run: runDemo})
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "[--db D] [--seed N] [--no-serve] [--addr HOST:PORT]")
	db := dbFlag(fs)
	addr := fs.String("addr", defaultAddr, "address to serve on")
	seed := fs.Uint64("seed", 2022, "random seed: the same seed writes the same election")
	noServe := fs.Bool("no-serve", false, "only write the database")
	asJSON := fs.Bool("json", false, "print a summary as JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	start := time.Now()
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	el := demo.Generate(*seed, demo.DefaultParams)
	stored, err := demo.Write(ctx, d, el)
	if err != nil {
		return err
	}
	// The observers' copies of the protocols are imported by Write; the
	// observation adds the mission, its deployment and the reports.
	obs, err := observe.SeedDemo(ctx, d, stored.ID, *seed, demo.ObservationFacts(el))
	if err != nil {
		return fmt.Errorf("seeding the observation: %w", err)
	}
	// The history of recommendations to the country, owned by the same
	// mission, whose 2022 cycle observed this election: proposals then read
	// its results and its observers' findings.
	recs, err := recommend.SeedDemo(ctx, d, recommend.SeedOptions{Country: "KZ", Organisation: obs.Organisation,
		Elections: map[int]string{2022: stored.Name}})
	if err != nil {
		return fmt.Errorf("seeding the recommendations: %w", err)
	}
	// The mission publishes its findings, as it would the morning after.
	o, err := d.OrganisationByName(ctx, obs.Organisation)
	if err != nil {
		return err
	}
	if _, err := observe.Publish(ctx, d, access.Principal{Role: access.Analyst, OrgID: o.ID, Name: "demo"}, stored.ID, "demo"); err != nil {
		return fmt.Errorf("publishing the demo's findings: %w", err)
	}
	sum := demo.Summarise(el)
	if *asJSON {
		if err := printJSON(e.stdout, map[string]any{"database": d.Addr, "election": stored.Name, "seed": *seed, "summary": sum, "observation": obs, "recommendations": recs}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "vigil demo: wrote election %q to %s in %s (seed %d)\n", stored.Name, d.Addr, time.Since(start).Round(time.Millisecond), *seed)
		fmt.Fprintf(e.stdout, "  %d stations, %d registered voters, official turnout %.2f %%, incumbent %.2f %%\n",
			sum.Stations, sum.Registered, sum.OfficialTurnout, sum.OfficialIncumbentShare)
		fmt.Fprintf(e.stdout, "  injected: %d stuffed stations, %d altered protocols, %d inflated districts, %d padded district summaries; %d stations observed\n",
			sum.StuffedStations, sum.AlteredProtocols, sum.InflatedDistricts, sum.PaddedSummaries, sum.ObservedStations)
		fmt.Fprintf(e.stdout, "  observation: %q, %d observers in %d teams, %d reports (%d in conflict)\n",
			obs.Organisation, obs.Observers, obs.Teams, obs.Reports, obs.Conflicts)
		if recs.Recommendations > 0 {
			fmt.Fprintf(e.stdout, "  recommendations: %d missions to KZ, %d reports, %d recommendations, %d assessments (see /recommendations?country=KZ)\n",
				recs.Missions, recs.Reports, recs.Recommendations, recs.Assessments)
		}
		// Someone to log in as, and a token to try the reports API with:
		// created through the same commands a mission would use.
		if err := runUserAdd(ctx, e, []string{"--db", *db, "--org", obs.Organisation, "--username", "admin", "--name", "Demo administrator", "--role", "administrator"}); err != nil {
			fmt.Fprintf(e.stdout, "  (user admin not created: %v)\n", err)
		}
		if err := runTokenCreate(ctx, e, []string{"--db", *db, "--org", obs.Organisation, "--observer", "00001", "--label", "demo"}); err != nil {
			fmt.Fprintf(e.stdout, "  (no observer token: %v)\n", err)
		}
	}
	if *noServe {
		return nil
	}
	// The demo serves with serve's defaults and environment, without a
	// metrics listener (a second demo would find its port taken).
	cfg, _, err := loadServeConfig(e, "demo", []string{"--addr", *addr, "--metrics-addr", ""})
	if err != nil {
		return err
	}
	return serveDB(ctx, e, d, cfg, newLogger(e.stderr, cfg.LogFormat, cfg.LogLevel))
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/translog"
)

// demoKeyPath is where the demo keeps its log key: beside a SQLite file,
// in the working directory for a PostgreSQL database.
func demoKeyPath(db string) string {
	if store.IsPostgresAddr(db) {
		return "vigil-demo.logkey"
	}
	return db + ".logkey"
}

func init() {
	register(command{name: "demo", summary: "write a synthetic Kazakhstan-like election and serve it", run: runDemo})
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "[--db D] [--seed N] [--stations N [--observers M]] [--no-serve] [--addr HOST:PORT]")
	db := dbFlag(fs)
	addr := fs.String("addr", defaultAddr, "address to serve on")
	seed := fs.Uint64("seed", 2022, "random seed: the same seed writes the same election")
	noServe := fs.Bool("no-serve", false, "only write the database")
	lo := logServeFlags(e, fs)
	asJSON := fs.Bool("json", false, "print a summary as JSON")
	stations := fs.Int("stations", 0, "generate an election of `N` stations instead of the demo (scale tests; up to millions, streamed)")
	observers := fs.Int("observers", 0, "with --stations: `M` observers, two to a station")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	start := time.Now()
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	if *stations > 0 || *observers > 0 {
		if *stations == 0 {
			return usagef("--observers needs --stations")
		}
		if !*noServe {
			return usagef("--stations writes the database only: give --no-serve, then vigil serve --db %s", *db)
		}
		sum, err := demo.WriteScale(ctx, d, demo.Scale{Seed: *seed, Stations: *stations, Observers: *observers})
		if err != nil {
			return err
		}
		if *asJSON {
			if err := printJSON(e.stdout, sum); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(e.stdout, "vigil demo: wrote election %q to %s in %s (seed %d): %d stations in %d districts, %d regions\n",
				sum.Election, d.Addr, time.Since(start).Round(time.Millisecond), *seed, sum.Stations, sum.Districts, sum.Regions)
			if o := sum.Observation; o != nil {
				fmt.Fprintf(e.stdout, "  observation: %q, %d observers in %d teams, %d reports\n", o.Organisation, o.Observers, o.Teams, o.Reports)
			}
		}
		return nil
	}
	el := demo.Generate(*seed, demo.DefaultParams)
	stored, err := demo.Write(ctx, d, el)
	if err != nil {
		return err
	}
	// The observers' copies of the protocols are imported by Write; the
	// observation adds the mission, its deployment and the reports.
	obs, err := demo.SeedObservation(ctx, d, stored.ID, *seed, demo.ObservationFacts(el))
	if err != nil {
		return fmt.Errorf("seeding the observation: %w", err)
	}
	// The history of recommendations to the country, owned by the same
	// mission, whose 2022 cycle observed this election: proposals then read
	// its results and its observers' findings.
	recs, err := demo.SeedRecommendations(ctx, d, demo.RecommendationOptions{Country: "KZ", Organisation: obs.Organisation,
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
	admin, err := demoAdmin(ctx, e, d, o)
	if err != nil {
		return fmt.Errorf("the demo's administrator: %w", err)
	}
	sum := demo.Summarise(el)
	if *asJSON {
		admin.LoginURL = browseURL(*addr) + "/login"
		if err := printJSON(e.stdout, map[string]any{"database": d.Addr, "election": stored.Name, "seed": *seed, "summary": sum, "observation": obs, "recommendations": recs, "administrator": admin}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "vigil demo: wrote election %q to %s in %s (seed %d)\n", stored.Name, d.Addr, time.Since(start).Round(time.Millisecond), *seed)
		fmt.Fprintf(e.stdout, "  %d stations, %d registered voters, official turnout %.2f %% (ballots issued ÷ registered), incumbent %.2f %% of valid votes\n",
			sum.Stations, sum.Registered, sum.OfficialTurnout, sum.OfficialIncumbentShare)
		fmt.Fprintf(e.stdout, "  injected: %d stuffed stations, %d altered protocols, %d inflated districts, %d padded district summaries; %d stations observed\n",
			sum.StuffedStations, sum.AlteredProtocols, sum.InflatedDistricts, sum.PaddedSummaries, sum.ObservedStations)
		fmt.Fprintf(e.stdout, "  observation: %q, %d observers in %d teams, %d reports (%d in conflict)\n",
			obs.Organisation, obs.Observers, obs.Teams, obs.Reports, obs.Conflicts)
		if recs.Recommendations > 0 {
			fmt.Fprintf(e.stdout, "  recommendations: %d missions to KZ, %d reports, %d recommendations, %d assessments (see /recommendations?country=KZ)\n",
				recs.Missions, recs.Reports, recs.Recommendations, recs.Assessments)
		}
		// A token to try the reports API with, created through the same
		// command a mission would use.
		if err := runTokenCreate(ctx, e, []string{"--db", *db, "--org", obs.Organisation, "--observer", "00001", "--label", "demo"}); err != nil {
			fmt.Fprintf(e.stdout, "  (no observer token: %v)\n", err)
		}
		base := browseURL(*addr)
		fmt.Fprintf(e.stdout, "\nThe public portal:    %s/\n", base)
		fmt.Fprintf(e.stdout, "The staff dashboard:  %s/login, then %s/dashboard/\n", base, base)
		fmt.Fprintf(e.stdout, "  user:     %s\n  password: %s\n", admin.Username, admin.Password)
		fmt.Fprintln(e.stdout, "  (the demo sets a new password at every run; VIGIL_PASSWORD chooses it)")
		if *noServe {
			fmt.Fprintf(e.stdout, "Serve it with: vigil serve --db %s --addr %s\n", *db, *addr)
		}
	}
	// The demo's log is signed with a demo key, made beside the database
	// the first time (a real mission makes its own with vigil log keygen
	// and keeps it off the server's disk if it can).
	if *lo.key == "" {
		*lo.key = demoKeyPath(*db)
		if !fileExists(*lo.key) {
			skey, vkey, err := translog.GenerateKey("demo.vigil.invalid/log")
			if err != nil {
				return err
			}
			if err := writeKeyPair(&env{getenv: e.getenv, stdout: io.Discard, stderr: e.stderr}, *lo.key, skey, vkey); err != nil {
				return err
			}
		}
	}
	sl, err := lo.load()
	if err != nil {
		return err
	}
	n, _, err := signLatest(ctx, d, sl.skey)
	if err != nil {
		return fmt.Errorf("signing the demo's log: %w", err)
	}
	if !*asJSON {
		fmt.Fprintf(e.stdout, "  transparency log: %d leaves, checkpoint signed with %s (public key %s.pub)\n", n, *lo.key, *lo.key)
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
	cfg.log = sl // the demo's own log key
	return serveDB(ctx, e, d, cfg, newLogger(e.stderr, cfg.LogFormat, cfg.LogLevel))
}

// demoLogin is the account the demo prints for the staff dashboard.
type demoLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
	LoginURL string `json:"login_url,omitempty"`
}

// demoAdmin makes sure the demo's organisation has an administrator
// "admin" and gives it a fresh password (VIGIL_PASSWORD, or a generated
// one): a demo run again on the same file would otherwise leave a user whose
// password was printed once, long ago, and nobody able to sign in.
func demoAdmin(ctx context.Context, e *env, d *store.DB, o *store.Organisation) (demoLogin, error) {
	l := demoLogin{Username: "admin", Password: e.getenv("VIGIL_PASSWORD")}
	if l.Password == "" {
		l.Password = access.NewToken()[:20]
	}
	hash, err := access.HashPassword(l.Password)
	if err != nil {
		return l, err
	}
	u, err := d.UserByName(ctx, l.Username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = &store.User{OrgID: o.ID, Username: l.Username, Name: "Demo administrator", Role: string(access.Administrator)}
		return l, d.CreateUser(ctx, u, hash, cliEntry(o.ID, "user.create", "user:"+u.Username, map[string]any{"role": u.Role}))
	case err != nil:
		return l, err
	case u.OrgID != o.ID || u.Role != string(access.Administrator):
		return l, fmt.Errorf("a user %q exists in this database but is not the demo mission's administrator", l.Username)
	}
	return l, d.SetPassword(ctx, u.ID, hash, cliEntry(o.ID, "user.password", "user:"+u.Username, map[string]any{"by": "demo"}))
}

// browseURL is the address a browser on this machine opens for a listen
// address: a wildcard host becomes localhost.
func browseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Command vigil-load measures report intake: it prepares a database and
// drives a vigil server's JSON API with many concurrent clients.
//
//	vigil-load setup --db load.db --stations 2000      # prints the token and election id
//	vigil serve --db load.db --addr 127.0.0.1:8080 &
//	vigil-load run --url http://127.0.0.1:8080 --token T --election 1 --clients 200 --reports 40000
//
// Or both at once, serving in-process on loopback:
//
//	vigil-load self --db /tmp/load.db --clients 200 --reports 40000
//	vigil-load self --db /tmp/load2.db --clients 200 --reports 40000 -log=false   # the log's cost
//	vigil-load self --db postgres://… --warmup 20000 --reports 40000              # steady state
//	vigil-load self … -memprofile m.prof   # then: go tool pprof -sample_index=alloc_space -base m.prof.base m.prof
//
// --warmup sends that many reports first, unmeasured, then (PostgreSQL)
// refreshes the planner's statistics as autovacuum would have by then: a
// run from empty tables otherwise measures plans made for empty tables.
//
// Every run is bounded in reports and in time (--duration).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/vigil-elections/vigil/internal/cputime"
	"github.com/vigil-elections/vigil/internal/gcpace"
	"github.com/vigil-elections/vigil/internal/observe/load"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: vigil-load setup|run|self [flags]")
	}
	fs := flag.NewFlagSet("vigil-load "+args[0], flag.ContinueOnError)
	db := fs.String("db", "", "database (setup, self): a new SQLite file or postgres://…")
	stations := fs.Int("stations", 2000, "polling stations in the test election")
	url := fs.String("url", "", "server (run)")
	token := fs.String("token", "", "API token (run)")
	electionID := fs.Int64("election", 0, "election id (run)")
	clients := fs.Int("clients", 200, "concurrent clients")
	reports := fs.Int("reports", 20000, "reports to send")
	duration := fs.Duration("duration", 60*time.Second, "time limit")
	prefix := fs.String("prefix", fmt.Sprintf("load-%d", time.Now().Unix()), "client id prefix")
	rate := fs.Float64("rate", 0, "offered reports per second in all (0: as fast as acknowledged)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE`")
	memprofile := fs.String("memprofile", "", "write the allocations of the run (pprof's alloc_space) to `FILE`")
	warmup := fs.Int("warmup", 0, "self: reports sent before the measured run, unmeasured; then, on PostgreSQL, the statistics autovacuum would have gathered by then")
	teams := fs.Int("teams", 0, "self: deploy `T` teams of two observers, each with a token, team j at stations j+1, j+1+T, …, and send each report with a token of its station's team (0: every report with one coordinator's token)")
	logged := fs.Bool("log", true, "self: commit each report's transparency-log leaf, as a server does (-log=false measures what the log costs)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var h *web.Server
	cfg := load.Config{URL: *url, Token: *token, ElectionID: *electionID, Stations: *stations, Clients: *clients, Reports: *reports, Duration: *duration, Prefix: *prefix, Rate: *rate}
	switch args[0] {
	case "setup":
		d, err := store.Open(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		id, tok, err := load.Setup(ctx, d, *stations)
		if err != nil {
			return err
		}
		fmt.Printf("election %d\ntoken %s\n", id, tok)
		return nil
	case "run":
	case "self":
		// The collector's pace vigil serve runs at: the server is in
		// this process.
		defer gcpace.Set(os.Getenv, gcpace.Server)()
		d, err := store.Open(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		id, tok, err := load.Setup(ctx, d, *stations)
		if err != nil {
			return err
		}
		if *teams > 0 {
			if cfg.Teams, err = load.AddTeams(ctx, d, id, *stations, *teams); err != nil {
				return err
			}
		}
		// One token (or a few per station) sends the whole load: lift
		// the per-observer budget.
		h, err = site.New(d, web.Options{Intake: web.IntakeLimits{ReportBurst: 1 << 30, ReportEvery: time.Nanosecond}})
		if err != nil {
			return err
		}
		defer h.CloseObservation()
		if !*logged {
			h.Observation().LeaveLogOut()
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		defer srv.Close()
		cfg.URL, cfg.Token, cfg.ElectionID = "http://"+ln.Addr().String(), tok, id
		if *warmup > 0 {
			warm := cfg
			warm.Reports, warm.Prefix, warm.Rate, warm.Duration = *warmup, cfg.Prefix+"-warm", 0, 10*time.Minute
			res := load.Run(ctx, warm)
			fmt.Fprintf(os.Stderr, "warm-up: %s\n", res)
			if err := d.AnalyzeObservation(ctx); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown subcommand %q: want setup, run or self", args[0])
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		// The allocations of the measured run alone: the profile counts
		// from the start of the process, so the warm-up's are taken off
		// (pprof -base) by writing them first.
		runtime.GC()
		if err := writeHeap(*memprofile + ".base"); err != nil {
			return err
		}
	}
	cpu0 := cputime.Process()
	res := load.Run(ctx, cfg)
	cpu := cputime.Process() - cpu0
	if *memprofile != "" {
		runtime.GC()
		if err := writeHeap(*memprofile); err != nil {
			return err
		}
	}
	if h != nil {
		res.ProcessCPU = cpu
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Println(res)
	if h != nil {
		st := h.Observation().WriterStats()
		fmt.Printf("group commit: %d reports in %d transactions (%.1f per commit), %.2f s in commits, longest %.1f ms\n",
			st.Reports, st.Batches, float64(st.Reports)/float64(max(st.Batches, 1)), st.CommitTime.Seconds(), float64(st.MaxCommit.Microseconds())/1000)
		if cpu > 0 && res.Acked > 0 {
			// The server, its writer and the clients together; not
			// PostgreSQL's processes.
			fmt.Printf("this process's CPU: %.1f s, %.0f µs a report acknowledged\n", cpu.Seconds(), float64(cpu.Microseconds())/float64(res.Acked))
		}
	}
	return nil
}

// writeHeap writes the heap profile (with every allocation since the
// start) to path.
func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

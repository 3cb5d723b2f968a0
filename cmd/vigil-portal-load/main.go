// Command vigil-portal-load is a small HTTP load generator for the portal's
// performance figures (docs/performance/portal.md); vigil-load, beside it,
// drives report intake. It sends GET requests
// from -c concurrent clients over kept-alive connections, stops after -n
// requests or -d, whichever comes first, and prints throughput and latency
// percentiles. It refuses any host that is not a loopback address: it is
// for measuring vigil on this machine, not for loading anyone's server.
//
// Either give -url of a running vigil, or -db to serve a database in
// process on a loopback port; -demo N first writes the demo election with N
// stations into that database. With both, -db is only read for the list of
// stations (-stations) and -url is measured; -pid then names the server's
// process, whose CPU time per request is printed (read from /proc), a
// figure less disturbed by other load than requests per second.
//
//	vigil-portal-load -db /tmp/load.db -demo 10000 -path /elections/1/areas/root -c 32 -n 100000 -d 30s
//	vigil-portal-load -db /tmp/load.db -stations -c 16 -n 20000 -d 30s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-elections/vigil/internal/demo"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
	"github.com/vigil-elections/vigil/internal/web/site"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vigil-portal-load:", err)
		os.Exit(1)
	}
}

// resultsStamp reads the protocol stamp the portal's results are of.
func resultsStamp(c *http.Client, base string) string {
	resp, err := c.Get(base + "/api/v1/elections/1/results?level=0")
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	var doc struct {
		Stamp string `json:"stamp"`
	}
	if json.NewDecoder(resp.Body).Decode(&doc) != nil {
		return "?"
	}
	return doc.Stamp
}

// arrivals imports, rate times a second, a new official final version of a
// random station of the demo (its true count), each a batch of its own as
// a live feed would send them. The returned function stops it and says how
// many arrived.
func arrivals(ctx context.Context, dbPath string, rate float64) (func() int, error) {
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	e, err := db.ElectionByName(ctx, demo.Name)
	if err != nil {
		db.Close()
		return nil, err
	}
	ps, err := db.Protocols(ctx, e.ID, election.OfficialPreliminary)
	if err != nil {
		db.Close()
		return nil, err
	}
	areas, err := db.Areas(ctx, e.ID)
	if err != nil {
		db.Close()
		return nil, err
	}
	paths := map[int64][]string{}
	for _, a := range areas {
		paths[a.ID] = a.Path
	}
	names := make([]string, len(e.Options))
	for i, o := range e.Options {
		names[i] = o.Name
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		r := rand.New(rand.NewPCG(3, 4))
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tick.Stop()
		defer db.Close()
		for {
			select {
			case <-stop:
				done <- n
				return
			case <-tick.C:
			}
			p := ps[r.IntN(len(ps))]
			sent := false
			_, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialFinal, File: "arrival", Options: names},
				func() (store.Row, error) {
					if sent {
						return store.Row{}, io.EOF
					}
					sent = true
					return store.Row{Line: 1, Path: paths[p.AreaID], Figures: p.Figures, Votes: p.Votes}, nil
				})
			if err == nil {
				n++
			}
		}
	}()
	return func() int { close(stop); return <-done }, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("vigil-portal-load", flag.ContinueOnError)
	base := fs.String("url", "", "base URL of a running vigil (loopback only)")
	dbPath := fs.String("db", "", "serve this database in process instead of -url (with -url: only list its stations)")
	elName := fs.String("election", demo.Name, "with -stations: the election whose stations are requested")
	pid := fs.Int("pid", 0, "with -url: the server's process id, to print its CPU time per request (Linux)")
	demoN := fs.Int("demo", 0, "first write the demo election with this many stations into -db")
	paths := fs.String("path", "/elections/1/areas/root", "comma-separated paths to request, in turn")
	stations := fs.Bool("stations", false, "request the pages of random polling stations instead of -path (with -db)")
	conc := fs.Int("c", 32, "concurrent clients")
	n := fs.Int("n", 100000, "stop after this many requests")
	dur := fs.Duration("d", 30*time.Second, "stop after this long")
	warm := fs.Int("warm", 200, "requests sent first and not measured")
	gz := fs.Bool("gzip", false, "send Accept-Encoding: gzip, as browsers do (the bodies are counted compressed)")
	arrive := fs.Float64("arrive", 0, "with -db: import this many new official final protocols per second during the run (election night)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *n > 5_000_000 || *dur <= 0 || *dur > 10*time.Minute || *conc < 1 || *conc > 1024 {
		return fmt.Errorf("bounds: -n 1…5,000,000, -d up to 10m, -c 1…1024")
	}
	var targets []string
	for _, p := range strings.Split(*paths, ",") {
		if p = strings.TrimSpace(p); p != "" {
			targets = append(targets, p)
		}
	}
	var db *store.DB
	if *dbPath != "" {
		var err error
		if db, err = store.Open(ctx, *dbPath); err != nil {
			return err
		}
		defer db.Close()
		if *demoN > 0 {
			start := time.Now()
			el := demo.Generate(2022, demo.Params{Stations: *demoN, ObservedShare: 0.04})
			if _, err := demo.Write(ctx, db, el); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote the demo with %d stations in %s\n", len(el.Stations), time.Since(start).Round(time.Millisecond))
		}
		e, err := db.ElectionByName(ctx, *elName)
		if err != nil && *stations {
			return fmt.Errorf("-election %q: %w", *elName, err)
		}
		if err == nil && *stations {
			areas, err := db.Areas(ctx, e.ID)
			if err != nil {
				return err
			}
			targets = targets[:0]
			for _, a := range areas {
				if a.Station {
					targets = append(targets, "/elections/"+strconv.FormatInt(e.ID, 10)+"/areas/"+strconv.FormatInt(a.ID, 10))
				}
			}
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
			fmt.Fprintf(stdout, "%d station pages, requested in a shuffled order\n", len(targets))
		}
	}
	if db != nil && *base == "" {
		h, err := site.New(db, web.Options{})
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		*base = "http://" + ln.Addr().String()
		if *stations {
			// Build the tabulation once, as a running server would have.
			if _, err := http.Get(*base + "/elections/1/areas/root"); err != nil {
				return err
			}
		}
	}
	u, err := url.Parse(*base)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT (or -db)", *base)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url %q: only loopback addresses are allowed", *base)
	}
	if len(targets) == 0 {
		return fmt.Errorf("nothing to request")
	}
	tr := &http.Transport{MaxIdleConns: *conc * 2, MaxIdleConnsPerHost: *conc * 2, MaxConnsPerHost: *conc * 2, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	get := func(path string) (int, int64, error) {
		req, err := http.NewRequest("GET", *base+path, nil)
		if err != nil {
			return 0, 0, err
		}
		if *gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		nb, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nb, err
	}
	for i := range min(*warm, len(targets)*4) {
		if *stations && i >= 10 {
			break // station pages are measured cold
		}
		if _, _, err := get(targets[i%len(targets)]); err != nil {
			return err
		}
	}
	stopArrivals := func() int { return 0 }
	stampBefore := resultsStamp(client, *base)
	if *arrive > 0 {
		if *dbPath == "" {
			return fmt.Errorf("-arrive needs -db")
		}
		stopArrivals, err = arrivals(ctx, *dbPath, *arrive)
		if err != nil {
			return err
		}
	}
	cpuBefore, cpuErr := procCPU(*pid)
	var next, errs, bytes atomic.Int64
	if *stations {
		next.Store(10)
	}
	lat := make([][]time.Duration, *conc)
	deadline := time.Now().Add(*dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(*n) {
					return
				}
				t0 := time.Now()
				code, nb, err := get(targets[int(i)%len(targets)])
				lat[w] = append(lat[w], time.Since(t0))
				bytes.Add(nb)
				if err != nil || code != http.StatusOK {
					errs.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	cpuAfter, cpuErr2 := procCPU(*pid)
	if n := stopArrivals(); *arrive > 0 {
		// A stamp refresh, then a request that starts the page's rebuild,
		// then the rebuilt page.
		time.Sleep(time.Second)
		resultsStamp(client, *base)
		time.Sleep(time.Second)
		fmt.Fprintf(stdout, "%d protocols arrived during the run (%.1f/s); the results' stamp went from %s to %s\n",
			n, float64(n)/el.Seconds(), stampBefore, resultsStamp(client, *base))
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	q := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	fmt.Fprintf(stdout, "%d requests (%d errors) in %s from %d clients: %.0f requests/s, %.1f MB/s\n",
		len(all), errs.Load(), el.Round(time.Millisecond), *conc, float64(len(all))/el.Seconds(), float64(bytes.Load())/el.Seconds()/1e6)
	fmt.Fprintf(stdout, "latency p50 %s, p90 %s, p99 %s, max %s\n", q(0.50).Round(10*time.Microsecond), q(0.90).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), q(1).Round(10*time.Microsecond))
	if *pid != 0 {
		if cpuErr != nil || cpuErr2 != nil {
			return fmt.Errorf("-pid %d: %w", *pid, errors.Join(cpuErr, cpuErr2))
		}
		cpu := cpuAfter - cpuBefore
		fmt.Fprintf(stdout, "server CPU %.2f s over %d requests: %.3f ms of CPU per request (%.0f requests per CPU-second)\n",
			cpu.Seconds(), len(all), cpu.Seconds()*1e3/float64(max(len(all), 1)), float64(len(all))/max(cpu.Seconds(), 1e-9))
	}
	if errs.Load() > 0 {
		return fmt.Errorf("%d requests failed", errs.Load())
	}
	return nil
}

// procCPU returns the user and system CPU time a process has used so far,
// from /proc/PID/stat (Linux; fields 14 and 15 in clock ticks, 100 a
// second on Linux's usual configuration); pid 0 is no process.
func procCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:])) // from field 3 on
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / 100), nil
}

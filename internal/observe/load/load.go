// Package load is vigil's load generator for report intake: it prepares a
// database (an election of N stations, an organisation with the default
// forms, a coordinator's API token) and drives the JSON API with many
// concurrent clients, each report with its own client id, retrying until
// acknowledged, bounded in count and in time. cmd/vigil-load and the crash
// test use it.
package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/jsontext"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

// Setup creates, in db, an election "load-test" of stations polling
// stations (numbered 1…N under 10 regions), the organisation "Load
// Mission" with the default forms, and a coordinator of the whole country
// with an API token, which it returns with the election's id.
func Setup(ctx context.Context, db *store.DB, stations int) (electionID int64, token string, err error) {
	e := &election.Election{Name: "load-test", Kind: election.Presidential, Options: []election.Option{{Name: "A"}, {Name: "B"}, {Name: "C"}}}
	if err := db.CreateElection(ctx, e); err != nil {
		return 0, "", err
	}
	i := 0
	next := func() (store.Row, error) {
		if i >= stations {
			return store.Row{}, io.EOF
		}
		i++
		var f election.Figures
		f.Set(election.Registered, 1500)
		return store.Row{Line: i, Path: []string{fmt.Sprintf("Region %d", i%10), fmt.Sprintf("District %d", i%100), fmt.Sprint(i)}, Figures: f, Votes: []int64{300, 200, 100}}, nil
	}
	if _, err := db.Import(ctx, store.ImportRequest{ElectionID: e.ID, Source: election.OfficialPreliminary, File: "load", Options: []string{"A", "B", "C"}}, next); err != nil {
		return 0, "", err
	}
	org, err := db.EnsureOrganisation(ctx, "Load Mission", "international")
	if err != nil {
		return 0, "", err
	}
	if _, err := observe.InstallDefaultForms(ctx, db, org.ID); err != nil {
		return 0, "", err
	}
	u := &store.User{OrgID: org.ID, Username: "load-coordinator", Role: string(access.Coordinator)}
	if err := db.CreateUser(ctx, u, ""); err != nil {
		return 0, "", err
	}
	token = access.NewToken()
	if err := db.CreateToken(ctx, &store.Token{OrgID: org.ID, UserID: u.ID, Label: "load"}, access.HashToken(token)); err != nil {
		return 0, "", err
	}
	return e.ID, token, nil
}

// AddTeams deploys, in the election Setup made, teams of two observers
// of the organisation "Load Mission" (each with an API token), team j of
// teams at the stations s with (s-1) mod teams = j: the shape of a
// national election's intake, where a report is a team's at one of its
// few stations and its cluster (observe.ClusterStats) is the team, not
// one coordinator's single cluster spanning the country. It returns each
// team's two tokens, by team; Config.Teams sends each report with them.
func AddTeams(ctx context.Context, db *store.DB, electionID int64, stations, teams int) ([][]string, error) {
	if teams < 1 || teams > stations {
		return nil, fmt.Errorf("teams: %d, want 1 to the stations (%d)", teams, stations)
	}
	org, err := db.OrganisationByName(ctx, "Load Mission")
	if err != nil {
		return nil, err
	}
	roster := make([]store.Observer, 0, 2*teams)
	for j := range teams {
		for k := range 2 {
			roster = append(roster, store.Observer{Code: fmt.Sprintf("L%07d-%d", j, k), Name: fmt.Sprintf("Load observer %d-%d", j, k), Team: fmt.Sprintf("Load team %07d", j)})
		}
	}
	if _, _, err := db.ImportRoster(ctx, org.ID, roster); err != nil {
		return nil, err
	}
	all, err := db.Observers(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	byCode := make(map[string]*store.Observer, len(all))
	for _, o := range all {
		byCode[o.Code] = o
	}
	areas, err := db.Areas(ctx, electionID)
	if err != nil {
		return nil, err
	}
	station := make(map[string]int64, stations) // by the station's number
	for _, a := range areas {
		if a.Station {
			station[a.Name] = a.ID
		}
	}
	dep := &store.Deployment{OrgID: org.ID, ElectionID: electionID, Seed: fmt.Sprintf("load-%d-teams", teams), Design: json.RawMessage(`{"note":"vigil-load: every station, team j at stations j+1, j+1+teams, …"}`)}
	assigns := make([]store.Assignment, 0, stations)
	for s := 1; s <= stations; s++ {
		id, ok := station[strconv.Itoa(s)]
		if !ok {
			return nil, fmt.Errorf("station %d: not in election %d", s, electionID)
		}
		o := byCode[fmt.Sprintf("L%07d-0", (s-1)%teams)]
		dep.Stations = append(dep.Stations, store.DeployedStation{AreaID: id, Stratum: "load", Rank: s})
		assigns = append(assigns, store.Assignment{TeamID: o.TeamID, AreaID: id})
	}
	if err := db.SaveDeployment(ctx, dep); err != nil {
		return nil, err
	}
	if err := db.Assign(ctx, org.ID, electionID, assigns); err != nil {
		return nil, err
	}
	tokens := make([][]string, teams)
	var ts []*store.Token
	var hashes []string
	for j := range teams {
		for k := range 2 {
			tok := access.NewToken()
			tokens[j] = append(tokens[j], tok)
			ts = append(ts, &store.Token{OrgID: org.ID, ObserverID: byCode[fmt.Sprintf("L%07d-%d", j, k)].ID, Label: "load"})
			hashes = append(hashes, access.HashToken(tok))
		}
	}
	if err := db.CreateTokens(ctx, ts, hashes, store.AuditEntry{}); err != nil {
		return nil, err
	}
	return tokens, nil
}

// Config is one run.
type Config struct {
	URL        string // the server, e.g. http://127.0.0.1:8080
	Token      string
	ElectionID int64
	Stations   int           // reports go to stations 1…Stations in turn
	Clients    int           // concurrent clients (default 200)
	Reports    int           // reports to send in all (the bound on count)
	Duration   time.Duration // the bound on time (default 60 s)
	Prefix     string        // client ids are Prefix-0, Prefix-1, …
	Retries    int           // per report, after the first try (default 20)
	// Rate, when positive, paces the run: the clients together start Rate
	// reports per second (each client one every Clients/Rate seconds), an
	// open loop, so that latency is measured at that offered load rather
	// than at whatever the server can take. Zero: each client sends its
	// next report as soon as the last is acknowledged (the maximum).
	Rate float64
	// Teams, when set (AddTeams), sends report i, at station
	// s = 1 + i mod Stations, with a token of team (s-1) mod len(Teams),
	// its members in turn, instead of Token.
	Teams [][]string
	// OnAck, when set, is called with each report's index once the server
	// has acknowledged it (201 or 200), from the client's goroutine.
	OnAck func(i int)
}

// Result is what a run measured.
type Result struct {
	Sent       int           `json:"sent"`         // HTTP requests made
	Acked      int           `json:"acked"`        // reports acknowledged
	Duplicates int           `json:"duplicates"`   // of which the server already had (200)
	Failed     int           `json:"failed"`       // reports given up on
	Errors     int           `json:"errors"`       // requests that failed (network, 5xx)
	Elapsed    time.Duration `json:"elapsed_ns"`   // first request to last answer
	PerSecond  float64       `json:"acked_per_s"`  // Acked / Elapsed
	P50        time.Duration `json:"p50_ns"`       // latency of acknowledged requests
	P99        time.Duration `json:"p99_ns"`       //
	Max        time.Duration `json:"max_ns"`       //
	Statuses   map[int]int   `json:"statuses"`     // answers by HTTP status
	FirstError string        `json:"first_error"`  // for diagnosis
	Timeouts   int           `json:"client_stops"` // reports abandoned when time ran out
	// ProcessCPU is what the process used during the run, set by
	// vigil-load self: the server, its writer and the clients together.
	ProcessCPU time.Duration `json:"process_cpu_ns,omitempty"`
}

func (r Result) String() string {
	return fmt.Sprintf("%d acknowledged (%d duplicates) in %.2fs: %.0f/s; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d requests, %d errors, %d failed, statuses %v",
		r.Acked, r.Duplicates, r.Elapsed.Seconds(), r.PerSecond, ms(r.P50), ms(r.P99), ms(r.Max), r.Sent, r.Errors, r.Failed, r.Statuses)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Body returns the JSON of report i: a voting report at station
// 1 + i mod stations, with its client id. It is written directly, as
// encoding/json would write the same map (keys in order): in vigil-load
// self the clients share the server's two cores, and reflecting over a
// map for every report was 2 % of the process's CPU, work a real
// observer's phone does, not the server (TestBodyAsMarshalled).
func Body(prefix string, i, stations int) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"answers":{"arrival_time":"10:15","ballot_box_stuffing":`...)
	b = strconv.AppendBool(b, i%17 == 0)
	b = append(b, `,"boxes_sealed":true,"group_voting":false,"identical_signatures":false,"identity_checked":true,"multiple_voting":false,"observers_restricted":false,"overall":"`...)
	b = append(b, []string{"very_good", "good", "good", "bad"}[i%4]...)
	b = append(b, `","secrecy_ensured":true,"station":`...)
	b = strconv.AppendInt(b, int64(1+i%stations), 10)
	b = append(b, `,"unauthorised_directing":false,"unauthorised_present":false,"voters_so_far":`...)
	b = strconv.AppendInt(b, int64(i%900), 10)
	b = append(b, `},"client_id":`...)
	b = jsontext.AppendString(b, ClientID(prefix, i))
	b = append(b, `,"form":"voting","version":"2026.1"}`...)
	return b
}

// Run sends cfg.Reports reports with cfg.Clients concurrent clients and
// returns what it measured. A report is retried (same client id) on a
// network error or a 5xx/429 answer, with a short back-off.
func Run(ctx context.Context, cfg Config) Result {
	if cfg.Clients <= 0 {
		cfg.Clients = 200
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 60 * time.Second
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 20
	}
	if cfg.Stations <= 0 {
		cfg.Stations = 1
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	tr := &http.Transport{MaxIdleConns: cfg.Clients, MaxIdleConnsPerHost: cfg.Clients, MaxConnsPerHost: cfg.Clients, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := fmt.Sprintf("%s/api/v1/elections/%d/reports", cfg.URL, cfg.ElectionID)
	var next atomic.Int64
	var mu sync.Mutex
	res := Result{Statuses: map[int]int{}}
	var lat []time.Duration
	start := time.Now()
	var wg sync.WaitGroup
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(cfg.Clients) / cfg.Rate * float64(time.Second))
	}
	for c := 0; c < cfg.Clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tick *time.Ticker
			if interval > 0 {
				// Spread the clients' phases over one interval.
				time.Sleep(time.Duration(c) * interval / time.Duration(cfg.Clients))
				tick = time.NewTicker(interval)
				defer tick.Stop()
			}
			var local []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}()
			for {
				if tick != nil {
					select {
					case <-tick.C:
					case <-ctx.Done():
						return
					}
				}
				i := int(next.Add(1) - 1)
				if i >= cfg.Reports {
					return
				}
				body := Body(cfg.Prefix, i, cfg.Stations)
				done := false
				for try := 0; try <= cfg.Retries && !done; try++ {
					if ctx.Err() != nil {
						mu.Lock()
						res.Timeouts++
						mu.Unlock()
						return
					}
					req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+cfg.token(i))
					t0 := time.Now()
					resp, err := client.Do(req)
					d := time.Since(t0)
					status := 0
					if err == nil {
						status = resp.StatusCode
					}
					var msg []byte
					if err == nil && status >= 400 && status != 429 && status < 500 {
						msg = make([]byte, 300)
						n, _ := io.ReadFull(resp.Body, msg)
						msg = msg[:n]
					}
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					mu.Lock()
					res.Sent++
					res.Statuses[status]++
					switch {
					case status == 201 || status == 200:
						res.Acked++
						if status == 200 {
							res.Duplicates++
						}
						done = true
						local = append(local, d)
					case status == 0 || status >= 500 || status == 429:
						res.Errors++
						if res.FirstError == "" {
							if err != nil {
								res.FirstError = err.Error()
							} else {
								res.FirstError = fmt.Sprintf("HTTP %d", status)
							}
						}
					default:
						res.Failed++
						done = true // a 4xx will not get better
						if res.FirstError == "" {
							res.FirstError = fmt.Sprintf("HTTP %d for report %d: %s", status, i, msg)
						}
					}
					mu.Unlock()
					if done && (status == 201 || status == 200) && cfg.OnAck != nil {
						cfg.OnAck(i)
					}
					if !done {
						select {
						case <-time.After(time.Duration(50*(try+1)) * time.Millisecond):
						case <-ctx.Done():
						}
					}
				}
				if !done {
					mu.Lock()
					res.Failed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if res.Elapsed > 0 {
		res.PerSecond = float64(res.Acked) / res.Elapsed.Seconds()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if n := len(lat); n > 0 {
		res.P50 = lat[n/2]
		res.P99 = lat[min(n-1, n*99/100)]
		res.Max = slices.Max(lat)
	}
	return res
}

// token is the token report i is sent with.
func (cfg *Config) token(i int) string {
	if len(cfg.Teams) == 0 {
		return cfg.Token
	}
	s := i % cfg.Stations
	team := cfg.Teams[s%len(cfg.Teams)]
	return team[(i/cfg.Stations)%len(team)]
}

// ClientID is the client id of report i of a run.
func ClientID(prefix string, i int) string { return fmt.Sprintf("%s-%08d", prefix, i) }

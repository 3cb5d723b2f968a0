package observe

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// BenchmarkObservationAtScale builds an election of VIGIL_AGG_STATIONS
// stations (100 regions × 100 districts × the rest) and an organisation
// whose teams of two observers send VIGIL_AGG_REPORTS voting reports (five
// stations a team, both observers at each: visits that merge and, now and
// then, disagree), written through store.InsertReports in chunks of 5,000
// as the group commit writes them, aggregates included. It then reads,
// as the findings API, `vigil findings` and the dashboard do:
//
//   - findings/cold: the findings of the whole organisation from a newly
//     opened database handle, without and with the report ids;
//   - findings/coordinator: a district coordinator's;
//   - dashboard: the page's data (coverage rows, list lengths, the first
//     200 of each list);
//   - stamp: the change counter a live stream reads every tick.
//
// Skipped unless VIGIL_AGG_STATIONS is set (it takes minutes):
//
//	VIGIL_AGG_STATIONS=1000000 VIGIL_AGG_REPORTS=250000 go test ./internal/observe -run XXX -bench ObservationAtScale -benchtime 20x -timeout 2h
//
// VIGIL_AGG_ENGINE=postgres runs it on VIGIL_TEST_POSTGRES instead of a
// SQLite file.
func BenchmarkObservationAtScale(b *testing.B) {
	// The testing package calls a benchmark once with b.N = 1 before the
	// real run: the world is built once and the figures logged once.
	if scaleDone {
		for b.Loop() {
		}
		return
	}
	scaleDone = true
	nStations, _ := strconv.Atoi(os.Getenv("VIGIL_AGG_STATIONS"))
	nReports, _ := strconv.Atoi(os.Getenv("VIGIL_AGG_REPORTS"))
	if nStations == 0 {
		b.Skip("set VIGIL_AGG_STATIONS (and VIGIL_AGG_REPORTS) to run")
	}
	if nReports == 0 {
		nReports = nStations / 4
	}
	ctx := context.Background()
	var db *store.DB
	var reopen func() *store.DB
	if os.Getenv("VIGIL_AGG_ENGINE") == "postgres" {
		db = storetest.Postgres(b)
		reopen = func() *store.DB { return db }
	} else {
		dir, err := os.MkdirTemp("", "vigil-scale-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "scale.db")
		if db, err = store.Open(ctx, path); err != nil {
			b.Fatal(err)
		}
		reopen = func() *store.DB {
			d, err := store.Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			return d
		}
	}
	t0 := time.Now()
	w := scaleWorld(b, db, nStations, nReports)
	b.Logf("generated %d stations, %d reports in %v (reports with their aggregates: %v, %.0f reports/s)", nStations, nReports, time.Since(t0).Round(time.Second),
		w.intake.Round(time.Second), float64(nReports)/w.intake.Seconds())

	analyst := access.Principal{Role: access.Analyst, OrgID: w.org, Name: "bench"}
	coord := access.Principal{Role: access.Coordinator, OrgID: w.org, Name: "bench", Area: w.district}
	timed := func(name string, fn func(db *store.DB) error) {
		d := reopen()
		t := time.Now()
		if err := fn(d); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s cold (new handle): %v", name, time.Since(t).Round(time.Microsecond))
		t = time.Now()
		const warm = 5
		for range warm {
			if err := fn(d); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("%s again (same handle): %v each", name, (time.Since(t) / warm).Round(time.Microsecond))
		if d != db {
			d.Close()
		}
	}
	timed("findings", func(d *store.DB) error {
		f, err := FindingsOf(ctx, d, analyst, w.eid, false)
		if err == nil && f.Phases["voting"].Observed == 0 {
			err = fmt.Errorf("no voting observations")
		}
		return err
	})
	timed("findings with report ids", func(d *store.DB) error { _, err := FindingsOf(ctx, d, analyst, w.eid, true); return err })
	timed("findings of a district coordinator", func(d *store.DB) error { _, err := FindingsOf(ctx, d, coord, w.eid, false); return err })
	timed("dashboard data", func(d *store.DB) error {
		if _, err := d.ObsChange(ctx, w.org, w.eid); err != nil {
			return err
		}
		if _, err := d.ObsChildren(ctx, w.org, w.eid, 0); err != nil {
			return err
		}
		if _, err := d.ObsNodeCounts(ctx, w.org, w.eid, 0); err != nil {
			return err
		}
		for _, l := range []string{"incident", "queue"} {
			if _, err := d.ReviewList(ctx, w.org, w.eid, 0, l, 200); err != nil {
				return err
			}
		}
		_, err := d.ObsConflicts(ctx, w.org, w.eid, 0, false, 200)
		return err
	})
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.ObsChange(ctx, w.org, w.eid); err != nil {
			b.Fatal(err)
		}
	}
}

var scaleDone bool

type scaleFixture struct {
	org, eid int64
	district []string
	intake   time.Duration
}

// scaleWorld writes the election, the organisation, its teams and their
// reports.
func scaleWorld(b *testing.B, db *store.DB, nStations, nReports int) *scaleFixture {
	ctx := context.Background()
	w := &scaleFixture{}
	org, err := db.EnsureOrganisation(ctx, "Scale", "")
	if err != nil {
		b.Fatal(err)
	}
	w.org = org.ID
	if _, err := InstallDefaultForms(ctx, db, org.ID); err != nil {
		b.Fatal(err)
	}
	sf, err := db.FormByKey(ctx, org.ID, "voting", "")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Format(store.TimeLayout)
	var stations []int64
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO elections (name, kind, country, date, config, created) VALUES ('scale', 'presidential', 'KZ', '2026-03-01', '{"area_levels":["region","district","station"]}', $1) RETURNING id`,
			now).Scan(&w.eid); err != nil {
			return err
		}
		var root int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, NULL, 0, 'scale', '[]', 0) RETURNING id`, w.eid).Scan(&root); err != nil {
			return err
		}
		perDistrict := max(1, nStations/10000)
		num := 0
		for r := 1; r <= 100; r++ {
			rn := fmt.Sprintf("Region %d", r)
			var rid int64
			rp, _ := json.Marshal([]string{rn})
			if err := tx.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 1, $3, $4, 0) RETURNING id`, w.eid, root, rn, string(rp)).Scan(&rid); err != nil {
				return err
			}
			for d := 1; d <= 100; d++ {
				dn := fmt.Sprintf("District %d-%d", r, d)
				if w.district == nil {
					w.district = []string{rn, dn}
				}
				var did int64
				dp, _ := json.Marshal([]string{rn, dn})
				if err := tx.QueryRowContext(ctx, `INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES ($1, $2, 2, $3, $4, 0) RETURNING id`, w.eid, rid, dn, string(dp)).Scan(&did); err != nil {
					return err
				}
				var sb strings.Builder
				sb.WriteString(`INSERT INTO areas (election_id, parent_id, level, name, path, station) VALUES `)
				for s := 0; s < perDistrict; s++ {
					num++
					sp, _ := json.Marshal([]string{rn, dn, strconv.Itoa(num)})
					if s > 0 {
						sb.WriteString(", ")
					}
					fmt.Fprintf(&sb, "(%d, %d, 3, '%d', '%s', 1)", w.eid, did, num, strings.ReplaceAll(string(sp), "'", "''"))
				}
				sb.WriteString(` RETURNING id`)
				rows, err := tx.QueryContext(ctx, sb.String())
				if err != nil {
					return err
				}
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						rows.Close()
						return err
					}
					stations = append(stations, id)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Teams of two, five stations each, both observers at each.
	nTeams := max(1, nReports/10)
	observers := make([][2]int64, nTeams)
	teamIDs := make([]int64, nTeams)
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		for t := 0; t < nTeams; t++ {
			if err := tx.QueryRowContext(ctx, `INSERT INTO teams (org_id, name, area_path) VALUES ($1, $2, '[]') RETURNING id`, w.org, fmt.Sprint("T", t)).Scan(&teamIDs[t]); err != nil {
				return err
			}
			for k := 0; k < 2; k++ {
				if err := tx.QueryRowContext(ctx, `INSERT INTO observers (org_id, code, name, phone, team_id, area_path, created) VALUES ($1, $2, $3, '', $4, '[]', $5) RETURNING id`,
					w.org, fmt.Sprintf("O%d-%d", t, k), "Observer", teamIDs[t], now).Scan(&observers[t][k]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	stride := max(1, len(stations)/(nTeams*5))
	var as []store.Assignment
	for t := 0; t < nTeams; t++ {
		for k := 0; k < 5; k++ {
			as = append(as, store.Assignment{TeamID: teamIDs[t], AreaID: stations[((t*5+k)*stride)%len(stations)]})
		}
	}
	if err := db.Assign(ctx, w.org, w.eid, as); err != nil {
		b.Fatal(err)
	}
	vf := sf.Form
	answers := func(st int64) []byte {
		a := form.Answers{form.StationID: form.IntValue(st), form.OverallID: form.TextValue([]string{form.VeryGood, form.Good, form.Good, form.Bad}[rng.IntN(4)])}
		for i := range vf.Questions {
			if q := &vf.Questions[i]; q.Type == form.YesNo {
				a[q.ID] = form.BoolValue(rng.IntN(10) == 0)
			}
		}
		body, _ := json.Marshal(a)
		return body
	}
	var batch []*store.Report
	flush := func() {
		t := time.Now()
		err := db.InTx(ctx, func(tx *sql.Tx) error { _, err := store.InsertReports(ctx, tx, db.Dialect, batch); return err })
		if err != nil {
			b.Fatal(err)
		}
		w.intake += time.Since(t)
		batch = batch[:0]
	}
	n := 0
	received := time.Now().UTC()
	for i, a := range as {
		t := i / 5
		for k := 0; k < 2 && n < nReports; k++ {
			n++
			status := store.StatusNew
			if rng.IntN(50) == 0 {
				status = store.StatusFlagged
			}
			batch = append(batch, &store.Report{OrgID: w.org, ElectionID: w.eid, FormID: sf.ID, Phase: "voting", AreaID: a.AreaID, ObserverID: observers[t][k],
				Channel: ChannelAPI, ClientID: fmt.Sprintf("scale-%d", n), Answers: answers(a.AreaID), Status: status, Submitted: received, Received: received})
			if len(batch) == 5000 {
				flush()
			}
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return w
}

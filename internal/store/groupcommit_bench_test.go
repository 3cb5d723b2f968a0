package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/cputime"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// BenchmarkGroupCommit measures the writer alone: 200 goroutines each
// submitting reports and waiting for their commit, on a SQLite file with
// synchronous=FULL (the disk's fsync included) and on PostgreSQL.
//
// Each runs with the transparency log (log-on, as the service does) and
// without it (log-off), which measures what the log costs; cpu-µs/report
// is the process's CPU per report, which a loaded machine disturbs less
// than reports/s.
//
//	go test ./internal/store -run XXX -bench GroupCommit -benchtime 20000x
func BenchmarkGroupCommit(b *testing.B) {
	for _, logged := range []bool{true, false} {
		name := map[bool]string{true: "log-on", false: "log-off"}[logged]
		b.Run("sqlite/"+name, func(b *testing.B) {
			db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			benchWriter(b, db, logged)
		})
		b.Run("postgres/"+name, func(b *testing.B) { benchWriter(b, storetest.Postgres(b), logged) })
	}
}

func benchWriter(b *testing.B, db *store.DB, logged bool) {
	ctx := context.Background()
	org, err := db.EnsureOrganisation(ctx, "B", "")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := observe.InstallDefaultForms(ctx, db, org.ID); err != nil {
		b.Fatal(err)
	}
	sf, _ := db.FormByKey(ctx, org.ID, "voting", "")
	var eid int64
	db.QueryRowContext(ctx, `INSERT INTO elections (name, kind, created) VALUES ('b', 'presidential', '2026-01-01T00:00:00Z') RETURNING id`).Scan(&eid)
	answers, _ := json.Marshal(map[string]any{"station": 1, "overall": "good", "arrival_time": "10:00", "boxes_sealed": true, "ballot_box_stuffing": false})
	w := store.NewGroupCommit(db)
	w.NoLog = !logged
	defer w.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cputime.Process()
	for c := 0; c < 200; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				now := time.Now().UTC()
				j := &store.CommitJob{Report: &store.Report{OrgID: org.ID, ElectionID: eid, FormID: sf.ID, Phase: "voting", Channel: "api",
					ClientID: fmt.Sprintf("bench-%d-%d", b.N, i), Answers: answers, Submitted: now, Received: now},
					Audit: store.AuditEntry{OrgID: org.ID, Actor: "bench", Channel: "api", Action: "report.submit"}}
				if _, err := w.Submit(ctx, j); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	cpu := cputime.Process() - cpu0
	st := w.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	b.ReportMetric(float64(st.Reports)/float64(max(st.Batches, 1)), "reports/commit")
	// vigil's own CPU per report (SQLite runs inside it; PostgreSQL's
	// server does not count here): what the log costs when the machine is
	// too loaded for reports/s to mean much.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/report")
}

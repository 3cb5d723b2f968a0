package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// twoHandles opens one database twice, as two vigil processes would.
func twoHandles(t *testing.T, engine string) (a, b *store.DB) {
	t.Helper()
	var addr string
	if engine == "sqlite" {
		addr = filepath.Join(t.TempDir(), "v.db")
	} else {
		addr = storetest.PostgresAddr(t)
	}
	ctx := context.Background()
	for _, p := range []**store.DB{&a, &b} {
		db, err := store.Open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		*p = db
	}
	return a, b
}

// waitChange reads ch until a change of election with kind arrives; the
// limit is generous (the machine may be loaded): what the test checks is
// that the change arrives at all, through the feed, not its speed.
func waitChange(t *testing.T, ch <-chan store.Change, election int64, kind store.ChangeKind) store.Change {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatal("change feed closed")
			}
			if c.Election == election && slices.Contains(c.Kinds, kind) {
				return c
			}
		case <-deadline:
			t.Fatalf("no %s change of election %d arrived", kind, election)
		}
	}
}

// TestChangeFeedAcrossHandles: a change committed through one handle
// reaches the other's subscribers with its kind, the sequence only grows,
// and Sync reads what the database says.
func TestChangeFeedAcrossHandles(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, b := twoHandles(t, engine)
			e := &election.Election{Name: "e", Kind: election.Presidential, Options: []election.Option{{Name: "A"}}}
			if err := a.CreateElection(ctx, e); err != nil {
				t.Fatal(err)
			}
			feed := b.Changes()
			ch := feed.Subscribe(ctx)
			before, err := feed.Sync(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if before == 0 {
				t.Fatal("creating the election left its sequence at 0")
			}
			if err := a.UpdateConfig(ctx, e.ID, election.Config{}); err != nil {
				t.Fatal(err)
			}
			c := waitChange(t, ch, e.ID, store.ChangeConfig)
			if c.Seq <= before {
				t.Fatalf("sequence went from %d to %d", before, c.Seq)
			}
			if got, _ := feed.Seq(ctx, e.ID, store.ChangeConfig); got != c.Seq {
				t.Fatalf("Seq(config) = %d, want %d", got, c.Seq)
			}
			if got, _ := feed.Seq(ctx, e.ID, store.ChangeProtocols); got >= c.Seq {
				t.Fatalf("Seq(protocols) = %d moved with a configuration change (%d)", got, c.Seq)
			}
			// A rolled-back transaction announces nothing.
			boom := fmt.Errorf("rolled back")
			if err := a.InTx(ctx, func(tx *sql.Tx) error {
				if err := store.Touch(ctx, tx, a.Dialect, []int64{e.ID}, store.ChangePhotos); err != nil {
					return err
				}
				return boom
			}); err != boom {
				t.Fatal(err)
			}
			if got, err := feed.Sync(ctx, e.ID); err != nil || got != c.Seq {
				t.Fatalf("after a rollback Sync = %d, %v; want %d", got, err, c.Seq)
			}
			// A photo (and what the CLI does: another handle) is seen too.
			if err := a.InTx(ctx, func(tx *sql.Tx) error {
				return store.Touch(ctx, tx, a.Dialect, []int64{e.ID}, store.ChangePhotos)
			}); err != nil {
				t.Fatal(err)
			}
			p := waitChange(t, ch, e.ID, store.ChangePhotos)
			if p.Seq != c.Seq+1 {
				t.Fatalf("photo change at %d, want %d", p.Seq, c.Seq+1)
			}
		})
	}
}

// TestRetriedReportsNoDeadlock: two instances writing batches that share
// retried reports, in opposite orders, at the same time: both commit (no
// deadlock, which PostgreSQL would break by failing one), and each report
// is stored once.
func TestRetriedReportsNoDeadlock(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			a, b := twoHandles(t, engine)
			e := &election.Election{Name: "e", Kind: election.Presidential, Options: []election.Option{{Name: "A"}}}
			if err := a.CreateElection(ctx, e); err != nil {
				t.Fatal(err)
			}
			root, _ := a.AreaByPath(ctx, e.ID, nil)
			org, err := a.EnsureOrganisation(ctx, "Mission", "international")
			if err != nil {
				t.Fatal(err)
			}
			sf, err := a.SaveForm(ctx, org.ID, form.CountingTemplate())
			if err != nil {
				t.Fatal(err)
			}
			batch := func(round int, reverse bool) []*store.Report {
				var rs []*store.Report
				for i := range 150 {
					rs = append(rs, &store.Report{OrgID: org.ID, ElectionID: e.ID, FormID: sf.ID, Phase: "counting", AreaID: root.ID,
						Channel: "api", ClientID: fmt.Sprintf("r%d-%03d", round, i), Answers: []byte(`{}`), Submitted: time.Now(), Received: time.Now()})
				}
				if reverse {
					slices.Reverse(rs)
				}
				return rs
			}
			for round := range 8 {
				var wg sync.WaitGroup
				errs := make([]error, 2)
				created := make([][]bool, 2)
				start := make(chan struct{})
				for i, db := range []*store.DB{a, b} {
					rs := batch(round, i == 1)
					wg.Go(func() {
						<-start
						errs[i] = db.InTx(ctx, func(tx *sql.Tx) error {
							var err error
							created[i], err = store.InsertReports(ctx, tx, db.Dialect, rs)
							return err
						})
					})
				}
				close(start)
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d, instance %d: %v", round, i, err)
					}
				}
				n := 0
				for _, cs := range created {
					for _, c := range cs {
						if c {
							n++
						}
					}
				}
				if n != 150 {
					t.Fatalf("round %d: %d reports created, want 150", round, n)
				}
			}
		})
	}
}

// TestChangeNotificationPayload: on PostgreSQL, Touch's one statement
// notifies "election seq kind,kind" with the sequence it stored, on the
// channel of the database's schema, which the feed reads back (the feed
// alone would not tell: its poll finds a change whose notification was
// lost).
func TestChangeNotificationPayload(t *testing.T) {
	addr := storetest.PostgresAddr(t)
	ctx := context.Background()
	db := storetest.Open(t, addr)
	e := &election.Election{Name: "e", Kind: election.Presidential, Options: []election.Option{{Name: "A"}}}
	if err := db.CreateElection(ctx, e); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(addr)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `LISTEN "`+store.NotifyChannel+":"+schema+`"`); err != nil {
		t.Fatal(err)
	}
	for _, kinds := range [][]store.ChangeKind{{store.ChangeReports, store.ChangeProtocols}, {store.ChangePhotos}, nil, {store.ChangeConfig, store.ChangeConfig}} {
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			return store.Touch(ctx, tx, db.Dialect, []int64{e.ID}, kinds...)
		}); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		seq, err := db.Changes().Sync(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Each kind once (a kind given twice is announced once).
		kinds = slices.Compact(kinds)
		ks := make([]string, len(kinds))
		for i, k := range kinds {
			ks[i] = string(k)
		}
		if want := fmt.Sprintf("%d %d %s", e.ID, seq, strings.Join(ks, ",")); n.Payload != want {
			t.Fatalf("payload %q, want %q", n.Payload, want)
		}
		c, err := store.ParseChange(n.Payload)
		if err != nil || c.Election != e.ID || c.Seq != seq || !slices.Equal(c.Kinds, kinds) {
			t.Fatalf("ParseChange(%q) = %+v, %v", n.Payload, c, err)
		}
		for _, k := range kinds {
			if got, err := db.Changes().Seq(ctx, e.ID, k); err != nil || got != seq {
				t.Fatalf("Seq(%s) = %d, %v; want %d", k, got, err, seq)
			}
		}
	}
}

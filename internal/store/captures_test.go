package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/store/storetest"
)

// TestSaveCaptureConcurrent has several watchers (two servers' `vigil
// watch`, or a watch and a manual capture) save the same fetched version
// of a URL at once, then a changed one: each distinct version must be
// stored once, chained to the one before, with one leaf each, and the log
// must audit clean. On PostgreSQL each transaction reads the latest version
// before inserting; without a lock two would both find none and both store
// "version 1".
func TestSaveCaptureConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const url = "https://results.example.org/final.csv"
		save := func(body string) int {
			var wg sync.WaitGroup
			var mu sync.Mutex
			stored := 0
			for range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					sum := sha256.Sum256([]byte(body))
					c := &store.Capture{URL: url, Fetched: time.Now().UTC(), SHA256: hex.EncodeToString(sum[:]), Size: len(body), ContentType: "text/csv", Body: []byte(body)}
					ok, err := db.SaveCapture(ctx, c)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						stored++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return stored
		}
		if n := save("a,1\n"); n != 1 {
			t.Fatalf("first version stored %d times", n)
		}
		if n := save("a,2\n"); n != 1 {
			t.Fatalf("changed version stored %d times", n)
		}
		cs, err := db.Captures(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 || cs[0].PreviousSHA256 != "" || cs[1].PreviousSHA256 != cs[0].SHA256 {
			t.Fatalf("captures: %+v", cs)
		}
		a, err := db.AuditTransparencyLog(ctx)
		if err != nil || len(a.Problems) > 0 {
			t.Fatalf("audit: %+v %v", a, err)
		}
	})
}

package main

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/observe/load"
	"github.com/vigil-elections/vigil/internal/store"
)

// TestCrashDuringLoad starts the real vigil binary, sends it reports from
// 100 concurrent clients, kills it with SIGKILL in the middle, restarts it
// on the same address while the clients keep retrying, and then checks
// that every report acknowledged before the kill survived it, that every
// report was in the end acknowledged, and that the retries of the reports
// in flight at the kill were stored once.
func TestCrashDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server: skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "vigil")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/vigil-elections/vigil/cmd/vigil").CombinedOutput(); err != nil {
		t.Fatalf("building vigil: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "crash.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	electionID, token, err := load.Setup(ctx, db, 500)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	start := func() *exec.Cmd {
		// One token sends the whole load: lift the per-observer intake
		// budget (issue 10) that would otherwise answer it with 429s; no
		// metrics listener, so parallel tests do not compete for its port.
		cmd := exec.Command(bin, "serve", "--db", dbPath, "--addr", addr, "--metrics-addr=",
			"--report-burst", "1000000", "--report-every", "1ns")
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = nil
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "serving") {
					ready <- true
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatal("server did not start")
		}
		return cmd
	}

	const reports = 6000
	var mu sync.Mutex
	acked := map[int]bool{}
	killed := false
	var beforeKill []int
	server := start()
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })

	done := make(chan load.Result, 1)
	go func() {
		done <- load.Run(ctx, load.Config{URL: "http://" + addr, Token: token, ElectionID: electionID, Stations: 500, Clients: 100,
			Reports: reports, Duration: 90 * time.Second, Prefix: "crash", Retries: 40,
			OnAck: func(i int) {
				mu.Lock()
				acked[i] = true
				mu.Unlock()
			}})
	}()
	// Kill once a good part of the reports are in.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= reports/3 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := server.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	server.Wait()
	mu.Lock()
	killed = true
	for i := range acked {
		beforeKill = append(beforeKill, i)
	}
	mu.Unlock()
	time.Sleep(300 * time.Millisecond) // clients fail and retry meanwhile
	server = start()
	res := <-done
	t.Logf("load: %v; %d acknowledged before the kill; first error: %s", res, len(beforeKill), res.FirstError)
	if !killed || res.Errors == 0 {
		t.Fatalf("the kill was not felt by the clients (errors %d)", res.Errors)
	}
	server.Process.Kill()
	server.Wait()

	db, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := map[string]int{}
	rows, err := db.QueryContext(ctx, `SELECT client_id FROM reports`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		stored[id]++
	}
	rows.Close()
	for _, i := range beforeKill {
		if stored[load.ClientID("crash", i)] != 1 {
			t.Errorf("report %d was acknowledged before the kill and is not in the database", i)
		}
	}
	if res.Acked != reports || len(acked) != reports {
		t.Errorf("%d of %d reports acknowledged in the end (%d distinct)", res.Acked, reports, len(acked))
	}
	if len(stored) != reports {
		t.Errorf("%d reports stored, want %d", len(stored), reports)
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	// Audit entries match reports one to one: the kill left no half batch.
	var audits int
	db.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE action = 'report.submit'`).Scan(&audits)
	if audits != len(stored) {
		t.Errorf("%d audit entries for %d reports", audits, len(stored))
	}
}

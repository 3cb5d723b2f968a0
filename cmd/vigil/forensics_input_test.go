package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/stored"
	"github.com/vigil-elections/vigil/internal/tally"
)

// TestForensicFileAsLoadFile: the column reader gives the forensic
// commands the same stations, votes, paths and refusals as reading the file
// into areas and protocols and going through stored (what --db does).
func TestForensicFileAsLoadFile(t *testing.T) {
	for _, c := range []struct{ file, mapping string }{
		{"testdata/small.csv", "testdata/small.json"},
	} {
		d, err := readForensicFile(c.file, c.mapping)
		if err != nil {
			t.Fatal(err)
		}
		r, err := loadFile(c.file, c.mapping)
		if err != nil {
			t.Fatal(err)
		}
		r.Selector = tally.Selector{Sources: []election.Source{election.OfficialFinal}} // as load sets it
		chosen, ix, err := r.stationProtocols()
		if err != nil {
			t.Fatal(err)
		}
		li, err := stored.Leader(r.Election, chosen, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := d.leader(""); err != nil || got != li {
			t.Fatalf("%s: leader %d (%v), want %d", c.file, got, err, li)
		}
		d.setLeader(li)
		rows, refused := stored.StationsRefused(ix, chosen, li)
		if len(rows) != len(d.st) || len(rows) == 0 {
			t.Fatalf("%s: %d stations, want %d", c.file, len(d.st), len(rows))
		}
		nopt := len(r.Election.Options)
		for i, row := range rows {
			if d.st[i] != row.Station || !slices.Equal(d.votes[i*nopt:(i+1)*nopt], row.Votes) || !slices.Equal(d.path(i), row.Area.Path) {
				t.Fatalf("%s: station %d: %+v %v %v, want %+v %v %v", c.file, i, d.st[i], d.votes[i*nopt:(i+1)*nopt], d.path(i), row.Station, row.Votes, row.Area.Path)
			}
		}
		if fmt.Sprint(d.refused) != fmt.Sprint(refused) {
			t.Fatalf("%s: refused %v, want %v", c.file, d.refused, refused)
		}
	}
}

// TestForensicFileRepeatedPath: a row repeating a station's path, or
// naming an area another row went through, is a station of its own named
// by its line, as loadFile names it.
func TestForensicFileRepeatedPath(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "r.csv")
	os.WriteFile(csv, []byte("region,district,station,registered,issued,in_box,invalid,valid,Leader,Second,Third,Fourth,Fifth,Sixth\n"+
		"R,D,1,500,300,300,5,295,200,50,20,10,10,5\n"+
		"R,D,1,500,310,310,5,305,210,50,20,10,10,5\n"+
		"R,D,2,400,0,0,0,0,0,0,0,0,0,0\n"), 0o644)
	d, err := readForensicFile(csv, "../../bench/gen-stations/mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.st) != 2 || d.refused["no ballots at all (did not report, or annulled)"] != 1 {
		t.Fatalf("%d stations, refused %v", len(d.st), d.refused)
	}
	if p := d.path(1); !slices.Equal(p, []string{"R", "D", "1 (line 3)"}) {
		t.Fatalf("repeated row's path %q", p)
	}
}

// BenchmarkReadForensicFile reads a synthetic file of 100,000 stations the
// way the forensic commands do (docs/performance.md, "Forensics at 1M").
func BenchmarkReadForensicFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "100k.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("region,district,station,registered,issued,in_box,invalid,valid,Leader,Second,Third,Fourth,Fifth,Sixth\n")
	for i := range 100000 {
		v := 300 + i%2500
		g := v * (40 + i%50) / 100
		inv := g / 60
		l := (g - inv) * (30 + i%40) / 100
		rest := g - inv - l
		fmt.Fprintf(w, "Region %d,District %d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n", i%80, i/400, i, v, g, g, inv, g-inv,
			l, rest/2, rest/4, rest/8, rest/16, rest-rest/2-rest/4-rest/8-rest/16)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d, err := readForensicFile(path, "../../bench/gen-stations/mapping.json")
		if err != nil || len(d.st) != 100000 {
			b.Fatal(len(d.st), err)
		}
	}
}

// TestForensicFileListedAsStored: the stations the column reader names
// under "excluded_stations" (refused rows, impossible figures) are those
// stored.StationsListed names from loadFile's model, with the same ids, in
// the same order: a repeated path, a row without ballots and a station
// with more leader votes than ballots among ordinary rows.
func TestForensicFileListedAsStored(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "r.csv")
	os.WriteFile(csv, []byte("region,district,station,registered,issued,in_box,invalid,valid,Leader,Second,Third,Fourth,Fifth,Sixth\n"+
		"R,D,1,500,300,300,5,295,200,50,20,10,10,5\n"+
		"R,D,2,400,0,0,0,0,0,0,0,0,0,0\n"+
		"R,E,1,500,310,310,5,305,210,50,20,10,10,5\n"+
		"R,D,1,500,300,300,5,295,400,0,0,0,0,0\n"+
		"S,F,9,600,0,0,0,0,0,0,0,0,0,0\n"+
		"S,F,10,600,100,100,0,100,90,10,0,0,0,0\n"+
		"S,F,11,600,100,100,0,100,150,0,0,0,0,0\n"), 0o644)
	mapping := "../../bench/gen-stations/mapping.json"
	e := &env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
	fi, fs := addForensicFlags(e, "test", "")
	if err := fs.Parse([]string{"--file", csv, "--mapping", mapping}); err != nil {
		t.Fatal(err)
	}
	d, _, err := fi.stations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := loadFile(csv, mapping)
	if err != nil {
		t.Fatal(err)
	}
	r.Selector = tally.Selector{Sources: []election.Source{election.OfficialFinal}}
	chosen, ix, err := r.stationProtocols()
	if err != nil {
		t.Fatal(err)
	}
	li, err := stored.Leader(r.Election, chosen, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, want, refused := stored.StationsListed(ix, chosen, li)
	if len(rows) != len(d.st) || fmt.Sprint(fi.refused) != fmt.Sprint(refused) {
		t.Fatalf("%d stations, refused %v; want %d, %v", len(d.st), fi.refused, len(rows), refused)
	}
	// Two refused rows and two impossible ones (L > R), each under its
	// reason: the test would pass on empty lists otherwise.
	if n := len(want[forensics.ExclNotReported]) + len(want[forensics.ExclLeaderAboveR]); n != 4 {
		t.Fatalf("the fixture lists %v, want 2 refused and 2 with L > R", want)
	}
	if len(fi.listed) != len(want) {
		t.Fatalf("listed %v, want %v", fi.listed, want)
	}
	for why, l := range want {
		if !slices.Equal(fi.listed[why], l) {
			t.Errorf("%s: %v, want %v", why, fi.listed[why], l)
		}
	}
}

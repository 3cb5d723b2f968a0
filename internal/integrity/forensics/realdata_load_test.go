package forensics

// A small test-only loader for the real data in shared/election-data, until
// internal/ingest (CSV/XLSX with a JSON column mapping) lands on main. It
// knows the columns of each file it reads and nothing else.

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/realdata"
)

type table struct {
	header []string
	rows   [][]string
}

// readTable reads a CSV, plain, gzipped or as the single file of a zip.
func readTable(path string) (table, error) {
	f, err := os.Open(path)
	if err != nil {
		return table{}, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	switch {
	case strings.HasSuffix(path, ".zip"):
		st, err := f.Stat()
		if err != nil {
			return table{}, err
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return table{}, err
		}
		if len(zr.File) != 1 {
			return table{}, fmt.Errorf("%s: %d files in the zip, want 1", path, len(zr.File))
		}
		rc, err := zr.File[0].Open()
		if err != nil {
			return table{}, err
		}
		defer rc.Close()
		r = bufio.NewReaderSize(rc, 1<<20)
	case strings.HasSuffix(path, ".gz"):
		gz, err := gzip.NewReader(r)
		if err != nil {
			return table{}, err
		}
		defer gz.Close()
		r = gz
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	all, err := cr.ReadAll()
	if err != nil {
		return table{}, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if len(all) == 0 {
		return table{}, fmt.Errorf("%s: empty", path)
	}
	h := all[0]
	for i := range h {
		h[i] = strings.TrimSpace(strings.TrimPrefix(h[i], "\ufeff"))
	}
	return table{header: h, rows: all[1:]}, nil
}

// cols returns the indices of the header names that satisfy pred.
func (t table) cols(pred func(string) bool) []int {
	var out []int
	for i, h := range t.header {
		if pred(h) {
			out = append(out, i)
		}
	}
	return out
}

// named returns the indices of exactly these header names, or an error.
func (t table) named(names ...string) ([]int, error) {
	var out []int
	for _, n := range names {
		found := -1
		for i, h := range t.header {
			if h == n {
				found = i
				break
			}
		}
		if found < 0 {
			return nil, fmt.Errorf("no column %q in %q", n, t.header)
		}
		out = append(out, found)
	}
	return out, nil
}

// sum adds the integer fields at idx; ok is false when one is empty or not
// a number (a station with no data).
func sum(row []string, idx []int) (int64, bool) {
	var s int64
	for _, i := range idx {
		if i >= len(row) {
			return 0, false
		}
		f := strings.TrimSpace(row[i])
		if f == "" {
			return 0, false
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			x, ferr := strconv.ParseFloat(f, 64)
			if ferr != nil || x != float64(int64(x)) {
				return 0, false
			}
			n = int64(x)
		}
		s += n
	}
	return s, true
}

// place is a loaded station with its location.
type place struct {
	Station
	Region, UIK string
}

// cached loads each file once per test binary.
var cached sync.Map // key → func() ([]place, error)

func load(tb testing.TB, rel string, f func(path string) ([]place, error)) []place {
	tb.Helper()
	path := realdata.Path(tb, rel)
	fn, _ := cached.LoadOrStore(rel, sync.OnceValues(func() ([]place, error) { return f(path) }))
	st, err := fn.(func() ([]place, error))()
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func stations(p []place) []Station {
	st := make([]Station, len(p))
	for i := range p {
		st[i] = p[i].Station
	}
	return st
}

// russia loads one Russian federal election (dkobak/elections format):
// V the registered voters ("Число избирателей, включенных/внесенных в
// список…", 2020 "Число участников голосования, включенных в список…"); G the
// sum of the ballots issued (early, in the station, outside; 2020 one
// column); R invalid + valid (2020: invalid + ДА + НЕТ); L Putin, Medvedev
// (2008), United Russia, or ДА (2020). Group is the TIK. Rows without data
// (2024's four annexed regions) are skipped.
func russia(tb testing.TB, year string) []place {
	return load(tb, "russia-kobak-shpilkin/"+year+".csv.zip", func(path string) ([]place, error) {
		t, err := readTable(path)
		if err != nil {
			return nil, err
		}
		lower := func(s string) string { return strings.ToLower(s) }
		v := t.cols(func(h string) bool {
			return (strings.HasPrefix(h, "Число избирателей") || strings.HasPrefix(h, "Число участников голосования")) &&
				strings.Contains(h, "в спис")
		})
		g := t.cols(func(h string) bool {
			l := lower(h)
			return strings.Contains(l, "выданн") && strings.Contains(l, "бюллетен") && !strings.Contains(l, "открепит")
		})
		inv := t.cols(func(h string) bool { return strings.Contains(lower(h), "недействительн") })
		valid := t.cols(func(h string) bool { return strings.HasPrefix(h, "Число действительных") })
		if year == "2020" {
			valid, _ = t.named("ДА", "НЕТ")
		}
		l := t.cols(func(h string) bool {
			return strings.Contains(h, "Путин") || strings.Contains(h, "ЕДИНАЯ РОССИЯ") ||
				strings.Contains(h, "Медведев") || h == "ДА"
		})
		meta, err := t.named("region", "tik", "uik")
		if err != nil {
			return nil, err
		}
		if len(v) != 1 || len(g) < 1 || len(inv) != 1 || len(valid) < 1 || len(l) != 1 {
			return nil, fmt.Errorf("%s: columns V %v G %v invalid %v valid %v L %v", path, v, g, inv, valid, l)
		}
		if year != "2020" && len(g) != 3 {
			return nil, fmt.Errorf("%s: %d ballots-issued columns, want 3", path, len(g))
		}
		r := append(append([]int{}, inv...), valid...)
		out := make([]place, 0, len(t.rows))
		for _, row := range t.rows {
			vv, ok1 := sum(row, v)
			gg, ok2 := sum(row, g)
			rr, ok3 := sum(row, r)
			ll, ok4 := sum(row, l)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				continue
			}
			out = append(out, place{
				Station: Station{V: vv, G: gg, R: rr, L: ll, Group: row[meta[1]]},
				Region:  row[meta[0]],
				UIK:     strings.TrimSpace(strings.TrimPrefix(row[meta[2]], "УИК №")),
			})
		}
		return out, nil
	})
}

// generic loads a file whose V, G, R and L are sums of named columns; when
// parties is not nil, R also adds every column parties accepts (for files
// without a valid-votes total). Rows with no ballots at all (stations that
// did not report) and rows with a missing number are skipped.
func generic(tb testing.TB, rel, group string, v, g, r, l []string, parties func(string) bool) []place {
	return load(tb, rel, func(path string) ([]place, error) {
		t, err := readTable(path)
		if err != nil {
			return nil, err
		}
		var idx [4][]int
		for k, names := range [4][]string{v, g, r, l} {
			if idx[k], err = t.named(names...); err != nil {
				return nil, fmt.Errorf("%s: %w", rel, err)
			}
		}
		if parties != nil {
			idx[2] = append(idx[2], t.cols(parties)...)
		}
		gi, err := t.named(group)
		if err != nil {
			return nil, err
		}
		var out []place
		for _, row := range t.rows {
			var x [4]int64
			ok := true
			for k := range idx {
				var okk bool
				x[k], okk = sum(row, idx[k])
				ok = ok && okk
			}
			if !ok || x[1] == 0 && x[2] == 0 { // no data, or a station that did not report
				continue
			}
			out = append(out, place{Station: Station{V: x[0], G: x[1], R: x[2], L: x[3], Group: row[gi[0]]}})
		}
		return out, nil
	})
}

// koibUIKs returns the UIK numbers of Bashkortostan's scanner (KOIB)
// stations in 2018.
func koibUIKs(tb testing.TB) map[string]bool {
	t, err := readTable(realdata.Path(tb, "russia-kobak-shpilkin/koib_bashkortostan_2018_uik_numbers.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]bool{}
	for _, r := range t.rows {
		m[strings.TrimSpace(r[0])] = true
	}
	return m
}

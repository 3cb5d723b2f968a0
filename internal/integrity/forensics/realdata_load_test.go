package forensics

// The real data in shared/election-data, read with internal/ingest and the
// worked column mappings of docs/mappings, then reduced to the V, G, R, L of
// METHODS.md.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-elections/vigil/internal/ingest"
	"github.com/vigil-elections/vigil/internal/realdata"
)

// place is a loaded station with its location.
type place struct {
	Station
	Region, UIK string
}

// mappingPath finds docs/mappings/<name>.json from the package directory.
func mappingPath(tb testing.TB, name string) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "docs", "mappings", name+".json")
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("mapping %s: %v", name, err)
	}
	return p
}

// loadStations reads a results file with its mapping and reduces each
// station with FromFigures (L the option named leader, or whose name
// contains it); Group is the area at level group of the path (negative: from
// the end). Stations listed without any result, stations with no ballots, and
// rows the reader rejects (at most 1 % of them, else the load fails) are
// skipped.
func loadStations(rel, mapping, leader string, group int) ([]place, error) {
	m, err := ingest.LoadMapping(mapping)
	if err != nil {
		return nil, err
	}
	r, err := ingest.Open(rel, m)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	li := -1
	for i, o := range r.Options() {
		if o == leader { // an exact name wins ("PS" beside "PSD")
			li = i
			break
		}
		if strings.Contains(o, leader) {
			if li >= 0 {
				return nil, fmt.Errorf("%s: options %q and %q both match leader %q", rel, r.Options()[li], o, leader)
			}
			li = i
		}
	}
	if li < 0 {
		return nil, fmt.Errorf("%s: no option matches leader %q in %q", rel, leader, r.Options())
	}
	var out []place
	rows, bad := 0, 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if ingest.IsRowError(err) {
				rows++
				bad++
				continue
			}
			return nil, err
		}
		rows++
		if row.Empty() {
			continue
		}
		st, ok := FromFigures(row.Figures, row.Votes, li)
		if !ok {
			continue
		}
		gi := group
		if gi < 0 {
			gi += len(row.Path)
		}
		gi = min(max(gi, 0), len(row.Path)-1)
		out = append(out, place{
			Station: Station{V: st.V, G: st.G, R: st.R, L: st.L, Fallback: st.Fallback, Group: row.Path[gi]},
			Region:  row.Path[0],
			UIK:     strings.TrimSpace(strings.TrimPrefix(row.Path[len(row.Path)-1], "УИК №")),
		})
	}
	if bad*100 > rows {
		return nil, fmt.Errorf("%s: %d of %d rows rejected by the reader", rel, bad, rows)
	}
	return out, nil
}

// cached loads each file once per test binary.
var cached sync.Map // key → func() ([]place, error)

func load(tb testing.TB, rel, mapping, leader string, group int) []place {
	tb.Helper()
	path := realdata.Path(tb, rel)
	mp := mappingPath(tb, mapping)
	fn, _ := cached.LoadOrStore(rel, sync.OnceValues(func() ([]place, error) {
		return loadStations(path, mp, leader, group)
	}))
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

// russiaLeader is the leader's option in each Russian election: Putin,
// Medvedev (2008), United Russia (Duma), "ДА" (2020 referendum).
var russiaLeader = map[string]string{
	"2004": "Путин", "2007": "ЕДИНАЯ РОССИЯ", "2008": "Медведев", "2011": "ЕДИНАЯ РОССИЯ",
	"2012": "Путин", "2016": "ЕДИНАЯ РОССИЯ", "2018": "Путин", "2020": "ДА",
	"2021": "ЕДИНАЯ РОССИЯ", "2024": "Путин",
}

// russia loads one Russian federal election; Group is the TIK (the level
// above the station).
func russia(tb testing.TB, year string) []place {
	return load(tb, "russia-kobak-shpilkin/"+year+".csv.zip", "russia-"+year, russiaLeader[year], -2)
}

// koibUIKs returns the UIK numbers of Bashkortostan's scanner (KOIB)
// stations in 2018.
func koibUIKs(tb testing.TB) map[string]bool {
	f, err := os.Open(realdata.Path(tb, "russia-kobak-shpilkin/koib_bashkortostan_2018_uik_numbers.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	if len(recs) < 2 || recs[0][0] != "uik_number" {
		tb.Fatal(errors.New("koib list: unexpected header"))
	}
	m := map[string]bool{}
	for _, r := range recs[1:] {
		m[strings.TrimSpace(r[0])] = true
	}
	return m
}

package ingest

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/realdata"
)

// realCase imports one real file through its worked mapping in
// docs/mappings and checks it against what the data set's SOURCE.txt or
// README says (see docs/validation/import.md).
type realCase struct {
	mapping string // docs/mappings/<mapping>.json
	file    string // inside the election-data directory
	rows    int    // stations read (the source's count)
	dups    int    // rows repeating an earlier row's area path
	empty   int    // rows with no figure and no vote
	// validOff: rows whose options do not sum to the valid figure.
	validOff int
	figures  map[election.Figure]int64
	// shares are percentages of all options' votes, as the sources round
	// them (two decimals).
	shares map[string]float64
	// check, when set, sees every row and then the totals.
	check func() (each func(Row), done func(t *testing.T, tt totals))
}

var realCases = []realCase{
	// Russia: README-data-notes.md gives stations and registered voters.
	{mapping: "russia-2004", file: "russia-kobak-shpilkin/2004.csv.zip", rows: 95779,
		figures: fig(election.Registered, 108064342), check: zeroBallots(2, 108064281)},
	{mapping: "russia-2007", file: "russia-kobak-shpilkin/2007.csv.zip", rows: 96193,
		figures: fig(election.Registered, 109148196), check: zeroBallots(11, 109145517)},
	{mapping: "russia-2008", file: "russia-kobak-shpilkin/2008.csv.zip", rows: 96612,
		figures: fig(election.Registered, 107222016)},
	{mapping: "russia-2011", file: "russia-kobak-shpilkin/2011.csv.zip", rows: 95225,
		figures: fig(election.Registered, 109229337)},
	{mapping: "russia-2012", file: "russia-kobak-shpilkin/2012.csv.zip", rows: 95415,
		figures: fig(election.Registered, 109860331)},
	{mapping: "russia-2016", file: "russia-kobak-shpilkin/2016.csv.zip", rows: 96871,
		figures: fig(election.Registered, 110061200)},
	{mapping: "russia-2018", file: "russia-kobak-shpilkin/2018.csv.zip", rows: 97699,
		figures: fig(election.Registered, 109008428), check: russia2018Cancelled},
	{mapping: "russia-2020", file: "russia-kobak-shpilkin/2020.csv.zip", rows: 96765,
		figures: fig(election.Registered, 107999611)},
	{mapping: "russia-2021", file: "russia-kobak-shpilkin/2021.csv.zip", rows: 96325,
		figures: fig(election.Registered, 109204662), check: russia2021EVoting},
	{mapping: "russia-2024", file: "russia-kobak-shpilkin/2024.csv.zip", rows: 94214, empty: 2268,
		figures: fig(election.Registered, 99764974), check: russia2024NoBallots},

	// Uganda: SOURCE.txt gives stations and shares of valid votes.
	{mapping: "uganda-2006", file: "uganda-uedp/uganda_2006_presidential_by_station.csv.gz", rows: 19786,
		// The mapping corrects the shifted labels: see SOURCE.txt's warning.
		shares: map[string]float64{"Kizza Besigye": 37.41, "John Ssebaana Kizito": 1.58, "Miria Obote": 0.82, "Yoweri Museveni": 59.24}},
	{mapping: "uganda-2011", file: "uganda-uedp/uganda_2011_presidential_by_station.csv.gz", rows: 23968,
		shares: map[string]float64{"Yoweri Museveni": 68.57, "Kizza Besigye": 26.13}, check: ugandaTurnout(59.22)},
	{mapping: "uganda-2016", file: "uganda-uedp/uganda_2016_presidential_by_station.csv.gz", rows: 28010,
		shares: map[string]float64{"Yoweri Museveni": 60.62, "Kizza Besigye": 35.61}},
	{mapping: "uganda-2021", file: "uganda-uedp/uganda_2021_presidential_by_station.csv.gz", rows: 34684,
		shares: map[string]float64{"Yoweri Museveni": 58.38, "Robert Kyagulanyi Ssentamu": 35.08}},
	{mapping: "uganda-2021-all-stations", file: "uganda-uedp/uganda_2021_all_stations_incl_nullified.csv.gz", rows: 34767, dups: 71,
		shares: map[string]float64{"Yoweri Museveni": 58.38, "Robert Kyagulanyi Ssentamu": 35.08}},

	// Mexico: SOURCE.txt gives the casillas; the shares are the official
	// national results (IFE cómputos distritales), which the full counts
	// reproduce to within rounding.
	{mapping: "mexico-2012", file: "mexico-ine-quickcount/nal_2012.csv.gz", rows: 143132,
		figures: map[election.Figure]int64{election.Registered: 79433171, election.BallotsInBox: 50282086}},
	{mapping: "mexico-2006", file: "mexico-ine-quickcount/nal_2006.csv.gz", rows: 130777,
		shares: map[string]float64{"Felipe Calderón (PAN)": 35.89, "Andrés Manuel López Obrador (PRD-PT-Convergencia)": 35.31,
			"Roberto Madrazo (PRI-PVEM)": 22.26, "Patricia Mercado (PSD)": 2.70, "Roberto Campa (PANAL)": 0.96}},
	{mapping: "mexico-2018-remesas", file: "mexico-ine-quickcount/2018_REMESAS0100020000.txt", rows: 6307,
		figures: map[election.Figure]int64{election.Registered: 3620769, election.BallotsInBox: 2275143, election.Invalid: 58979}},

	{mapping: "mexico-2018-arrivals", file: "mexico-ine-quickcount/arrivals_tbl.csv.gz", rows: 7754,
		figures: map[election.Figure]int64{election.Registered: 4402784, election.BallotsInBox: 2268102}, check: arrivals(6286)},
	// The 2015 governor elections: SOURCE.txt gives no counts; recorded.
	{mapping: "mexico-2015-chih", file: "mexico-ine-quickcount/chih_2015.csv.gz", rows: 5156, figures: fig(election.Registered, 2643565)},
	{mapping: "mexico-2015-col", file: "mexico-ine-quickcount/col_2015.csv.gz", rows: 905, dups: 1, figures: fig(election.Registered, 498531)},
	{mapping: "mexico-2015-mich", file: "mexico-ine-quickcount/mich_2015.csv.gz", rows: 5790, figures: fig(election.Registered, 3231184)},
	{mapping: "mexico-2015-nay", file: "mexico-ine-quickcount/nay_2015.csv.gz", rows: 1624, figures: fig(election.Registered, 814110)},
	{mapping: "mexico-2015-zac", file: "mexico-ine-quickcount/zac_2015.csv.gz", rows: 2479, figures: fig(election.Registered, 1131102)},

	// Georgia: SOURCE.txt gives precincts and shares of valid votes.
	{mapping: "georgia-2012-party-list", file: "georgia-forset/2012_official_party_list.csv", rows: 3696, dups: 1},
	{mapping: "georgia-2012-major", file: "georgia-forset/2012_official_major.csv", rows: 3649, dups: 1},
	{mapping: "georgia-2013-pres", file: "georgia-forset/2013_official_pres.csv", rows: 3707,
		shares: map[string]float64{"41 - Giorgi Margvelashvili": 62.12, "5 - Davit Bakradze": 21.72, "14 - Nino Burjanadze": 10.19}},
	{mapping: "georgia-2014-local-party", file: "georgia-forset/2014_official_local_party.csv", rows: 3637, empty: 20},
	{mapping: "georgia-2016-parl-party", file: "georgia-forset/2016_official_parl_party.csv", rows: 3668, validOff: 1033,
		shares:  map[string]float64{"41 - Georgian Dream": 48.68},
		figures: map[election.Figure]int64{election.Valid: 1753522, election.Invalid: 62575}},
	{mapping: "georgia-2016-parl-major", file: "georgia-forset/2016_official_parl_major.csv", rows: 3495},
	{mapping: "georgia-2017-local-party", file: "georgia-forset/2017_official_local_party.csv", rows: 3634},
	{mapping: "georgia-2017-mayor", file: "georgia-forset/2017_official_mayor.csv", rows: 1075},

	// Albania: SOURCE.txt gives stations (2013, 2021).
	{mapping: "albania-2013", file: "albania/albania_2013_parliament_by_station_EFToolkit.csv", rows: 5508,
		figures: map[election.Figure]int64{election.Registered: 3185255, election.BallotsInBox: 1726239}},
	{mapping: "albania-2017", file: "albania/albania_2017_parliament_by_station.xlsx", rows: 5273, dups: 2, validOff: 4290,
		figures: map[election.Figure]int64{election.Registered: 3399962, election.Valid: 1557561, election.Invalid: 31215}},
	{mapping: "albania-2021", file: "albania/albania_2021_parliament_by_station.csv", rows: 5199,
		shares: map[string]float64{"PS": 48.68, "PDAN": 39.43, "LSI": 6.81}},
}

func fig(f election.Figure, n int64) map[election.Figure]int64 {
	return map[election.Figure]int64{f: n}
}

// TestRealData imports every real data set through its worked mapping.
func TestRealData(t *testing.T) {
	for _, c := range realCases {
		t.Run(c.mapping, func(t *testing.T) {
			path := realdata.Path(t, c.file)
			m, err := LoadMapping(filepath.Join("..", "..", "docs", "mappings", c.mapping+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var each func(Row)
			var done func(*testing.T, totals)
			if c.check != nil {
				each, done = c.check()
			}
			tt := sumFile(t, path, m, each)
			for i, e := range tt.rowErrs {
				if i == 5 {
					break
				}
				t.Errorf("row error: %v", e)
			}
			if len(tt.rowErrs) > 0 {
				t.Errorf("%d row errors", len(tt.rowErrs))
			}
			if tt.rows != c.rows {
				t.Errorf("rows = %d, want %d", tt.rows, c.rows)
			}
			if tt.dupPaths != c.dups {
				t.Errorf("rows repeating an area path = %d, want %d", tt.dupPaths, c.dups)
			}
			if tt.validOff != c.validOff {
				t.Errorf("rows whose options do not sum to valid = %d, want %d", tt.validOff, c.validOff)
			}
			if tt.empty != c.empty {
				t.Errorf("empty rows = %d, want %d", tt.empty, c.empty)
			}
			for f, want := range c.figures {
				if got := tt.figures[f]; got != want {
					t.Errorf("%s = %d, want %d", f, got, want)
				}
			}
			for o, want := range c.shares {
				got := tt.share(o)
				if got < 0 {
					t.Errorf("no option %q (options: %q)", o, tt.options)
				} else if math.Abs(got-want) > 0.005 {
					t.Errorf("%s: %.4f %%, want %.2f %%", o, got, want)
				}
			}
			if done != nil {
				done(t, tt)
			}
			if testing.Verbose() {
				t.Log(summary(tt))
			}
			checkDetection(t, path, m)
		})
	}
}

func summary(tt totals) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rows %d, empty %d, repeated paths %d, valid != Σ options %d;", tt.rows, tt.empty, tt.dupPaths, tt.validOff)
	for f := election.Figure(0); f < election.NumFigures; f++ {
		if tt.figures[f] != 0 {
			fmt.Fprintf(&b, " %s %d;", f, tt.figures[f])
		}
	}
	fmt.Fprintf(&b, " votes %d", tt.voteSum())
	return b.String()
}

// zeroBallots checks the README's "after excluding N stations with zero
// ballots" registered-voter total.
func zeroBallots(n int, registered int64) func() (func(Row), func(*testing.T, totals)) {
	return func() (func(Row), func(*testing.T, totals)) {
		var zero int
		var reg int64
		return func(r Row) {
				if b, _ := r.Figures.Ballots(); b == 0 {
					zero++
					return
				}
				reg += r.Figures.Value(election.Registered)
			}, func(t *testing.T, _ totals) {
				if zero != n || reg != registered {
					t.Errorf("excluding %d stations with zero ballots: registered %d; README: %d stations, %d", zero, reg, n, registered)
				}
			}
	}
}

// russia2018Cancelled: the README's four later-cancelled stations (CSV
// rows 45559, 45563, 92554, 92561) explain the difference with izbirkom's
// 109,001,306 registered voters.
func russia2018Cancelled() (func(Row), func(*testing.T, totals)) {
	var reg int64
	var n int
	return func(r Row) {
			switch r.Line {
			case 45559, 45563, 92554, 92561:
				n++
				return
			}
			reg += r.Figures.Value(election.Registered)
		}, func(t *testing.T, _ totals) {
			if n != 4 || reg != 109001306 {
				t.Errorf("without the 4 cancelled stations (%d found): registered %d, izbirkom 109001306", n, reg)
			}
		}
}

// russia2021EVoting: 18 electronic-voting pseudo-stations have no uik;
// the mapping keeps them (empty_areas "drop") because the README's total
// includes them.
func russia2021EVoting() (func(Row), func(*testing.T, totals)) {
	var n int
	return func(r Row) {
			if len(r.Path) == 3 && r.Path[2] == "Дистанционное электронное голосование" {
				n++
			}
		}, func(t *testing.T, _ totals) {
			if n != 18 {
				t.Errorf("%d electronic-voting rows, want 18", n)
			}
		}
}

// russia2024NoBallots: "7 polling stations collected no ballots and show
// zero registered voters. Thus the table contains data for 91,939
// polling stations".
func russia2024NoBallots() (func(Row), func(*testing.T, totals)) {
	var zero, data int
	return func(r Row) {
			if r.Empty() {
				return
			}
			if r.Figures.Value(election.Registered) == 0 {
				zero++
				return
			}
			data++
		}, func(t *testing.T, _ totals) {
			if zero != 7 || data != 91939 {
				t.Errorf("zero registered %d (README 7), with data %d (README 91,939)", zero, data)
			}
		}
}

// ugandaTurnout checks (valid+invalid)/registered against SOURCE.txt.
func ugandaTurnout(want float64) func() (func(Row), func(*testing.T, totals)) {
	return func() (func(Row), func(*testing.T, totals)) {
		return nil, func(t *testing.T, tt totals) {
			got := 100 * float64(tt.figures[election.Valid]+tt.figures[election.Invalid]) / float64(tt.figures[election.Registered])
			if math.Abs(got-want) > 0.005 {
				t.Errorf("turnout %.4f %%, SOURCE.txt %.2f %%", got, want)
			}
		}
	}
}

// arrivals: the quick count's casillas that had arrived (status 1) carry
// the total; the others have TOTAL "NA", read as absent.
func arrivals(n int) func() (func(Row), func(*testing.T, totals)) {
	return func() (func(Row), func(*testing.T, totals)) {
		var arrived, withTotal int
		return func(r Row) {
				if r.Attrs["status"] == "1" {
					arrived++
				}
				if r.Figures.Has(election.BallotsInBox) {
					withTotal++
				}
			}, func(t *testing.T, _ totals) {
				if arrived != n || withTotal != n {
					t.Errorf("arrived %d, with a total %d; want %d", arrived, withTotal, n)
				}
			}
	}
}

// checkDetection: without "delimiter", the header found by detection is the
// one the mapping's delimiter gives.
func checkDetection(t *testing.T, path string, m *Mapping) {
	if strings.HasSuffix(path, ".xlsx") {
		return
	}
	header := func(m *Mapping) []string {
		r, err := Open(path, m)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return r.Header()
	}
	auto := *m
	auto.Delimiter = 0
	if got, want := header(&auto), header(m); !reflect.DeepEqual(got, want) {
		t.Errorf("detected delimiter gives header %q, want %q", got, want)
	}
}

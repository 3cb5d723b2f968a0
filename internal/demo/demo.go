// Package demo generates vigil's demonstration election: a realistic,
// synthetic presidential election in the image of Kazakhstan's of 20
// November 2022 — about 10,000 polling stations in 17 regions, 3 cities and
// abroad, about 12 million voters, six candidates and "against all" — with
// irregularities injected where the rest of vigil must find them:
//
//   - ballot stuffing at some stations (extra ballots for the incumbent,
//     issued and found in the box), less often where observers watch the
//     count, as the research on the observer effect finds;
//   - protocol figures altered between the station and the district
//     commission: the official final protocol moves votes to the incumbent,
//     while the preliminary protocol and the observers' copies keep the
//     station's own count;
//   - inflated turnout in some districts, driven to round percentages;
//   - district summary protocols that add votes the stations never had.
//
// Everything is drawn from one seed: the same seed gives the same election.
// The candidates are fictional; the geography is Kazakhstan's.
package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Candidates of the demo election, the incumbent first. Fictional people.
var Candidates = []string{
	"Arman Tolegenov", "Dana Zhaksylykova", "Yerlan Saparov", "Gulnara Abenova",
	"Marat Iskakov", "Saule Nurlanova", "Against all",
}

// Incumbent is the position of the official winner among Candidates.
const Incumbent = 0

var regions = []struct {
	name   string
	city   bool
	weight float64 // share of the electorate
}{
	{"Astana", true, 0.063}, {"Almaty", true, 0.094}, {"Shymkent", true, 0.052},
	{"Abai Region", false, 0.032}, {"Akmola Region", false, 0.039}, {"Aktobe Region", false, 0.046},
	{"Almaty Region", false, 0.073}, {"Atyrau Region", false, 0.032}, {"East Kazakhstan Region", false, 0.038},
	{"Jambyl Region", false, 0.055}, {"Jetisu Region", false, 0.036}, {"Karaganda Region", false, 0.062},
	{"Kostanay Region", false, 0.046}, {"Kyzylorda Region", false, 0.040}, {"Mangystau Region", false, 0.039},
	{"North Kazakhstan Region", false, 0.030}, {"Pavlodar Region", false, 0.042}, {"Turkistan Region", false, 0.110},
	{"Ulytau Region", false, 0.012}, {"West Kazakhstan Region", false, 0.035},
}

var districtRoots = []string{
	"Aksu", "Karasu", "Zhanaarka", "Kokterek", "Shalkar", "Bayterek", "Esil", "Nura", "Saryarka", "Almaly",
	"Bostandyk", "Medeu", "Auezov", "Turan", "Enbek", "Abai", "Kazygurt", "Sairam", "Tole Bi", "Ordabasy",
	"Zhambyl", "Talas", "Merke", "Shu", "Kordai", "Ile", "Talgar", "Karasay", "Balkhash", "Kerbulak",
	"Zhetysu", "Ulan", "Tarbagatai", "Zaisan", "Glubokoe", "Altai", "Shemonaikha", "Katon", "Makanshy", "Urzhar",
	"Zhosaly", "Aral", "Kazaly", "Shieli", "Zhanakorgan", "Beyneu", "Mangystau", "Tupkaragan", "Karakiya", "Munaily",
	"Kyzylzhar", "Mamlyut", "Akkayin", "Taiynsha", "Zhambyl", "Ekibastuz", "Aksu", "Bayanaul", "Irtysh", "Maysky",
}

// Station is one generated polling station with its true count and what
// the official records say.
type Station struct {
	Region, District, Number string
	Urban                    bool
	Abroad                   bool
	Registered               int64
	True                     Count // what the station's commission counted (its own protocol)
	Official                 Count // what the official final protocol says
	Stuffed                  int64 // ballots stuffed (in both True and Official)
	Altered                  bool  // Official differs from True
	InflatedDistrict         bool  // the district's turnout was inflated
	Observed                 bool  // an observer team watched the count here (the deployment sample)
}

// Count is one version of a station's protocol figures.
type Count struct {
	Received, IssuedEarly, IssuedStation, IssuedMobile, Cancelled int64
	InBox, Invalid                                                int64
	Votes                                                         []int64
}

// Valid is the sum of the votes.
func (c Count) Valid() int64 {
	var s int64
	for _, v := range c.Votes {
		s += v
	}
	return s
}

// Issued is the total of ballots issued.
func (c Count) Issued() int64 { return c.IssuedEarly + c.IssuedStation + c.IssuedMobile }

// SummaryAddition is votes a district commission's summary protocol adds to
// the incumbent on top of the sum of its stations' official protocols.
type SummaryAddition struct {
	Region, District string
	Votes            int64
}

// Election is a generated election with its ground truth.
type Election struct {
	Seed              uint64
	Stations          []Station
	SummaryAdditions  []SummaryAddition
	InflatedDistricts []string // "Region / District"
}

// Params sizes the generated election.
type Params struct {
	Stations      int     // about 10,000
	ObservedShare float64 // share of stations in the deployment sample (counting observed)
}

// DefaultParams are the demo's.
var DefaultParams = Params{Stations: 10000, ObservedShare: 0.04}

// Generate draws the whole election from seed.
func Generate(seed uint64, p Params) *Election {
	r := rand.New(rand.NewPCG(seed, 0x5eed_0f_d3e0))
	el := &Election{Seed: seed}
	type district struct {
		region, name          string
		city                  bool
		stations              int
		inflated, summaryFake bool
		turnoutShift          float64
		shareShift            float64
		stuffRate             float64 // probability of stuffing at an unobserved station
		alterRate             float64
	}
	var districts []district
	used := map[string]bool{}
	for _, reg := range regions {
		n := int(math.Round(reg.weight * float64(p.Stations) * 1.02))
		nd := 6 + r.IntN(9)
		if reg.city {
			nd = 4 + r.IntN(4)
		}
		// Turnout and support differ by region; some regions are "managed"
		// harder, which is where the irregularities concentrate.
		managed := !reg.city && r.Float64() < 0.45
		for d := 0; d < nd; d++ {
			var name string
			for {
				name = districtRoots[r.IntN(len(districtRoots))] + " District"
				if reg.city {
					name = districtRoots[r.IntN(len(districtRoots))] + " City District"
				}
				if !used[reg.name+name] {
					break
				}
				name = fmt.Sprintf("%s %d", name, d+1)
				if !used[reg.name+name] {
					break
				}
			}
			used[reg.name+name] = true
			ds := district{region: reg.name, name: name, city: reg.city,
				stations:     max(5, n/nd+r.IntN(7)-3),
				turnoutShift: r.NormFloat64() * 0.04, shareShift: r.NormFloat64() * 0.03}
			if managed {
				ds.stuffRate = 0.10 + 0.15*r.Float64()
				ds.alterRate = 0.06 + 0.08*r.Float64()
				ds.inflated = r.Float64() < 0.25
			} else {
				ds.stuffRate = 0.01 * r.Float64()
				ds.alterRate = 0.01 * r.Float64()
			}
			ds.summaryFake = managed && r.Float64() < 0.12
			districts = append(districts, ds)
		}
	}
	districts = append(districts, district{region: "Stations abroad", name: "Abroad", stations: 70})

	for _, d := range districts {
		if d.inflated {
			el.InflatedDistricts = append(el.InflatedDistricts, d.region+" / "+d.name)
		}
		var districtOfficialIncumbent int64
		for i := 0; i < d.stations; i++ {
			st := Station{Region: d.region, District: d.name, Number: fmt.Sprintf("%04d", len(el.Stations)+1)}
			st.Abroad = d.region == "Stations abroad"
			st.Urban = d.city || r.Float64() < 0.35
			st.Observed = r.Float64() < p.ObservedShare
			// Station size: urban stations are larger; a log-normal spread.
			mean := 820.0
			if st.Urban {
				mean = 1750
			}
			if st.Abroad {
				mean = 300
			}
			size := mean * math.Exp(r.NormFloat64()*0.45-0.1)
			st.Registered = int64(math.Max(40, math.Min(3500, size)))
			// The clean count.
			t := clamp(0.69+d.turnoutShift+r.NormFloat64()*0.08-0.05*b2f(d.city), 0.2, 0.93)
			share := clamp(0.81+d.shareShift+r.NormFloat64()*0.06-0.04*b2f(d.city), 0.3, 0.95)
			voters := binom(r, st.Registered, t)
			c := Count{Votes: make([]int64, len(Candidates))}
			c.Invalid = binom(r, voters, 0.012)
			valid := voters - c.Invalid
			inc := binom(r, valid, share)
			c.Votes[Incumbent] = inc
			rest := valid - inc
			// The others split the rest; "against all" takes the largest part.
			w := []float64{0, 1.3, 0.9, 0.95, 0.85, 0.8, 2.2}
			var ws float64
			for k := 1; k < len(w); k++ {
				w[k] *= math.Exp(r.NormFloat64() * 0.3)
				ws += w[k]
			}
			left := rest
			for k := 1; k < len(w); k++ {
				var v int64
				if k == len(w)-1 {
					v = left
				} else {
					v = binom(r, left, w[k]/ws)
					ws -= w[k]
				}
				c.Votes[k] = v
				left -= v
			}
			// Stuffing: deterred where observers watch.
			rate := d.stuffRate
			if st.Observed {
				rate *= 0.25
			}
			if r.Float64() < rate {
				st.Stuffed = int64(float64(st.Registered) * (0.05 + 0.2*r.Float64()))
				st.Stuffed = min(st.Stuffed, st.Registered-voters)
				c.Votes[Incumbent] += st.Stuffed
			}
			if d.inflated && !st.Observed {
				// Turnout driven to a round figure, the excess for the incumbent.
				target := float64(80+5*r.IntN(4)) / 100
				extra := int64(math.Round(target*float64(st.Registered))) - (voters + st.Stuffed)
				if extra > 0 {
					c.Votes[Incumbent] += extra
					st.Stuffed += extra
					st.InflatedDistrict = true
				}
			}
			cast := voters + st.Stuffed
			c.IssuedEarly = binom(r, cast, 0.02)
			c.IssuedMobile = binom(r, cast-c.IssuedEarly, 0.04)
			c.IssuedStation = cast - c.IssuedEarly - c.IssuedMobile
			c.InBox = cast
			c.Cancelled = int64(float64(st.Registered)*0.03) + int64(r.IntN(20))
			c.Received = c.Issued() + c.Cancelled
			st.True = c
			st.Official = c.clone()
			if r.Float64() < d.alterRate {
				// Altered above the station: moved from the others to the
				// incumbent (the figures still add up, which is why only a
				// comparison with the station's own protocol finds it).
				moved := int64(0)
				for k := 1; k < len(Candidates); k++ {
					m := st.Official.Votes[k] * int64(30+r.IntN(50)) / 100
					st.Official.Votes[k] -= m
					moved += m
				}
				st.Official.Votes[Incumbent] += moved
				st.Altered = moved > 0
			}
			districtOfficialIncumbent += st.Official.Votes[Incumbent]
			el.Stations = append(el.Stations, st)
		}
		if d.summaryFake {
			el.SummaryAdditions = append(el.SummaryAdditions, SummaryAddition{Region: d.region, District: d.name,
				Votes: districtOfficialIncumbent / int64(20+r.IntN(30))})
		}
	}
	sort.SliceStable(el.Stations, func(i, j int) bool { return el.Stations[i].Region < el.Stations[j].Region })
	return el
}

func (c Count) clone() Count {
	c.Votes = append([]int64(nil), c.Votes...)
	return c
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// binom draws Binomial(n, p): exact for small n, a normal approximation
// (rounded, clamped) for large n where the difference does not matter for
// a synthetic election.
func binom(r *rand.Rand, n int64, p float64) int64 {
	if n <= 0 || p <= 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	if n < 50 {
		var k int64
		for i := int64(0); i < n; i++ {
			if r.Float64() < p {
				k++
			}
		}
		return k
	}
	m := float64(n) * p
	sd := math.Sqrt(m * (1 - p))
	k := int64(math.Round(m + sd*r.NormFloat64()))
	return max(0, min(n, k))
}

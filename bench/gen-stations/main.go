// Command gen-stations writes a synthetic national results file of any
// size, streaming (memory does not grow with the file), deterministic from
// its seed, for the forensics benchmarks at 1,000,000 stations
// (docs/performance.md, "Forensics at 1M"). With its mapping
// (bench/gen-stations/mapping.json) vigil reads it with --file/--mapping,
// and bench/integer_numpy.py --csv reads the same columns.
//
//	go run ./bench/gen-stations -n 1000000 -seed 1 > /tmp/1m.csv
//
// Stations sit in 80 regions of districts of about 400 stations; a
// district's turnout and leader's share vary around national means, and a
// tenth of the districts add ballots for the leader and round some
// stations' turnout and share to whole percentages, the pattern the
// integer test and the fingerprint look for.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

var options = []string{"Leader", "Second", "Third", "Fourth", "Fifth", "Sixth"}

func main() {
	n := flag.Int("n", 1000000, "stations")
	seed := flag.Uint64("seed", 1, "seed")
	flag.Parse()
	if *n < 1 || *n > 10_000_000 {
		fmt.Fprintln(os.Stderr, "gen-stations: -n 1…10,000,000")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	w.WriteString("region,district,station,registered,issued,in_box,invalid,valid")
	for _, o := range options {
		w.WriteString("," + o)
	}
	w.WriteString("\n")
	r := rand.New(rand.NewPCG(*seed, 0x6e6e))
	const perDistrict = 400
	ndist := (*n + perDistrict - 1) / perDistrict
	votes := make([]int64, len(options))
	row := 0
	for d := 0; d < ndist && row < *n; d++ {
		region := "Region " + strconv.Itoa(d%80+1)
		district := "District " + strconv.Itoa(d+1)
		turnout := clamp(0.55+0.1*r.NormFloat64(), 0.2, 0.9)
		share := clamp(0.5+0.1*r.NormFloat64(), 0.15, 0.85)
		fraud := r.Float64() < 0.1
		for s := 0; s < perDistrict && row < *n; s++ {
			row++
			v := int64(math.Round(math.Exp(6.8 + 0.6*r.NormFloat64())))
			v = max(20, min(v, 4000))
			t := clamp(turnout+0.05*r.NormFloat64(), 0.05, 0.97)
			sh := clamp(share+0.05*r.NormFloat64(), 0.02, 0.97)
			if fraud && r.Float64() < 0.3 {
				t = clamp(t+0.15, 0.05, 0.98)
				sh = clamp(sh+0.15, 0.02, 0.98)
				if r.Float64() < 0.5 { // a target: a whole percentage
					t, sh = math.Round(100*t)/100, math.Round(100*sh)/100
				}
			}
			g := binom(r, v, t)
			inv := binom(r, g, 0.015)
			valid := g - inv
			l := binom(r, valid, sh)
			votes[0] = l
			rest := valid - l
			for k := 1; k < len(options); k++ {
				x := rest
				if k < len(options)-1 {
					x = binom(r, rest, 0.45)
				}
				votes[k] = x
				rest -= x
			}
			fmt.Fprintf(w, "%s,%s,%d,%d,%d,%d,%d,%d", region, district, row, v, g, g, inv, valid)
			for _, x := range votes {
				w.WriteByte(',')
				w.WriteString(strconv.FormatInt(x, 10))
			}
			w.WriteByte('\n')
		}
	}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// binom draws Binomial(n, p) by its normal approximation, rounded and
// clamped (exactness does not matter for a benchmark's input).
func binom(r *rand.Rand, n int64, p float64) int64 {
	if n <= 0 {
		return 0
	}
	x := math.Round(float64(n)*p + math.Sqrt(float64(n)*p*(1-p))*r.NormFloat64())
	return int64(clamp(x, 0, float64(n)))
}

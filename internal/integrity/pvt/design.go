package pvt

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// SizeInput is the input of the NDI sample-size formula.
type SizeInput struct {
	Margin           float64 // E, the margin of error as a proportion (0.01 for ±1 point)
	Confidence       int     // 95 or 99 (Z = 1.96 or 2.58)
	Electorate       float64 // N, registered voters
	P                float64 // expected share; 0 means 0.5 (the most conservative)
	VotersPerStation float64 // average registered voters per station
	Turnout          float64 // expected turnout, a proportion (0.6); 0 means 1
	NonResponse      float64 // expected share of sampled stations that never report, [0, 1)
	DesignEffect     float64 // multiplies n; 0 means 1 (the formula as published)
}

// SizeResult is the sample size in voters and in stations.
type SizeResult struct {
	Z                float64 `json:"z"`
	Voters           float64 `json:"voters"`           // n from the formula, times the design effect
	Stations         int     `json:"stations"`         // ⌈n / (voters per station × turnout)⌉
	StationsToDraw   int     `json:"stations_to_draw"` // ⌈stations / (1 − non-response)⌉
	VotersPerStation float64 `json:"voters_per_station"`
}

// SampleSize applies the formula of Estok, Nevitte & Cowan (NDI 2002):
//
//	n = P(1−P) / (E²/Z² + P(1−P)/N)
//
// voters, with Z = 1.96 (95 %) or 2.58 (99 %), the rounded values of the
// book. Stations = ⌈n·deff / (voters per station × turnout)⌉, and the number
// to draw adds the non-response margin: ⌈stations / (1 − non-response)⌉.
//
// The formula treats voters as drawn one by one; a PVT draws whole stations,
// whose voters resemble each other, so the real margin is wider unless a
// design effect is given (3–18 measured on Mexico 2006 and 2012). The
// validation document measures it on Mexico's 2012 count.
func SampleSize(in SizeInput) (SizeResult, error) {
	var z float64
	switch in.Confidence {
	case 95:
		z = 1.96
	case 99:
		z = 2.58
	default:
		return SizeResult{}, fmt.Errorf("pvt: confidence %d, expected 95 or 99", in.Confidence)
	}
	if !(in.Margin > 0 && in.Margin < 1) {
		return SizeResult{}, fmt.Errorf("pvt: margin %v, expected a proportion between 0 and 1 (0.01 for ±1 point)", in.Margin)
	}
	if !(in.Electorate >= 1) || math.IsInf(in.Electorate, 0) {
		return SizeResult{}, fmt.Errorf("pvt: electorate %v, expected at least 1 voter", in.Electorate)
	}
	p := in.P
	if p == 0 {
		p = 0.5
	}
	if !(p > 0 && p < 1) {
		return SizeResult{}, fmt.Errorf("pvt: expected share %v, expected a proportion between 0 and 1", p)
	}
	t := in.Turnout
	if t == 0 {
		t = 1
	}
	if !(t > 0 && t <= 1) {
		return SizeResult{}, fmt.Errorf("pvt: turnout %v, expected a proportion in (0, 1]", in.Turnout)
	}
	if !(in.NonResponse >= 0 && in.NonResponse < 1) {
		return SizeResult{}, fmt.Errorf("pvt: non-response %v, expected a proportion in [0, 1)", in.NonResponse)
	}
	deff := in.DesignEffect
	if deff == 0 {
		deff = 1
	}
	if !(deff >= 1) {
		return SizeResult{}, fmt.Errorf("pvt: design effect %v, expected at least 1", in.DesignEffect)
	}
	pq := p * (1 - p)
	n := pq / (in.Margin*in.Margin/(z*z) + pq/in.Electorate) * deff
	n = math.Min(n, in.Electorate)
	res := SizeResult{Z: z, Voters: n, VotersPerStation: in.VotersPerStation}
	if in.VotersPerStation > 0 {
		res.Stations = int(math.Ceil(n/(in.VotersPerStation*t) - 1e-9))
		res.StationsToDraw = int(math.Ceil(float64(res.Stations)/(1-in.NonResponse) - 1e-9))
	}
	return res, nil
}

// Allocation is how a sample size is split among strata.
type Allocation int

const (
	// Proportional gives each stratum a share of n proportional to its N_h.
	Proportional Allocation = iota
	// Fixed gives each stratum the same number (or all its stations).
	Fixed
)

// Allocate splits n stations among strata. The rule, exactly:
//
// Proportional: quota q_h = n·N_h/N; n_h = ⌊q_h⌋; the n − Σ⌊q_h⌋ remaining
// stations go one each to the strata of largest fractional part q_h − ⌊q_h⌋,
// ties broken by stratum order (natural order of Key: integers numerically).
// Then each n_h is raised to min(minPer, N_h); the total may then exceed n.
//
// Fixed: water-filling: every stratum gets c = ⌊remaining / open strata⌋,
// strata with N_h ≤ c get all their N_h and leave, repeat; the remainder goes
// one each to the open strata in stratum order. Then the minPer floor as above.
//
// The result is indexed like strata.
func Allocate(strata []Stratum, n int, method Allocation, minPer int) ([]int, error) {
	total := 0
	for _, s := range strata {
		if s.N < 1 {
			return nil, fmt.Errorf("pvt: stratum %q has %d stations, expected at least 1", s.Key, s.N)
		}
		total += s.N
	}
	if len(strata) == 0 {
		return nil, errors.New("pvt: no strata")
	}
	if n < 1 || n > total {
		return nil, fmt.Errorf("pvt: sample size %d, expected between 1 and the frame's %d stations", n, total)
	}
	order := make([]int, len(strata))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return naturalCompare(strata[a].Key, strata[b].Key) })
	alloc := make([]int, len(strata))
	switch method {
	case Proportional:
		frac := make([]float64, len(strata))
		given := 0
		for h, s := range strata {
			// Integer arithmetic for the floor, so that exact quotas never
			// round the wrong way.
			alloc[h] = int(int64(n) * int64(s.N) / int64(total))
			frac[h] = float64(int64(n)*int64(s.N)%int64(total)) / float64(total)
			given += alloc[h]
		}
		byFrac := slices.Clone(order)
		slices.SortStableFunc(byFrac, func(a, b int) int {
			switch {
			case frac[a] > frac[b]:
				return -1
			case frac[a] < frac[b]:
				return 1
			}
			return 0
		})
		for _, h := range byFrac[:n-given] {
			alloc[h]++
		}
	case Fixed:
		open := slices.Clone(order)
		rem := n
		for len(open) > 0 {
			c := rem / len(open)
			var still []int
			for _, h := range open {
				if strata[h].N <= c {
					alloc[h] = strata[h].N
					rem -= strata[h].N
				} else {
					still = append(still, h)
				}
			}
			if len(still) == len(open) {
				for _, h := range open {
					alloc[h] = c
				}
				rem -= c * len(open)
				for _, h := range open[:rem] {
					alloc[h]++
				}
				break
			}
			open = still
		}
	default:
		return nil, fmt.Errorf("pvt: unknown allocation %d", method)
	}
	for h, s := range strata {
		alloc[h] = max(alloc[h], min(minPer, s.N))
	}
	return alloc, nil
}

// FrameStation is one station of the sampling frame.
type FrameStation struct {
	ID      string // unique station identifier, as published with the frame
	Stratum string
}

// DrawKey is the random key of a station: the first 8 bytes, big-endian, of
// SHA-256 over the UTF-8 bytes of seed, "|", id. In a shell:
//
//	printf '%s|%s' "$SEED" "$ID" | sha256sum | cut -c1-16
//
// gives it in hexadecimal.
func DrawKey(seed, id string) uint64 {
	h := sha256.New()
	h.Write([]byte(seed))
	h.Write([]byte{'|'})
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}

// Draw selects a stratified simple random sample without replacement: in
// each stratum h, the alloc[h] stations with the smallest DrawKey(seed, ID),
// ties (never seen in practice) broken by ID. Sorting by independent uniform
// keys and keeping the first n_h is a simple random sample of n_h; because
// the key depends on the station and the seed only, the draw does not depend
// on the frame's row order, and anyone can redraw it. The strata's order in
// the result is the order of strata; within a stratum, key order, so that the
// stations after the first n_h (by rank) serve as replacements in order.
//
// It returns the indices into frame of the selected stations, and for every
// frame station its rank (1-based) within its stratum.
func Draw(frame []FrameStation, strata []Stratum, alloc []int, seed string) (selected []int, rank []int, err error) {
	if len(alloc) != len(strata) {
		return nil, nil, fmt.Errorf("pvt: %d allocations for %d strata", len(alloc), len(strata))
	}
	idx := make(map[string]int, len(strata))
	for h, s := range strata {
		idx[s.Key] = h
	}
	ids := make(map[string]struct{}, len(frame))
	per := make([][]int, len(strata))
	keys := make([]uint64, len(frame))
	for i, st := range frame {
		if _, dup := ids[st.ID]; dup {
			return nil, nil, fmt.Errorf("pvt: station id %q appears twice in the frame", st.ID)
		}
		ids[st.ID] = struct{}{}
		h, ok := idx[st.Stratum]
		if !ok {
			return nil, nil, fmt.Errorf("pvt: station %q: stratum %q is not among the strata", st.ID, st.Stratum)
		}
		per[h] = append(per[h], i)
		keys[i] = DrawKey(seed, st.ID)
	}
	rank = make([]int, len(frame))
	for h, list := range per {
		if alloc[h] > len(list) {
			return nil, nil, fmt.Errorf("pvt: stratum %q: %d to draw from %d stations", strata[h].Key, alloc[h], len(list))
		}
		slices.SortFunc(list, func(a, b int) int {
			switch {
			case keys[a] < keys[b]:
				return -1
			case keys[a] > keys[b]:
				return 1
			case frame[a].ID < frame[b].ID:
				return -1
			case frame[a].ID > frame[b].ID:
				return 1
			}
			return 0
		})
		for r, i := range list {
			rank[i] = r + 1
		}
		selected = append(selected, list[:alloc[h]]...)
	}
	return selected, rank, nil
}

// StrataOf counts the frame's stations per stratum, in order of first
// appearance, with the group of each stratum (group may be nil). It returns
// an error when a stratum appears with two different groups.
func StrataOf(stratum []string, group []string) ([]Stratum, error) {
	idx := map[string]int{}
	var out []Stratum
	for i, k := range stratum {
		g := ""
		if group != nil {
			g = group[i]
		}
		h, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, Stratum{Key: k, Group: g})
			h = len(out) - 1
		} else if out[h].Group != g {
			return nil, fmt.Errorf("pvt: stratum %q lies in two groups, %q and %q", k, out[h].Group, g)
		}
		out[h].N++
	}
	return out, nil
}

package forensics

import (
	"errors"
	"fmt"
	"math"
)

// ShpilkinBins is the number of 1 % turnout bins: bin b holds turnouts in
// [b %, b+1 %); bin 100 holds exactly 100 % (and, clamped, anything above).
const ShpilkinBins = 101

// ShpilkinOptions configures Shpilkin.
type ShpilkinOptions struct {
	// ForcePeak makes Peak (0…100) the clean peak bin b* instead of the
	// rule: for an analyst who has looked at the histogram and disagrees
	// with the rule, e.g. when it lands on an integer spike. The result
	// then says PeakForced.
	ForcePeak bool
	Peak      int
}

// ShpilkinBin is one 1 % turnout bin.
type ShpilkinBin struct {
	Turnout  int     `json:"turnout"` // lower edge, per cent
	Stations int     `json:"stations"`
	V        int64   `json:"v"`
	L        int64   `json:"l"`
	O        int64   `json:"o"`
	Smoothed float64 `json:"v_smoothed"` // 5-bin box sum of V (the peak rule's curve)
}

// ShpilkinResult is the outcome of Shpilkin. Shares and turnouts are in
// per cent. PeakTurnout is the lower edge of the clean peak bin b*: the bin
// holds turnouts in [PeakTurnout, PeakTurnout + 1) %.
type ShpilkinResult struct {
	Excess               int64         `json:"excess"`
	LeaderShareCorrected float64       `json:"leader_share_corrected"`
	TurnoutCorrected     float64       `json:"turnout_corrected"`
	PeakTurnout          float64       `json:"peak_turnout"`
	PeakForced           bool          `json:"peak_forced,omitempty"`
	CleanShare           float64       `json:"clean_share"`
	LeaderShareOfficial  float64       `json:"leader_share_official"`
	TurnoutOfficial      float64       `json:"turnout_official"`
	StationsUsed         int           `json:"stations_used"`
	Bins                 []ShpilkinBin `json:"bins"`
	// Warnings flag a peak the rule found but that is not a peak.
	Warnings []string `json:"warnings,omitempty"`
}

// Shpilkin estimates the leader's excess votes from the relation between
// turnout and the leader's share, after Sergey Shpilkin's analyses of
// Russian elections (2011 onwards; the method is described in Kobak,
// Shpilkin & Pshenichnikov, "Statistical anomalies in 2011–2012 Russian
// elections revealed by 2D correlation analysis", arXiv:1205.0741, 2012, and
// in Shpilkin's publications), as METHODS.md defines it:
//
//  1. Bin stations with V > 0 by turnout 100·G/V in 1 % bins; sum L and
//     O = R − L per bin.
//  2. The clean peak b*: smooth the registered voters per bin with a 5-bin
//     box (the sum over b−2 … b+2, bins outside 0…100 counting 0) and take
//     the bin of the largest smoothed value among the bins lying wholly
//     below the official turnout T = ΣG/ΣV, i.e. b + 1 ≤ 100·T. Ties (a
//     lone spike makes a flat 5-bin plateau) go to the bin with more
//     registered voters itself, then to the lowest. The rule sees only the
//     histogram's mass: when integer spikes or a shifted distribution put
//     most voters above the clean mode, b* lands on them (see
//     TestShpilkinPeakOnIntegerSpike); when b* is the last candidate bin
//     and the smoothed curve still rises after it, the rule has found the
//     cut-off, not a peak, and the result carries a warning.
//  3. Clean share s = ΣL / Σ(L + O) over the bins b ≤ b*.
//  4. Excess E = Σ over bins b > b* of max(0, L_b − O_b·s/(1 − s)): the
//     leader's votes beyond what the other votes of the bin imply at the
//     clean share.
//  5. Corrected share (ΣL − E)/(ΣR − E); corrected turnout (ΣG − E)/ΣV.
//
// Errors: no station with V > 0 and ballots, a forced peak outside 0…100,
// an official turnout below 1 %, or no ballots at or below the peak.
func Shpilkin(stations []Station, opt ShpilkinOptions) (ShpilkinResult, error) {
	bins := make([]ShpilkinBin, ShpilkinBins)
	for b := range bins {
		bins[b].Turnout = b
	}
	var sv, sg, sr, sl int64
	used := 0
	for _, s := range stations {
		if s.V <= 0 || s.G < 0 || s.R < 0 || s.L < 0 || s.L > s.R {
			continue
		}
		b := int(100 * s.G / s.V) // exact floor of the percentage
		b = min(b, ShpilkinBins-1)
		bins[b].Stations++
		bins[b].V += s.V
		bins[b].L += s.L
		bins[b].O += s.R - s.L
		sv += s.V
		sg += s.G
		sr += s.R
		sl += s.L
		used++
	}
	if used == 0 || sr == 0 {
		return ShpilkinResult{}, errors.New("forensics: Shpilkin needs stations with V > 0 and ballots")
	}
	for b := range bins {
		for k := max(0, b-2); k <= min(ShpilkinBins-1, b+2); k++ {
			bins[b].Smoothed += float64(bins[k].V)
		}
	}
	official := float64(sg) / float64(sv)
	peak := -1
	if opt.ForcePeak {
		if opt.Peak < 0 || opt.Peak >= ShpilkinBins {
			return ShpilkinResult{}, errors.New("forensics: forced Shpilkin peak outside 0…100")
		}
		peak = opt.Peak
	} else {
		for b := range bins {
			// b + 1 ≤ 100·T, compared in integers: (b+1)·ΣV ≤ 100·ΣG.
			if int64(b+1)*sv > 100*sg {
				break
			}
			if peak < 0 || bins[b].Smoothed > bins[peak].Smoothed ||
				bins[b].Smoothed == bins[peak].Smoothed && bins[b].V > bins[peak].V {
				peak = b
			}
		}
		if peak < 0 {
			return ShpilkinResult{}, errors.New("forensics: official turnout below 1 %: no bin lies below it")
		}
	}
	var warnings []string
	if !opt.ForcePeak && peak+1 < ShpilkinBins && int64(peak+2)*sv > 100*sg &&
		bins[peak+1].Smoothed > bins[peak].Smoothed {
		warnings = append(warnings, fmt.Sprintf(
			"the clean peak is the last bin below the official turnout (%d %%) and the smoothed distribution "+
				"of voters still rises above it: the rule found a cut-off, not a peak. The excess then counts "+
				"any rise of the leader's share with turnout above %d %%, fraud or not; look at the bins and "+
				"consider forcing the peak", peak, peak))
	}
	var cl, co int64
	for b := 0; b <= peak; b++ {
		cl += bins[b].L
		co += bins[b].O
	}
	res := ShpilkinResult{
		PeakTurnout:         float64(peak),
		PeakForced:          opt.ForcePeak,
		LeaderShareOfficial: 100 * float64(sl) / float64(sr),
		TurnoutOfficial:     100 * official,
		StationsUsed:        used,
		Bins:                bins,
		Warnings:            warnings,
	}
	if cl+co == 0 {
		return res, errors.New("forensics: no ballots in the bins at or below the clean peak")
	}
	s := float64(cl) / float64(cl+co)
	res.CleanShare = 100 * s
	var e float64
	if s < 1 {
		for b := peak + 1; b < ShpilkinBins; b++ {
			e += max(0, float64(bins[b].L)-float64(bins[b].O)*s/(1-s))
		}
	}
	res.Excess = int64(math.Round(e))
	res.LeaderShareCorrected = 100 * (float64(sl) - e) / (float64(sr) - e)
	res.TurnoutCorrected = 100 * (float64(sg) - e) / float64(sv)
	return res, nil
}

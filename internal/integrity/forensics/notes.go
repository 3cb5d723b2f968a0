package forensics

import "fmt"

// Note is a warning as a front end translates it: Key names it in
// WarningFormats (and in the front end's catalogues, as "warn."+Key), Args
// fill its verbs in order. A result's Notes run parallel to its Warnings,
// which hold the English.
type Note struct {
	Key  string
	Args []any
}

// WarningFormats are the English of every warning the tests give, by key;
// a translation keeps the verbs, in the same order.
var WarningFormats = map[string]string{
	"no_bootstrap": "no interval: the bootstrap was not run",
	"control.few": "%d of %d districts have fewer than %d control stations: their " +
		"expected votes are noisy (see control_stations per district)",
	"control.single": "%d districts have a single control station, where the bootstrap " +
		"sees no variance: the interval understates the uncertainty (%s)",
	"digits.few": "only %d counts (fewer than %d): the χ² and z approximations " +
		"behind the p-values are unreliable",
	"finger.few": "only %d stations (fewer than %d): the density's peaks, the σ's and θ " +
		"rest on too few points to be read",
	"finger.small": "%d of %d stations have fewer than %d registered voters: their " +
		"turnouts and shares take few distinct values, and the histogram and density are lumpy",
	"finger.tail_peak": "%s: the first local maximum above 0.3 (%.3f) has %.1f %% of the density of the highest (%.3f): " +
		"it is a bump in the tail, not the bulk of the stations; the model fit is not meaningful (see HighestPeak)",
	"finger.zero_spread": "%s rests on %d stations with %s (fewer than 2): it is set to 0, " +
		"not estimated, and the fit means nothing",
	"finger.no_bootstrap": "no interval for the first-stage parameters: the bootstrap was not run",
	"finger.no_fit_bootstrap": "no interval for f_i, f_e and α: refitting on resamples costs that many fits " +
		"(FitOptions.Bootstrap, --fit-bootstrap)",
	"integer.few": "only %d stations (fewer than %d): the replicates are far from normal " +
		"and z is not a normal deviate; read observed against p999 and the replicates' spread",
	"shpilkin.cutoff": "the clean peak is the last bin below the official turnout (%d %%) and the smoothed distribution " +
		"of voters still rises above it: the rule found a cut-off, not a peak. The excess then counts " +
		"any rise of the leader's share with turnout above %d %%, fraud or not; look at the bins and " +
		"consider forcing the peak",
}

// warn appends the warning key, in English to ws and as a note to ns.
func warn(ws *[]string, ns *[]Note, key string, args ...any) {
	f, ok := WarningFormats[key]
	if !ok {
		panic("forensics: no warning " + key)
	}
	*ws = append(*ws, fmt.Sprintf(f, args...))
	*ns = append(*ns, Note{Key: key, Args: args})
}

package pvt

import (
	"fmt"
	"strings"
)

// Note is a warning (or a reason to withhold the verdict) as a front end
// translates it: Key names it in WarningFormats (and in the front end's
// catalogues, as "warn."+Key), Args fill its verbs in order. A result's
// Notes run parallel to its Warnings, its WithheldNotes to the parts of
// Withheld, which hold the English.
type Note struct {
	Key  string
	Args []any
}

// WarningFormats are the English of every warning and every reason to
// withhold a verdict, by key; a translation keeps the verbs, in order.
var WarningFormats = map[string]string{
	"pvt.across_regions": "strata %s were collapsed across regions: a region without any report is " +
		"estimated from a neighbouring region's stations",
	"pvt.empty": "%d of %d strata (%d stations, %.1f %% of the frame) have no report: they are estimated " +
		"from the strata they were collapsed with",
	"pvt.singletons": "%d strata have a single report (%s): no within-stratum variance can be estimated there; their " +
		"variance is that of all the reports around their common mean (conservative)",
	"pvt.singletons_boot": "%d strata have a single report (%s): no within-stratum variance can be estimated there; their " +
		"variance is that of all the reports around their common mean (conservative); no bootstrap interval, " +
		"since a single report cannot be resampled",
	"pvt.small_df": "as few as %.1f effective degrees of freedom (fewer than %d): the intervals use Student's t " +
		"and rest on Satterthwaite's approximation",
	"pvt.no_votes": "%s has no vote in the sample: its interval is the score interval on the %d reports " +
		"(as if each station were one voter), an upper bound of the share, not an estimate of its precision",
	"pvt.no_variance": "%s: every report gives the same share (variance 0): its interval is the score interval " +
		"on the %d reports (as if each station were one voter)",
	"withhold.across_regions": "strata were collapsed across regions",
	"withhold.empty":          "strata without any report hold %.1f %% of the frame's stations (more than %.0f %%)",
	"withhold.df":             "%.1f effective degrees of freedom (fewer than %d)",
}

// note makes a note and its English.
func note(key string, args ...any) (Note, string) {
	f, ok := WarningFormats[key]
	if !ok {
		panic("pvt: no warning " + key)
	}
	return Note{Key: key, Args: args}, fmt.Sprintf(f, args...)
}

// notes collects notes and their English side by side.
type notes struct {
	text []string
	keys []Note
}

func (n *notes) add(key string, args ...any) {
	k, s := note(key, args...)
	n.text, n.keys = append(n.text, s), append(n.keys, k)
}

func (n *notes) join() string { return strings.Join(n.text, "; ") }

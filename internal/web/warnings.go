package web

import (
	"fmt"
	"strings"

	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
)

// The statistics packages write their warnings, exclusion reasons and
// fall-backs in English (the command line and the JSON keep them so);
// pages give them in the reader's language, from the catalogue keys
// below, and fall back to the English for anything a catalogue lacks.
// TestStatisticsMessagesTranslated checks that every one has its key in
// every catalogue.

// exclusionKeys are the catalogue keys of the exclusion reasons (the keys
// of the results' "excluded") and of the fall-backs ("fallbacks").
var exclusionKeys = map[string]string{
	forensics.ExclNegative:      "excl.negative",
	forensics.ExclNoRegistered:  "excl.no_registered",
	forensics.ExclLeaderAboveR:  "excl.leader_above_r",
	forensics.ExclTurnoutAbove:  "excl.turnout_above",
	forensics.ExclNoBallots:     "excl.no_ballots",
	forensics.ExclSmall:         "excl.small",
	forensics.ExclTurnout99:     "excl.turnout99",
	forensics.ExclShare99:       "excl.share99",
	forensics.ExclSingleDigit:   "excl.single_digit",
	forensics.ExclNoTotal:       "excl.no_total",
	forensics.ExclNoControlDist: "excl.no_control_district",
	forensics.ExclNotReported:   "excl.not_reported",
	forensics.ExclNoProtocol:    "excl.no_protocol",

	forensics.FallbackNames[forensics.FallbackIssuedFromBox]: "fallback.issued_from_box",
	forensics.FallbackNames[forensics.FallbackIssuedFromR]:   "fallback.issued_from_r",
	forensics.FallbackNames[forensics.FallbackRFromVotes]:    "fallback.r_from_votes",
	forensics.FallbackNames[forensics.FallbackRFromBox]:      "fallback.r_from_box",
	forensics.FallbackNames[forensics.FallbackRIsVotes]:      "fallback.r_is_votes",
}

// exclusionText is an exclusion reason or a fall-back in c's language.
func exclusionText(c *catalogue, why string) string {
	if k, ok := exclusionKeys[why]; ok {
		if m, ok := c.msgs[k]; ok {
			return m
		}
	}
	return why
}

// noteText is a warning in c's language: the catalogue's "warn."+key
// filled with args, or english when the catalogue lacks it.
func noteText(c *catalogue, key string, args []any, english string) string {
	m, ok := c.msgs["warn."+key]
	if !ok {
		return english
	}
	return fmt.Sprintf(m, args...)
}

// forensicWarnings are a forensic result's warnings in c's language.
func forensicWarnings(c *catalogue, english []string, notes []forensics.Note) []string {
	out := make([]string, len(english))
	for i, w := range english {
		out[i] = w
		if i < len(notes) {
			out[i] = noteText(c, notes[i].Key, notes[i].Args, w)
		}
	}
	return out
}

// pvtWarnings are the PVT's warnings, or its reasons to withhold a
// verdict (english split as Result.Withheld joins them), in c's language.
func pvtWarnings(c *catalogue, english []string, notes []pvt.Note) []string {
	out := make([]string, len(english))
	for i, w := range english {
		out[i] = w
		if i < len(notes) {
			out[i] = noteText(c, notes[i].Key, notes[i].Args, w)
		}
	}
	return out
}

// withheldText is why the PVT's verdict is withheld, in c's language ("" if
// it is not).
func withheldText(c *catalogue, res *pvt.Result) string {
	if res.Withheld == "" {
		return ""
	}
	parts := strings.Split(res.Withheld, "; ")
	if len(parts) != len(res.WithheldNotes) {
		return res.Withheld
	}
	return strings.Join(pvtWarnings(c, parts, res.WithheldNotes), "; ")
}

package web

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/integrity/forensics"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
)

// TestStatisticsMessagesTranslated checks that every warning, exclusion
// reason and fall-back of the statistics packages has its text in every
// catalogue, that the English catalogue says what the packages say (the
// pages and the JSON must not differ), and that each translation takes the
// same arguments: formatted with the English verbs' kinds of values, it
// shows no %!.
func TestStatisticsMessagesTranslated(t *testing.T) {
	ls, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	en := ls.byTag["en"]
	verb := regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?(?:\[\d+\])?([dsfgvq%])`)
	sample := func(format string) []any {
		var args []any
		for _, m := range verb.FindAllStringSubmatch(format, -1) {
			switch m[1] {
			case "d":
				args = append(args, 7)
			case "s", "q", "v":
				args = append(args, "X")
			case "f", "g":
				args = append(args, 1.25)
			}
		}
		return args
	}
	warnings := map[string]string{}
	for k, f := range forensics.WarningFormats {
		warnings[k] = f
	}
	for k, f := range pvt.WarningFormats {
		if _, dup := warnings[k]; dup {
			t.Errorf("warning key %s in both packages", k)
		}
		warnings[k] = f
	}
	for k, f := range warnings {
		if got := en.msgs["warn."+k]; got != f {
			t.Errorf("en warn.%s = %q, the package says %q", k, got, f)
		}
		args := sample(f)
		for _, c := range ls.list {
			m, ok := c.msgs["warn."+k]
			if !ok {
				t.Errorf("%s lacks warn.%s", c.Tag, k)
				continue
			}
			if out := fmt.Sprintf(m, args...); strings.Contains(out, "%!") {
				t.Errorf("%s warn.%s takes other arguments than the English: %s", c.Tag, k, out)
			}
		}
	}
	var reasons []string
	reasons = append(reasons, forensics.ExclusionReasons...)
	for _, name := range forensics.FallbackNames {
		reasons = append(reasons, name)
	}
	for _, why := range reasons {
		k, ok := exclusionKeys[why]
		if !ok {
			t.Errorf("no catalogue key for %q", why)
			continue
		}
		if en.msgs[k] != why {
			t.Errorf("en %s = %q, the package says %q", k, en.msgs[k], why)
		}
		for _, c := range ls.list {
			if _, ok := c.msgs[k]; !ok {
				t.Errorf("%s lacks %s", c.Tag, k)
			}
		}
	}
}

// A warning of a real result reaches a Russian and a Kazakh page in their
// language, with its figures; the English stays the package's.
func TestWarningsInTheReadersLanguage(t *testing.T) {
	ls, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	st := []forensics.Station{{V: 1000, G: 600, R: 590, L: 300}, {V: 900, G: 500, R: 495, L: 200}, {V: 800, G: 400, R: 400, L: 210}}
	res, err := forensics.IntegerTest(st, forensics.IntegerOptions{Replicates: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || len(res.Notes) != len(res.Warnings) {
		t.Fatalf("warnings %q, notes %v", res.Warnings, res.Notes)
	}
	for tag, want := range map[string]string{"en": "only 3 stations (fewer than 100)", "ru": "всего 3 участков (меньше 100)", "kk": "барлығы 3 учаске (100-ден аз)"} {
		got := forensicWarnings(ls.byTag[tag], res.Warnings, res.Notes)
		if len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("%s: %q, want %q in it", tag, got, want)
		}
	}
	if got := exclusionText(ls.byTag["ru"], forensics.ExclLeaderAboveR); !strings.Contains(got, "L > R") || got == forensics.ExclLeaderAboveR {
		t.Errorf("ru L > R: %q", got)
	}
	// The PVT's: two reports in one stratum, one in the other.
	strata := []pvt.Stratum{{Key: "a", N: 10}, {Key: "b", N: 10}}
	reports := []pvt.Report{{Stratum: "a", Votes: []float64{60, 40}, Total: 100}, {Stratum: "a", Votes: []float64{50, 50}, Total: 100},
		{Stratum: "b", Votes: []float64{55, 45}, Total: 100}}
	pr, err := pvt.Estimate(strata, []string{"A", "B"}, reports, pvt.Config{MinReports: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Warnings) == 0 || len(pr.Notes) != len(pr.Warnings) {
		t.Fatalf("pvt warnings %q, notes %v", pr.Warnings, pr.Notes)
	}
	ru := pvtWarnings(ls.byTag["ru"], pr.Warnings, pr.Notes)
	for i, w := range ru {
		if w == pr.Warnings[i] {
			t.Errorf("pvt warning left in English on a Russian page: %q", w)
		}
	}
	// Three reports: too few degrees of freedom for a verdict.
	if got := withheldText(ls.byTag["kk"], pr); pr.Withheld == "" || got == pr.Withheld || !strings.Contains(got, "еркіндік дәрежесі") {
		t.Errorf("withheld %q in Kazakh: %q", pr.Withheld, got)
	}
}

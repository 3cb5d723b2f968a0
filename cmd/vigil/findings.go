package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "findings", summary: "observation findings: negative assessments, key indicators, coverage; the statement's figures", run: runFindings})
}

func runFindings(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "findings", "--election NAME [--org NAME] [--json | --markdown | --html FILE] [--base-url URL] [--db D]")
	db := dbFlag(fs)
	elName := fs.String("election", "", "election `NAME`")
	org := fs.String("org", "", "organisation `NAME` (needed when the database holds several)")
	asJSON := fs.Bool("json", false, "print JSON")
	md := fs.Bool("markdown", false, "print the statement's quantitative part as Markdown")
	htmlFile := fs.String("html", "", "write the statement's quantitative part as HTML to `FILE`")
	base := fs.String("base-url", "", "address of the vigil server the figures link to (e.g. https://vigil.example.org)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *elName == "" {
		return usagef("findings: --election is required")
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	el, err := d.ElectionByName(ctx, *elName)
	if err != nil {
		return err
	}
	var o *store.Organisation
	if *org != "" {
		if o, err = d.OrganisationByName(ctx, *org); err != nil {
			return err
		}
	} else if o, err = soleOrganisation(ctx, d, el); err != nil {
		return err
	}
	// The command line acts as the organisation's analyst.
	p := access.Principal{Role: access.Analyst, OrgID: o.ID, Name: "cli"}
	// From the aggregates the store keeps (docs/observation.md); the report
	// ids behind each figure only where they are printed (JSON).
	f, err := observe.FindingsOf(ctx, d, p, el.ID, *asJSON)
	if err != nil {
		return err
	}
	opt := observe.StatementOptions{ReportsURL: fmt.Sprintf("%s/observe/reports/%d", *base, el.ID), Organisation: o.Name}
	if *htmlFile != "" {
		out, err := os.Create(*htmlFile)
		if err != nil {
			return err
		}
		if err := observe.StatementHTML(out, f, opt); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	switch {
	case *asJSON:
		return printJSON(e.stdout, f)
	case *md:
		return observe.StatementMarkdown(e.stdout, f, opt)
	case *htmlFile != "":
		return nil
	}
	for _, ph := range observe.ReportedPhases {
		pf := f.Phases[string(ph)]
		if pf.Observed == 0 {
			// "0 of 0 (95 % CI 0.0–100.0 %)" would read as a finding.
			fmt.Fprintf(e.stdout, "%-11s not observed: no report assessed this phase\n", ph)
			continue
		}
		fmt.Fprintf(e.stdout, "%-11s %4d of %4d assessed negatively (%5.1f %%, 95 %% CI %.1f–%.1f %%%s)\n", ph, pf.Negative, pf.Observed, 100*pf.Share, 100*pf.CI95[0], 100*pf.CI95[1],
			clusterNote(pf.CIMethod, pf.DesignEffect, pf.Clusters))
		for _, ind := range observe.SortedKeys(pf.Indicators) {
			st := pf.Indicators[ind]
			if st.Reported > 0 {
				fmt.Fprintf(e.stdout, "            %-36s %4d of %4d (%5.1f %%, 95 %% CI %.1f–%.1f %%%s)\n", ind, st.Reported, st.Observed, 100*st.Share,
					100*st.CI95[0], 100*st.CI95[1], clusterNote(st.CIMethod, st.DesignEffect, st.Clusters))
			}
		}
	}
	c := f.Coverage.Total
	fmt.Fprintf(e.stdout, "coverage    %d deployed, %d reported, %d missing, %d in conflict; %d quarantined report(s) excluded\n", c.Deployed, c.Reported, c.Missing, c.Conflict, f.Quarantined)
	return nil
}

// clusterNote names the design behind an interval: teams as clusters with
// the design effect, or nothing for the simple Wilson interval.
func clusterNote(method string, deff float64, clusters int) string {
	if method != "cluster score" {
		return ""
	}
	return fmt.Sprintf("; %d teams as clusters, design effect %.1f", clusters, deff)
}

// soleOrganisation is the organisation whose findings `vigil findings`
// reports when --org is not given: the one that reported on the election,
// or, when none has, the database's only organisation. Several is a usage
// error naming them: choosing one silently (the smallest id, say) could
// publish one group's findings under another's name.
func soleOrganisation(ctx context.Context, d *store.DB, el *election.Election) (*store.Organisation, error) {
	ids, err := d.ReportingOrganisations(ctx, el.ID)
	if err != nil {
		return nil, err
	}
	var orgs []*store.Organisation
	for _, id := range ids {
		o, err := d.Organisation(ctx, id)
		if err != nil {
			return nil, err
		}
		orgs = append(orgs, o)
	}
	what := "reported on " + el.Name
	if len(orgs) == 0 {
		if orgs, err = d.Organisations(ctx); err != nil {
			return nil, err
		}
		what = "are in " + d.Addr + " and none reported on " + el.Name
	}
	switch len(orgs) {
	case 0:
		return nil, fmt.Errorf("no organisation in %s", d.Addr)
	case 1:
		return orgs[0], nil
	}
	names := make([]string, len(orgs))
	for i, o := range orgs {
		names[i] = strconv.Quote(o.Name)
	}
	return nil, usagef("findings: %d organisations %s (%s): choose one with --org", len(orgs), what, strings.Join(names, ", "))
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "roster import", summary: "import an observer roster (CSV: id, name, phone, organisation, team, area)", run: runRosterImport})
	register(command{name: "roster share", summary: "agree, for one organisation, to share an observer's phone number with another", run: runRosterShare})
}

func runRosterImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "roster import", "FILE.csv --org NAME [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME` the observers belong to (created when new)")
	kind := fs.String("org-kind", "domestic", "kind of a new organisation: domestic or international")
	country := fs.String("country", "", "the organisation's `COUNTRY` (ISO 3166-1 alpha-2, e.g. KZ): reads national phone numbers of the roster and of SMS; kept for later imports")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 1 {
		return usagef("roster import: give one CSV file and --org")
	}
	if !observe.ValidCountry(*country) {
		return usagef("roster import: --country %q: want a known ISO 3166-1 alpha-2 code (e.g. KZ)", *country)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	cc := strings.ToUpper(*country)
	if cc == "" {
		if o, err := d.OrganisationByName(ctx, *org); err == nil {
			if cc, err = d.OrgCountry(ctx, o.ID); err != nil {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	// Parse before changing anything: a bad file changes nothing.
	file := filepath.Base(pos[0])
	obs, err := observe.ParseRosterIn(f, file, *org, cc)
	if err != nil {
		return err
	}
	o, err := d.EnsureOrganisation(ctx, *org, *kind)
	if err != nil {
		return err
	}
	created, updated, err := d.ImportRoster(ctx, o.ID, obs, cliEntry(o.ID, "roster.import", file, nil))
	var taken store.PhoneConflicts
	if errors.As(err, &taken) {
		var errs observe.RosterErrors
		for _, t := range taken {
			errs = append(errs, &observe.RosterError{File: file, Line: t.Line, Msg: strings.TrimPrefix(t.Error(), fmt.Sprintf("line %d: ", t.Line))})
		}
		return errs
	}
	if err != nil {
		return err
	}
	if *country != "" {
		if err := d.SetOrgCountry(ctx, o.ID, cc); err != nil {
			return err
		}
	}
	teams := map[string]bool{}
	for _, ob := range obs {
		if ob.Team != "" {
			teams[ob.Team] = true
		}
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"organisation": o.Name, "observers": len(obs), "created": created, "updated": updated, "teams": len(teams)})
	}
	fmt.Fprintf(e.stdout, "%s: %d observer(s) in %d team(s): %d new, %d updated\n", o.Name, len(obs), len(teams), created, updated)
	return nil
}

// runRosterShare records one organisation's side of an agreement to share
// a phone number; run it for each of the two organisations (by each one's
// administrator), then import the rosters.
func runRosterShare(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "roster share", "--org NAME --with NAME --phone NUMBER [--db D]")
	db := dbFlag(fs)
	org := fs.String("org", "", "the organisation that agrees (`NAME`)")
	with := fs.String("with", "", "the organisation it agrees to share the number with (`NAME`)")
	phone := fs.String("phone", "", "the phone `NUMBER` (international, or national in --org's country)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" || *with == "" || *phone == "" {
		return usagef("roster share needs --org, --with and --phone")
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	a, err := d.OrganisationByName(ctx, *org)
	if err != nil {
		return err
	}
	b, err := d.OrganisationByName(ctx, *with)
	if err != nil {
		return err
	}
	cc, err := d.OrgCountry(ctx, a.ID)
	if err != nil {
		return err
	}
	p, err := observe.E164(*phone, cc)
	if err != nil {
		return usagef("roster share: --phone: %v", err)
	}
	if err := d.SharePhone(ctx, a.ID, b.ID, p, cliEntry(a.ID, "phone.share", p, map[string]string{"with": b.Name})); err != nil {
		return err
	}
	shared, err := d.PhoneShared(ctx, p, a.ID, b.ID)
	if err != nil {
		return err
	}
	if shared {
		fmt.Fprintf(e.stdout, "%s: %s agrees to share it with %s; both have agreed: SMS from it will ask which organisation\n", p, a.Name, b.Name)
	} else {
		fmt.Fprintf(e.stdout, "%s: %s agrees to share it with %s; waiting for %s to agree (vigil roster share --org %q --with %q --phone %s)\n", p, a.Name, b.Name, b.Name, b.Name, a.Name, p)
	}
	return nil
}

package main

import (
	"context"
	"fmt"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/store"
)

func init() {
	register(command{name: "findings publish", summary: "publish an organisation's current findings on the portal", run: runFindingsPublish})
}

func runFindingsPublish(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "findings publish", "--election NAME --org NAME [--db D] [--json]")
	db := dbFlag(fs)
	name := fs.String("election", "", "election name")
	org := fs.String("org", "", "the organisation whose findings are published")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *org == "" {
		return usagef("findings publish: --election and --org are required")
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	el, err := d.ElectionByName(ctx, *name)
	if err != nil {
		return err
	}
	o, err := d.OrganisationByName(ctx, *org)
	if err != nil {
		return err
	}
	// The command line acts as the organisation's analyst, as vigil findings does.
	p := access.Principal{Role: access.Analyst, OrgID: o.ID, Name: "cli"}
	// The audit entry in the publication's transaction (its detail, the
	// publication's id, filled there).
	pub, err := observe.Publish(ctx, d, p, el.ID, "cli", cliEntry(o.ID, "findings.publish", fmt.Sprintf("election:%d", el.ID), nil))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, pub)
	}
	fmt.Fprintf(e.stdout, "published the findings of %s on %s as publication %d: /elections/%d/findings/%d\n", o.Name, el.Name, pub.ID, el.ID, pub.ID)
	return nil
}

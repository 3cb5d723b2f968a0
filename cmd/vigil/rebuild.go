package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
)

// vigil rebuild recomputes the aggregates the database maintains as data
// arrives (the results at every level, and whatever else registers a
// rebuild step in store) from the raw rows, in one transaction: after a
// repair by hand, or to check that the maintained numbers are right.

func init() {
	register(command{name: "rebuild", summary: "recompute every maintained aggregate from the raw rows", run: runRebuild})
}

func runRebuild(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "rebuild", "--db D")
	db := dbFlag(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	d, err := store.OpenExisting(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	start := time.Now()
	steps, err := d.Rebuild(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuilt %s in %s\n", strings.Join(steps, ", "), time.Since(start).Round(time.Millisecond))
	return nil
}

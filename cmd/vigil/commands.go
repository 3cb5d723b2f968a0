package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vigil-elections/vigil/internal/store"
)

// command is one subcommand of vigil. Each lives in its own file and adds
// itself with register from an init function, so that the table of commands
// is assembled without one file every feature has to edit.
type command struct {
	name    string // "import", or "forensics integer" for a nested command
	summary string // one line for the command list
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("vigil: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError marks an error in the command line itself (exit status 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// run is the whole program: it picks the subcommand from args (args[0] is
// the program name) and runs it. Nested commands ("forensics integer") are
// matched by their longest registered prefix.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	rest := args[1:]
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help" {
		printCommands(stdout)
		return nil
	}
	if rest[0] == "--version" || rest[0] == "-version" {
		printVersion(stdout)
		return nil
	}
	for n := min(len(rest), 3); n >= 1; n-- {
		if c, ok := commands[strings.Join(rest[:n], " ")]; ok {
			err := c.run(ctx, e, rest[n:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	// A group name alone ("forensics") lists its subcommands, as a usage
	// error: a script that forgot the subcommand must not pass for done.
	var sub []string
	for name := range commands {
		if strings.HasPrefix(name, rest[0]+" ") {
			sub = append(sub, name)
		}
	}
	if len(sub) > 0 {
		sort.Strings(sub)
		fmt.Fprintf(stderr, "usage: vigil %s SUBCOMMAND [flags]\n\n", rest[0])
		for _, s := range sub {
			fmt.Fprintf(stderr, "  %-24s %s\n", s, commands[s].summary)
		}
		if len(rest) > 1 {
			return usagef("vigil %s: unknown subcommand %q", rest[0], rest[1])
		}
		return usagef("vigil %s needs a subcommand", rest[0])
	}
	return usagef("unknown command %q (vigil help lists them)", rest[0])
}

func printCommands(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "vigil: election observation and results integrity\n\nCommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-24s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEach command takes --help.")
}

// newFlags makes a FlagSet for a subcommand whose errors and help go to the
// command's stderr and come back as errors instead of exiting the process.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: vigil %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("vigil import FILE --db x"), which the standard flag package stops at.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// printJSON writes v as indented JSON, the form every --json output takes.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// dbFlag defines the --db flag every command that opens the database takes.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", defaultDB, "database: a SQLite file path or postgres://…")
}

// openOrg opens the database and finds an organisation by name, for the
// commands that act on one organisation's data.
func openOrg(ctx context.Context, addr, org string) (*store.DB, *store.Organisation, error) {
	d, err := store.OpenExisting(ctx, addr)
	if err != nil {
		return nil, nil, err
	}
	o, err := d.OrganisationByName(ctx, org)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, o, nil
}

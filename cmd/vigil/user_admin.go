package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/store"
)

// Account recovery from the server's shell, for the day an administrator
// loses a password or a laptop: both are in the organisation's audit log.

func init() {
	register(command{name: "user reset-password", summary: "set a new password for a user and end their sessions", run: runUserResetPassword})
	register(command{name: "user disable", summary: "disable a user: no login, sessions ended, tokens refused", run: runUserDisable})
	register(command{name: "user enable", summary: "enable a disabled user again", run: runUserEnable})
}

// readPassword takes a password from the first line of standard input
// (--password-stdin), else VIGIL_PASSWORD, else generates one.
func readPassword(e *env, fromStdin bool) (password string, generated bool, err error) {
	if fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", false, fmt.Errorf("reading the password from standard input: %v", err)
		}
		password = strings.TrimRight(line, "\r\n")
		if password == "" {
			return "", false, fmt.Errorf("the password on standard input is empty")
		}
		return password, false, nil
	}
	if p := e.getenv("VIGIL_PASSWORD"); p != "" {
		return p, false, nil
	}
	return access.NewToken()[:20], true, nil
}

func runUserResetPassword(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user reset-password", "--username U [--password-stdin] [--db D] [--json]")
	db := dbFlag(fs)
	username := fs.String("username", "", "the user's login `NAME`")
	stdin := fs.Bool("password-stdin", false, "read the new password from the first line of standard input (else VIGIL_PASSWORD, else one is generated and printed)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return usagef("user reset-password: --username is required")
	}
	password, generated, err := readPassword(e, *stdin)
	if err != nil {
		return err
	}
	hash, err := access.HashPassword(password)
	if err != nil {
		return err
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := d.UserByName(ctx, *username)
	if err != nil {
		return err
	}
	if err := d.SetPassword(ctx, u.ID, hash, cliEntry(u.OrgID, "user.reset_password", "user:"+u.Username, map[string]any{"sessions_ended": true})); err != nil {
		return err
	}
	out := map[string]any{"user": u.Username, "sessions_ended": true}
	if generated {
		out["password"] = password
	}
	if *asJSON {
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "password of %s reset; their sessions are ended\n", u.Username)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s  (shown once; stored as an argon2id hash)\n", password)
	}
	return nil
}

func runUserDisable(ctx context.Context, e *env, args []string) error {
	return setUserDisabled(ctx, e, "user disable", args, true)
}

func runUserEnable(ctx context.Context, e *env, args []string) error {
	return setUserDisabled(ctx, e, "user enable", args, false)
}

func setUserDisabled(ctx context.Context, e *env, name string, args []string, disable bool) error {
	fs := newFlags(e, name, "--username U [--db D] [--json]")
	db := dbFlag(fs)
	username := fs.String("username", "", "the user's login `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" {
		return usagef("%s: --username is required", name)
	}
	d, err := store.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := d.UserByName(ctx, *username)
	if err != nil {
		return err
	}
	action := "user.enable"
	if disable {
		action = "user.disable"
	}
	ended, err := d.SetDisabled(ctx, u.ID, disable, cliEntry(u.OrgID, action, "user:"+u.Username, nil))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"user": u.Username, "disabled": disable, "sessions_ended": ended})
	}
	if disable {
		fmt.Fprintf(e.stdout, "user %s disabled; %d session(s) ended\n", u.Username, ended)
	} else {
		fmt.Fprintf(e.stdout, "user %s enabled\n", u.Username)
	}
	return nil
}

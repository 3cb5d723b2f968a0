package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/xlsform"
	"github.com/vigil-elections/vigil/internal/store"
)

// People and access from the command line: the first administrator of an
// organisation, and observers' API tokens (for phones, ODK Collect, the
// offline web form's link). Everything done here is in the audit log with
// channel "cli".

func init() {
	register(command{name: "user add", summary: "create a user of an organisation (the first administrator, say)", run: runUserAdd})
	register(command{name: "token create", summary: "issue an API token to an observer", run: runTokenCreate})
	register(command{name: "token revoke", summary: "revoke an API token", run: runTokenRevoke})
	register(command{name: "forms install", summary: "install the default observation forms for an organisation", run: runFormsInstall})
}

// cliEntry is an audit entry of the command line, for a store method that
// writes it in the transaction of its action. A nil detail is left nil
// (the store may fill it).
func cliEntry(org int64, action, object string, detail any) store.AuditEntry {
	var b json.RawMessage
	if detail != nil {
		b, _ = json.Marshal(detail) // maps of plain values: cannot fail
	}
	return store.AuditEntry{OrgID: org, Actor: "cli", Channel: "cli", Action: action, Object: object, Detail: b}
}

func runUserAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user add", "--org NAME --username U --role ROLE [--area A/B] [--observer ID] [--password-stdin] [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME` (created when new)")
	kind := fs.String("org-kind", "domestic", "kind of a new organisation: domestic or international")
	username := fs.String("username", "", "login `NAME`")
	name := fs.String("name", "", "full name")
	role := fs.String("role", "", "administrator, analyst, coordinator or observer")
	area := fs.String("area", "", "a coordinator's area: names from the top, separated by /")
	observer := fs.String("observer", "", "an observer's roster `ID` (role observer)")
	stdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (else VIGIL_PASSWORD, else one is generated and printed)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" || *username == "" || *role == "" {
		return usagef("user add: --org, --username and --role are required")
	}
	r, err := access.ParseRole(*role)
	if err != nil || r == access.Public {
		return usagef("user add: --role %q: want administrator, analyst, coordinator or observer", *role)
	}
	password := e.getenv("VIGIL_PASSWORD")
	generated := false
	if *stdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the password from standard input: %v", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		password = access.NewToken()[:20]
		generated = true
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
	o, err := d.EnsureOrganisation(ctx, *org, *kind)
	if err != nil {
		return err
	}
	u := &store.User{OrgID: o.ID, Username: *username, Name: *name, Role: string(r)}
	if *area != "" {
		for _, p := range strings.Split(*area, "/") {
			if p = strings.TrimSpace(p); p != "" {
				u.Area = append(u.Area, p)
			}
		}
	}
	if *observer != "" {
		ob, err := d.ObserverByCode(ctx, o.ID, *observer)
		if err != nil {
			return err
		}
		u.ObserverID = ob.ID
	}
	if err := d.CreateUser(ctx, u, hash, cliEntry(o.ID, "user.create", "user:"+u.Username, map[string]any{"role": u.Role, "area": u.Area})); err != nil {
		return err
	}
	out := map[string]any{"user": u, "organisation": o.Name}
	if generated {
		out["password"] = password
	}
	if *asJSON {
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "user %s (%s) created in %s\n", u.Username, u.Role, o.Name)
	if generated {
		fmt.Fprintf(e.stdout, "password: %s  (shown once; stored as an argon2id hash)\n", password)
	}
	return nil
}

func runTokenCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token create", "--org NAME --observer ID [--label L] [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	observer := fs.String("observer", "", "the observer's roster `ID`")
	label := fs.String("label", "", "a note: which phone, which day")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" || *observer == "" {
		return usagef("token create: --org and --observer are required")
	}
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	ob, err := d.ObserverByCode(ctx, o.ID, *observer)
	if err != nil {
		return err
	}
	secret := access.NewToken()
	t := &store.Token{OrgID: o.ID, ObserverID: ob.ID, Label: *label}
	if err := d.CreateToken(ctx, t, access.HashToken(secret), cliEntry(o.ID, "token.create", "", map[string]any{"observer": ob.Code})); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"id": t.ID, "token": secret, "observer": ob.Code, "web_form_link": "/observe/t/" + secret})
	}
	fmt.Fprintf(e.stdout, "token %d for observer %s (%s): %s\nweb form link: /observe/t/%s\n(shown once; stored as a SHA-256 hash)\n", t.ID, ob.Code, ob.Name, secret, secret)
	return nil
}

func runTokenRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token revoke", "--org NAME TOKEN-ID [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 1 {
		return usagef("token revoke: give --org and one token id")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return usagef("token revoke: token id %q is not a number", pos[0])
	}
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.RevokeToken(ctx, o.ID, id, cliEntry(o.ID, "token.revoke", fmt.Sprintf("token:%d", id), nil)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s has no valid token %d", o.Name, id)
		}
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"revoked": id})
	}
	fmt.Fprintf(e.stdout, "token %d revoked\n", id)
	return nil
}

func runFormsInstall(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "forms install", "--org NAME [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" {
		return usagef("forms install: --org is required")
	}
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	ids, err := observe.InstallDefaultForms(ctx, d, o.ID, cliEntry(o.ID, "form.defaults", "", nil))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"installed": ids})
	}
	fmt.Fprintf(e.stdout, "installed %d form(s): %s\n", len(ids), strings.Join(ids, ", "))
	return nil
}

func init() {
	register(command{name: "forms import", summary: "store a new form version from an XLSForm (.xlsx) or a JSON form", run: runFormsImport})
}

func runFormsImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "forms import", "FILE.xlsx|FILE.json --org NAME [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 1 {
		return usagef("forms import: give one file and --org")
	}
	raw, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	var f *form.Form
	if strings.HasSuffix(strings.ToLower(pos[0]), ".json") {
		f = &form.Form{}
		if err := json.Unmarshal(raw, f); err != nil {
			return fmt.Errorf("%s: %v", pos[0], err)
		}
	} else if f, err = xlsform.ImportFile(bytes.NewReader(raw), pos[0]); err != nil {
		return fmt.Errorf("%s: %v", pos[0], err)
	}
	f.EnsureVersion() // before the audit entry names it
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	sf, err := observe.SaveForm(ctx, d, o.ID, f, cliEntry(o.ID, "form.save", "form:"+f.ID+":"+f.Version, map[string]any{"file": pos[0]}))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{"id": sf.ID, "form": f.ID, "version": f.Version, "questions": len(f.Questions)})
	}
	fmt.Fprintf(e.stdout, "form %s version %s stored (%d questions)\n", f.ID, f.Version, len(f.Questions))
	return nil
}

func init() {
	register(command{name: "forms export", summary: "write a stored form as an XLSForm workbook (.xlsx) that pyxform and forms import read", run: runFormsExport})
}

func runFormsExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "forms export", "FORM --org NAME [--version V] [--election NAME] [--out FILE.xlsx] [--db D]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	version := fs.String("version", "", "form `VERSION` (default: the latest)")
	elName := fs.String("election", "", "bind the form to election `NAME` (its ballot options in the protocol block)")
	out := fs.String("out", "", "write to `FILE` (default: FORM-VERSION.xlsx)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *org == "" || len(pos) != 1 {
		return usagef("forms export: give one form id and --org")
	}
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	sf, err := d.FormByKey(ctx, o.ID, pos[0], *version)
	if err != nil {
		return fmt.Errorf("forms export: %w", err)
	}
	f := sf.Form
	if *elName != "" {
		el, err := d.ElectionByName(ctx, *elName)
		if err != nil {
			return fmt.Errorf("forms export: %w", err)
		}
		f = form.BindElection(f, el)
	}
	b, err := xlsform.Export(f)
	if err != nil {
		return fmt.Errorf("forms export %s: %w", f.ID, err)
	}
	path := *out
	if path == "" {
		path = f.ID + "-" + f.Version + ".xlsx"
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "form %s version %s written to %s (%d questions)\n", f.ID, f.Version, path, len(f.Questions))
	return nil
}

func init() {
	register(command{name: "token list", summary: "list an organisation's API tokens (never their secrets)", run: runTokenList})
}

func runTokenList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "token list", "--org NAME [--db D] [--json]")
	db := dbFlag(fs)
	org := fs.String("org", "", "organisation `NAME`")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *org == "" {
		return usagef("token list: --org is required")
	}
	d, o, err := openOrg(ctx, *db, *org)
	if err != nil {
		return err
	}
	defer d.Close()
	ts, err := d.Tokens(ctx, o.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		if ts == nil {
			ts = []store.Token{}
		}
		return printJSON(e.stdout, map[string]any{"tokens": ts})
	}
	for _, t := range ts {
		state := "valid"
		if t.Revoked != "" {
			state = "revoked " + t.Revoked
		}
		fmt.Fprintf(e.stdout, "%6d  observer %-6d user %-6d %-20s %s  %s\n", t.ID, t.ObserverID, t.UserID, t.Label, t.Created.Format("2006-01-02 15:04"), state)
	}
	return nil
}

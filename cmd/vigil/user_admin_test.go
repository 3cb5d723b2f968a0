package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/store"
)

func TestUserResetPasswordAndDisable(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "v.db")
	mustVigil(t, "user", "add", "--db", db, "--org", "Mission", "--username", "chief", "--role", "administrator")
	d, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	u, _ := d.UserByName(ctx, "chief")
	for _, s := range []string{"s1", "s2"} {
		if err := d.CreateSession(ctx, access.HashToken(s), u.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
	}

	out := mustVigil(t, "user", "reset-password", "--db", db, "--username", "chief", "--json")
	var r struct{ Password string }
	json.Unmarshal([]byte(out), &r)
	u, _ = d.UserByName(ctx, "chief")
	if ok, _ := access.VerifyPassword(u.PasswordHash(), r.Password); len(r.Password) < 16 || !ok {
		t.Fatalf("the new password %q does not verify", r.Password)
	}
	if _, err := d.SessionUser(ctx, access.HashToken("s1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a session survived the reset: %v", err)
	}
	// From standard input, as a script would give it.
	var o, eb strings.Builder
	if err := run(ctx, []string{"vigil", "user", "reset-password", "--db", db, "--username", "chief", "--password-stdin"},
		func(string) string { return "" }, strings.NewReader("a long passphrase\n"), &o, &eb); err != nil {
		t.Fatal(err, eb.String())
	}
	u, _ = d.UserByName(ctx, "chief")
	if ok, _ := access.VerifyPassword(u.PasswordHash(), "a long passphrase"); !ok || strings.Contains(o.String(), "a long passphrase") {
		t.Fatalf("stdin password: ok=%v, output %q", ok, o.String())
	}

	d.CreateSession(ctx, access.HashToken("s3"), u.ID, time.Hour)
	out = mustVigil(t, "user", "disable", "--db", db, "--username", "chief", "--json")
	if !strings.Contains(out, `"sessions_ended": 1`) {
		t.Fatalf("disable: %s", out)
	}
	u, _ = d.UserByName(ctx, "chief")
	if !u.Disabled {
		t.Fatal("not disabled")
	}
	if _, err := d.SessionUser(ctx, access.HashToken("s3")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a session survived disabling: %v", err)
	}
	mustVigil(t, "user", "enable", "--db", db, "--username", "chief")
	if u, _ = d.UserByName(ctx, "chief"); u.Disabled {
		t.Fatal("still disabled")
	}
	if _, err := vigil(t, "user", "disable", "--db", db, "--username", "nobody"); err == nil || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	log, err := d.AuditLog(ctx, u.OrgID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		if a.Object == "user:chief" {
			actions = append(actions, a.Action+"/"+a.Channel)
		}
	}
	if got := strings.Join(actions, " "); got != "user.enable/cli user.disable/cli user.reset_password/cli user.reset_password/cli user.create/cli" {
		t.Fatalf("audit: %s", got)
	}
}

package access

import (
	"errors"
	"strings"
	"testing"
)

// The whole table: for each role and action, the answer in four scopes,
// written out by hand (Y allowed, N denied), in the order
//
//	in:    own organisation, a station inside the coordinator's area and
//	       assigned to the observer's team, a report the observer wrote
//	out:   own organisation, a station outside the area, not assigned, a
//	       report of another observer
//	other: another organisation's station (inside the same named area)
//	list:  own organisation, no particular place or author (a list)
var want = map[Role]map[Action]string{
	Administrator: {
		ReadPublished: "YYYY", SubmitReport: "YYNY", ReadReports: "YYNY", ReviewReport: "YYNY",
		ResolveConflict: "YYNY", TriageIncident: "YYNY", ReadFindings: "YYNY", ManageForms: "YYNY",
		ManageQC: "YYNY", ManageRoster: "YYNY", ManageDeploy: "YYNY", ManageUsers: "YYNY",
		ManageTokens: "YYNY", ReadAudit: "YYNY", ManageRecommendations: "YYNY", PublishFindings: "YYNY",
	},
	Analyst: {
		ReadPublished: "YYYY", SubmitReport: "NNNN", ReadReports: "YYNY", ReviewReport: "YYNY",
		ResolveConflict: "YYNY", TriageIncident: "YYNY", ReadFindings: "YYNY", ManageForms: "YYNY",
		ManageQC: "YYNY", ManageRoster: "NNNN", ManageDeploy: "NNNN", ManageUsers: "NNNN",
		ManageTokens: "NNNN", ReadAudit: "YYNY", ManageRecommendations: "YYNY", PublishFindings: "YYNY",
	},
	Coordinator: {
		ReadPublished: "YYYY", SubmitReport: "YNNY", ReadReports: "YNNY", ReviewReport: "YNNY",
		ResolveConflict: "YNNY", TriageIncident: "YNNY", ReadFindings: "YNNY", ManageForms: "NNNN",
		ManageQC: "NNNN", ManageRoster: "NNNN", ManageDeploy: "NNNN", ManageUsers: "NNNN",
		ManageTokens: "YNNY", ReadAudit: "NNNN", ManageRecommendations: "NNNN", PublishFindings: "NNNN",
	},
	Observer: {
		ReadPublished: "YYYY", SubmitReport: "YNNN", ReadReports: "YNNY", ReviewReport: "NNNN",
		ResolveConflict: "NNNN", TriageIncident: "NNNN", ReadFindings: "NNNN", ManageForms: "NNNN",
		ManageQC: "NNNN", ManageRoster: "NNNN", ManageDeploy: "NNNN", ManageUsers: "NNNN",
		ManageTokens: "NNNN", ReadAudit: "NNNN", ManageRecommendations: "NNNN", PublishFindings: "NNNN",
	},
	Public: {
		ReadPublished: "YYYY", SubmitReport: "NNNN", ReadReports: "NNNN", ReviewReport: "NNNN",
		ResolveConflict: "NNNN", TriageIncident: "NNNN", ReadFindings: "NNNN", ManageForms: "NNNN",
		ManageQC: "NNNN", ManageRoster: "NNNN", ManageDeploy: "NNNN", ManageUsers: "NNNN",
		ManageTokens: "NNNN", ReadAudit: "NNNN", ManageRecommendations: "NNNN", PublishFindings: "NNNN",
	},
}

func TestCheckTable(t *testing.T) {
	in := []string{"North", "District 1", "PS 101"}
	out := []string{"South", "District 9", "PS 901"}
	principal := func(r Role) Principal {
		p := Principal{Role: r, OrgID: 1, UserID: 7, ObserverID: 42, Name: "x"}
		switch r {
		case Coordinator:
			p.Area = []string{"North"}
		case Observer:
			p.Stations = map[string]bool{StationKey(0, in): true}
		case Public:
			p = Anonymous
			p.OrgID = 1 // even a public principal claiming an org gets nothing more
		}
		return p
	}
	scopes := []Resource{
		{OrgID: 1, Area: in, ObserverID: 42},
		{OrgID: 1, Area: out, ObserverID: 43},
		{OrgID: 2, Area: in, ObserverID: 42},
		{OrgID: 1},
	}
	for _, role := range Roles {
		if len(want[role]) != len(Actions) {
			t.Fatalf("table for %s has %d actions, want %d", role, len(want[role]), len(Actions))
		}
		for _, a := range Actions {
			w := want[role][a]
			for i, r := range scopes {
				err := Check(principal(role), a, r)
				got := "Y"
				if err != nil {
					got = "N"
					if !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrUnauthenticated) {
						t.Errorf("%s %s scope %d: error %v wraps neither ErrForbidden nor ErrUnauthenticated", role, a, i, err)
					}
				}
				if got != w[i:i+1] {
					t.Errorf("%s may %s in scope %d: got %s, want %s (%v)", role, a, i, got, w[i:i+1], err)
				}
			}
		}
	}
}

func TestPublicGetsUnauthenticated(t *testing.T) {
	err := Check(Anonymous, ReadReports, Resource{})
	if !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("got %v, want ErrUnauthenticated", err)
	}
	err = Check(Principal{Role: Observer, OrgID: 1}, ManageUsers, Resource{OrgID: 1})
	if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "observer may not manage-users") {
		t.Fatalf("got %v", err)
	}
}

func TestInArea(t *testing.T) {
	cases := []struct {
		prefix, path []string
		want         bool
	}{
		{nil, []string{"a"}, true},
		{[]string{"a"}, []string{"a", "b"}, true},
		{[]string{"a"}, []string{"ab"}, false},
		{[]string{"a", "b"}, []string{"a"}, false},
		{[]string{"a", "b"}, []string{"a", "c", "b"}, false},
	}
	for _, c := range cases {
		if got := InArea(c.prefix, c.path); got != c.want {
			t.Errorf("InArea(%q, %q) = %v", c.prefix, c.path, got)
		}
	}
}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", h)
	}
	if ok, err := VerifyPassword(h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := VerifyPassword(h, "correct horse batterz"); ok {
		t.Fatal("wrong password accepted")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA"} {
		if _, err := VerifyPassword(bad, "x"); !errors.Is(err, ErrBadHash) {
			t.Errorf("VerifyPassword(%q): %v", bad, err)
		}
	}
}

func TestToken(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) != 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if HashToken(a) == HashToken(b) || len(HashToken(a)) != 64 {
		t.Fatal("token hashes")
	}
}

func TestForbiddenMessageArticle(t *testing.T) {
	for role, want := range map[Role]string{Observer: "an observer may not", Analyst: "an analyst may not", Coordinator: "a coordinator may not"} {
		err := Check(Principal{Role: role, OrgID: 1}, ManageUsers, Resource{OrgID: 1})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", role, err, want)
		}
	}
}

// An observer's assignment is for one election: the same path in another
// election of the organisation (a runoff at the same stations) is not
// theirs to report on.
func TestObserverStationsPerElection(t *testing.T) {
	path := []string{"North", "District 1", "PS 101"}
	p := Principal{Role: Observer, OrgID: 1, ObserverID: 42, Stations: map[string]bool{StationKey(7, path): true}}
	if err := Check(p, SubmitReport, Resource{OrgID: 1, ElectionID: 7, Area: path}); err != nil {
		t.Errorf("the assigned station: %v", err)
	}
	if err := Check(p, SubmitReport, Resource{OrgID: 1, ElectionID: 8, Area: path}); !errors.Is(err, ErrForbidden) {
		t.Errorf("the same path in election 8: %v, want forbidden", err)
	}
}

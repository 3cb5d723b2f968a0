// Package access decides who may do what in vigil: the roles of an
// observation mission, the actions they take, and the scope in which they
// may take them (their organisation; a coordinator's area; an observer's
// own assignments). It is pure: the web middleware and the command line ask
// Check with a Principal and a Resource they have loaded, and enforce its
// answer. Nothing else in vigil decides permissions.
package access

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Role is what a person is in a mission.
type Role string

// The roles, from most to least powerful.
const (
	// Administrator manages the organisation's people, tokens, roster,
	// deployment and forms, and may do everything an analyst does.
	Administrator Role = "administrator"
	// Analyst is the core team: reads everything of the organisation,
	// reviews reports, resolves conflicts, triages incidents, writes QC
	// rules and forms, computes findings.
	Analyst Role = "analyst"
	// Coordinator is a long-term observer: the same review work as an
	// analyst, but only inside their area; may submit reports for stations
	// there (taking them by phone) and issue tokens to its observers.
	Coordinator Role = "coordinator"
	// Observer is a short-term observer: submits reports for the stations
	// their team is assigned, reads their own reports.
	Observer Role = "observer"
	// Public is anyone not logged in: published data only.
	Public Role = "public"
)

// Roles lists every role.
var Roles = []Role{Administrator, Analyst, Coordinator, Observer, Public}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want administrator, analyst, coordinator or observer)", s)
}

// Action is something a request does.
type Action string

// The actions. Each endpoint of the server maps to exactly one.
const (
	ReadPublished   Action = "read-published"    // results, published findings
	SubmitReport    Action = "submit-report"     // a report for a station
	ReadReports     Action = "read-reports"      // reports and their answers
	ReviewReport    Action = "review-report"     // verify, flag, quarantine
	ResolveConflict Action = "resolve-conflict"  // pick the value of a conflicting field
	TriageIncident  Action = "triage-incident"   // set an incident's triage status
	ReadFindings    Action = "read-findings"     // unpublished findings, coverage
	ManageForms     Action = "manage-forms"      // install, upload forms
	ManageQC        Action = "manage-qc"         // quality-control rules
	ManageRoster    Action = "manage-roster"     // import observers, teams
	ManageDeploy    Action = "manage-deployment" // draw, assign teams
	ManageUsers     Action = "manage-users"      // create users
	ManageTokens    Action = "manage-tokens"     // issue and revoke observer tokens
	ReadAudit       Action = "read-audit"        // the audit log
	// ManageRecommendations: missions, reports, recommendations and their
	// assessments, and the proposals (which quote unpublished findings).
	ManageRecommendations Action = "manage-recommendations"
	// PublishFindings makes the organisation's current findings public.
	PublishFindings Action = "publish-findings"
)

// Actions lists every action.
var Actions = []Action{ReadPublished, SubmitReport, ReadReports, ReviewReport, ResolveConflict,
	TriageIncident, ReadFindings, ManageForms, ManageQC, ManageRoster, ManageDeploy, ManageUsers,
	ManageTokens, ReadAudit, ManageRecommendations, PublishFindings}

// Principal is who makes a request.
type Principal struct {
	Role       Role
	OrgID      int64
	UserID     int64    // 0 for an observer token without a login
	ObserverID int64    // the roster entry of an observer
	Name       string   // for the audit log
	Area       []string // a coordinator's area: a path prefix; empty is the whole country
	// Stations are the stations (and commissions) an observer's team is
	// assigned, each named by StationKey: an assignment is for one
	// election, and the same path in another (a runoff at the same
	// stations) is not assigned with it.
	Stations map[string]bool
}

// Anonymous is the public.
var Anonymous = Principal{Role: Public, Name: "public"}

// Resource is what an action touches: the organisation that owns it and,
// when it is about one place, that place's path; when it belongs to one
// observer (a report they wrote), their id.
type Resource struct {
	OrgID      int64
	ElectionID int64    // the election the place is of, when about a place
	Area       []string // the station's or commission's path; nil when not about a place
	ObserverID int64    // the author of a report, when known
}

// AreaKey joins a path.
func AreaKey(path []string) string { return strings.Join(path, "\x1f") }

// StationKey names a place of an election for Principal.Stations.
func StationKey(election int64, path []string) string {
	return strconv.FormatInt(election, 10) + "\x1e" + AreaKey(path)
}

// ErrForbidden is wrapped by every refusal.
var ErrForbidden = errors.New("forbidden")

// ErrUnauthenticated is returned when the public asks for anything but
// published data: log in first.
var ErrUnauthenticated = errors.New("authentication required")

// roleActions is the table of what each role may do at all; scope narrows
// it in Check.
var roleActions = map[Role][]Action{
	Administrator: Actions,
	Analyst: {ReadPublished, ReadReports, ReviewReport, ResolveConflict, TriageIncident, ReadFindings,
		ManageForms, ManageQC, ReadAudit, ManageRecommendations, PublishFindings},
	Coordinator: {ReadPublished, SubmitReport, ReadReports, ReviewReport, ResolveConflict, TriageIncident,
		ReadFindings, ManageTokens},
	Observer: {ReadPublished, SubmitReport, ReadReports},
	Public:   {ReadPublished},
}

// Check reports whether p may take action a on r: nil if allowed, or an
// error wrapping ErrForbidden (ErrUnauthenticated for the public) that says
// why. The rules:
//
//   - published data is open to everyone, whatever its organisation;
//   - anything else needs a role that has the action (roleActions) and a
//     resource of the principal's own organisation;
//   - a coordinator acts only inside their area: the resource's path must
//     start with the coordinator's area (a resource without a place, such
//     as a list, is allowed, and the list is filtered by the same rule);
//   - an observer submits only for a station their team is assigned, and
//     reads only their own reports.
func Check(p Principal, a Action, r Resource) error {
	if a == ReadPublished {
		return nil
	}
	if !slices.Contains(roleActions[p.Role], a) {
		if p.Role == Public || p.Role == "" {
			return fmt.Errorf("%w: %s", ErrUnauthenticated, a)
		}
		return fmt.Errorf("%w: %s %s may not %s", ErrForbidden, article(string(p.Role)), p.Role, a)
	}
	if r.OrgID != p.OrgID {
		return fmt.Errorf("%w: the resource belongs to another organisation", ErrForbidden)
	}
	switch p.Role {
	case Coordinator:
		if r.Area != nil && !InArea(p.Area, r.Area) {
			return fmt.Errorf("%w: %s is outside your area %s", ErrForbidden, strings.Join(r.Area, " / "), areaName(p.Area))
		}
	case Observer:
		switch a {
		case SubmitReport:
			if r.Area == nil || !p.Stations[StationKey(r.ElectionID, r.Area)] {
				return fmt.Errorf("%w: your team is not assigned to %s", ErrForbidden, areaName(r.Area))
			}
		case ReadReports:
			list := r.Area == nil && r.ObserverID == 0
			if !list && r.ObserverID != p.ObserverID {
				return fmt.Errorf("%w: an observer reads only their own reports", ErrForbidden)
			}
		}
	}
	return nil
}

// InArea reports whether path lies inside the area named by prefix (an
// empty prefix is the whole country).
func InArea(prefix, path []string) bool {
	if len(path) < len(prefix) {
		return false
	}
	return slices.Equal(prefix, path[:len(prefix)])
}

func areaName(p []string) string {
	if len(p) == 0 {
		return "(whole country)"
	}
	return strings.Join(p, " / ")
}

// CanSeeReport is the row filter of lists: whether p may read a report of
// organisation org, about the place at path, written by observer author.
func CanSeeReport(p Principal, org int64, path []string, author int64) bool {
	return Check(p, ReadReports, Resource{OrgID: org, Area: nonNil(path), ObserverID: author}) == nil
}

func nonNil(p []string) []string {
	if p == nil {
		return []string{}
	}
	return p
}

// article is "an" before a vowel ("an observer", "an analyst"), else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

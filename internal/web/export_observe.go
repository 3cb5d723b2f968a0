package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/integrity/pvt"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/tally"
)

// What the observer API (web/observeapi) and the dashboard (web/dashboard)
// take from the core. Two kinds:
//
//   - the observation's shared machinery, which more than one room uses and
//     no room may hold (a room imports no other room): the audit entry of a
//     request, the checked writes of a review decision and of a conflict's
//     resolution (the API, the review page and the dashboard's forms all
//     go through them, so the rules live in one place), the report named by
//     a path, the observation's change stamp, and the storing of photos
//     (the API's upload and the OpenRosa gateway's attachments);
//   - thin exported doors onto core helpers that stay unexported for the
//     core's own files (authorisation, login, tokens, languages, rendering,
//     tabulations, geography).

// AuditEntry is the request principal's audit entry for an action, for a
// store method that writes it in the action's transaction. A nil detail is
// left nil (the store may fill it).
func (s *Server) AuditEntry(r *http.Request, action, object string, detail any) store.AuditEntry {
	p := s.Principal(r)
	var d json.RawMessage
	if detail != nil {
		d, _ = json.Marshal(detail) // maps of plain values: cannot fail
	}
	who := p.Name
	if p.UserID != 0 {
		who = fmt.Sprintf("user:%d:%s", p.UserID, p.Name)
	} else if p.ObserverID != 0 {
		who = fmt.Sprintf("observer:%d:%s", p.ObserverID, p.Name)
	}
	return store.AuditEntry{OrgID: p.OrgID, Actor: who, Channel: "api", Action: action, Object: object, Detail: d}
}

// NonNilArea is an area path for access.Resource: nil (a principal of the
// whole country) as the empty path.
func NonNilArea(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

// ReportParam is the report the path's {id} names, of the principal's
// organisation (the caller checks scope).
func (s *Server) ReportParam(r *http.Request) (*store.Report, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, Errorf(Invalid, "report id %q: want a number", r.PathValue("id"))
	}
	p := s.Principal(r)
	if p.Role == access.Public {
		return nil, Errorf(Unauthorized, "log in first")
	}
	rep, err := s.db.Report(r.Context(), p.OrgID, id)
	if err != nil {
		return nil, err // another organisation's report is simply not found
	}
	return rep, nil
}

// ReviewIn is a review decision: a status, an incident's triage, a note.
type ReviewIn struct {
	Status string `json:"status,omitempty"`
	Triage string `json:"triage,omitempty"`
	Note   string `json:"note,omitempty"`
}

// ReviewReport checks and applies a status or triage change to a report.
func (s *Server) ReviewReport(r *http.Request, rep *store.Report, in ReviewIn, channel string) error {
	res := access.Resource{OrgID: rep.OrgID, Area: NonNilArea(rep.AreaPath)}
	if in.Status != "" {
		if !slices.Contains([]string{store.StatusNew, store.StatusFlagged, store.StatusVerified, store.StatusQuarantined}, in.Status) {
			return Errorf(Invalid, "status %q: want new, flagged, verified or quarantined", in.Status)
		}
		if err := s.check(r, access.ReviewReport, res); err != nil {
			return err
		}
	}
	if in.Triage != "" {
		if rep.Phase != string(form.Incident) {
			return Errorf(Invalid, "triage applies to incident reports; report %d is a %s report", rep.ID, rep.Phase)
		}
		if !slices.Contains(observe.TriageStates, in.Triage) {
			return Errorf(Invalid, "triage %q: want one of %s", in.Triage, strings.Join(observe.TriageStates, ", "))
		}
		if err := s.check(r, access.TriageIncident, res); err != nil {
			return err
		}
	}
	if in.Status == "" && in.Triage == "" {
		return Errorf(Invalid, "give status or triage")
	}
	p := s.Principal(r)
	d, _ := json.Marshal(in)
	return s.db.UpdateReport(r.Context(), rep.OrgID, rep.ID, in.Status, in.Triage, store.AuditEntry{OrgID: p.OrgID,
		Actor: fmt.Sprintf("user:%d:%s", p.UserID, p.Name), Channel: channel, Action: "report.review", Object: fmt.Sprintf("report:%d", rep.ID), Detail: d})
}

// Resolve checks and stores a coordinator's resolution of a conflict.
func (s *Server) Resolve(r *http.Request, electionID int64, in *store.Resolution, channel string) error {
	p := s.Principal(r)
	a, err := s.obs().svc.Area(r.Context(), electionID, in.AreaID)
	if err != nil {
		return Errorf(Invalid, "area_id %d is not an area of this election", in.AreaID)
	}
	if err := s.check(r, access.ResolveConflict, access.Resource{OrgID: p.OrgID, Area: NonNilArea(a.Path)}); err != nil {
		return err
	}
	var v form.Value
	if len(in.Value) == 0 || json.Unmarshal(in.Value, &v) != nil {
		return Errorf(Invalid, "value: want the chosen answer as JSON (true, 12, \"bad\", …)")
	}
	if in.Question == "" || !form.Phase(in.Phase).Valid() {
		return Errorf(Invalid, "give question and phase (opening, voting, counting, tabulation)")
	}
	in.UserID = p.UserID
	d, _ := json.Marshal(in)
	return s.db.Resolve(r.Context(), p.OrgID, electionID, *in, store.AuditEntry{OrgID: p.OrgID, Actor: fmt.Sprintf("user:%d:%s", p.UserID, p.Name),
		Channel: channel, Action: "conflict.resolve", Object: fmt.Sprintf("area:%d/%s/%s", in.AreaID, in.Phase, in.Question), Detail: d})
}

// Photos sent with reports: through OpenRosa (the submission's other
// multipart parts, named by the photo question's answer, as ODK Collect
// sends them) or through the API (one photo per request). Only images are
// kept — the bytes, not the declared type, decide — and a resent photo is
// stored once.

// photoTypes are the kinds of picture kept: the bytes, not the declared
// type, decide.
var photoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/webp": true}

// photoContentType sniffs an image type, or "" when the bytes are not one
// of the kept kinds.
func photoContentType(b []byte) string {
	ct := http.DetectContentType(b)
	if photoTypes[ct] {
		return ct
	}
	return ""
}

// SavePhotos stores the files that answer the form's photo questions.
// It returns what it could not keep, for the reply.
func (s *Server) SavePhotos(ctx context.Context, orgID, electionID, reportID int64, f *form.Form, answers form.Answers, files map[string][]byte) []string {
	var problems []string
	for _, q := range f.Questions {
		if q.Type != form.Photo {
			continue
		}
		v, ok := answers[q.ID]
		if !ok {
			continue
		}
		name, _ := v.Text()
		data, ok := files[name]
		if !ok || name == "" {
			problems = append(problems, fmt.Sprintf("%s: the photo %q was not attached", q.ID, name))
			continue
		}
		if err := s.SavePhoto(ctx, orgID, electionID, reportID, q.ID, name, data); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", q.ID, err))
		}
	}
	return problems
}

// ErrNotImage is a photo whose bytes are not a picture vigil keeps: the
// sender's mistake (400), unlike a failure to store it (500, logged, its
// text not shown).
var ErrNotImage = errors.New("is not a JPEG, PNG or WebP image")

// SavePhoto stores one photo of a report within the intake limits, with
// its audit entry when given; a resent photo is stored once.
func (s *Server) SavePhoto(ctx context.Context, orgID, electionID, reportID int64, question, name string, data []byte, audit ...store.AuditEntry) error {
	ct := photoContentType(data)
	if ct == "" {
		return fmt.Errorf("%q %w", name, ErrNotImage)
	}
	lim := s.intake().limits
	if int64(len(data)) > lim.MaxPhotoBytes {
		return fmt.Errorf("%w: %q is larger than %d MiB", store.ErrPhotoLimit, name, lim.MaxPhotoBytes>>20)
	}
	sum := sha256.Sum256(data)
	_, err := s.db.SavePhotoWithin(ctx, &store.Photo{OrgID: orgID, ElectionID: electionID, ReportID: reportID, Question: question,
		FileName: name, ContentType: ct, SHA256: hex.EncodeToString(sum[:]), Size: len(data), Data: data},
		store.PhotoLimits{PerReport: lim.MaxPhotosPerReport, OrgBytes: lim.MaxPhotoBytesOrg}, audit...)
	return err
}

// ObsStamp is the change counter of the organisation's observation of the
// election: one row read; live pages compare it and re-read only when it
// moved.
func (s *Server) ObsStamp(ctx context.Context, orgID, electionID int64) (string, error) {
	n, err := s.db.ObsChange(ctx, orgID, electionID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("c%d", n), nil
}

// Check is access.Check of the request's principal, its refusal as a
// client error (401, 403).
func (s *Server) Check(r *http.Request, a access.Action, res access.Resource) error {
	return s.check(r, a, res)
}

// RequireRole lets only the given roles reach h: the public gets 401, other
// roles 403 (h still checks scope).
func (s *Server) RequireRole(roles []access.Role, h HandlerFunc) HandlerFunc {
	return s.requireRole(roles, h)
}

// AccessError maps a refusal of access.Check to a client error.
func AccessError(err error) error { return accessError(err) }

// Login checks a user's password within the login budgets and opens a
// session (its cookie set on w).
func (s *Server) Login(w http.ResponseWriter, r *http.Request, username, password string) (*store.User, error) {
	return s.login(w, r, username, password)
}

// Logout ends the request's session.
func (s *Server) Logout(w http.ResponseWriter, r *http.Request) error { return s.logout(w, r) }

// TokenPrincipal is the principal an observer's token acts for.
func (s *Server) TokenPrincipal(ctx context.Context, token string) (access.Principal, error) {
	return s.tokenPrincipal(ctx, token)
}

// ForgetToken drops a revoked token from the server's cache of tokens.
func (s *Server) ForgetToken(id int64) { s.forgetToken(id) }

// WantsHTML says whether an answer should be a page rather than JSON.
func WantsHTML(r *http.Request) bool { return wantsHTML(r) }

// StaticFile is one of the embedded static files (static/NAME).
func StaticFile(name string) ([]byte, error) { return staticFS.ReadFile("static/" + name) }

// Catalogue is one language's messages, for a room's Go code that writes
// sentences (T) and numbers (Message("num.decimal")).
type Catalogue = catalogue

// Message is the catalogue's text of key as it is, "" when it has none.
func (c *catalogue) Message(key string) string { return c.msgs[key] }

// CatalogueFor is the request's language (English when the catalogues are
// not loaded).
func (s *Server) CatalogueFor(r *http.Request) *Catalogue {
	if ls := s.portal.langs; ls != nil {
		return ls.pick(r)
	}
	return &catalogue{Tag: "en", msgs: map[string]string{}}
}

// LevelName is the name of an election's area level (1: the first below
// the country), "" past its levels.
func LevelName(e *election.Election, level int) string { return levelName(e, level) }

// RenderBytes executes a page template of the request's language into
// bytes (a fragment a room sends otherwise than as a page).
func (s *Server) RenderBytes(r *http.Request, name string, data any) ([]byte, error) {
	return s.renderBytes(r, name, data)
}

// TallyAt is the tabulation of an election under sel as of a stamp the
// caller has just read, from the core's cache.
func (s *Server) TallyAt(ctx context.Context, e *election.Election, sel tally.Selector, stamp string) (*TallyEntry, error) {
	return s.tallyAt(ctx, e, sel, stamp)
}

// Hold runs fn with the entry locked, so that no recomputation of the
// same tabulation changes it while fn reads it.
func (t *TallyEntry) Hold(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn()
}

// StationPoint is a station's known location (vigil geo import's points),
// from the core's cache of the election's geography; ok is false when the
// geography has none for it.
func (s *Server) StationPoint(ctx context.Context, e *election.Election, areaID int64) (lon, lat float64, ok bool, err error) {
	g, err := s.geography(ctx, e)
	if err != nil {
		return 0, 0, false, err
	}
	pt, ok := g.points[areaID]
	return pt[0], pt[1], ok, nil
}

// MaxPhotoBytes is the largest photo the server keeps (its intake limits').
func (s *Server) MaxPhotoBytes() int64 { return s.intake().limits.MaxPhotoBytes }

// PVTWarnings are the PVT's warnings in c's language (the package writes
// English).
func PVTWarnings(c *Catalogue, english []string, notes []pvt.Note) []string {
	return pvtWarnings(c, english, notes)
}

// WithheldText is why the PVT's verdict is withheld, in c's language.
func WithheldText(c *Catalogue, res *pvt.Result) string { return withheldText(c, res) }

package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// ObserveRoutes registers the observation area: the reports API, forms,
// people and deployment, findings, the OpenRosa server, the SMS webhooks
// and the offline web form.
func (s *Server) ObserveRoutes() {
	csrf := http.NewCrossOriginProtection()
	h := func(pattern string, fn HandlerFunc) {
		s.mux.Handle(pattern, csrf.Handler(s.Serve(s.Authed(fn))))
	}
	h("GET /api/v1/observe/me", s.apiMe)
	h("POST /api/v1/observe/login", s.apiLogin)
	h("POST /api/v1/observe/logout", s.apiLogout)
	h("GET /api/v1/observe/forms", s.apiForms)
	h("POST /api/v1/observe/forms", s.apiUploadForm)
	h("POST /api/v1/observe/forms/defaults", s.apiInstallDefaults)
	h("GET /api/v1/observe/forms/{form}", s.apiForm)
	h("PUT /api/v1/observe/forms/{form}/{version}/media/{file}", s.apiPutFormMedia)
	h("POST /api/v1/observe/roster", s.apiRoster)
	h("GET /api/v1/observe/observers", s.apiObservers)
	h("POST /api/v1/observe/tokens", s.apiCreateToken)
	h("DELETE /api/v1/observe/tokens/{id}", s.apiRevokeToken)
	h("GET /api/v1/observe/qc-rules", s.apiQCRules)
	h("POST /api/v1/observe/qc-rules", s.apiSaveQCRule)
	h("GET /api/v1/observe/audit", s.requireRole([]access.Role{access.Administrator, access.Analyst}, s.apiAudit))
	h("POST /api/v1/elections/{election}/reports", s.apiSubmit)
	h("GET /api/v1/elections/{election}/reports", s.apiReports)
	h("GET /api/v1/elections/{election}/reports/{id}", s.apiReport)
	h("PATCH /api/v1/elections/{election}/reports/{id}", s.apiReviewReport)
	h("GET /api/v1/elections/{election}/conflicts", s.apiConflicts)
	h("POST /api/v1/elections/{election}/conflicts", s.apiResolve)
	h("GET /api/v1/elections/{election}/findings", s.apiFindings)
	h("GET /api/v1/elections/{election}/assignments", s.apiAssignments)
	h("POST /api/v1/elections/{election}/assignments", s.apiAssign)
	h("POST /api/v1/elections/{election}/deployments", s.apiDraw)
	h("GET /api/v1/elections/{election}/deployments/latest", s.apiDeployment)
}

// ObservePageRoutes registers the offline web form's pages and the review
// of reports.
func (s *Server) ObservePageRoutes() {
	s.observePageRoutes()
	s.observeReviewRoutes()
}

// maxReportBody bounds a JSON report; a form with a protocol of 40
// options is a few kilobytes.
const maxReportBody = 1 << 20

// decodeJSON reads a JSON body strictly, with precise messages.
func decodeJSON(r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return Errorf(Invalid, "reading the body: %v", err)
	}
	if int64(len(body)) > limit {
		return Errorf(Invalid, "body larger than %d bytes", limit)
	}
	return decodeJSONBytes(body, v)
}

func decodeJSONBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		var ae *form.AnswerError
		switch {
		case errors.As(err, &ae):
			return Errorf(Invalid, "%v", ae)
		case errors.As(err, &se):
			line, col := position(body, se.Offset)
			return Errorf(Invalid, "JSON syntax error at line %d, column %d: %v", line, col, se)
		case errors.As(err, &te):
			line, col := position(body, te.Offset)
			return Errorf(Invalid, "JSON at line %d, column %d: field %q: want %s, got %s", line, col, te.Field, jsonWant(te.Type), te.Value)
		case errors.Is(err, io.EOF):
			return Errorf(Invalid, "empty body: want a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			line, col := position(body, int64(len(body)))
			return Errorf(Invalid, "JSON syntax error at line %d, column %d: the body ends in the middle of a value", line, col)
		}
		return Errorf(Invalid, "JSON: %v", err)
	}
	if dec.More() {
		return Errorf(Invalid, "JSON: more than one value in the body")
	}
	return nil
}

// jsonWant names what a Go type reads from JSON, in the API's words:
// "true or false", not "bool"; "an integer", not "int64".
func jsonWant(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonWant(t.Elem())
	}
	return t.String()
}

func position(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// submitError turns the pipeline's refusals into client errors; a
// validation error carries the list of problems.
type problemsError struct {
	*Error
	Problems []form.FieldError `json:"problems"`
}

func (s *Server) submitError(w http.ResponseWriter, err error) error {
	var ve *observe.ValidationError
	var ie *observe.InputError
	switch {
	case errors.As(err, &ve):
		WriteJSON(w, http.StatusBadRequest, map[string]any{"error": problemsError{
			Error: &Error{Code: Invalid, Message: fmt.Sprintf("%d problem(s) with the answers", len(ve.Problems))}, Problems: ve.Problems}})
		return nil
	case errors.As(err, &ie):
		return Errorf(Invalid, "%s", ie.Msg)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Errorf(TooMany, "the server is busy: send the report again (same client_id)")
	}
	return accessError(err)
}

// ReportIn is the JSON body of a report submission.
type ReportIn struct {
	ClientID  string       `json:"client_id"`
	Form      string       `json:"form"`
	Version   string       `json:"version,omitempty"`
	AreaID    int64        `json:"area_id,omitempty"`
	Submitted string       `json:"submitted,omitempty"`
	Answers   form.Answers `json:"answers"`
}

func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	var e *election.Election
	var err error
	if id, perr := strconv.ParseInt(r.PathValue("election"), 10, 64); perr == nil {
		e, err = s.obs().svc.Election(r.Context(), id)
	} else {
		e, err = s.ElectionParam(r)
	}
	if err != nil {
		return err
	}
	if err := s.AllowIntake(w, s.Principal(r)); err != nil {
		return err
	}
	var in ReportIn
	if err := decodeJSON(r, maxReportBody, &in); err != nil {
		return err
	}
	channel := observe.ChannelAPI
	if r.Header.Get("X-Vigil-Channel") == "web" {
		channel = observe.ChannelWeb
	}
	return s.submit(w, r, e, in, channel)
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, e *election.Election, in ReportIn, channel string) error {
	if in.Form == "" {
		return Errorf(Invalid, "form: required (the form's id, e.g. counting)")
	}
	var submitted time.Time
	if in.Submitted != "" {
		t, err := time.Parse(time.RFC3339, in.Submitted)
		if err != nil {
			return Errorf(Invalid, "submitted %q: want an RFC 3339 time such as 2026-11-23T18:05:00Z", in.Submitted)
		}
		submitted = t
	}
	rc, err := s.SubmitReport(r.Context(), observe.Submission{Principal: s.Principal(r), Channel: channel, ClientID: in.ClientID,
		ElectionID: e.ID, Form: in.Form, Version: in.Version, AreaID: in.AreaID, Answers: in.Answers, Submitted: submitted})
	if err != nil {
		return s.submitError(w, err)
	}
	status := http.StatusCreated
	if rc.Duplicate {
		status = http.StatusOK
	}
	WriteJSON(w, status, rc)
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	out := map[string]any{"role": p.Role, "name": p.Name}
	if p.Role != access.Public {
		out["org_id"] = p.OrgID
		if o, err := s.db.Organisation(r.Context(), p.OrgID); err == nil {
			out["organisation"] = o.Name
		}
		if len(p.Area) > 0 {
			out["area"] = p.Area
		}
		if p.ObserverID != 0 {
			out["observer_id"] = p.ObserverID
			out["stations"] = len(p.Stations)
		}
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	u, err := s.login(w, r, in.Username, in.Password)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"user": u})
	return nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.logout(w, r); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"status": "logged out"})
	return nil
}

func (s *Server) apiForms(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if p.Role == access.Public {
		return Errorf(Unauthorized, "log in first")
	}
	fs, err := s.db.Forms(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"forms": fs})
	return nil
}

func (s *Server) apiForm(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if p.Role == access.Public {
		return Errorf(Unauthorized, "log in first")
	}
	// GET …/forms/{form}.xlsx: the form as an XLSForm workbook, which a
	// mission edits and imports again (pyxform converts it too).
	key, asXLSX := strings.CutSuffix(r.PathValue("form"), ".xlsx")
	sf, err := s.db.FormByKey(r.Context(), p.OrgID, key, r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	f := sf.Form
	if en := r.URL.Query().Get("election"); en != "" {
		e, err := s.electionByKey(r, en)
		if err != nil {
			return err
		}
		f = form.BindElection(f, e)
	}
	if asXLSX {
		b, err := form.ExportXLSForm(f)
		if err != nil {
			return fmt.Errorf("export form %s as XLSForm: %w", f.ID, err)
		}
		h := w.Header()
		h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.xlsx"`, f.ID, f.Version))
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(b)
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"id": sf.ID, "created": sf.Created, "form": f})
	return nil
}

func (s *Server) electionByKey(r *http.Request, key string) (*election.Election, error) {
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		return s.db.Election(r.Context(), id)
	}
	return s.db.ElectionByName(r.Context(), key)
}

// apiUploadForm stores a new form version: a JSON form, or an XLSForm
// spreadsheet (Content-Type of a spreadsheet, or multipart field "file").
func (s *Server) apiUploadForm(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ManageForms, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	var f *form.Form
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		f = &form.Form{}
		if err := decodeJSON(r, 4<<20, f); err != nil {
			return err
		}
	case strings.HasPrefix(ct, "multipart/form-data"):
		file, header, err := r.FormFile("file")
		if err != nil {
			return Errorf(Invalid, "multipart upload: want the XLSForm in field \"file\": %v", err)
		}
		defer file.Close()
		if f, err = form.ImportXLSFormFile(io.LimitReader(file, 16<<20), header.Filename); err != nil {
			return Errorf(Invalid, "%v", err)
		}
	default:
		var err error
		if f, err = form.ImportXLSForm(io.LimitReader(r.Body, 16<<20)); err != nil {
			return Errorf(Invalid, "%v", err)
		}
	}
	f.EnsureVersion() // before the audit entry names it
	sf, err := observe.SaveForm(r.Context(), s.db, p.OrgID, f, s.AuditEntry(r, "form.save", fmt.Sprintf("form:%s:%s", f.ID, f.Version), nil))
	if err != nil {
		return Errorf(Invalid, "%v", err)
	}
	WriteJSON(w, http.StatusCreated, sf)
	return nil
}

func (s *Server) apiInstallDefaults(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ManageForms, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	installed, err := observe.InstallDefaultForms(r.Context(), s.db, p.OrgID, s.AuditEntry(r, "form.defaults", "", nil))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"installed": installed})
	return nil
}

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

func (s *Server) apiRoster(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ManageRoster, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	org, err := s.db.Organisation(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("file")
	if name == "" {
		name = "roster.csv"
	}
	country, err := s.db.OrgCountry(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	obs, err := observe.ParseRosterIn(io.LimitReader(r.Body, 32<<20), name, org.Name, country)
	if err != nil {
		var re observe.RosterErrors
		if errors.As(err, &re) {
			WriteJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": Invalid, "message": err.Error(), "problems": re}})
			return nil
		}
		return Errorf(Invalid, "%v", err)
	}
	created, updated, err := s.db.ImportRoster(r.Context(), p.OrgID, obs, s.AuditEntry(r, "roster.import", name, nil))
	var taken store.PhoneConflicts
	if errors.As(err, &taken) {
		return Errorf(Conflict, "%s: %v", name, taken)
	}
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"created": created, "updated": updated})
	return nil
}

func (s *Server) apiObservers(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ReadReports, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	if p.Role == access.Observer {
		return Errorf(Forbidden, "observers do not list the roster")
	}
	obs, err := s.db.Observers(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	out := obs[:0]
	for _, o := range obs {
		if p.Role != access.Coordinator || access.InArea(p.Area, o.Area) {
			out = append(out, o)
		}
	}
	WriteJSON(w, http.StatusOK, map[string]any{"observers": out})
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ManageTokens, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	var in struct {
		Observer string `json:"observer"` // roster id
		Label    string `json:"label"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	o, err := s.db.ObserverByCode(r.Context(), p.OrgID, in.Observer)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Errorf(NotFound, "your organisation has no observer %q", in.Observer)
		}
		return err
	}
	if err := s.check(r, access.ManageTokens, access.Resource{OrgID: o.OrgID, Area: nonNilArea(o.Area)}); err != nil {
		return err
	}
	secret := access.NewToken()
	t := &store.Token{OrgID: p.OrgID, ObserverID: o.ID, Label: in.Label}
	if err := s.db.CreateToken(r.Context(), t, access.HashToken(secret), s.AuditEntry(r, "token.create", "", map[string]any{"observer": o.Code})); err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, map[string]any{"token": secret, "id": t.ID, "observer": o.Code,
		"note": "shown once: vigil stores only its hash"})
	return nil
}

func nonNilArea(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ManageTokens, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return Errorf(Invalid, "token id %q: want a number", r.PathValue("id"))
	}
	area, err := s.tokenArea(r, p.OrgID, id)
	if err != nil {
		return err
	}
	// A coordinator revokes only the tokens of observers in their area.
	if err := s.check(r, access.ManageTokens, access.Resource{OrgID: p.OrgID, Area: area}); err != nil {
		return err
	}
	if err := s.db.RevokeToken(r.Context(), p.OrgID, id, s.AuditEntry(r, "token.revoke", fmt.Sprintf("token:%d", id), nil)); err != nil {
		return err
	}
	s.forgetToken(id)
	WriteJSON(w, http.StatusOK, map[string]any{"revoked": id})
	return nil
}

// tokenArea is the place a token of org acts for, for the scope check of
// its revocation: its observer's area, or its user's area (the whole
// country, [], for a user without one). Another organisation's token is
// not found; a revoked one still has its place, so that the answer
// outside one's area stays 403. The organisation's list is read rather
// than one row: revocations are rare and the list is short.
func (s *Server) tokenArea(r *http.Request, org, id int64) ([]string, error) {
	ts, err := s.db.Tokens(r.Context(), org)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID != id {
			continue
		}
		if t.ObserverID != 0 {
			o, err := s.db.Observer(r.Context(), t.ObserverID)
			if err != nil {
				return nil, err
			}
			return nonNilArea(o.Area), nil
		}
		u, err := s.db.User(r.Context(), t.UserID)
		if err != nil {
			return nil, err
		}
		return nonNilArea(u.Area), nil
	}
	return nil, Errorf(NotFound, "token %d: not found", id)
}

// apiQCRules lists the rules for those who review reports (observers do
// not: the rules say what the core team looks for).
func (s *Server) apiQCRules(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ReviewReport, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	rules, err := s.db.QCRules(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	if rules == nil {
		rules = []store.QCRule{} // [], not null: a list, as the spec says
	}
	WriteJSON(w, http.StatusOK, map[string]any{"rules": rules})
	return nil
}

func (s *Server) apiSaveQCRule(w http.ResponseWriter, r *http.Request) error {
	var in store.QCRule
	if err := decodeJSON(r, 16<<10, &in); err != nil {
		return err
	}
	rule, err := s.obs().svc.SaveRule(r.Context(), s.Principal(r), "api", in)
	if err != nil {
		return s.submitError(w, err)
	}
	WriteJSON(w, http.StatusCreated, rule)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.check(r, access.ReadAudit, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	es, err := s.db.AuditLog(r.Context(), p.OrgID, 500)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"audit": es})
	return nil
}

// apiReports lists the reports the principal may read, with filters:
// phase, status, area (id), observer (id), after (id, for paging), limit,
// and the findings' own selections: negative=1 (overall assessed bad or
// very bad) and indicator=NAME (the key indicator was reported).
func (s *Server) apiReports(w http.ResponseWriter, r *http.Request) error {
	// The page of the list (where a published statement's readers may
	// follow a figure) sends the public to the login rather than a 401.
	if strings.HasPrefix(r.URL.Path, "/observe/reports/") && s.Principal(r).Role == access.Public {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	e, p, err := s.ElectionAs(r, access.ReadReports)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ReportFilter{OrgID: p.OrgID, ElectionID: e.ID, Phase: q.Get("phase"), Status: q.Get("status")}
	// An unreadable number is the client's mistake, said as such: read as
	// "no filter" it would widen the list the client asked to narrow.
	var limit int64
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"area", &f.AreaID}, {"observer", &f.ObserverID}, {"after", &f.AfterID}, {"limit", &limit}} {
		v := q.Get(n.name)
		if v == "" {
			continue
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 0 {
			return Errorf(Invalid, "?%s=%q: want a whole number", n.name, v)
		}
		*n.dst = x
	}
	if limit <= 0 || limit > 5000 {
		limit = 1000
	}
	if p.Role == access.Observer {
		f.ObserverID = p.ObserverID
	}
	reports, err := s.db.Reports(r.Context(), f)
	if err != nil {
		return err
	}
	indicator, negative, region, category := q.Get("indicator"), q.Get("negative") == "1", q.Get("region"), q.Get("category")
	forms := map[int64]*form.Form{}
	out := []*store.Report{}
	for _, rep := range reports {
		if !access.CanSeeReport(p, rep.OrgID, rep.AreaPath, rep.ObserverID) {
			continue
		}
		if region != "" && (len(rep.AreaPath) == 0 || rep.AreaPath[0] != region) {
			continue
		}
		if indicator != "" || negative || category != "" {
			if rep.Status == store.StatusQuarantined {
				continue
			}
			var a form.Answers
			if json.Unmarshal(rep.Answers, &a) != nil {
				continue
			}
			if category != "" {
				if c, _ := a["category"].Text(); c != category {
					continue
				}
			}
			if negative {
				g, _ := a[form.OverallID].Text()
				if !form.Negative(g) {
					continue
				}
			}
			if indicator != "" {
				fm := forms[rep.FormID]
				if fm == nil {
					sf, err := s.db.FormByID(r.Context(), rep.FormID)
					if err != nil {
						return err
					}
					fm = sf.Form
					forms[rep.FormID] = fm
				}
				if !fm.Indicators(a)[indicator] {
					continue
				}
			}
		}
		out = append(out, rep)
		if int64(len(out)) == limit {
			break
		}
	}
	if strings.HasPrefix(r.URL.Path, "/observe/reports/") {
		return s.Render(w, r, http.StatusOK, "observe_reports.html", map[string]any{"Election": e, "Reports": out, "Query": q})
	}
	WriteJSON(w, http.StatusOK, map[string]any{"reports": out})
	return nil
}

func (s *Server) reportParam(r *http.Request) (*store.Report, error) {
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

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.reportParam(r)
	if err != nil {
		return err
	}
	if err := s.check(r, access.ReadReports, access.Resource{OrgID: rep.OrgID, Area: nonNilArea(rep.AreaPath), ObserverID: rep.ObserverID}); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, rep)
	return nil
}

// apiReviewReport sets a report's status (verified, flagged, quarantined)
// or an incident's triage (new, investigating, confirmed, dismissed,
// referred).
func (s *Server) apiReviewReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.reportParam(r)
	if err != nil {
		return err
	}
	var in reviewIn
	if err := decodeJSON(r, 16<<10, &in); err != nil {
		return err
	}
	if err := s.review(r, rep, in, "api"); err != nil {
		return err
	}
	rep, err = s.db.Report(r.Context(), rep.OrgID, rep.ID)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, rep)
	return nil
}

type reviewIn struct {
	Status string `json:"status,omitempty"`
	Triage string `json:"triage,omitempty"`
	Note   string `json:"note,omitempty"`
}

// review checks and applies a status or triage change to a report.
func (s *Server) review(r *http.Request, rep *store.Report, in reviewIn, channel string) error {
	res := access.Resource{OrgID: rep.OrgID, Area: nonNilArea(rep.AreaPath)}
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

func (s *Server) apiConflicts(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	if err := s.check(r, access.ResolveConflict, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	cs, err := observe.ConflictsOf(r.Context(), s.db, p, e.ID, false)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"conflicts": cs})
	return nil
}

func (s *Server) apiResolve(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	var in store.Resolution
	if err := decodeJSON(r, 64<<10, &in); err != nil {
		return err
	}
	if err := s.resolve(r, e.ID, &in, "api"); err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"resolved": in})
	return nil
}

// resolve checks and stores a coordinator's resolution of a conflict.
func (s *Server) resolve(r *http.Request, electionID int64, in *store.Resolution, channel string) error {
	p := s.Principal(r)
	a, err := s.obs().svc.Area(r.Context(), electionID, in.AreaID)
	if err != nil {
		return Errorf(Invalid, "area_id %d is not an area of this election", in.AreaID)
	}
	if err := s.check(r, access.ResolveConflict, access.Resource{OrgID: p.OrgID, Area: nonNilArea(a.Path)}); err != nil {
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

// apiFindings answers from the observation aggregates (docs/observation.md,
// "Aggregates"); the JSON lists the reports behind each figure unless
// ?reports=0. Answers are kept per scope, form and change counter: a
// repeated request between two changes costs one row read.
func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	if err := s.check(r, access.ReadFindings, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	html := wantsHTML(r) || r.URL.Query().Get("format") == "html"
	withReports := !html && r.URL.Query().Get("reports") != "0"
	stamp, err := s.obsStamp(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%d|%d|%s|%q|%t|%t|%s", e.ID, p.OrgID, p.Role, p.Area, html, withReports, stamp)
	body, ok := s.findings.get(key)
	if !ok {
		f, err := observe.FindingsOf(r.Context(), s.db, p, e.ID, withReports)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if html {
			if err := observe.StatementHTML(&buf, f, observe.StatementOptions{ReportsURL: fmt.Sprintf("/observe/reports/%d", e.ID)}); err != nil {
				return err
			}
		} else if err := json.NewEncoder(&buf).Encode(f); err != nil {
			return err
		}
		body = buf.Bytes()
		s.findings.put(key, body)
	}
	if html {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	_, err = w.Write(body)
	return err
}

func (s *Server) apiAssignments(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.ReadReports)
	if err != nil {
		return err
	}
	as, err := s.db.Assignments(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	out := []store.Assignment{}
	for _, a := range as {
		if p.Role == access.Observer && !p.Stations[access.AreaKey(a.AreaPath)] {
			continue
		}
		if p.Role == access.Coordinator && !access.InArea(p.Area, a.AreaPath) {
			continue
		}
		out = append(out, a)
	}
	WriteJSON(w, http.StatusOK, map[string]any{"assignments": out})
	return nil
}

// apiAssign assigns teams to stations or commissions by hand (the draw
// does it for a deployment): {"assignments": [{"team_id": 1, "area_id": 9}]}.
func (s *Server) apiAssign(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.ManageDeploy)
	if err != nil {
		return err
	}
	var in struct {
		Assignments []store.Assignment `json:"assignments"`
	}
	if err := decodeJSON(r, 1<<20, &in); err != nil {
		return err
	}
	if err := s.db.Assign(r.Context(), p.OrgID, e.ID, in.Assignments, s.AuditEntry(r, "deployment.assign", fmt.Sprintf("election:%d", e.ID), map[string]int{"assignments": len(in.Assignments)})); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Errorf(Invalid, "%v", err)
		}
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"assigned": len(in.Assignments)})
	return nil
}

// apiDraw draws a deployment (as vigil deploy draw) and, unless
// "assign": false, assigns the organisation's teams to it.
func (s *Server) apiDraw(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.ManageDeploy)
	if err != nil {
		return err
	}
	var in struct {
		Seed          string   `json:"seed"`
		Size          int      `json:"size"`
		Strata        []string `json:"strata"`
		MinPerStratum int      `json:"min_per_stratum"`
		Assign        *bool    `json:"assign"`
	}
	if err := decodeJSON(r, 16<<10, &in); err != nil {
		return err
	}
	dep, err := observe.DrawSample(r.Context(), s.db, p.OrgID, e.ID, observe.DrawOptions{Seed: in.Seed, Size: in.Size, Strata: in.Strata, MinPerStratum: in.MinPerStratum})
	if err != nil {
		return Errorf(Invalid, "%v", err)
	}
	var as []store.Assignment
	if in.Assign == nil || *in.Assign {
		teams, err := s.db.Teams(r.Context(), p.OrgID)
		if err != nil {
			return err
		}
		areas, err := s.db.Areas(r.Context(), e.ID)
		if err != nil {
			return err
		}
		byID := map[int64]*election.Area{}
		for i := range areas {
			byID[areas[i].ID] = &areas[i]
		}
		if as, err = observe.AssignTeams(dep, byID, teams); err != nil {
			return Errorf(Invalid, "%v", err)
		}
	}
	if err := s.db.Deploy(r.Context(), dep, as, s.AuditEntry(r, "deployment.draw", "", map[string]any{"seed": in.Seed, "size": in.Size, "strata": in.Strata})); err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, map[string]any{"deployment": dep, "assignments": len(as)})
	return nil
}

func (s *Server) apiDeployment(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.ReadFindings)
	if err != nil {
		return err
	}
	d, err := s.db.LatestDeployment(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	if p.Role == access.Coordinator && len(p.Area) > 0 {
		// A coordinator sees the drawn stations of their area only.
		areas, err := s.db.Areas(r.Context(), e.ID)
		if err != nil {
			return err
		}
		path := make(map[int64][]string, len(areas))
		for _, a := range areas {
			path[a.ID] = a.Path
		}
		mine := []store.DeployedStation{}
		for _, st := range d.Stations {
			if access.InArea(p.Area, path[st.AreaID]) {
				mine = append(mine, st)
			}
		}
		d.Stations = mine
	}
	WriteJSON(w, http.StatusOK, d)
	return nil
}

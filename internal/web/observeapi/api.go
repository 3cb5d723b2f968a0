package observeapi

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
	"strconv"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/observe/form/xlsform"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
)

// apiRoutes registers the observer API: reports, forms, people and
// deployment, findings.
func (s *room) apiRoutes() {
	csrf := http.NewCrossOriginProtection()
	h := func(pattern string, fn web.HandlerFunc) {
		s.Mux().Handle(pattern, csrf.Handler(s.Serve(s.Authed(fn))))
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
	h("GET /api/v1/observe/audit", s.RequireRole([]access.Role{access.Administrator, access.Analyst}, s.apiAudit))
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

// maxReportBody bounds a JSON report; a form with a protocol of 40
// options is a few kilobytes.
const maxReportBody = 1 << 20

// decodeJSON reads a JSON body strictly, with precise messages.
func decodeJSON(r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return web.Errorf(web.Invalid, "reading the body: %v", err)
	}
	if int64(len(body)) > limit {
		return web.Errorf(web.Invalid, "body larger than %d bytes", limit)
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
			return web.Errorf(web.Invalid, "%v", ae)
		case errors.As(err, &se):
			line, col := position(body, se.Offset)
			return web.Errorf(web.Invalid, "JSON syntax error at line %d, column %d: %v", line, col, se)
		case errors.As(err, &te):
			line, col := position(body, te.Offset)
			return web.Errorf(web.Invalid, "JSON at line %d, column %d: field %q: want %s, got %s", line, col, te.Field, jsonWant(te.Type), te.Value)
		case errors.Is(err, io.EOF):
			return web.Errorf(web.Invalid, "empty body: want a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			line, col := position(body, int64(len(body)))
			return web.Errorf(web.Invalid, "JSON syntax error at line %d, column %d: the body ends in the middle of a value", line, col)
		}
		return web.Errorf(web.Invalid, "JSON: %v", err)
	}
	if dec.More() {
		return web.Errorf(web.Invalid, "JSON: more than one value in the body")
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
	*web.Error
	Problems []form.FieldError `json:"problems"`
}

func (s *room) submitError(w http.ResponseWriter, err error) error {
	var ve *observe.ValidationError
	var ie *observe.InputError
	switch {
	case errors.As(err, &ve):
		web.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": problemsError{
			Error: &web.Error{Code: web.Invalid, Message: fmt.Sprintf("%d problem(s) with the answers", len(ve.Problems))}, Problems: ve.Problems}})
		return nil
	case errors.As(err, &ie):
		return web.Errorf(web.Invalid, "%s", ie.Msg)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return web.Errorf(web.TooMany, "the server is busy: send the report again (same client_id)")
	}
	return web.AccessError(err)
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

func (s *room) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	var e *election.Election
	var err error
	if id, perr := strconv.ParseInt(r.PathValue("election"), 10, 64); perr == nil {
		e, err = s.Observation().Election(r.Context(), id)
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

func (s *room) submit(w http.ResponseWriter, r *http.Request, e *election.Election, in ReportIn, channel string) error {
	if in.Form == "" {
		return web.Errorf(web.Invalid, "form: required (the form's id, e.g. counting)")
	}
	var submitted time.Time
	if in.Submitted != "" {
		t, err := time.Parse(time.RFC3339, in.Submitted)
		if err != nil {
			return web.Errorf(web.Invalid, "submitted %q: want an RFC 3339 time such as 2026-11-23T18:05:00Z", in.Submitted)
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
	web.WriteJSON(w, status, rc)
	return nil
}

func (s *room) apiMe(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	out := map[string]any{"role": p.Role, "name": p.Name}
	if p.Role != access.Public {
		out["org_id"] = p.OrgID
		if o, err := s.DB().Organisation(r.Context(), p.OrgID); err == nil {
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
	web.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *room) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	u, err := s.Login(w, r, in.Username, in.Password)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"user": u})
	return nil
}

func (s *room) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Logout(w, r); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"status": "logged out"})
	return nil
}

func (s *room) apiForms(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if p.Role == access.Public {
		return web.Errorf(web.Unauthorized, "log in first")
	}
	fs, err := s.DB().Forms(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"forms": fs})
	return nil
}

func (s *room) apiForm(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if p.Role == access.Public {
		return web.Errorf(web.Unauthorized, "log in first")
	}
	// GET …/forms/{form}.xlsx: the form as an XLSForm workbook, which a
	// mission edits and imports again (pyxform converts it too).
	key, asXLSX := strings.CutSuffix(r.PathValue("form"), ".xlsx")
	sf, err := s.DB().FormByKey(r.Context(), p.OrgID, key, r.URL.Query().Get("version"))
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
		b, err := xlsform.Export(f)
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
	web.WriteJSON(w, http.StatusOK, map[string]any{"id": sf.ID, "created": sf.Created, "form": f})
	return nil
}

func (s *room) electionByKey(r *http.Request, key string) (*election.Election, error) {
	if id, err := strconv.ParseInt(key, 10, 64); err == nil {
		return s.DB().Election(r.Context(), id)
	}
	return s.DB().ElectionByName(r.Context(), key)
}

// apiUploadForm stores a new form version: a JSON form, or an XLSForm
// spreadsheet (Content-Type of a spreadsheet, or multipart field "file").
func (s *room) apiUploadForm(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ManageForms, access.Resource{OrgID: p.OrgID}); err != nil {
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
			return web.Errorf(web.Invalid, "multipart upload: want the XLSForm in field \"file\": %v", err)
		}
		defer file.Close()
		if f, err = xlsform.ImportFile(io.LimitReader(file, 16<<20), header.Filename); err != nil {
			return web.Errorf(web.Invalid, "%v", err)
		}
	default:
		var err error
		if f, err = xlsform.Import(io.LimitReader(r.Body, 16<<20)); err != nil {
			return web.Errorf(web.Invalid, "%v", err)
		}
	}
	f.EnsureVersion() // before the audit entry names it
	sf, err := observe.SaveForm(r.Context(), s.DB(), p.OrgID, f, s.AuditEntry(r, "form.save", fmt.Sprintf("form:%s:%s", f.ID, f.Version), nil))
	if err != nil {
		return web.Errorf(web.Invalid, "%v", err)
	}
	web.WriteJSON(w, http.StatusCreated, sf)
	return nil
}

func (s *room) apiInstallDefaults(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ManageForms, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	installed, err := observe.InstallDefaultForms(r.Context(), s.DB(), p.OrgID, s.AuditEntry(r, "form.defaults", "", nil))
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"installed": installed})
	return nil
}

func (s *room) apiRoster(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ManageRoster, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	org, err := s.DB().Organisation(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("file")
	if name == "" {
		name = "roster.csv"
	}
	country, err := s.DB().OrgCountry(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	obs, err := observe.ParseRosterIn(io.LimitReader(r.Body, 32<<20), name, org.Name, country)
	if err != nil {
		var re observe.RosterErrors
		if errors.As(err, &re) {
			web.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": web.Invalid, "message": err.Error(), "problems": re}})
			return nil
		}
		return web.Errorf(web.Invalid, "%v", err)
	}
	created, updated, err := s.DB().ImportRoster(r.Context(), p.OrgID, obs, s.AuditEntry(r, "roster.import", name, nil))
	var taken store.PhoneConflicts
	if errors.As(err, &taken) {
		return web.Errorf(web.Conflict, "%s: %v", name, taken)
	}
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"created": created, "updated": updated})
	return nil
}

func (s *room) apiObservers(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ReadReports, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	if p.Role == access.Observer {
		return web.Errorf(web.Forbidden, "observers do not list the roster")
	}
	obs, err := s.DB().Observers(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	out := obs[:0]
	for _, o := range obs {
		if p.Role != access.Coordinator || access.InArea(p.Area, o.Area) {
			out = append(out, o)
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"observers": out})
	return nil
}

func (s *room) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ManageTokens, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	var in struct {
		Observer string `json:"observer"` // roster id
		Label    string `json:"label"`
	}
	if err := decodeJSON(r, 4096, &in); err != nil {
		return err
	}
	o, err := s.DB().ObserverByCode(r.Context(), p.OrgID, in.Observer)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return web.Errorf(web.NotFound, "your organisation has no observer %q", in.Observer)
		}
		return err
	}
	if err := s.Check(r, access.ManageTokens, access.Resource{OrgID: o.OrgID, Area: web.NonNilArea(o.Area)}); err != nil {
		return err
	}
	secret := access.NewToken()
	t := &store.Token{OrgID: p.OrgID, ObserverID: o.ID, Label: in.Label}
	if err := s.DB().CreateToken(r.Context(), t, access.HashToken(secret), s.AuditEntry(r, "token.create", "", map[string]any{"observer": o.Code})); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"token": secret, "id": t.ID, "observer": o.Code,
		"note": "shown once: vigil stores only its hash"})
	return nil
}

func (s *room) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ManageTokens, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return web.Errorf(web.Invalid, "token id %q: want a number", r.PathValue("id"))
	}
	area, err := s.tokenArea(r, p.OrgID, id)
	if err != nil {
		return err
	}
	// A coordinator revokes only the tokens of observers in their area.
	if err := s.Check(r, access.ManageTokens, access.Resource{OrgID: p.OrgID, Area: area}); err != nil {
		return err
	}
	if err := s.DB().RevokeToken(r.Context(), p.OrgID, id, s.AuditEntry(r, "token.revoke", fmt.Sprintf("token:%d", id), nil)); err != nil {
		return err
	}
	s.ForgetToken(id)
	web.WriteJSON(w, http.StatusOK, map[string]any{"revoked": id})
	return nil
}

// tokenArea is the place a token of org acts for, for the scope check of
// its revocation: its observer's area, or its user's area (the whole
// country, [], for a user without one). Another organisation's token is
// not found; a revoked one still has its place, so that the answer
// outside one's area stays 403. The organisation's list is read rather
// than one row: revocations are rare and the list is short.
func (s *room) tokenArea(r *http.Request, org, id int64) ([]string, error) {
	ts, err := s.DB().Tokens(r.Context(), org)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID != id {
			continue
		}
		if t.ObserverID != 0 {
			o, err := s.DB().Observer(r.Context(), t.ObserverID)
			if err != nil {
				return nil, err
			}
			return web.NonNilArea(o.Area), nil
		}
		u, err := s.DB().User(r.Context(), t.UserID)
		if err != nil {
			return nil, err
		}
		return web.NonNilArea(u.Area), nil
	}
	return nil, web.Errorf(web.NotFound, "token %d: not found", id)
}

// apiQCRules lists the rules for those who review reports (observers do
// not: the rules say what the core team looks for).
func (s *room) apiQCRules(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ReviewReport, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	rules, err := s.DB().QCRules(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	if rules == nil {
		rules = []store.QCRule{} // [], not null: a list, as the spec says
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"rules": rules})
	return nil
}

func (s *room) apiSaveQCRule(w http.ResponseWriter, r *http.Request) error {
	var in store.QCRule
	if err := decodeJSON(r, 16<<10, &in); err != nil {
		return err
	}
	rule, err := s.Observation().SaveRule(r.Context(), s.Principal(r), "api", in)
	if err != nil {
		return s.submitError(w, err)
	}
	web.WriteJSON(w, http.StatusCreated, rule)
	return nil
}

func (s *room) apiAudit(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if err := s.Check(r, access.ReadAudit, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	es, err := s.DB().AuditLog(r.Context(), p.OrgID, 500)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"audit": es})
	return nil
}

// apiReports lists the reports the principal may read, with filters:
// phase, status, area (id), observer (id), after (id, for paging), limit,
// and the findings' own selections: negative=1 (overall assessed bad or
// very bad) and indicator=NAME (the key indicator was reported).
func (s *room) apiReports(w http.ResponseWriter, r *http.Request) error {
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
			return web.Errorf(web.Invalid, "?%s=%q: want a whole number", n.name, v)
		}
		*n.dst = x
	}
	if limit <= 0 || limit > 5000 {
		limit = 1000
	}
	if p.Role == access.Observer {
		f.ObserverID = p.ObserverID
	}
	reports, err := s.DB().Reports(r.Context(), f)
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
					sf, err := s.DB().FormByID(r.Context(), rep.FormID)
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
	web.WriteJSON(w, http.StatusOK, map[string]any{"reports": out})
	return nil
}

func (s *room) apiReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.ReportParam(r)
	if err != nil {
		return err
	}
	if err := s.Check(r, access.ReadReports, access.Resource{OrgID: rep.OrgID, Area: web.NonNilArea(rep.AreaPath), ObserverID: rep.ObserverID}); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rep)
	return nil
}

// apiReviewReport sets a report's status (verified, flagged, quarantined)
// or an incident's triage (new, investigating, confirmed, dismissed,
// referred).
func (s *room) apiReviewReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.ReportParam(r)
	if err != nil {
		return err
	}
	var in web.ReviewIn
	if err := decodeJSON(r, 16<<10, &in); err != nil {
		return err
	}
	if err := s.ReviewReport(r, rep, in, "api"); err != nil {
		return err
	}
	rep, err = s.DB().Report(r.Context(), rep.OrgID, rep.ID)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, rep)
	return nil
}

func (s *room) apiConflicts(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	if err := s.Check(r, access.ResolveConflict, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	cs, err := observe.ConflictsOf(r.Context(), s.DB(), p, e.ID, false)
	if err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"conflicts": cs})
	return nil
}

func (s *room) apiResolve(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	var in store.Resolution
	if err := decodeJSON(r, 64<<10, &in); err != nil {
		return err
	}
	if err := s.Resolve(r, e.ID, &in, "api"); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"resolved": in})
	return nil
}

// apiFindings answers from the observation aggregates (docs/observation.md,
// "Aggregates"); the JSON lists the reports behind each figure unless
// ?reports=0. Answers are kept per scope, form and change counter: a
// repeated request between two changes costs one row read.
func (s *room) apiFindings(w http.ResponseWriter, r *http.Request) error {
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	p := s.Principal(r)
	if err := s.Check(r, access.ReadFindings, access.Resource{OrgID: p.OrgID}); err != nil {
		return err
	}
	html := web.WantsHTML(r) || r.URL.Query().Get("format") == "html"
	withReports := !html && r.URL.Query().Get("reports") != "0"
	stamp, err := s.ObsStamp(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%d|%d|%s|%q|%t|%t|%s", e.ID, p.OrgID, p.Role, p.Area, html, withReports, stamp)
	body, ok := s.findings.get(key)
	if !ok {
		f, err := observe.FindingsOf(r.Context(), s.DB(), p, e.ID, withReports)
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

func (s *room) apiAssignments(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.ReadReports)
	if err != nil {
		return err
	}
	as, err := s.DB().Assignments(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	out := []store.Assignment{}
	for _, a := range as {
		if p.Role == access.Observer && !p.Stations[access.StationKey(e.ID, a.AreaPath)] {
			continue
		}
		if p.Role == access.Coordinator && !access.InArea(p.Area, a.AreaPath) {
			continue
		}
		out = append(out, a)
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"assignments": out})
	return nil
}

// apiAssign assigns teams to stations or commissions by hand (the draw
// does it for a deployment): {"assignments": [{"team_id": 1, "area_id": 9}]}.
func (s *room) apiAssign(w http.ResponseWriter, r *http.Request) error {
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
	if err := s.DB().Assign(r.Context(), p.OrgID, e.ID, in.Assignments, s.AuditEntry(r, "deployment.assign", fmt.Sprintf("election:%d", e.ID), map[string]int{"assignments": len(in.Assignments)})); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return web.Errorf(web.Invalid, "%v", err)
		}
		return err
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"assigned": len(in.Assignments)})
	return nil
}

// apiDraw draws a deployment (as vigil deploy draw) and, unless
// "assign": false, assigns the organisation's teams to it.
func (s *room) apiDraw(w http.ResponseWriter, r *http.Request) error {
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
	dep, err := observe.DrawSample(r.Context(), s.DB(), p.OrgID, e.ID, observe.DrawOptions{Seed: in.Seed, Size: in.Size, Strata: in.Strata, MinPerStratum: in.MinPerStratum})
	if err != nil {
		return web.Errorf(web.Invalid, "%v", err)
	}
	var as []store.Assignment
	if in.Assign == nil || *in.Assign {
		teams, err := s.DB().Teams(r.Context(), p.OrgID)
		if err != nil {
			return err
		}
		areas, err := s.DB().Areas(r.Context(), e.ID)
		if err != nil {
			return err
		}
		byID := map[int64]*election.Area{}
		for i := range areas {
			byID[areas[i].ID] = &areas[i]
		}
		if as, err = observe.AssignTeams(dep, byID, teams); err != nil {
			return web.Errorf(web.Invalid, "%v", err)
		}
	}
	if err := s.DB().Deploy(r.Context(), dep, as, s.AuditEntry(r, "deployment.draw", "", map[string]any{"seed": in.Seed, "size": in.Size, "strata": in.Strata})); err != nil {
		return err
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"deployment": dep, "assignments": len(as)})
	return nil
}

func (s *room) apiDeployment(w http.ResponseWriter, r *http.Request) error {
	e, p, err := s.ElectionAs(r, access.ReadFindings)
	if err != nil {
		return err
	}
	d, err := s.DB().LatestDeployment(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	if p.Role == access.Coordinator && len(p.Area) > 0 {
		// A coordinator sees the drawn stations of their area only.
		areas, err := s.DB().Areas(r.Context(), e.ID)
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
	web.WriteJSON(w, http.StatusOK, d)
	return nil
}

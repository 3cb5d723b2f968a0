package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
)

// OpenRosa: the server ODK Collect and Enketo talk to. In Collect, set the
// server URL to https://HOST/openrosa/ELECTION (the election's name or id);
// the user name is the observer's roster id (or a staff user name), the
// password their API token (or password). Collect then calls:
//
//	GET  /openrosa/{election}/formList             the forms (OpenRosa form list)
//	GET  /openrosa/{election}/forms/{form}/{ver}   one form as an XForm
//	HEAD /openrosa/{election}/submission           204, to negotiate auth
//	POST /openrosa/{election}/submission           multipart, xml_submission_file
//
// A submission's meta/instanceID is its client id: Collect resends an
// unacknowledged instance with the same id, which is stored once and
// answered 202 the second time.

// openRosaMaxBody is what X-OpenRosa-Accept-Content-Length announces.
const openRosaMaxBody = 10 << 20

func (s *Server) openRosaRoutes() {
	// Collect sends no Origin or Sec-Fetch-Site headers and passes; a
	// browser tricked into posting here from another site does not.
	csrf := http.NewCrossOriginProtection()
	h := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) (int, string)) {
		s.mux.Handle(pattern, csrf.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			openRosaHeaders(w)
			status, msg := fn(w, r)
			if status == 0 {
				return
			}
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="vigil", charset="UTF-8"`)
			}
			writeOpenRosa(w, status, msg)
		})))
	}
	h("GET /openrosa/{election}/formList", s.orFormList)
	h("GET /openrosa/{election}/forms/{form}/{version}", s.orForm)
	h("GET /openrosa/{election}/forms/{form}/{version}/manifest", s.orManifest)
	h("GET /openrosa/{election}/forms/{form}/{version}/media/{file}", s.orMediaFile)
	h("HEAD /openrosa/{election}/submission", s.orHead)
	h("POST /openrosa/{election}/submission", s.orSubmit)
}

func openRosaHeaders(w http.ResponseWriter) {
	w.Header().Set("X-OpenRosa-Version", "1.0")
	w.Header().Set("X-OpenRosa-Accept-Content-Length", fmt.Sprint(openRosaMaxBody))
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
}

func writeOpenRosa(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\">\n<message nature=\"%s\">%s</message>\n</OpenRosaResponse>\n",
		nature(status), xmlText(msg))
}

func nature(status int) string {
	if status < 300 {
		return "submit_success"
	}
	return "error"
}

var xmlEsc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func xmlText(s string) string { return xmlEsc.Replace(strings.ToValidUTF8(s, "")) }

// orPrincipal authenticates an OpenRosa request: nobody gets in without
// credentials (401 with a Basic challenge, which Collect answers).
func (s *Server) orPrincipal(r *http.Request) (access.Principal, int, string) {
	_, p, err := s.withPrincipal(r)
	if e, ok := err.(*Error); ok && e.Code == TooMany {
		return p, http.StatusTooManyRequests, e.Message
	}
	if err != nil {
		return p, http.StatusUnauthorized, "unknown user, token or password"
	}
	if p.Role == access.Public {
		return p, http.StatusUnauthorized, "authentication required: user name and token"
	}
	return p, 0, ""
}

func (s *Server) orElection(r *http.Request) (*election.Election, int, string) {
	e, err := s.electionParam(r)
	if err != nil {
		return nil, http.StatusNotFound, fmt.Sprintf("no election %q", r.PathValue("election"))
	}
	return e, 0, ""
}

// baseURL is the scheme and host of absolute URLs: VIGIL_PUBLIC_URL when
// set, else the request's host with the scheme the client used (a
// forwarded https counts only from a trusted proxy).
func (s *Server) baseURL(r *http.Request, public string) string {
	if public != "" {
		return public
	}
	scheme := "http"
	if s.Client(r).HTTPS {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) orFormList(w http.ResponseWriter, r *http.Request) (int, string) {
	p, st, msg := s.orPrincipal(r)
	if st != 0 {
		return st, msg
	}
	e, st, msg := s.orElection(r)
	if st != 0 {
		return st, msg
	}
	forms, err := s.db.Forms(r.Context(), p.OrgID)
	if err != nil {
		s.log.Error("openrosa formList", "err", err)
		return http.StatusInternalServerError, "internal error"
	}
	areas, err := s.db.Areas(r.Context(), e.ID)
	if err != nil {
		s.log.Error("openrosa formList: areas", "err", err)
		return http.StatusInternalServerError, "internal error"
	}
	base := s.baseURL(r, s.obs().publicURL) + "/openrosa/" + url.PathEscape(r.PathValue("election"))
	var entries []form.ListEntry
	for _, sf := range forms {
		// The hash listed must be that of the XForm orForm serves, so
		// both bind the stations alike.
		f := form.BindStations(form.BindElection(sf.Form, e), areas, observe.StationNumber)
		if f.Version == "" {
			// Stored before imports gave every form a version: no
			// download URL could name it, so clients would fail on it.
			continue
		}
		xf, err := form.ExportXForm(f)
		if err != nil {
			continue // a form that cannot be an XForm is left off the list
		}
		entries = append(entries, form.ListEntry{Form: f, XForm: xf,
			DownloadURL: base + "/forms/" + url.PathEscape(f.ID) + "/" + url.PathEscape(f.Version), ManifestURL: manifestURL(base, f)})
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(form.FormList(entries, r.Header.Get("Accept-Language")))
	return 0, ""
}

func (s *Server) orForm(w http.ResponseWriter, r *http.Request) (int, string) {
	p, st, msg := s.orPrincipal(r)
	if st != 0 {
		return st, msg
	}
	e, st, msg := s.orElection(r)
	if st != 0 {
		return st, msg
	}
	sf, err := s.db.FormByKey(r.Context(), p.OrgID, r.PathValue("form"), r.PathValue("version"))
	if err != nil {
		return http.StatusNotFound, fmt.Sprintf("no form %s version %s", r.PathValue("form"), r.PathValue("version"))
	}
	areas, err := s.db.Areas(r.Context(), e.ID)
	if err != nil {
		s.log.Error("openrosa form: areas", "err", err)
		return http.StatusInternalServerError, "internal error"
	}
	xf, err := form.ExportXForm(form.BindStations(form.BindElection(sf.Form, e), areas, observe.StationNumber))
	if err != nil {
		return http.StatusUnprocessableEntity, err.Error()
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(xf)
	return 0, ""
}

func (s *Server) orHead(w http.ResponseWriter, r *http.Request) (int, string) {
	if _, st, msg := s.orPrincipal(r); st != 0 {
		return st, msg
	}
	w.WriteHeader(http.StatusNoContent)
	return 0, ""
}

func (s *Server) orSubmit(w http.ResponseWriter, r *http.Request) (int, string) {
	p, st, msg := s.orPrincipal(r)
	if st != 0 {
		return st, msg
	}
	e, st, msg := s.orElection(r)
	if st != 0 {
		return st, msg
	}
	if err := s.allowIntake(w, p); err != nil {
		return http.StatusTooManyRequests, err.(*Error).Message
	}
	r.Body = http.MaxBytesReader(w, r.Body, openRosaMaxBody)
	doc, files, st, msg := submissionDocument(r)
	if st != 0 {
		return st, msg
	}
	inst, err := form.ParseInstance(strings.NewReader(string(doc)))
	if err != nil {
		return http.StatusBadRequest, err.Error()
	}
	sf, err := s.obs().svc.Form(r.Context(), p.OrgID, inst.FormID, inst.Version)
	if err != nil {
		return http.StatusBadRequest, fmt.Sprintf("form %s version %s is not one of your organisation's forms: download the forms again", inst.FormID, inst.Version)
	}
	f := form.BindElection(sf.Form, e)
	answers, all := f.ReadInstance(inst)
	var probs []form.FieldError
	for _, p := range all {
		// Clients add metadata of their own (meta/instanceName,
		// meta/audit…): not answers, and no reason to refuse the form.
		if !strings.HasPrefix(p.Question, "meta/") {
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return http.StatusBadRequest, problemsText(probs)
	}
	clientID := inst.InstanceID
	if clientID == "" {
		// No instanceID: the document's hash identifies it, so that a
		// resend of the same document is still stored once.
		sum := sha256.Sum256(doc)
		clientID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	rc, err := s.submitReport(r.Context(), observe.Submission{Principal: p, Channel: observe.ChannelOpenRosa, ClientID: clientID,
		ElectionID: e.ID, Form: inst.FormID, Version: inst.Version, Answers: answers})
	if err != nil {
		var ve *observe.ValidationError
		var ie *observe.InputError
		switch {
		case errors.As(err, &ve):
			return http.StatusBadRequest, problemsText(ve.Problems)
		case errors.As(err, &ie):
			return http.StatusBadRequest, ie.Msg
		case errors.Is(err, access.ErrForbidden):
			return http.StatusForbidden, err.Error()
		}
		s.log.Error("openrosa submission", "err", err)
		return http.StatusInternalServerError, "internal error: send again"
	}
	w.Header().Set("Location", fmt.Sprintf("%s/api/v1/elections/%d/reports/%d", s.baseURL(r, s.obs().publicURL), e.ID, rc.ReportID))
	if rc.Duplicate {
		// A resend may carry photos the first attempt lost.
		s.savePhotos(r.Context(), p.OrgID, e.ID, rc.ReportID, f, answers, files)
		return http.StatusAccepted, fmt.Sprintf("Already received as report %d: nothing more to send. Receipt %s (leaf %d, hash %s).", rc.ReportID, rc.Leaf.ShortCode(), rc.Leaf.Index, rc.Leaf.Hash)
	}
	m := fmt.Sprintf("Received: report %d. Receipt %s (leaf %d, hash %s).", rc.ReportID, rc.Leaf.ShortCode(), rc.Leaf.Index, rc.Leaf.Hash)
	if probs := s.savePhotos(r.Context(), p.OrgID, e.ID, rc.ReportID, f, answers, files); len(probs) > 0 {
		m += " Photos not kept: " + strings.Join(probs, "; ") + "."
	}
	if len(rc.QC) > 0 {
		m += " Flagged for review: " + strings.Join(rc.QC, ", ") + "."
	}
	return http.StatusCreated, m
}

// submissionDocument reads the xml_submission_file part of a multipart
// submission, and the other parts (photos) by their file names.
func submissionDocument(r *http.Request) ([]byte, map[string][]byte, int, string) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, http.StatusBadRequest, "want a multipart/form-data body with an xml_submission_file part"
	}
	var doc []byte
	var files map[string][]byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("submission larger than %d bytes", openRosaMaxBody)
			}
			return nil, nil, http.StatusBadRequest, "malformed multipart body: " + err.Error()
		}
		if part.FormName() == "xml_submission_file" {
			if doc != nil {
				return nil, nil, http.StatusBadRequest, "more than one xml_submission_file part"
			}
			doc, err = io.ReadAll(part)
			if err != nil {
				return nil, nil, http.StatusBadRequest, "reading xml_submission_file: " + err.Error()
			}
		} else if name := part.FileName(); name != "" {
			b, err := io.ReadAll(part)
			if err != nil {
				return nil, nil, http.StatusBadRequest, "reading " + name + ": " + err.Error()
			}
			if files == nil {
				files = map[string][]byte{}
			}
			files[name] = b
		} else {
			io.Copy(io.Discard, part)
		}
	}
	if doc == nil {
		return nil, nil, http.StatusBadRequest, "no xml_submission_file part"
	}
	return doc, files, 0, ""
}

func problemsText(ps []form.FieldError) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.Error())
	}
	return "The form has problems: " + strings.Join(parts, "; ")
}

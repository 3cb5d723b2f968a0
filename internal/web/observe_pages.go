package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
)

// The observers' web form: server-rendered, mobile-first, and usable
// offline. A service worker (/observe/sw.js, scope /observe/) keeps the
// pages and the script; static/observe.js keeps a queue of reports, each
// with the client id made when the observer pressed Send, in localStorage,
// and sends it whenever the network is back; a report leaves the queue
// only when the server has acknowledged it (201, or 200 for a report it
// already had), so nothing is lost and nothing is stored twice.
//
// An observer without a login opens /observe/t/TOKEN once (the link their
// coordinator sends); the token is kept in an HttpOnly cookie.
func (s *Server) observePageRoutes() {
	csrf := http.NewCrossOriginProtection()
	page := func(pattern string, fn handlerFunc) {
		s.mux.Handle(pattern, csrf.Handler(s.serve(s.authed(fn))))
	}
	page("GET /login", s.pageLogin)
	page("POST /login", s.pageLoginPost)
	page("POST /logout", s.pageLogout)
	page("GET /observe/{$}", s.pageObserve)
	page("GET /observe/t/{token}", s.pageTokenLogin)
	page("GET /observe/{election}/{form}", s.pageForm)
	page("GET /observe/reports/{election}", s.apiReports)
	s.mux.HandleFunc("GET /observe/sw.js", serviceWorker)
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) error {
	next := r.URL.Query().Get("next")
	if next != "" {
		next = safeNext(next)
	}
	return s.render(w, r, http.StatusOK, "observe_login.html", map[string]any{"Next": next})
}

func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.Contains(n, "\\") {
		return "/observe/"
	}
	return n
}

func (s *Server) pageLoginPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 8192)
	if err := r.ParseForm(); err != nil {
		return Errorf(Invalid, "bad form")
	}
	u, err := s.login(w, r, r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		if e, ok := err.(*Error); ok {
			// The page answers with the same status as the JSON login: 429
			// when the budget is spent, so that clients and monitors see it.
			status := http.StatusUnauthorized
			if e.Code == TooMany {
				status = http.StatusTooManyRequests
			}
			return s.render(w, r, status, "observe_login.html", map[string]any{"Error": e.Message, "Next": safeNext(r.PostForm.Get("next"))})
		}
		return err
	}
	next := r.PostForm.Get("next")
	if next == "" && slices.Contains(Staff, access.Role(u.Role)) {
		// Staff without a destination land on the mission's dashboard.
		next = "/dashboard/"
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

func (s *Server) pageLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.logout(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) pageTokenLogin(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	if _, err := s.tokenPrincipal(r.Context(), tok); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: TokenCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.Client(r).HTTPS, MaxAge: 60 * 24 * 3600})
	http.Redirect(w, r, "/observe/", http.StatusSeeOther)
	return nil
}

func (s *Server) pageObserve(w http.ResponseWriter, r *http.Request) error {
	p := s.principal(r)
	if p.Role == access.Public {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/observe/"), http.StatusSeeOther)
		return nil
	}
	eid, err := s.db.CurrentElection(r.Context(), p.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return Errorf(NotFound, "no election in the database")
	} else if err != nil {
		return err
	}
	e, err := s.db.Election(r.Context(), eid)
	if err != nil {
		return err
	}
	forms, err := s.db.Forms(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	as, err := s.db.Assignments(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	// An observer sees their own team's assignment only (another team may
	// be sent to the same station), and is greeted by name, not roster code.
	who := p.Name
	var team int64
	if p.Role == access.Observer {
		o, err := s.db.Observer(r.Context(), p.ObserverID)
		if err != nil {
			return err
		}
		team = o.TeamID
		if o.Name != "" {
			who = o.Name + " (" + o.Code + ")"
		}
	}
	var mine []store.Assignment
	for _, a := range as {
		switch {
		case p.Role == access.Observer && (a.TeamID != team || team == 0):
		case p.Role == access.Coordinator && !access.InArea(p.Area, a.AreaPath):
		default:
			mine = append(mine, a)
		}
		if len(mine) >= 200 {
			break
		}
	}
	return s.render(w, r, http.StatusOK, "observe_index.html", map[string]any{"P": p, "Who": who, "Election": e, "Forms": forms, "Assignments": mine})
}

// formField is one question prepared for the template.
type formField struct {
	Q       *form.Question
	Label   string
	Choices []form.Choice
	Input   string // the kind of control
}

func (s *Server) pageForm(w http.ResponseWriter, r *http.Request) error {
	p := s.principal(r)
	if p.Role == access.Public {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return nil
	}
	e, err := s.electionParam(r)
	if err != nil {
		return err
	}
	sf, err := s.db.FormByKey(r.Context(), p.OrgID, r.PathValue("form"), "")
	if err != nil {
		return err
	}
	f := form.BindElection(sf.Form, e)
	// The form speaks the observer's language: ?lang=, else the portal's
	// choice (the cookie, the browser's Accept-Language).
	lang := r.URL.Query().Get("lang")
	if lang == "" && s.portal.langs != nil {
		lang = s.portal.langs.pick(r).Tag
	}
	var fields []formField
	for i := range f.Questions {
		q := &f.Questions[i]
		ff := formField{Q: q, Label: q.Label.In(lang), Choices: q.Options()}
		switch q.Type {
		case form.YesNo, form.SingleChoice, form.Assessment:
			ff.Input = "radio"
		case form.MultipleChoice:
			ff.Input = "checkbox"
		case form.Integer:
			ff.Input = "integer"
		case form.Decimal:
			ff.Input = "decimal"
		case form.Time:
			ff.Input = "time"
		case form.Date:
			ff.Input = "date"
		case form.Protocol:
			ff.Input = "protocol"
		case form.Note:
			ff.Input = "note"
		case form.Photo:
			ff.Input = "photo"
		default:
			ff.Input = "text"
		}
		fields = append(fields, ff)
	}
	return s.render(w, r, http.StatusOK, "observe_form.html", map[string]any{"Election": e, "Form": f, "Fields": fields, "Lang": lang,
		"Submit": "/api/v1/elections/" + itoa64(e.ID) + "/reports"})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// serviceWorker serves the offline cache's script from /observe/ so that
// its scope covers the form pages.
func serviceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/observe-sw.js")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

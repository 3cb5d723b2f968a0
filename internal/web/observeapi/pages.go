package observeapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/observe"
	"github.com/vigil-elections/vigil/internal/observe/form"
	"github.com/vigil-elections/vigil/internal/store"
	"github.com/vigil-elections/vigil/internal/web"
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
func (s *room) pageRoutes() {
	csrf := http.NewCrossOriginProtection()
	page := func(pattern string, fn web.HandlerFunc) {
		s.Mux().Handle(pattern, csrf.Handler(s.Serve(s.Authed(fn))))
	}
	page("GET /login", s.pageLogin)
	page("POST /login", s.pageLoginPost)
	page("POST /logout", s.pageLogout)
	page("GET /observe/{$}", s.pageObserve)
	page("GET /observe/t/{token}", s.pageTokenLogin)
	page("GET /observe/{election}/{form}", s.pageForm)
	page("GET /observe/reports/{election}", s.apiReports)
	s.Mux().HandleFunc("GET /observe/sw.js", serviceWorker)
}

func (s *room) pageLogin(w http.ResponseWriter, r *http.Request) error {
	next := r.URL.Query().Get("next")
	if next != "" {
		next = safeNext(next)
	}
	return s.Render(w, r, http.StatusOK, "observe_login.html", map[string]any{"Next": next})
}

func safeNext(n string) string {
	if !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.Contains(n, "\\") {
		return "/observe/"
	}
	return n
}

func (s *room) pageLoginPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 8192)
	if err := r.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "bad form")
	}
	u, err := s.Login(w, r, r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		if e, ok := err.(*web.Error); ok {
			// The page answers with the same status as the JSON login: 429
			// when the budget is spent, so that clients and monitors see it.
			status := http.StatusUnauthorized
			if e.Code == web.TooMany {
				status = http.StatusTooManyRequests
			}
			return s.Render(w, r, status, "observe_login.html", map[string]any{"Error": e.Message, "Next": safeNext(r.PostForm.Get("next"))})
		}
		return err
	}
	next := r.PostForm.Get("next")
	if next == "" && slices.Contains(web.Staff, access.Role(u.Role)) {
		// web.Staff without a destination land on the mission's dashboard.
		next = "/dashboard/"
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

func (s *room) pageLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.Logout(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *room) pageTokenLogin(w http.ResponseWriter, r *http.Request) error {
	tok := r.PathValue("token")
	if _, err := s.TokenPrincipal(r.Context(), tok); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: web.TokenCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.Client(r).HTTPS, MaxAge: 60 * 24 * 3600})
	http.Redirect(w, r, "/observe/", http.StatusSeeOther)
	return nil
}

func (s *room) pageObserve(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if p.Role == access.Public {
		http.Redirect(w, r, "/login?next="+url.QueryEscape("/observe/"), http.StatusSeeOther)
		return nil
	}
	eid, err := s.DB().CurrentElection(r.Context(), p.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return web.Errorf(web.NotFound, "no election in the database")
	} else if err != nil {
		return err
	}
	e, err := s.DB().Election(r.Context(), eid)
	if err != nil {
		return err
	}
	forms, err := s.DB().Forms(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	as, err := s.DB().Assignments(r.Context(), p.OrgID, e.ID)
	if err != nil {
		return err
	}
	// An observer sees their own team's assignment only (another team may
	// be sent to the same station), and is greeted by name, not roster code.
	who := p.Name
	var team int64
	if p.Role == access.Observer {
		o, err := s.DB().Observer(r.Context(), p.ObserverID)
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
	return s.Render(w, r, http.StatusOK, "observe_index.html", map[string]any{"P": p, "Who": who, "Election": e, "Forms": forms, "Assignments": mine})
}

// formField is one question prepared for the template.
type formField struct {
	Q       *form.Question
	Label   string
	Choices []form.Choice
	Input   string // the kind of control
	// What the offline form's script evaluates (observe.js, with the
	// XPath evaluator the server shares): Relevant the relevance
	// expressions of the question and its groups as a JSON list, Filter
	// the choice filter, Constraint, Required (a condition; "true()" for
	// a required question under a relevance condition) and Calc (a
	// calculate question's calculation), as the XLSForm says them.
	Relevant, Filter, Constraint, Required, Calc, RequiredMsg string
	// Image and ChoiceImages are the URLs of the question's and its
	// choices' pictures (media::image; ChoiceImages nil when no choice
	// has one).
	Image        string
	ChoiceImages []string

	Extras         []string // per choice, its extra columns as JSON
	Min, Max, Step string   // number bounds (range, integer min/max)
	ConstraintMsg  string
	// Itemset is the URL of the CSV of a select's choices served as form
	// media (form.Question.ItemsetFile); the page carries none of them.
	Itemset string
	// CopyFrom names the question whose answer fills this one when its
	// calculation is just ${that} (the station number from the last select
	// of the station cascade); the observer may still type it.
	CopyFrom string
	// A question inside a repeat: the repeat's name and label, and
	// whether it opens or closes the repeat's block.
	Repeat, RepeatLabel   string
	RepeatOpen, RepeatEnd bool
}

var refRE = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}$`)

// fieldScript fills in what observe.js needs to evaluate for a question.
func fieldScript(f *form.Form, q *form.Question, ff *formField) {
	exprs := []string{q.Relevant}
	for p := q.Group; p != ""; {
		if g := f.Group(p); g != nil {
			exprs = append(exprs, g.Relevant)
		}
		i := strings.LastIndex(p, "/")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	var rel []string
	for _, e := range exprs {
		if strings.TrimSpace(e) != "" {
			rel = append(rel, e)
		}
	}
	if len(rel) > 0 {
		b, _ := json.Marshal(rel)
		ff.Relevant = string(b)
	}
	if q.ChoiceFilter != "" {
		ff.Filter = q.ChoiceFilter
		for _, c := range ff.Choices {
			e, _ := json.Marshal(c.Extra)
			ff.Extras = append(ff.Extras, string(e))
		}
	}
	ff.Constraint = q.Constraint
	ff.Required = q.RequiredIf
	if q.Required && len(rel) > 0 {
		ff.Required = "true()"
	}
	if q.Type == form.Calculate {
		ff.Calc = q.Calculation
	}
	if m := refRE.FindStringSubmatch(strings.TrimSpace(q.Calculation)); m != nil && q.Type != form.Calculate {
		ff.CopyFrom = m[1]
	}
	switch q.Type {
	case form.Range:
		start, end, step, _ := q.RangeParams()
		ff.Min, ff.Max, ff.Step = strconv.FormatFloat(min(start, end), 'f', -1, 64), strconv.FormatFloat(max(start, end), 'f', -1, 64), strconv.FormatFloat(step, 'f', -1, 64)
	case form.Integer:
		lo, hi := q.Bounds()
		if lo != nil {
			ff.Min = strconv.FormatInt(*lo, 10)
		}
		if hi != nil {
			ff.Max = strconv.FormatInt(*hi, 10)
		}
	}
}

func (s *room) pageForm(w http.ResponseWriter, r *http.Request) error {
	p := s.Principal(r)
	if p.Role == access.Public {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return nil
	}
	e, err := s.ElectionParam(r)
	if err != nil {
		return err
	}
	sf, err := s.DB().FormByKey(r.Context(), p.OrgID, r.PathValue("form"), "")
	if err != nil {
		return err
	}
	areas, err := s.DB().Areas(r.Context(), e.ID)
	if err != nil {
		return err
	}
	f := form.BindStations(form.BindElection(sf.Form, e), areas, observe.StationNumber)
	// The form speaks the observer's language: ?lang=, else the portal's
	// choice (the cookie, the browser's Accept-Language).
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = s.Lang(r)
	}
	var fields []formField
	for i := range f.Questions {
		q := &f.Questions[i]
		ff := formField{Q: q, Label: q.Label.In(lang), Choices: q.Options(), ConstraintMsg: q.ConstraintMsg.In(lang), RequiredMsg: q.RequiredMsg.In(lang)}
		if q.ConstraintMsg.IsZero() {
			ff.ConstraintMsg = ""
		}
		if q.RequiredMsg.IsZero() {
			ff.RequiredMsg = ""
		}
		fieldScript(f, q, &ff)
		ff.Image, ff.ChoiceImages = formPictures(e.ID, f, q, ff.Choices, lang)
		if q.ItemsetFile != "" {
			// A list too long for the page: observe.js fetches the CSV the
			// OpenRosa manifest serves (and keeps it for offline use).
			ff.Itemset = "/openrosa/" + itoa64(e.ID) + "/forms/" + url.PathEscape(f.ID) + "/" + url.PathEscape(f.Version) + "/media/" + url.PathEscape(q.ItemsetFile)
		}
		if rp := f.RepeatOf(q); rp != "" {
			g := f.Group(rp)
			ff.Repeat, ff.RepeatLabel = g.Name(), g.Label.In(lang)
			if ff.RepeatLabel == "" {
				ff.RepeatLabel = g.Name()
			}
			ff.RepeatOpen = i == 0 || f.RepeatOf(&f.Questions[i-1]) != rp
			ff.RepeatEnd = i == len(f.Questions)-1 || f.RepeatOf(&f.Questions[i+1]) != rp
		}
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
		case form.Calculate:
			// Computed by ODK clients; the offline form leaves it out
			// (the server does not require it).
			ff.Input = "calculate"
		case form.Geopoint:
			ff.Input = "geopoint"
		case form.Acknowledge:
			ff.Input = "acknowledge"
		case form.Range:
			ff.Input = "range"
		default:
			ff.Input = "text"
		}
		fields = append(fields, ff)
	}
	return s.Render(w, r, http.StatusOK, "observe_form.html", map[string]any{"Election": e, "Form": f, "Fields": fields, "Lang": lang,
		"Submit": "/api/v1/elections/" + itoa64(e.ID) + "/reports"})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// serviceWorker serves the offline cache's script from /observe/ so that
// its scope covers the form pages.
func serviceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := web.StaticFile("observe-sw.js")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

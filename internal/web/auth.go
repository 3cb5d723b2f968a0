package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/election"
	"github.com/vigil-elections/vigil/internal/metrics"
	"github.com/vigil-elections/vigil/internal/store"
)

// Authentication. A request is made by one principal, found from (first
// match wins):
//
//   - the session cookie of a staff login (server-side session, only the
//     token's SHA-256 stored);
//   - an API token: "Authorization: Bearer T", or HTTP Basic with the
//     token as password (ODK Collect and Enketo send Basic; the user name
//     is free), or the vigil_token cookie the offline web form keeps;
//   - HTTP Basic with a staff user's name and password;
//   - otherwise the public.
//
// A presented credential that does not verify is an error (401), not the
// public: a phone with a revoked token must learn it, not see its reports
// refused for another reason. Authorisation is access.Check, asked by
// every handler with the resource it touches.

// SessionCookie and TokenCookie name vigil's cookies.
const (
	SessionCookie = "vigil_session"
	TokenCookie   = "vigil_token"
	sessionTTL    = 12 * time.Hour
)

type principalKey struct{}

// Principal returns the request's principal (the public when nobody is
// authenticated). It authenticates on first use and remembers the answer
// in the request's context only through withPrincipal.
func (s *Server) Principal(r *http.Request) access.Principal {
	if p, ok := r.Context().Value(principalKey{}).(access.Principal); ok {
		return p
	}
	p, err := s.authenticate(r)
	if err != nil {
		return access.Anonymous
	}
	notePrincipal(r.Context(), p)
	return p
}

// WithPrincipal authenticates the request and stores the principal in its
// context; a bad credential is an Unauthorized error.
func (s *Server) WithPrincipal(r *http.Request) (*http.Request, access.Principal, error) {
	if p, ok := r.Context().Value(principalKey{}).(access.Principal); ok {
		return r, p, nil
	}
	p, err := s.authenticate(r)
	if err != nil {
		return r, p, err
	}
	notePrincipal(r.Context(), p)
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), p, nil
}

// Authed wraps a handler so that it runs with the principal in its
// request's context (principal(r) then costs nothing).
func (s *Server) Authed(h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r, _, err := s.WithPrincipal(r)
		if err != nil {
			return err
		}
		return h(w, r)
	}
}

// requireRole wraps a handler that only some roles may reach at all (the
// handler still checks scope with access.Check). The public gets 401, other
// roles 403.
func (s *Server) requireRole(roles []access.Role, h HandlerFunc) HandlerFunc {
	return s.Authed(func(w http.ResponseWriter, r *http.Request) error {
		p := s.Principal(r)
		for _, role := range roles {
			if p.Role == role {
				return h(w, r)
			}
		}
		if p.Role == access.Public {
			return Errorf(Unauthorized, "log in first")
		}
		return Errorf(Forbidden, "a %s may not do this", p.Role)
	})
}

// Staff are the roles that work in the mission's pages.
var Staff = []access.Role{access.Administrator, access.Analyst, access.Coordinator}

// accessError maps a refusal of access.Check to a client error.
func accessError(err error) error {
	switch {
	case errors.Is(err, access.ErrUnauthenticated):
		return Errorf(Unauthorized, "%s", err.Error())
	case errors.Is(err, access.ErrForbidden):
		return Errorf(Forbidden, "%s", err.Error())
	}
	return err
}

// check is access.Check for handlers.
func (s *Server) check(r *http.Request, a access.Action, res access.Resource) error {
	return accessError(access.Check(s.Principal(r), a, res))
}

func (s *Server) authenticate(r *http.Request) (access.Principal, error) {
	ctx := r.Context()
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		u, err := s.db.SessionUser(ctx, access.HashToken(c.Value))
		if err == nil {
			return s.userPrincipal(ctx, u)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return access.Anonymous, err
		}
		// An expired session falls through to the public (the page
		// offers the login again).
	}
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			return s.tokenPrincipal(ctx, strings.TrimSpace(tok))
		}
		if user, pass, ok := r.BasicAuth(); ok {
			if p, err := s.tokenPrincipal(ctx, pass); err == nil {
				return p, nil
			}
			// One answer for an unknown user and a wrong password, both
			// throttled and both costing an argon2 check.
			u, err := s.verifyLogin(r, user, pass)
			if errors.Is(err, errBadLogin) {
				return access.Anonymous, Errorf(Unauthorized, "wrong user name, token or password")
			}
			if err != nil {
				return access.Anonymous, err
			}
			return s.userPrincipal(ctx, u)
		}
		return access.Anonymous, Errorf(Unauthorized, "unsupported Authorization scheme: use Bearer or Basic")
	}
	if c, err := r.Cookie(TokenCookie); err == nil && c.Value != "" {
		return s.tokenPrincipal(ctx, c.Value)
	}
	return access.Anonymous, nil
}

// The principal of a token is cached: every submission from a phone
// authenticates. The cache does not go stale: every change to what a
// token grants (a token revoked, a user disabled or given a new password,
// a roster import, an assignment) announces ChangeAccess, on which every
// instance drops the whole cache within the change feed's second or two
// (followChanges), and revoking through this server drops the entry at
// once. The time limit is a bound on an entry's life besides: an observer
// sends a report every half hour or so, and a limit of seconds (as
// before) made nearly every submission a miss at a national election's
// scale (issue 9).
const tokenCacheTTL = 30 * time.Minute

type cachedPrincipal struct {
	p       access.Principal
	tokenID int64
	until   time.Time
}

// dropTokens empties the token cache. The generation moves first: a
// principal read from the database before the drop and stored after it
// would otherwise live on for tokenCacheTTL (cacheToken).
func (s *Server) dropTokens() {
	s.tokenGen.Add(1)
	s.tokens.Clear()
}

func (s *Server) forgetToken(id int64) {
	s.tokenGen.Add(1)
	s.tokens.Range(func(k, v any) bool {
		if v.(*cachedPrincipal).tokenID == id {
			s.tokens.Delete(k)
		}
		return true
	})
}

// cacheToken stores what a token grants, read at generation gen, unless
// the cache was dropped since: a change committed after the read is
// already announced, and the entry could be its old grant.
func (s *Server) cacheToken(hash string, c *cachedPrincipal, gen uint64) {
	if s.tokenGen.Load() != gen {
		return
	}
	s.tokens.Store(hash, c)
	// A drop between the check and the store: the generation moved
	// before that drop's Clear, so it shows now.
	if s.tokenGen.Load() != gen {
		s.tokens.CompareAndDelete(hash, c)
	}
}

func (s *Server) tokenPrincipal(ctx context.Context, token string) (access.Principal, error) {
	h := access.HashToken(token)
	if c, ok := s.tokens.Load(h); ok && time.Now().Before(c.(*cachedPrincipal).until) {
		metrics.CacheRequests.WithLabelValues("token", "hit").Inc()
		return c.(*cachedPrincipal).p, nil
	}
	metrics.CacheRequests.WithLabelValues("token", "miss").Inc()
	gen := s.tokenGen.Load()
	g, err := s.db.TokenGrant(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return access.Anonymous, Errorf(Unauthorized, "unknown or revoked token")
	}
	if err != nil {
		return access.Anonymous, err
	}
	t := g.Token
	var p access.Principal
	if t.ObserverID != 0 {
		p = access.Principal{Role: access.Observer, OrgID: g.ObserverOrg, ObserverID: t.ObserverID, Name: g.ObserverCode, Stations: map[string]bool{}}
		for _, a := range g.ObserverAreas {
			p.Stations[access.StationKey(a.Election, a.Path)] = true
		}
	} else {
		u, err := s.db.User(ctx, t.UserID)
		if err != nil {
			return access.Anonymous, Errorf(Unauthorized, "the token's user no longer exists")
		}
		if p, err = s.userPrincipal(ctx, u); err != nil {
			return access.Anonymous, err
		}
	}
	s.cacheToken(h, &cachedPrincipal{p: p, tokenID: t.ID, until: time.Now().Add(tokenCacheTTL)}, gen)
	return p, nil
}

func (s *Server) userPrincipal(ctx context.Context, u *store.User) (access.Principal, error) {
	role, err := access.ParseRole(u.Role)
	if err != nil || u.Disabled {
		return access.Anonymous, Errorf(Unauthorized, "account disabled or invalid")
	}
	p := access.Principal{Role: role, OrgID: u.OrgID, UserID: u.ID, Name: u.Username, Area: u.Area}
	if role == access.Observer && u.ObserverID != 0 {
		p.ObserverID = u.ObserverID
		p.Stations = map[string]bool{}
		areas, err := s.db.ObserverStations(ctx, u.ObserverID)
		if err != nil {
			return access.Anonymous, err
		}
		for _, a := range areas {
			p.Stations[access.StationKey(a.Election, a.Path)] = true
		}
	}
	return p, nil
}

// login checks a username and password and starts a session, setting the
// cookie (HttpOnly, SameSite=Lax, Secure when the client used HTTPS,
// directly or through a trusted proxy).
func (s *Server) login(w http.ResponseWriter, r *http.Request, username, password string) (*store.User, error) {
	u, err := s.verifyLogin(r, username, password)
	if errors.Is(err, errBadLogin) {
		return nil, Errorf(Unauthorized, "wrong user name or password")
	}
	if err != nil {
		return nil, err
	}
	tok := access.NewToken()
	login := store.AuditEntry{OrgID: u.OrgID, Actor: "user:" + u.Username, Channel: "web", Action: "session.login"}
	if err := s.db.StartSession(r.Context(), access.HashToken(tok), u.ID, u.PasswordHash(), sessionTTL, login); errors.Is(err, store.ErrCredentialsChanged) {
		return nil, Errorf(Unauthorized, "wrong user name or password")
	} else if err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.Client(r).HTTPS, MaxAge: int(sessionTTL.Seconds())})
	return u, nil
}

// dummyHash is the hash checked for a user name that does not exist (or a
// disabled account), so that timing does not tell which names exist. It is
// made at the first login rather than at package initialisation: every
// vigil command links this package, and an argon2id hash (some 30 ms and
// 19 MiB) at start was most of the time of `vigil --help`. It uses the same
// parameters as a real hash (access.HashPassword), so the check costs the
// same; concurrent first logins wait for the one computation. New starts
// it in the background, so that a server's first failed login does not
// take two hashes' time (which would tell, once, that the name is unknown).
var dummyHash = sync.OnceValue(func() string {
	h, err := access.HashPassword("a dummy password for timing")
	if err != nil {
		// Only a password shorter than access.MinPasswordLen fails, and
		// this one is not: a broken build, not a runtime condition.
		panic(fmt.Sprintf("making the dummy password hash: %v", err))
	}
	return h
})

// logout ends the session and clears the cookies. A session the database
// failed to delete is an error, not a silent success: the token would
// still open it.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	http.SetCookie(w, &http.Cookie{Name: TokenCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.db.DeleteSession(r.Context(), access.HashToken(c.Value)); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
	}
	return nil
}

// ElectionAs finds the election the path names and checks that the
// request's principal may take action a on its own organisation's data
// there: the opening of most observation handlers.
func (s *Server) ElectionAs(r *http.Request, a access.Action) (*election.Election, access.Principal, error) {
	e, err := s.ElectionParam(r)
	if err != nil {
		return nil, access.Principal{}, err
	}
	p := s.Principal(r)
	if err := s.check(r, a, access.Resource{OrgID: p.OrgID}); err != nil {
		return nil, p, err
	}
	return e, p, nil
}

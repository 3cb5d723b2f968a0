package web

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-elections/vigil/internal/access"
	"github.com/vigil-elections/vigil/internal/store"
)

// Password checks are deliberately expensive (argon2id: ~30 ms and 19 MiB
// each), which makes them a lever for whoever wants to guess passwords or
// exhaust the server. The guards:
//
//   - at most passwordSlots checks run at once (memory stays bounded);
//   - every attempt spends one unit of two budgets BEFORE the check: its
//     client address's and the account name's. Both are taken at once,
//     under one lock, or neither is: 200 concurrent guesses from one
//     address get at most addrBurst checks, not 200 (a budget read before
//     the check and spent after it let them all through);
//   - a successful login gives its units back: only failures count;
//   - the address budget stops one machine guessing many names; the
//     account budget stops many machines guessing one name. They are
//     separate so that failures for made-up names, from an attacker's
//     address, never lock out a real user logging in from elsewhere;
//   - the account budget is kept for every name tried, known or not, so
//     that its 429 does not tell which names exist; unknown and disabled
//     names cost a dummy argon2 check, so timing does not tell either.
//
// The client address is Client(r).Addr: behind a trusted reverse proxy,
// the address the proxy saw, so staff behind one proxy do not share one
// budget. What is left open: a distributed attacker who knows a user name
// can spend that account's budget and keep its owner out (429) while the
// attack lasts, which the audit log and the 429's message make visible;
// that is the price of capping guesses per account at all.
const (
	passwordSlots = 2
	addrBurst     = 10
	addrEvery     = 6 * time.Second
	accountBurst  = 10
	accountEvery  = 30 * time.Second
	maxNameKey    = 256 // bytes of a user name kept as a budget's key
)

var passwordSem = make(chan struct{}, passwordSlots) // for the process

// failureBudget holds a server's login budgets (token buckets) by key:
// "addr:" + client address, "user:" + account name.
type failureBudget struct {
	mu      sync.Mutex
	now     func() time.Time // time.Now; tests fix it
	buckets map[string]*bucket
	checks  atomic.Int64 // password checks run, for tests and metrics
}

type bucket struct {
	tokens float64
	last   time.Time
	burst  float64
	every  time.Duration
}

func (b *bucket) refill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+float64(d)/float64(b.every))
	}
	b.last = now
}

type budgetKey struct {
	key   string
	burst float64
	every time.Duration
}

func loginKeys(c Client, username string) []budgetKey {
	if len(username) > maxNameKey {
		username = username[:maxNameKey]
	}
	return []budgetKey{
		{"addr:" + c.Addr.String(), addrBurst, addrEvery},
		{"user:" + username, accountBurst, accountEvery},
	}
}

// reserve takes one unit from every key's bucket, or none when any is
// empty, and says which was empty.
func (fb *failureBudget) reserve(keys []budgetKey) (ok bool, empty string) {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	now := time.Now()
	if fb.now != nil {
		now = fb.now()
	}
	if fb.buckets == nil {
		fb.buckets = map[string]*bucket{}
	}
	if len(fb.buckets) > 10000 {
		// A full bucket is the same as none: forget those.
		for k, b := range fb.buckets {
			if b.refill(now); b.tokens >= b.burst {
				delete(fb.buckets, k)
			}
		}
	}
	bs := make([]*bucket, len(keys))
	for i, k := range keys {
		b := fb.buckets[k.key]
		if b == nil {
			b = &bucket{tokens: k.burst, last: now, burst: k.burst, every: k.every}
			fb.buckets[k.key] = b
		}
		b.refill(now)
		if b.tokens < 1 {
			return false, k.key
		}
		bs[i] = b
	}
	for _, b := range bs {
		b.tokens--
	}
	return true, ""
}

// refund gives back the units reserve took.
func (fb *failureBudget) refund(keys []budgetKey) {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	for _, k := range keys {
		if b := fb.buckets[k.key]; b != nil {
			b.tokens = min(b.burst, b.tokens+1)
		}
	}
}

// errBadLogin is a failed password login, whatever the reason (unknown
// name, disabled account, wrong password): callers say the same thing for
// all of them.
var errBadLogin = errors.New("wrong user name or password")

// verifyLogin checks a user name and password under the guards above. It
// returns the user, or errBadLogin, or a TooMany error, or an internal
// error.
func (s *Server) verifyLogin(r *http.Request, username, password string) (*store.User, error) {
	fb := &s.obs().budget
	keys := loginKeys(s.Client(r), username)
	if ok, empty := fb.reserve(keys); !ok {
		if empty == keys[0].key {
			return nil, Errorf(TooMany, "too many failed logins from your address: wait a minute")
		}
		return nil, Errorf(TooMany, "too many failed logins for this account: wait a few minutes")
	}
	hash := dummyHash() // so that timing does not tell which user names exist
	u, err := s.db.UserByName(r.Context(), username)
	switch {
	case err == nil && !u.Disabled:
		hash = u.PasswordHash()
	case err == nil, errors.Is(err, store.ErrNotFound):
		u = nil
	default:
		fb.refund(keys)
		return nil, err
	}
	select {
	case passwordSem <- struct{}{}:
	case <-r.Context().Done():
		fb.refund(keys)
		return nil, r.Context().Err()
	}
	fb.checks.Add(1)
	ok, err := access.VerifyPassword(hash, password)
	<-passwordSem
	if err != nil && u != nil {
		fb.refund(keys)
		return nil, err // a stored hash vigil cannot read: the server's fault
	}
	if !ok || u == nil {
		return nil, errBadLogin
	}
	fb.refund(keys)
	return u, nil
}

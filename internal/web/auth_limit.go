package web

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/vigil-elections/vigil/internal/access"
)

// Password checks are deliberately expensive (argon2id: ~30 ms and 19 MiB
// each), which makes them a lever for whoever wants to guess passwords or
// exhaust the server. Two guards:
//
//   - at most passwordSlots checks run at once (memory stays bounded);
//   - each client address may fail passwordBurst times, then one more
//     attempt per passwordEvery: a guessing script gets 429 long before it
//     gets anywhere, a mistyping user never notices.
const (
	passwordSlots = 2
	passwordBurst = 10
	passwordEvery = 6 * time.Second
)

var passwordSem = make(chan struct{}, passwordSlots) // for the process

// failureBudget is a server's record of failed password checks by client
// address.
type failureBudget struct {
	mu       sync.Mutex
	failures map[string]*failEntry
}

type failEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// checkPassword verifies a password against a stored hash under both
// guards; a client over its failure budget gets a TooMany error.
func (s *Server) checkPassword(r *http.Request, hash, password string) (bool, error) {
	fb := &s.obs().budget
	ip := s.ClientAddr(r).String()
	fb.mu.Lock()
	if fb.failures == nil {
		fb.failures = map[string]*failEntry{}
	}
	e := fb.failures[ip]
	if e == nil {
		e = &failEntry{lim: rate.NewLimiter(rate.Every(passwordEvery), passwordBurst)}
		fb.failures[ip] = e
	}
	e.seen = time.Now()
	if len(fb.failures) > 10000 { // forget quiet addresses
		for k, v := range fb.failures {
			if time.Since(v.seen) > time.Hour {
				delete(fb.failures, k)
			}
		}
	}
	over := e.lim.Tokens() < 1
	fb.mu.Unlock()
	if over {
		return false, Errorf(TooMany, "too many failed logins from your address: wait a minute")
	}
	select {
	case passwordSem <- struct{}{}:
	case <-r.Context().Done():
		return false, r.Context().Err()
	}
	ok, err := access.VerifyPassword(hash, password)
	<-passwordSem
	if !ok {
		fb.mu.Lock()
		e.lim.Allow() // spend one attempt of the budget
		fb.mu.Unlock()
	}
	return ok, err
}

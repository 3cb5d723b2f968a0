package web

import "time"

// Test hooks: what the external tests may see and set of a Server.

// PasswordChecks is how many argon2 password checks the server has run.
func (s *Server) PasswordChecks() int64 { return s.obs().budget.checks.Load() }

// FixClock stops the login budgets' clock at t, so that no budget refills
// while a test runs.
func (s *Server) FixClock(t time.Time) {
	fb := &s.obs().budget
	fb.mu.Lock()
	defer fb.mu.Unlock()
	fb.now = func() time.Time { return t }
}

// SetPretranslate turns the pre-translation of the templates' fixed words
// on or off for the servers made after it (pretranslate.go).
func SetPretranslate(on bool) { pretranslateOff = !on }

// HoldWarmUp makes /readyz answer as while WarmUp runs, until the
// returned function is called: a warm-up over a test's few areas ends
// before a request could see it.
func (s *Server) HoldWarmUp() (release func()) {
	s.warm.Store(warmRunning)
	return func() { s.warm.Store(warmDone) }
}

package web

import (
	"testing"
	"time"
)

// A grant read from the database before the cache is dropped (a change
// announced meanwhile) is not stored after the drop: it would stand for
// the old grant for tokenCacheTTL. Found by a review.
func TestCacheTokenAfterADrop(t *testing.T) {
	s := &Server{}
	c := &cachedPrincipal{tokenID: 1, until: time.Now().Add(time.Hour)}
	gen := s.tokenGen.Load()
	s.dropTokens()
	s.cacheToken("h", c, gen)
	if _, ok := s.tokens.Load("h"); ok {
		t.Fatal("a grant read before a drop was cached after it")
	}
	s.cacheToken("h", c, s.tokenGen.Load())
	if _, ok := s.tokens.Load("h"); !ok {
		t.Fatal("a grant read after the last drop was not cached")
	}
	gen = s.tokenGen.Load()
	s.forgetToken(1) // revoked through this server
	if _, ok := s.tokens.Load("h"); ok {
		t.Fatal("a revoked token's grant stayed")
	}
	s.cacheToken("h", c, gen)
	if _, ok := s.tokens.Load("h"); ok {
		t.Fatal("a grant read before a revocation was cached after it")
	}
}

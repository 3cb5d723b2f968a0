package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-elections/vigil/internal/store"
)

// Several instances serve one database; each follows the others' (and the
// CLI's) changes through the store's change feed (store.Changes): a cache
// is keyed on an election's change sequence, so it is stale exactly when
// the sequence moved, and the feed says so within a second or two
// whichever process made the change.
//
// Results never go backwards for a client that moves between instances:
// every portal response says the sequence it reflects (header Vigil-Seq,
// and a cookie vigil_seq_<election> for browsers); an instance asked by a
// client that has seen a later sequence than its own reads the sequence
// from the database and builds the page anew before answering, instead of
// serving what it has.

// portalKinds are the changes the public portal shows: results,
// configuration (tolerances change the checks), photos, publications and
// the election itself (options, geography).
var portalKinds = []store.ChangeKind{store.ChangeProtocols, store.ChangeConfig, store.ChangePhotos, store.ChangePublished, store.ChangeElection}

// SeqHeader carries the sequence a response reflects, and in a request
// the latest one the client has seen ("election:seq").
const SeqHeader = "Vigil-Seq"

func seqCookie(election int64) string { return "vigil_seq_" + strconv.FormatInt(election, 10) }

// rdb is where the portal reads: the replica when there is one.
func (s *Server) rdb() *store.DB {
	if s.pdb != nil {
		return s.pdb
	}
	return s.db
}

// followChanges drops the caches that a change makes wrong: a revoked
// token (or a user's new password) at once on every instance, the
// election cache on a configuration change. The portal's pages and the
// geography are keyed on sequences and need no telling.
//
// The token cache keeps a grant for half an hour (tokenCacheTTL), so an
// access change must not be missed: a subscriber that falls behind loses
// changes, but never the feed's sequence, which is compared after every
// change and every second.
func (s *Server) followChanges() {
	ctx := context.Background()
	feed := s.db.Changes()
	ch := feed.Subscribe(ctx)
	seen, _ := feed.Seq(ctx, 0, store.ChangeAccess)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case c, ok := <-ch:
				if !ok {
					return // the database is closed
				}
				if slices.Contains(c.Kinds, store.ChangeConfig) || slices.Contains(c.Kinds, store.ChangeElection) {
					s.portal.mu.Lock()
					clear(s.portal.elections)
					s.portal.mu.Unlock()
				}
			case <-tick.C:
			}
			if q, err := feed.Seq(ctx, 0, store.ChangeAccess); err == nil && q != seen {
				seen = q
				s.dropTokens()
			}
		}
	}()
}

// seenSeq is the latest sequence of election a client says it has seen:
// the request header or the cookie; 0 when it says nothing.
func seenSeq(r *http.Request, election int64) int64 {
	var seen int64
	if v := r.Header.Get(SeqHeader); v != "" {
		if e, q, ok := strings.Cut(v, ":"); ok && e == strconv.FormatInt(election, 10) {
			seen, _ = strconv.ParseInt(q, 10, 64)
		}
	}
	if c, err := r.Cookie(seqCookie(election)); err == nil {
		if v, err := strconv.ParseInt(c.Value, 10, 64); err == nil {
			seen = max(seen, v)
		}
	}
	return max(seen, 0)
}

// markSeq tells the client the sequence a response reflects.
func markSeq(w http.ResponseWriter, r *http.Request, election, seq int64) {
	w.Header().Set(SeqHeader, strconv.FormatInt(election, 10)+":"+strconv.FormatInt(seq, 10))
	if seq > seenSeq(r, election) {
		http.SetCookie(w, &http.Cookie{Name: seqCookie(election), Value: strconv.FormatInt(seq, 10), Path: "/",
			MaxAge: 86400, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
}

// portalSeq returns the sequence the portal's caches of an election are
// keyed on. It follows the feed, advancing at most every stampTTL (at most
// 1.5 s, so a change shows within 2 s) so that a steady stream of
// protocols does not have every page rebuilt for each; a client that has
// seen a later sequence (from another instance) makes it read the
// database and advance at once.
func (s *Server) portalSeq(r *http.Request, id int64) (int64, error) {
	ctx := r.Context()
	feed := s.rdb().Changes()
	seen := seenSeq(r, id)
	now := time.Now()
	s.portal.mu.Lock()
	c, ok := s.portal.stamps[id]
	s.portal.mu.Unlock()
	cur := c.seq
	if !ok || cur < seen {
		var err error
		if cur, err = feed.Sync(ctx, id, portalKinds...); err != nil {
			return 0, err
		}
		if cur < seen {
			// The client names a sequence the database has not reached
			// (a replica behind, or a forged cookie): serve the newest
			// there is rather than fail.
			s.log.DebugContext(ctx, "portal: client ahead of the database", "election", id, "seen", seen, "have", cur)
		}
	} else if now.Sub(c.at) >= s.stampTTL() {
		cur, _ = feed.Seq(ctx, id, portalKinds...)
	}
	s.portal.mu.Lock()
	defer s.portal.mu.Unlock()
	c = s.portal.stamps[id]
	if cur > c.seq || !ok {
		c.seq, c.at = max(cur, c.seq), now
		s.portal.stamps[id] = c
	}
	return c.seq, nil
}

// portalStamp is portalSeq as the cache key of a page: "election:seq".
func (s *Server) portalStamp(r *http.Request, id int64) (string, error) {
	seq, err := s.portalSeq(r, id)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(id, 10) + ":" + strconv.FormatInt(seq, 10), nil
}

// parseStamp splits a portal stamp; ok is false for a stamp of another
// shape.
func parseStamp(stamp string) (election, seq int64, ok bool) {
	e, q, found := strings.Cut(stamp, ":")
	if !found {
		return 0, 0, false
	}
	var err1, err2 error
	election, err1 = strconv.ParseInt(e, 10, 64)
	seq, err2 = strconv.ParseInt(q, 10, 64)
	return election, seq, err1 == nil && err2 == nil
}

// ChangeStamp is the stamp of what the portal shows of an election, read
// from the database (a few rows of the changes table, where the protocol
// stamp it replaces counted every protocol): for the API answers that
// must reflect every commit before them, on any instance.
func (s *Server) ChangeStamp(ctx context.Context, id int64) (string, error) {
	seq, err := s.rdb().Changes().Sync(ctx, id, portalKinds...)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(id, 10) + ":" + strconv.FormatInt(seq, 10), nil
}

package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/vigil-elections/vigil/internal/access"
)

// IntakeLimits bound what one observer, one phone number and one
// organisation may send (issue 10, item 8): a stolen or scripted token, a
// flood of SMS (each answered by a reply the mission pays for) or a
// stream of photos must not fill the disk or the bill. The zero value of
// each field takes its default (DefaultIntakeLimits).
type IntakeLimits struct {
	// Reports (JSON API, web form, OpenRosa) and photos per token or
	// login: Burst at once, then one per Every.
	ReportBurst int
	ReportEvery time.Duration
	// SMS per phone number: Burst at once, then one per Every; over it a
	// message is dropped without a reply (and logged).
	SMSBurst int
	SMSEvery time.Duration
	// UnknownReplyEvery: a number not on any roster gets at most one
	// reply per this window.
	UnknownReplyEvery time.Duration
	// Photos: the size of one, how many one report may have, and the
	// total bytes an organisation may store.
	MaxPhotoBytes      int64
	MaxPhotosPerReport int
	MaxPhotoBytesOrg   int64
}

// DefaultIntakeLimits are far above what an observer sends on election
// day (a report every few minutes at most, a few SMS, two or three photos
// of a protocol) and far below a flood.
var DefaultIntakeLimits = IntakeLimits{
	ReportBurst:        30,
	ReportEvery:        6 * time.Second,
	SMSBurst:           10,
	SMSEvery:           time.Minute,
	UnknownReplyEvery:  time.Hour,
	MaxPhotoBytes:      10 << 20,
	MaxPhotosPerReport: 10,
	MaxPhotoBytesOrg:   20 << 30,
}

// withDefaults fills the zero fields.
func (l IntakeLimits) withDefaults() IntakeLimits {
	d := DefaultIntakeLimits
	if l.ReportBurst == 0 {
		l.ReportBurst = d.ReportBurst
	}
	if l.ReportEvery == 0 {
		l.ReportEvery = d.ReportEvery
	}
	if l.SMSBurst == 0 {
		l.SMSBurst = d.SMSBurst
	}
	if l.SMSEvery == 0 {
		l.SMSEvery = d.SMSEvery
	}
	if l.UnknownReplyEvery == 0 {
		l.UnknownReplyEvery = d.UnknownReplyEvery
	}
	if l.MaxPhotoBytes == 0 {
		l.MaxPhotoBytes = d.MaxPhotoBytes
	}
	if l.MaxPhotosPerReport == 0 {
		l.MaxPhotosPerReport = d.MaxPhotosPerReport
	}
	if l.MaxPhotoBytesOrg == 0 {
		l.MaxPhotoBytesOrg = d.MaxPhotoBytesOrg
	}
	return l
}

// keyedLimiter is a token bucket per key (a token, a phone number), in
// memory: limits are per server process, which is what a flood hits.
type keyedLimiter struct {
	every time.Duration
	burst int

	mu   sync.Mutex
	keys map[string]*keyedEntry
}

type keyedEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxLimiterKeys bounds the keys held; idle ones are dropped past it.
const maxLimiterKeys = 100_000

func newKeyedLimiter(every time.Duration, burst int) *keyedLimiter {
	return &keyedLimiter{every: every, burst: burst, keys: map[string]*keyedEntry{}}
}

// allow takes one event for key; when over the limit it says how long
// until the next would be allowed.
func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e := k.keys[key]
	if e == nil {
		if len(k.keys) >= maxLimiterKeys {
			k.prune(now)
		}
		e = &keyedEntry{lim: rate.NewLimiter(rate.Every(k.every), k.burst)}
		k.keys[key] = e
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// prune drops the keys whose bucket has refilled (idle long enough that
// forgetting them changes nothing).
func (k *keyedLimiter) prune(now time.Time) {
	full := k.every * time.Duration(k.burst)
	for key, e := range k.keys {
		if now.Sub(e.seen) > full {
			delete(k.keys, key)
		}
	}
}

// intakeState is the intake's limiters and limits.
type intakeState struct {
	limits  IntakeLimits
	reports *keyedLimiter // by principal
	sms     *keyedLimiter // by phone number
	unknown *keyedLimiter // replies to numbers not on a roster
}

func newIntakeState(l IntakeLimits) *intakeState {
	l = l.withDefaults()
	return &intakeState{limits: l,
		reports: newKeyedLimiter(l.ReportEvery, l.ReportBurst),
		sms:     newKeyedLimiter(l.SMSEvery, l.SMSBurst),
		unknown: newKeyedLimiter(l.UnknownReplyEvery, 1)}
}

func (s *Server) intake() *intakeState {
	s.intakeMu.Lock()
	defer s.intakeMu.Unlock()
	if s.intakeSt == nil {
		s.intakeSt = newIntakeState(IntakeLimits{})
	}
	return s.intakeSt
}

// senderKey names who sends: an observer (whatever token or login), a
// staff user.
func senderKey(p access.Principal) string {
	if p.ObserverID != 0 {
		return fmt.Sprintf("observer:%d", p.ObserverID)
	}
	return fmt.Sprintf("user:%d:%s", p.OrgID, p.Name)
}

// AllowIntake takes one report or photo of p's budget; over it, it sets
// Retry-After and returns a TooMany error.
func (s *Server) AllowIntake(w http.ResponseWriter, p access.Principal) error {
	ok, wait := s.intake().reports.allow(senderKey(p), time.Now())
	if ok {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return Errorf(TooMany, "too many reports and photos from this observer: send again in %d s (the same client_id stores it once)", secs)
}

// AllowSMS takes one message of the phone number from's budget: false
// when over it (the gateway then drops the message without a reply).
func (s *Server) AllowSMS(from string) bool {
	ok, _ := s.intake().sms.allow(from, time.Now())
	return ok
}

// AllowUnknownReply says whether a number not on any roster may be
// answered again now: one reply per UnknownReplyEvery, so that the server
// sends no flood of texts to a number that keeps writing.
func (s *Server) AllowUnknownReply(from string) bool {
	ok, _ := s.intake().unknown.allow(from, time.Now())
	return ok
}

package store

import (
	"encoding/json"
	"sync"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// Decoding a report's answers was the largest part of recomputing a
// group (every report of a touched group is read again on each commit:
// with many reports per station, the same answers were decoded once per
// report that arrived after them). The decoded answers are kept in a
// small cache keyed by the stored text itself, so that a hit is right
// whatever changed: the same text decodes to the same answers, on any
// database of the process, and a report whose answers were rewritten
// simply misses. agg.Group and the forms only read answers (agg.resolve
// copies before it replaces a value), so one decoded map can be shared.
//
// Two generations bound the memory: when the current one is full it
// becomes the previous one and the one before is dropped; a hit in the
// previous generation moves the entry forward.
const answersCacheGen = 4096

type answersLRU struct {
	sync.Mutex
	cur, prev map[string]form.Answers
}

var answersCache = answersLRU{cur: map[string]form.Answers{}}

// decodeAnswers decodes a report's stored answers, from the cache when
// the same text was decoded recently.
func decodeAnswers(text string) (form.Answers, error) {
	c := &answersCache
	c.Lock()
	a, ok := c.cur[text]
	if !ok {
		if a, ok = c.prev[text]; ok {
			c.putLocked(text, a)
		}
	}
	c.Unlock()
	if ok {
		return a, nil
	}
	if err := json.Unmarshal([]byte(text), &a); err != nil {
		return nil, err
	}
	c.Lock()
	c.putLocked(text, a)
	c.Unlock()
	return a, nil
}

func (c *answersLRU) putLocked(text string, a form.Answers) {
	if len(c.cur) >= answersCacheGen {
		c.prev, c.cur = c.cur, make(map[string]form.Answers, answersCacheGen)
	}
	c.cur[text] = a
}

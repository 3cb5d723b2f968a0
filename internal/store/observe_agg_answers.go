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
// Two generations bound the memory: when the current one has taken its
// budget it becomes the previous one and the one before is dropped; a hit
// in the previous generation moves the entry forward. The budget is in
// bytes, not entries: a station's reports of one phase arrive over hours,
// thousands of other reports apart, and a bound of 4,096 entries a
// generation missed nearly every earlier report of a group under 200
// submitting clients (20,000 reports on 2,000 stations), so that decoding
// was a third of the group commit's CPU (issue 9).
const answersCacheGen = 16 << 20

// answersCost estimates what a cached entry holds: its text (the key) and
// the decoded map, a value struct and a map slot per answer.
func answersCost(text string, a form.Answers) int { return len(text) + 160*len(a) + 96 }

type answersLRU struct {
	sync.Mutex
	cur, prev map[string]form.Answers
	curCost   int
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
	cost := answersCost(text, a)
	if c.curCost+cost > answersCacheGen {
		c.prev, c.cur, c.curCost = c.cur, map[string]form.Answers{}, 0
	}
	c.cur[text] = a
	c.curCost += cost
}

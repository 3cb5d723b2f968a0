package store

import (
	"sync"
	"sync/atomic"

	"github.com/vigil-elections/vigil/internal/observe/agg"
)

// groupStates keeps, decoded, the observation groups' states this process
// last wrote (obs_groups), beside their text. A commit that folds new
// reports into a group reads its stored text and decoded it every time:
// under 200 submitting clients with a few dozen reports a station, decoding
// was 6 % of the server's CPU (issue 9). A state is a function of its text
// (Encode is canonical, Decode its inverse), so a kept state whose text is
// byte for byte the one read is the state Decode would give, whoever wrote
// the row: another instance's write, a rolled-back transaction or a
// rebuild leaves a different text, and the state is decoded as before.
//
// A state is taken out when used (the fold changes it in place) and put
// back, with its new text, once its transaction has written it: two
// writers never share one, and a transaction that rolls back leaves the
// text it would have written, which no row then has. A kept state is what
// folding its reports made, so it may hold what Decode refuses in a row
// (a form id of 0, an answer that is not JSON: a row of them makes the
// store compute the group from its reports): folding into it still
// computes from its reports, since a state is the same whatever the order
// its reports were folded in.
type groupStates struct {
	mu    sync.Mutex
	m     map[obsGroup]keptState
	bytes int // the kept states' estimated memory (keptCost)
	max   int
	hits  atomic.Int64 // states taken with the text read (tests)
}

type keptState struct {
	text string
	s    *agg.State
}

// groupStatesBytes bounds the memory of the states kept, as keptCost
// estimates it; a state of more than a sixteenth of it is not kept. A
// kept state also keeps its visits' observations (agg's memo), so a state
// forgotten costs its decoding and its observations' derivation: at 32 MB
// the load's 2,000 stations of 40 reports each did not fit, and the
// intake on PostgreSQL used 10 % more CPU a report than at 64 MB
// (docs/performance.md).
const groupStatesBytes = 64 << 20

// keptCost estimates the memory of a state kept with its text: decoded, a
// state takes about 16 times its text (BenchmarkStateDecode: 16.7 KB for a
// station of 40 reports, 1.0 KB of text), and its maps' fixed cost.
func keptCost(text string) int { return 17*len(text) + 1024 }

var obsStates = &groupStates{m: map[obsGroup]keptState{}, max: groupStatesBytes}

// take returns the kept state of g if its text is text, and forgets it.
func (c *groupStates) take(g obsGroup, text string) *agg.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[g]
	if !ok {
		return nil
	}
	delete(c.m, g)
	c.bytes -= keptCost(k.text)
	if k.text != text {
		return nil
	}
	c.hits.Add(1)
	return k.s
}

// put keeps s, whose text is text, for g, forgetting other states (any:
// map order) while the texts exceed the bound. The state's forms are
// forgotten (it is kept as Decode would give it): the same group and text
// may be another database's, in another handle of the process.
func (c *groupStates) put(g obsGroup, text string, s *agg.State) {
	cost := keptCost(text)
	if cost > c.max/16 {
		return
	}
	s.ForgetForms()
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.m[g]; ok {
		c.bytes -= keptCost(k.text)
	}
	for k, v := range c.m {
		if c.bytes+cost <= c.max {
			break
		}
		delete(c.m, k)
		c.bytes -= keptCost(v.text)
	}
	c.m[g] = keptState{text, s}
	c.bytes += cost
}

// len is how many states are kept (tests).
func (c *groupStates) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

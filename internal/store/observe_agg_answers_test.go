package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-elections/vigil/internal/observe/form"
)

// The cache of decoded answers is keyed by the stored text: a report
// whose text differs must never get another's answers, and the cache
// stays within its two generations however many texts pass.
func TestObsAnswersCacheKeyedByText(t *testing.T) {
	pad := strings.Repeat("x", 4000)
	perEntry := answersCost(fmt.Sprintf(`{"q":"v%d%s"}`, 0, pad), form.Answers{"q": {}})
	n := 3*answersCacheGen/perEntry + 7
	for i := range n {
		text := fmt.Sprintf(`{"q":"v%d%s"}`, i, pad)
		for range 2 { // a miss, then (from the cache) a hit
			a, err := decodeAnswers(text)
			if err != nil {
				t.Fatalf("decode %s: %v", text, err)
			}
			if got, _ := a["q"].Text(); got != fmt.Sprintf("v%d%s", i, pad) {
				t.Fatalf("answers of %s: q = %q", text, got)
			}
		}
	}
	answersCache.Lock()
	size := len(answersCache.cur) + len(answersCache.prev)
	answersCache.Unlock()
	// Two generations of the budget, each over by one entry at most.
	if bound := 2*answersCacheGen/perEntry + 2; size > bound {
		t.Fatalf("cache holds %d entries of %d bytes, bound %d", size, perEntry, bound)
	}
	// An early text, long evicted, still decodes right.
	if a, err := decodeAnswers(fmt.Sprintf(`{"q":"v0%s"}`, pad)); err != nil {
		t.Fatal(err)
	} else if got, _ := a["q"].Text(); got != "v0"+pad {
		t.Fatalf("q = %q after eviction", got)
	}
	if _, err := decodeAnswers(`{"q":`); err == nil {
		t.Fatal("malformed answers decoded without error")
	}
}

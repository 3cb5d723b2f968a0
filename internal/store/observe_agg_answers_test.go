package store

import (
	"fmt"
	"testing"
)

// The cache of decoded answers is keyed by the stored text: a report
// whose text differs must never get another's answers, and the cache
// stays within its two generations however many texts pass.
func TestObsAnswersCacheKeyedByText(t *testing.T) {
	n := 3*answersCacheGen + 7
	for i := range n {
		text := fmt.Sprintf(`{"q":"v%d"}`, i)
		for range 2 { // a miss, then (from the cache) a hit
			a, err := decodeAnswers(text)
			if err != nil {
				t.Fatalf("decode %s: %v", text, err)
			}
			if got, _ := a["q"].Text(); got != fmt.Sprintf("v%d", i) {
				t.Fatalf("answers of %s: q = %q", text, got)
			}
		}
	}
	answersCache.Lock()
	size := len(answersCache.cur) + len(answersCache.prev)
	answersCache.Unlock()
	if size > 2*answersCacheGen {
		t.Fatalf("cache holds %d entries, bound %d", size, 2*answersCacheGen)
	}
	// An early text, long evicted, still decodes right.
	if a, err := decodeAnswers(`{"q":"v0"}`); err != nil {
		t.Fatal(err)
	} else if got, _ := a["q"].Text(); got != "v0" {
		t.Fatalf("q = %q after eviction", got)
	}
	if _, err := decodeAnswers(`{"q":`); err == nil {
		t.Fatal("malformed answers decoded without error")
	}
}

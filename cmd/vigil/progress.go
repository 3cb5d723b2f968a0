package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// isTerminal reports whether w is a terminal, where a progress line helps
// a person waiting; a pipe, a file or a test buffer gets none. A variable so
// that a test can pretend.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress is one line on standard error, rewritten in place while long
// work goes on (an integer test, an import) and erased when it ends. It is
// silent unless standard error is a terminal, and with --json, so that
// nothing but the result reaches a script.
type progress struct {
	w     io.Writer // nil: silent
	label string
	mu    sync.Mutex
	last  time.Time
	shown bool
}

func newProgress(e *env, label string, quiet bool) *progress {
	p := &progress{label: label}
	if !quiet && isTerminal(e.stderr) {
		p.w = e.stderr
	}
	return p
}

// update shows done of total (total 0: a count with no end known), at
// most a few times a second.
func (p *progress) update(done, total int, unit string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond || (total > 0 && done == total) {
		p.last = now
		if total > 0 {
			fmt.Fprintf(p.w, "\r%s: %d of %d %s (%.0f %%)\x1b[K", p.label, done, total, unit, 100*float64(done)/float64(total))
		} else {
			fmt.Fprintf(p.w, "\r%s: %d %s\x1b[K", p.label, done, unit)
		}
		p.shown = true
	}
}

// done erases the line, so that the result printed next starts clean.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

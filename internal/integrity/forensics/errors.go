package forensics

import "errors"

// ErrNotEnoughData is matched (errors.Is) by every error that says the
// data cannot carry a test — too few stations, no control group, no ballots
// below the peak — as opposed to a caller's mistake. Servers answer it as
// a property of the election (422), not as a fault of their own.
var ErrNotEnoughData = errors.New("forensics: not enough data for this test")

// notEnoughData is an error with its own message that matches
// ErrNotEnoughData.
type notEnoughData string

func (e notEnoughData) Error() string { return string(e) }

func (notEnoughData) Is(target error) bool { return target == ErrNotEnoughData }

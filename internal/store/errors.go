package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// ErrNotFound is returned when a named or numbered record does not exist.
var ErrNotFound = errors.New("not found")

// wrap prefixes *errp, when it is set, with the operation and its key
// arguments, so that a log line names the query that failed ("store.
// Reports(org 3): …"), after pkgsite's derrors.Wrap; call it deferred:
//
//	defer wrap(&err, "store.Report(%d, %d)", orgID, id)
//
// ErrNotFound is left as it is: it already names its record, and its text
// is shown to users as a 404.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil || errors.Is(*errp, ErrNotFound) {
		return
	}
	*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
}

// rowsAffected is res.RowsAffected with its error kept: a count the driver
// cannot give is an error, never read as zero rows (which would turn into
// a false ErrNotFound, or a false "nothing to do").
func rowsAffected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

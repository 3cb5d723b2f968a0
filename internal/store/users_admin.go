package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SetDisabled disables a user (or enables one again). A disabled user
// cannot log in, their sessions are ended, and their API tokens are
// refused while they stay disabled (every server drops its cache of
// tokens on the change, ChangeAccess, within the change feed's second or
// two). It returns the number of sessions ended. The audit entry is
// written in the same transaction.
func (db *DB) SetDisabled(ctx context.Context, userID int64, disabled bool, audit AuditEntry) (sessions int64, err error) {
	defer wrap(&err, "store.SetDisabled(user %d, %t)", userID, disabled)
	v := 0
	if disabled {
		v = 1
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, v, userID)
		if err != nil {
			return err
		}
		if n, err := rowsAffected(res); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("user %d: %w", userID, ErrNotFound)
		}
		if disabled {
			res, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
			if err != nil {
				return err
			}
			if sessions, err = rowsAffected(res); err != nil {
				return err
			}
		}
		if err := Audit(ctx, tx, audit); err != nil {
			return err
		}
		return db.touchTx(ctx, tx, 0, ChangeAccess)
	})
	return sessions, err
}

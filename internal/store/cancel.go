package store

import (
	"context"

	"github.com/ferrysync/ferry"
)

// CancelRun marks the run cancelled if it is still queued or running (its
// worker sees it at the next heartbeat and stops after the batch in flight).
// A run that is already final is ECONFLICT naming its status; ENOTFOUND if
// there is no such run.
func (s *Store) CancelRun(ctx context.Context, id, reason string) error {
	res, err := s.exec(ctx, s.db, "UPDATE runs SET status = 'cancelled', error_code = ?, error = ?, finished_at = ? WHERE id = ? AND status IN "+activeStatuses,
		ferry.ECANCELED, reason, s.tv(s.stampNow()), id)
	if err != nil {
		return s.dbErr(err, "cancel run "+id)
	}
	return s.checkUpdated(ctx, res, id)
}

package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/internal/pipeline"
)

// SyncStatusID is the id of a configuration's own row in the destination's
// status table (ferry.sync_status): the latest state of its latest run,
// whether or not a scope started it. Scope entities also get rows of their
// own, keyed by their scope instance.
func SyncStatusID(config string) string { return "sync:" + config }

// writeSyncStatus keeps the configuration's status row in its destination,
// when the destination has status tables. A failure to write it is logged,
// not fatal: the run's data and checkpoint do not depend on it.
func (a *App) writeSyncStatus(ctx context.Context, log *slog.Logger, job pipeline.Job, run *ferry.Run, state ferry.StatusState, runErr error) {
	sw, ok := job.Dest.(database.StatusWriter)
	if !ok {
		return
	}
	provider := ""
	if conn, err := a.store.GetConnection(ctx, job.Sync.Connection); err == nil {
		provider = conn.Provider
	}
	st := ferry.SyncStatus{ID: SyncStatusID(job.Sync.Name), Provider: provider, Entity: job.Sync.Object,
		Config: job.Sync.Name, Project: job.Sync.Project, RunID: run.ID, State: state, At: a.now().UTC()}
	if runErr != nil {
		st.ErrorCode, st.Error = ferry.ErrorCode(runErr), ferry.ErrorMessage(runErr)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := sw.WriteStatus(wctx, nil, []ferry.SyncStatus{st}); err != nil {
		log.Warn("could not write the sync status row", "error", err)
	}
}

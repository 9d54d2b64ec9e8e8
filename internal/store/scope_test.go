package store_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

func scopeEntities(configs ...string) []ferry.ScopeEntity {
	var es []ferry.ScopeEntity
	for _, c := range configs {
		es = append(es, ferry.ScopeEntity{Config: c, Provider: "stripe", Entity: c, Project: "proj"})
	}
	return es
}

func wantScope(t *testing.T, sc ferry.Scope, state ferry.ScopeState, counts ferry.ScopeCounts) {
	t.Helper()
	if sc.State != state || sc.Counts != counts {
		t.Fatalf("scope %s: %s %+v, want %s %+v", sc.ID, sc.State, sc.Counts, state, counts)
	}
}

// TestScopeTransitions walks a scope instance through the rules: syncing
// until every entity completed, then failed if one failed, else synced;
// counts and details follow each status change.
func TestScopeTransitions(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)

		sc := ferry.Scope{Name: "billing", Entities: scopeEntities("customers", "invoices", "subscriptions"), Host: "h", PID: 1}
		must(t, s.CreateScope(ctx, &sc))
		wantScope(t, sc, ferry.ScopeSyncing, ferry.ScopeCounts{NotStarted: 3})
		if sc.LastStartedAt != stored(c.Now()) || !sc.LastFailedAt.IsZero() || !sc.LastSyncedAt.IsZero() {
			t.Errorf("new scope times: %+v", sc)
		}

		// Cannot start again while syncing; the message names the instance.
		again := ferry.Scope{Name: "billing", Entities: scopeEntities("customers")}
		wantCode(t, s.CreateScope(ctx, &again), ferry.ECONFLICT, sc.ID, "already running")
		if again.ID != "" && again.ID == sc.ID {
			t.Errorf("the refused start took the running id")
		}

		step := func(config string, state ferry.StatusState, errMsg string) ferry.Scope {
			t.Helper()
			c.Add(time.Second)
			st := ferry.SyncStatus{Scope: sc.ID, Config: config, State: state, RunID: "run_" + config, Error: errMsg}
			if errMsg != "" {
				st.ErrorCode = ferry.EUNAUTHORIZED
			}
			got, err := s.PutSyncStatus(ctx, &st)
			must(t, err)
			if st.ID == "" || st.Provider != "stripe" || st.Entity != config {
				t.Fatalf("status after put: %+v", st)
			}
			return got
		}
		wantScope(t, step("customers", ferry.StatusSyncing, ""), ferry.ScopeSyncing, ferry.ScopeCounts{NotStarted: 2, Syncing: 1})
		wantScope(t, step("invoices", ferry.StatusSyncing, ""), ferry.ScopeSyncing, ferry.ScopeCounts{NotStarted: 1, Syncing: 2})
		wantScope(t, step("customers", ferry.StatusSynced, ""), ferry.ScopeSyncing, ferry.ScopeCounts{NotStarted: 1, Syncing: 1, Synced: 1})
		failedAt := stored(c.Now().Add(time.Second))
		got := step("invoices", ferry.StatusFailed, "Invalid API Key")
		wantScope(t, got, ferry.ScopeSyncing, ferry.ScopeCounts{NotStarted: 1, Failed: 1, Synced: 1})
		if got.LastFailedAt != failedAt {
			t.Errorf("last_failed_at %v, want %v", got.LastFailedAt, failedAt)
		}
		wantScope(t, step("subscriptions", ferry.StatusSyncing, ""), ferry.ScopeSyncing, ferry.ScopeCounts{Syncing: 1, Failed: 1, Synced: 1})
		got = step("subscriptions", ferry.StatusSynced, "")
		wantScope(t, got, ferry.ScopeFailed, ferry.ScopeCounts{Failed: 1, Synced: 2})
		if got.FinishedAt.IsZero() || !got.LastSyncedAt.IsZero() {
			t.Errorf("failed scope: finished %v, last synced %v", got.FinishedAt, got.LastSyncedAt)
		}
		// Details: per entity, with the failure.
		inv := got.Entities[1]
		if inv.Config != "invoices" || inv.State != ferry.StatusFailed || inv.ErrorCode != ferry.EUNAUTHORIZED ||
			inv.Error != "Invalid API Key" || inv.RunID != "run_invoices" || inv.StartedAt == nil || inv.FinishedAt == nil {
			t.Errorf("invoices details: %+v", inv)
		}
		// Final: no more changes.
		st := ferry.SyncStatus{Scope: sc.ID, Config: "customers", State: ferry.StatusSyncing}
		_, err := s.PutSyncStatus(ctx, &st)
		wantCode(t, err, ferry.ECONFLICT, "already failed")

		sts, err := s.ListSyncStatuses(ctx, sc.ID)
		must(t, err)
		if len(sts) != 3 || sts[0].Config != "customers" || sts[1].State != ferry.StatusFailed || sts[2].State != ferry.StatusSynced {
			t.Fatalf("statuses: %+v", sts)
		}

		// A new instance of the name: allowed now, carries last_failed_at.
		next := ferry.Scope{Name: "billing", Entities: scopeEntities("customers")}
		must(t, s.CreateScope(ctx, &next))
		if next.ID == sc.ID || next.LastFailedAt != failedAt {
			t.Errorf("second instance: id %s (first %s), last_failed_at %v", next.ID, sc.ID, next.LastFailedAt)
		}
		st = ferry.SyncStatus{Scope: next.ID, Config: "customers", State: ferry.StatusSynced}
		got, err = s.PutSyncStatus(ctx, &st)
		must(t, err)
		wantScope(t, got, ferry.ScopeSynced, ferry.ScopeCounts{Synced: 1})
		if got.LastSyncedAt.IsZero() || got.LastFailedAt != failedAt {
			t.Errorf("synced instance times: %+v", got)
		}
		st = ferry.SyncStatus{Scope: next.ID, Config: "nope", State: ferry.StatusSynced}
		_, err = s.PutSyncStatus(ctx, &st)
		wantCode(t, err, ferry.ECONFLICT)

		list, err := s.ListScopes(ctx, store.ScopeFilter{Name: "billing"})
		must(t, err)
		if len(list) != 2 || list[0].ID != next.ID {
			t.Fatalf("list: %+v", list)
		}

		// Delete a status row, then the scope.
		_, err = s.DeleteSyncStatus(ctx, sts[1].ID)
		must(t, err)
		_, err = s.GetSyncStatus(ctx, sts[1].ID)
		wantCode(t, err, ferry.ENOTFOUND)
		kept, err := s.GetScope(ctx, sc.ID)
		must(t, err)
		wantScope(t, kept, ferry.ScopeFailed, ferry.ScopeCounts{Failed: 1, Synced: 2})
		_, deleted, err := s.DeleteScope(ctx, sc.ID)
		must(t, err)
		if len(deleted) != 2 {
			t.Errorf("deleted %d status rows with the scope, want 2", len(deleted))
		}
		_, err = s.GetScope(ctx, sc.ID)
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

func TestScopeValidation(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		s := open(t, target, newClock())
		for _, sc := range []ferry.Scope{
			{Name: "Bad Name", Entities: scopeEntities("a")},
			{Name: "empty"},
			{Name: "dup", Entities: scopeEntities("a", "a")},
		} {
			wantCode(t, s.CreateScope(ctx, &sc), ferry.EINVALID)
		}
		sc := ferry.Scope{Name: "ok", Entities: scopeEntities("a")}
		must(t, s.CreateScope(ctx, &sc))
		_, _, err := s.DeleteScope(ctx, sc.ID)
		wantCode(t, err, ferry.ECONFLICT, "still syncing")
		st := ferry.SyncStatus{Scope: sc.ID, Config: "a", State: "done"}
		_, err = s.PutSyncStatus(ctx, &st)
		wantCode(t, err, ferry.EINVALID)
	})
}

// TestScopeInterrupt: a dead process or a stale heartbeat leaves the
// instance interrupted, and the entities it was syncing failed.
func TestScopeInterrupt(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)
		host := hostnameForTest(t)

		dead := ferry.Scope{Name: "dead", Entities: scopeEntities("a", "b", "c"), Host: host, PID: 4242}
		must(t, s.CreateScope(ctx, &dead))
		for _, st := range []ferry.SyncStatus{{Config: "a", State: ferry.StatusSynced}, {Config: "b", State: ferry.StatusSyncing}} {
			st.Scope = dead.ID
			_, err := s.PutSyncStatus(ctx, &st)
			must(t, err)
		}
		stale := ferry.Scope{Name: "stale", Entities: scopeEntities("a"), Host: "elsewhere", PID: 1}
		must(t, s.CreateScope(ctx, &stale))
		c.Add(10 * time.Minute)
		live := ferry.Scope{Name: "live", Entities: scopeEntities("a"), Host: host, PID: 1}
		must(t, s.CreateScope(ctx, &live))

		alive := func(h string, pid int) bool { return pid != 4242 }
		got, changed, err := s.InterruptStaleScopes(ctx, alive, c.Now().Add(-time.Minute))
		must(t, err)
		if len(got) != 2 || got[0].ID != dead.ID || got[1].ID != stale.ID {
			t.Fatalf("interrupted %+v, want %s and %s", got, dead.ID, stale.ID)
		}
		wantScope(t, got[0], ferry.ScopeInterrupted, ferry.ScopeCounts{NotStarted: 1, Failed: 1, Synced: 1})
		if len(changed[0]) != 1 || changed[0][0].Config != "b" || changed[0][0].ErrorCode != store.StatusInterrupted {
			t.Errorf("changed statuses: %+v", changed[0])
		}
		if got[0].Error == "" || got[0].FinishedAt.IsZero() {
			t.Errorf("interrupted scope lacks its reason or end: %+v", got[0])
		}
		// Heartbeats of an interrupted scope are refused; a new instance may start.
		wantCode(t, s.HeartbeatScope(ctx, dead.ID), ferry.ECONFLICT, "interrupted")
		must(t, s.HeartbeatScope(ctx, live.ID))
		again := ferry.Scope{Name: "dead", Entities: scopeEntities("a")}
		must(t, s.CreateScope(ctx, &again))

		// Graceful stop.
		out, _, err := s.InterruptScope(ctx, live.ID, "stopped")
		must(t, err)
		wantScope(t, out, ferry.ScopeInterrupted, ferry.ScopeCounts{NotStarted: 1})
	})
}

// TestOneSyncingScopeConcurrent: many stores start the same scope at once;
// exactly one wins and the others are told which instance runs.
func TestOneSyncingScopeConcurrent(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		const n = 8
		stores := make([]*store.Store, n)
		for i := range n {
			stores[i] = open(t, target, c)
		}
		ids := make([]string, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				sc := ferry.Scope{Name: "race", Entities: scopeEntities("a", "b")}
				errs[i] = stores[i].CreateScope(ctx, &sc)
				ids[i] = sc.ID
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		var winner string
		for i := range n {
			if errs[i] == nil {
				winners++
				winner = ids[i]
			}
		}
		if winners != 1 {
			t.Fatalf("%d winners, want 1: %v", winners, errs)
		}
		for i := range n {
			if errs[i] != nil {
				wantCode(t, errs[i], ferry.ECONFLICT, winner)
			}
		}
	})
}

func hostnameForTest(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

package databasetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// StatusDestination is a destination with the status tables.
type StatusDestination interface {
	database.Destination
	database.StatusWriter
	database.StatusReader
}

// RunStatus runs the conformance suite of database.StatusWriter. open
// returns a fresh, empty destination for one subtest and registers its
// cleanup with t.Cleanup.
func RunStatus(t *testing.T, open func(t *testing.T) StatusDestination) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d StatusDestination)
	}{
		{"RoundTrip", testStatusRoundTrip},
		{"Progress", testStatusProgress},
		{"ReplayIsIdempotent", testStatusReplay},
		{"Delete", testStatusDelete},
		{"MissingIsNotAnError", testStatusMissing},
		{"QuotedValues", testStatusQuotedValues},
		{"Concurrent", testStatusConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func ptime(t time.Time) *time.Time { return &t }

// statusFixture returns a scope instance of three entities, the first synced, the
// second failed, the third not started.
func statusFixture(id string) (ferry.Scope, []ferry.SyncStatus) {
	entities := []ferry.ScopeEntity{
		{Config: "customers", Provider: "stripe", Entity: "customers", Project: "p", StatusID: id + "_1", RunID: "run_1",
			State: ferry.StatusSynced, StartedAt: ptime(t0), FinishedAt: ptime(t1)},
		{Config: "invoices", Provider: "stripe", Entity: "invoices", Project: "p", StatusID: id + "_2", RunID: "run_2",
			State: ferry.StatusFailed, StartedAt: ptime(t0), FinishedAt: ptime(t1), ErrorCode: ferry.EUNAUTHORIZED, Error: "Invalid API Key"},
		{Config: "subscriptions", Provider: "stripe", Entity: "subscriptions", Project: "p"},
	}
	state, counts := ferry.Aggregate(entities)
	sc := ferry.Scope{ID: id, Name: "billing", State: state, Counts: counts, LastStartedAt: t0, LastFailedAt: t1,
		Entities: entities, UpdatedAt: t1}
	sts := []ferry.SyncStatus{
		{ID: id + "_1", Scope: id, Provider: "stripe", Entity: "customers", Config: "customers", RunID: "run_1", State: ferry.StatusSynced, At: t1},
		{ID: id + "_2", Scope: id, Provider: "stripe", Entity: "invoices", Config: "invoices", RunID: "run_2", State: ferry.StatusFailed, At: t1,
			ErrorCode: ferry.EUNAUTHORIZED, Error: "Invalid API Key"},
	}
	return sc, sts
}

// normScope strips what a destination does not keep (project, host, pid,
// heartbeat, finished) and normalises times.
func normScope(sc ferry.Scope) ferry.Scope {
	out := ferry.Scope{ID: sc.ID, Name: sc.Name, State: sc.State, Counts: sc.Counts, Error: sc.Error,
		LastStartedAt: sc.LastStartedAt.UTC(), LastFailedAt: sc.LastFailedAt.UTC(), LastSyncedAt: sc.LastSyncedAt.UTC(), UpdatedAt: sc.UpdatedAt.UTC()}
	for _, e := range sc.Entities {
		if e.StartedAt != nil {
			e.StartedAt = ptime(e.StartedAt.UTC())
		}
		if e.FinishedAt != nil {
			e.FinishedAt = ptime(e.FinishedAt.UTC())
		}
		out.Entities = append(out.Entities, e)
	}
	return out
}

func normStatuses(sts []ferry.SyncStatus) []ferry.SyncStatus {
	out := make([]ferry.SyncStatus, len(sts))
	for i, st := range sts {
		st.Project, st.At = "", st.At.UTC()
		out[i] = st
	}
	return out
}

func checkStatus(t *testing.T, d StatusDestination, sc ferry.Scope, sts []ferry.SyncStatus) {
	t.Helper()
	got, gotSts, ok, err := d.ReadStatus(ctxFor(t), sc.ID)
	if err != nil {
		t.Fatalf("ReadStatus(%s): %v", sc.ID, err)
	}
	if !ok {
		t.Fatalf("ReadStatus(%s): no scope row", sc.ID)
	}
	if diff := cmp.Diff(normScope(sc), normScope(got)); diff != "" {
		t.Errorf("scope row mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(normStatuses(sts), normStatuses(gotSts)); diff != "" {
		t.Errorf("status rows mismatch (-want +got):\n%s", diff)
	}
}

func testStatusRoundTrip(t *testing.T, d StatusDestination) {
	sc, sts := statusFixture("scope_a")
	if err := d.WriteStatus(ctxFor(t), &sc, sts); err != nil {
		t.Fatalf("WriteStatus: %v", err)
	}
	checkStatus(t, d, sc, sts)
	if sc.State != ferry.ScopeSyncing || sc.Counts != (ferry.ScopeCounts{NotStarted: 1, Failed: 1, Synced: 1}) {
		t.Fatalf("fixture aggregate: %s %+v", sc.State, sc.Counts)
	}
}

// testStatusProgress writes the states a scope goes through and reads each
// back: the destination always holds the latest.
func testStatusProgress(t *testing.T, d StatusDestination) {
	ctx := ctxFor(t)
	sc, sts := statusFixture("scope_p")
	// Start: nothing started.
	start := sc
	start.Entities = make([]ferry.ScopeEntity, len(sc.Entities))
	for i, e := range sc.Entities {
		start.Entities[i] = ferry.ScopeEntity{Config: e.Config, Provider: e.Provider, Entity: e.Entity, Project: e.Project}
	}
	start.State, start.Counts = ferry.Aggregate(start.Entities)
	start.LastFailedAt = time.Time{}
	if err := d.WriteStatus(ctx, &start, nil); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, d, start, nil)
	// Two entities syncing.
	mid := start
	mid.Entities = append([]ferry.ScopeEntity(nil), start.Entities...)
	var midSts []ferry.SyncStatus
	for i := range 2 {
		mid.Entities[i].State, mid.Entities[i].StatusID, mid.Entities[i].StartedAt = ferry.StatusSyncing, sts[i].ID, ptime(t0)
		st := sts[i]
		st.State, st.At, st.ErrorCode, st.Error = ferry.StatusSyncing, t0, "", ""
		midSts = append(midSts, st)
	}
	mid.State, mid.Counts = ferry.Aggregate(mid.Entities)
	if err := d.WriteStatus(ctx, &mid, midSts); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, d, mid, midSts)
	// Final: one synced, one failed, one never started, interrupted.
	end := sc
	end.State, end.Error = ferry.ScopeInterrupted, "the process running it (pid 1 on host) is gone"
	if err := d.WriteStatus(ctx, &end, sts); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, d, end, sts)
}

func testStatusReplay(t *testing.T, d StatusDestination) {
	sc, sts := statusFixture("scope_r")
	for range 3 {
		if err := d.WriteStatus(ctxFor(t), &sc, sts); err != nil {
			t.Fatal(err)
		}
	}
	checkStatus(t, d, sc, sts)
	// Status rows alone (no scope) update just those rows.
	st := sts[1]
	st.State, st.ErrorCode, st.Error, st.At = ferry.StatusSynced, "", "", t2
	if err := d.WriteStatus(ctxFor(t), nil, []ferry.SyncStatus{st}); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, d, sc, []ferry.SyncStatus{sts[0], st})
}

func testStatusDelete(t *testing.T, d StatusDestination) {
	ctx := ctxFor(t)
	a, aSts := statusFixture("scope_d1")
	b, bSts := statusFixture("scope_d2")
	for _, w := range []struct {
		sc  *ferry.Scope
		sts []ferry.SyncStatus
	}{{&a, aSts}, {&b, bSts}} {
		if err := d.WriteStatus(ctx, w.sc, w.sts); err != nil {
			t.Fatal(err)
		}
	}
	// One status row.
	if err := d.DeleteStatus(ctx, "", []string{aSts[0].ID}); err != nil {
		t.Fatalf("DeleteStatus(row): %v", err)
	}
	checkStatus(t, d, a, aSts[1:])
	checkStatus(t, d, b, bSts)
	// A whole scope instance: its row and all its status rows.
	if err := d.DeleteStatus(ctx, a.ID, nil); err != nil {
		t.Fatalf("DeleteStatus(scope): %v", err)
	}
	_, sts, ok, err := d.ReadStatus(ctx, a.ID)
	if err != nil || ok || len(sts) != 0 {
		t.Errorf("after deleting %s: ok %v, %d status rows, err %v", a.ID, ok, len(sts), err)
	}
	checkStatus(t, d, b, bSts)
}

func testStatusMissing(t *testing.T, d StatusDestination) {
	ctx := ctxFor(t)
	// On a fresh destination: no tables yet.
	if _, sts, ok, err := d.ReadStatus(ctx, "scope_none"); err != nil || ok || len(sts) != 0 {
		t.Fatalf("ReadStatus on a fresh destination: ok %v, %d rows, err %v", ok, len(sts), err)
	}
	if err := d.DeleteStatus(ctx, "scope_none", []string{"sst_none"}); err != nil {
		t.Fatalf("DeleteStatus of missing rows: %v", err)
	}
}

// testStatusQuotedValues writes values that break SQL built by formatting.
func testStatusQuotedValues(t *testing.T, d StatusDestination) {
	id := `scope_'; DROP TABLE x; --`
	sc, sts := statusFixture(id)
	sc.Name = `na"me'`
	sc.Error = `it's "broken"; -- \ $1 ?`
	sts[1].Error = `Robert'); DROP TABLE "ferry_sync_status";--`
	if err := d.WriteStatus(ctxFor(t), &sc, sts); err != nil {
		t.Fatal(err)
	}
	checkStatus(t, d, sc, sts)
}

// testStatusConcurrent writes many scope instances from several goroutines
// (the scopes of several processes share one destination).
func testStatusConcurrent(t *testing.T, d StatusDestination) {
	ctx := ctxFor(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			sc, sts := statusFixture("scope_c" + string(rune('a'+i)))
			for range 5 {
				if err := d.WriteStatus(ctx, &sc, sts); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range n {
		sc, sts := statusFixture("scope_c" + string(rune('a'+i)))
		checkStatus(t, d, sc, sts)
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// scopeConfig declares three syncs, a connection with a revoked key and a
// sync through it, and the billing scope.
func (e *env) scopeConfig(dsn string) string {
	return fmt.Sprintf(`projects:
  - {name: warehouse, database: %q}
connections:
  - {name: stripe, provider: stripe, api_key: sk_test_ferry, base_url: %q, rate_limit: 1000}
  - {name: revoked, provider: stripe, api_key: sk_test_revoked_000000, base_url: %q, rate_limit: 1000}
syncs:
  - {name: customers, connection: stripe, object: customers, project: warehouse, table: stripe_customers}
  - {name: invoices, connection: stripe, object: invoices, project: warehouse, table: stripe_invoices}
  - {name: subscriptions, connection: stripe, object: subscriptions, project: warehouse, table: stripe_subscriptions}
  - {name: products, connection: revoked, object: products, project: warehouse, table: stripe_products}
scopes:
  - name: billing
    syncs: [customers, invoices, subscriptions]
`, dsn, e.url, e.url)
}

func scopeOf(t *testing.T, out string) scopeView {
	t.Helper()
	var v scopeView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not a scope: %v\n%s", err, out)
	}
	return v
}

// destStatus reads a scope instance from the destination's status tables.
func destStatus(t *testing.T, dsn, id string) (ferry.Scope, []ferry.SyncStatus, bool) {
	t.Helper()
	ctx := context.Background()
	d, err := app.OpenDestination(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sc, sts, ok, err := d.(database.StatusReader).ReadStatus(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return sc, sts, ok
}

func TestScopeRunsSyncsAsOneUnit(t *testing.T) {
	t.Parallel()
	for _, dest := range []string{"sqlite", "postgres"} {
		t.Run(dest, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fake.Config{Seed: 21, Counts: map[string]int{"customers": 300, "invoices": 200, "subscriptions": 100, "products": 10}})
			dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
			if dest == "postgres" {
				dsn = pgtest.DB(t)
			}
			e.mustFerry("apply", "-f", e.file("ferry.yaml", e.scopeConfig(dsn)), "--offline")

			// The declared scope: every sync succeeds.
			ok := scopeOf(t, e.mustFerry("scope", "start", "billing", "--json"))
			if ok.State != "synced" || ok.Synced != 3 || ok.Failed+ok.Syncing+ok.NotStarted != 0 || ok.LastSyncedAt == nil || ok.LastFailedAt != nil {
				t.Fatalf("declared scope: %+v", ok)
			}
			for _, d := range ok.Details {
				if d.State != ferry.StatusSynced || d.RunID == "" || d.StatusID == "" || d.Provider != "stripe" {
					t.Errorf("detail: %+v", d)
				}
			}
			sc, sts, found := destStatus(t, dsn, ok.ID)
			if !found || sc.State != ferry.ScopeSynced || sc.Counts.Synced != 3 || len(sts) != 3 || sc.LastSyncedAt.IsZero() {
				t.Fatalf("destination after synced scope: %+v %+v", sc, sts)
			}
			for _, st := range sts {
				if st.State != ferry.StatusSynced || st.RunID == "" || st.Entity != st.Config {
					t.Errorf("destination status: %+v", st)
				}
			}

			// An ad hoc scope with a sync whose key was revoked: failed,
			// exit code of the failure, details say why.
			out, errs, code := e.ferry("scope", "start", "adhoc", "--syncs", "customers,products", "--json")
			if code != 5 {
				t.Fatalf("failing scope: exit %d, want 5\n%s%s", code, out, errs)
			}
			bad := scopeOf(t, out)
			if bad.State != "failed" || bad.Synced != 1 || bad.Failed != 1 || bad.LastFailedAt == nil || bad.LastSyncedAt != nil {
				t.Fatalf("failing scope: %+v", bad)
			}
			prod := bad.Details[1]
			if prod.Config != "products" || prod.State != ferry.StatusFailed || prod.ErrorCode != ferry.EUNAUTHORIZED || prod.Error == "" {
				t.Errorf("failure details: %+v", prod)
			}
			if strings.Contains(out+errs, "sk_test_revoked_000000") {
				t.Errorf("output prints the API key")
			}
			sc, sts, _ = destStatus(t, dsn, bad.ID)
			if sc.State != ferry.ScopeFailed || sc.Counts.Failed != 1 || len(sts) != 2 || sc.Entities[1].ErrorCode != ferry.EUNAUTHORIZED {
				t.Fatalf("destination after failed scope: %+v %+v", sc, sts)
			}

			// list, show, status delete, delete.
			var list []scopeView
			if err := json.Unmarshal([]byte(e.mustFerry("scope", "list", "--json")), &list); err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].ID != bad.ID {
				t.Fatalf("list: %+v", list)
			}
			var show struct {
				scopeView
				Statuses []statusView `json:"statuses"`
			}
			if err := json.Unmarshal([]byte(e.mustFerry("scope", "show", bad.ID, "--json")), &show); err != nil {
				t.Fatal(err)
			}
			if len(show.Statuses) != 2 || show.Statuses[1].State != ferry.StatusFailed || show.Statuses[1].Error == "" {
				t.Fatalf("show: %+v", show)
			}
			if text := e.mustFerry("scope", "show", bad.ID); !strings.Contains(text, "failed") || !strings.Contains(text, "products") {
				t.Errorf("show text:\n%s", text)
			}
			e.mustFerry("scope", "status", "delete", show.Statuses[0].ID)
			if _, sts, _ := destStatus(t, dsn, bad.ID); len(sts) != 1 || sts[0].Config != "products" {
				t.Errorf("destination after status delete: %+v", sts)
			}
			_, errs, code = e.ferry("scope", "status", "delete", show.Statuses[0].ID)
			if code != 3 {
				t.Errorf("deleting a deleted status: exit %d\n%s", code, errs)
			}
			e.mustFerry("scope", "delete", bad.ID, "--json")
			if _, sts, found := destStatus(t, dsn, bad.ID); found || len(sts) != 0 {
				t.Errorf("destination still has the deleted scope: %v %+v", found, sts)
			}
			_, _, code = e.ferry("scope", "show", bad.ID)
			if code != 3 {
				t.Errorf("show of a deleted scope: exit %d, want 3", code)
			}
			// Undeclared scope without --syncs: told how to fix it.
			_, errs, code = e.ferry("scope", "start", "nope")
			if code != 3 || !strings.Contains(errs, "--syncs") {
				t.Errorf("undeclared scope: exit %d\n%s", code, errs)
			}
		})
	}
}

// startScope starts `ferry scope start` in the real binary and returns once
// it has committed n batches, mid-sync (see startMidRun).
func (e *env) startScope(t *testing.T, n int, args ...string) *exec.Cmd {
	t.Helper()
	return e.startMidRun(t, n, append([]string{"scope", "start"}, args...)...)
}

// TestScopeInterruptedAfterKill: while a scope runs it cannot be started
// again; kill -9 leaves it interrupted (in the control state and in the
// destination), and it can then be started again and finishes.
func TestScopeInterruptedAfterKill(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 22, Counts: map[string]int{"customers": 12000, "invoices": 50, "subscriptions": 50}, Latency: 2 * time.Millisecond})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.scopeConfig(dsn)), "--offline")

	cmd := e.startScope(t, 2, "billing", "--parallel", "1")
	var running []scopeView
	if err := json.Unmarshal([]byte(e.mustFerry("scope", "list", "--json")), &running); err != nil {
		t.Fatal(err)
	}
	if len(running) != 1 || running[0].State != "syncing" || running[0].Syncing != 1 || running[0].NotStarted != 2 {
		t.Fatalf("running scope: %+v", running)
	}
	id := running[0].ID
	if sc, _, _ := destStatus(t, dsn, id); sc.State != ferry.ScopeSyncing || sc.Counts.Syncing != 1 || sc.Counts.NotStarted != 2 {
		t.Errorf("destination while running: %+v", sc)
	}
	// Cannot start while running: the refusal names the instance.
	_, errs, code := e.ferry("scope", "start", "billing")
	if code != 4 || !strings.Contains(errs, id) || !strings.Contains(errs, "already running") {
		t.Fatalf("second start while running: exit %d\n%s", code, errs)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	var after []scopeView
	if err := json.Unmarshal([]byte(e.mustFerry("scope", "list", "--json")), &after); err != nil {
		t.Fatal(err)
	}
	got := after[0]
	if got.ID != id || got.State != "interrupted" || got.Failed != 1 || got.NotStarted != 2 || got.Syncing != 0 || !strings.Contains(got.Error, "is gone") {
		t.Fatalf("after kill: %+v", got)
	}
	if d := got.Details[0]; d.State != ferry.StatusFailed || d.ErrorCode != "interrupted" {
		t.Errorf("killed entity details: %+v", d)
	}
	sc, sts, _ := destStatus(t, dsn, id)
	if sc.State != ferry.ScopeInterrupted || sc.Counts.Failed != 1 || sc.Counts.NotStarted != 2 || len(sts) != 1 || sts[0].State != ferry.StatusFailed {
		t.Errorf("destination after kill: %+v %+v", sc, sts)
	}

	// Start again: a new instance, which finishes (customers resumes from
	// its checkpoint).
	e.resume()
	again := scopeOf(t, e.mustFerry("scope", "start", "billing", "--json"))
	if again.ID == id || again.State != "synced" || again.Synced != 3 || again.LastFailedAt == nil {
		t.Fatalf("restart: %+v", again)
	}
}

// TestScopeStopIsInterrupted: Ctrl-C stops the runs and leaves the scope
// interrupted.
func TestScopeStopIsInterrupted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 23, Counts: map[string]int{"customers": 12000, "invoices": 50, "subscriptions": 50}, Latency: 2 * time.Millisecond})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.scopeConfig(dsn)), "--offline")
	cmd := e.startScope(t, 1, "billing", "--parallel", "1")
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("scope start after Ctrl-C: %v, want exit 130", err)
	}
	var list []scopeView
	if err := json.Unmarshal([]byte(e.mustFerry("scope", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].State != "interrupted" || list[0].NotStarted != 2 {
		t.Fatalf("after Ctrl-C: %+v", list)
	}
}

// TestScopeConcurrentStart: two processes start the same scope at the same
// instant; exactly one runs it, the other is refused naming it.
func TestScopeConcurrentStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 24, Counts: map[string]int{"customers": 3000, "invoices": 50, "subscriptions": 50}, Latency: 2 * time.Millisecond})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.scopeConfig(dsn)), "--offline")
	bin := ferryBinary(t)
	type result struct {
		code      int
		out, errs string
	}
	results := make([]result, 2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			cmd := exec.Command(bin, "--state", e.state, "scope", "start", "billing", "--json")
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			<-start
			err := cmd.Run()
			results[i] = result{code: cmd.ProcessState.ExitCode(), out: out.String(), errs: errb.String()}
			if err != nil && cmd.ProcessState == nil {
				results[i].code = -1
			}
		})
	}
	close(start)
	wg.Wait()
	var won, lost []result
	for _, r := range results {
		switch r.code {
		case 0:
			won = append(won, r)
		case 4:
			lost = append(lost, r)
		default:
			t.Fatalf("exit %d\n%s%s", r.code, r.out, r.errs)
		}
	}
	if len(won) != 1 || len(lost) != 1 {
		t.Fatalf("%d won, %d refused: %+v", len(won), len(lost), results)
	}
	winner := scopeOf(t, won[0].out)
	if winner.State != "synced" || !strings.Contains(lost[0].errs, winner.ID) {
		t.Errorf("winner %+v; refusal: %s", winner, lost[0].errs)
	}
	var list []scopeView
	if err := json.Unmarshal([]byte(e.mustFerry("scope", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Errorf("%d instances, want 1", len(list))
	}
}

// TestScopeSyncAlreadyRunning: a sync whose configuration already has a run
// fails in the scope with that run's id; with --queue it waits for it.
func TestScopeSyncAlreadyRunning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 25, Counts: map[string]int{"customers": 200, "invoices": 20, "subscriptions": 20}})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.scopeConfig(dsn)), "--offline")
	// A run of customers held by this (live) process, as a scheduled run
	// of another process would be.
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{State: e.state})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	held := &ferry.Run{Config: "customers", Status: ferry.RunRunning, Host: hostnameOf(t), PID: os.Getpid()}
	if err := a.Store().CreateRun(ctx, held); err != nil {
		t.Fatal(err)
	}
	out, errs, code := e.ferry("scope", "start", "adhoc", "--syncs", "customers,invoices", "--json")
	if code != 4 {
		t.Fatalf("scope with a running sync: exit %d, want 4\n%s%s", code, out, errs)
	}
	sc := scopeOf(t, out)
	if sc.State != "failed" || sc.Synced != 1 || sc.Failed != 1 || !strings.Contains(sc.Details[0].Error, held.ID) || sc.Details[0].ErrorCode != ferry.ECONFLICT {
		t.Fatalf("scope: %+v", sc)
	}
	// --queue: the scope waits until the held run ends.
	go func() {
		time.Sleep(time.Second)
		held.Status = ferry.RunSucceeded
		_ = a.Store().UpdateRun(ctx, held)
	}()
	queued := scopeOf(t, e.mustFerry("scope", "start", "adhoc", "--syncs", "customers,invoices", "--queue", "--json"))
	if queued.State != "synced" || queued.Synced != 2 || queued.Details[0].RunID == held.ID {
		t.Fatalf("queued scope: %+v", queued)
	}
}

func hostnameOf(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

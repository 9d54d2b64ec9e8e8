package api_test

import (
	"strings"
	"testing"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/api"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

func TestPauseResumeAndStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 10, Counts: map[string]int{"customers": 50}}})
	e.declare(sqliteDSN(t, e.dir), "full")

	var st struct {
		Syncs []struct {
			Name     string `json:"name"`
			Active   bool   `json:"active"`
			PausedBy string `json:"paused_by"`
			Schedule string `json:"schedule"`
		} `json:"syncs"`
	}
	e.must(read, "GET", "/api/v1/status", nil, 200, &st)
	if len(st.Syncs) != 1 || !st.Syncs[0].Active {
		t.Fatalf("status: %+v", st)
	}
	e.wantError(read, "POST", "/api/v1/projects/warehouse/pause", nil, 403, ferry.EFORBIDDEN)

	for _, tc := range []struct{ tier, path string }{
		{"project", "/api/v1/projects/warehouse"},
		{"sync", "/api/v1/syncs/customers"},
	} {
		var pr api.PauseResult
		e.must(run, "POST", tc.path+"/pause", nil, 200, &pr)
		if pr.Tier != tc.tier || pr.Active {
			t.Errorf("pause %s: %+v", tc.tier, pr)
		}
		e.must(read, "GET", "/api/v1/status", nil, 200, &st)
		if st.Syncs[0].Active || st.Syncs[0].PausedBy != tc.tier {
			t.Errorf("status after pausing the %s: %+v", tc.tier, st.Syncs[0])
		}
		e.wantError(run, "POST", "/api/v1/syncs/customers/runs", nil, 409, ferry.ECONFLICT, "paused")
		e.must(run, "POST", tc.path+"/resume", nil, 200, &pr)
		if !pr.Active {
			t.Errorf("resume %s: %+v", tc.tier, pr)
		}
	}
	e.wantError(run, "POST", "/api/v1/projects/nope/pause", nil, 404, ferry.ENOTFOUND)
	e.wantError(run, "POST", "/api/v1/syncs/customers/schedule/pause", nil, 404, ferry.ENOTFOUND, "no schedule")

	// A schedule, declared like YAML declares it, paused and resumed.
	e.must(admin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
		"table": "stripe_customers", "strategy": "full", "schedule": "0 3 * * *", "timezone": "Europe/Paris"}, 200, nil)
	var sb struct {
		Sync api.Sync `json:"sync"`
	}
	e.must(read, "GET", "/api/v1/syncs/customers", nil, 200, &sb)
	if sb.Sync.Schedule == nil || sb.Sync.Schedule.Spec != "0 3 * * *" || sb.Sync.Schedule.Timezone != "Europe/Paris" || sb.Sync.Schedule.NextRunAt == nil {
		t.Fatalf("sync schedule: %+v", sb.Sync.Schedule)
	}
	e.wantError(admin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
		"table": "stripe_customers", "schedule": "at teatime"}, 400, ferry.EINVALID, "teatime")
	e.must(run, "POST", "/api/v1/syncs/customers/schedule/pause", nil, 200, nil)
	e.must(read, "GET", "/api/v1/syncs/customers", nil, 200, &sb)
	if sb.Sync.Schedule.Active {
		t.Errorf("schedule still active after pause")
	}
	e.must(run, "POST", "/api/v1/syncs/customers/schedule/resume", nil, 200, nil)

	// Pausing with cancel_running cancels the active run.
	var rb runBody
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	var pr api.PauseResult
	e.must(run, "POST", "/api/v1/syncs/customers/pause?cancel_running=true", nil, 200, &pr)
	if r := e.wait(rb.Run.ID); len(pr.CancelledRuns) == 1 && r.Status != "cancelled" {
		t.Errorf("run after pause --cancel-running: %+v (%+v)", r, pr)
	}
	e.noSecrets(apiKey)
}

func TestScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 11, Counts: map[string]int{"customers": 40, "products": 10}}})
	e.declare(sqliteDSN(t, e.dir), "full")
	e.must(admin, "PUT", "/api/v1/syncs/products", map[string]any{"connection": "stripe", "object": "products", "project": "warehouse", "table": "stripe_products"}, 201, nil)

	e.wantError(admin, "PUT", "/api/v1/scopes/billing", map[string]any{"syncs": []string{"customers", "nope"}}, 400, ferry.EINVALID, "nope")
	e.must(admin, "PUT", "/api/v1/scopes/billing", map[string]any{"syncs": []string{"customers", "products"}}, 200, nil)
	e.wantError(read, "POST", "/api/v1/scopes/billing/start", nil, 403, ferry.EFORBIDDEN)
	e.wantError(run, "POST", "/api/v1/scopes/nope/start", nil, 404, ferry.ENOTFOUND)

	var started struct {
		Scope api.Scope `json:"scope"`
	}
	e.must(run, "POST", "/api/v1/scopes/billing/start", nil, 202, &started)
	if started.Scope.ID == "" || started.Scope.Name != "billing" || len(started.Scope.Entities) != 2 {
		t.Fatalf("started scope: %+v", started.Scope)
	}
	var detail struct {
		Scope    api.Scope        `json:"scope"`
		Statuses []api.SyncStatus `json:"statuses"`
	}
	for i := 0; ; i++ {
		e.must(read, "GET", "/api/v1/scopes/"+started.Scope.ID, nil, 200, &detail)
		if detail.Scope.State != "syncing" {
			break
		}
		if i > 3000 {
			t.Fatalf("scope still syncing: %+v", detail.Scope)
		}
		waitABit()
	}
	if detail.Scope.State != "synced" || len(detail.Statuses) != 2 || detail.Scope.Counts.Synced != 2 {
		t.Fatalf("scope: %+v statuses %+v", detail.Scope, detail.Statuses)
	}
	for _, s := range detail.Statuses {
		if s.State != "synced" || s.RunID == "" || !strings.HasPrefix(s.RunID, "run_") {
			t.Errorf("status row: %+v", s)
		}
	}
	var list struct {
		Scopes []api.Scope `json:"scopes"`
	}
	e.must(read, "GET", "/api/v1/scopes?name=billing", nil, 200, &list)
	if len(list.Scopes) != 1 || list.Scopes[0].ID != started.Scope.ID {
		t.Errorf("scopes: %+v", list.Scopes)
	}
	e.wantError(read, "GET", "/api/v1/scopes/scope_missing", nil, 404, ferry.ENOTFOUND)
}

package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/api"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

const (
	read  = store.ScopeRead
	run   = store.ScopeRun
	admin = store.ScopeAdmin
)

func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 1, Counts: map[string]int{"customers": 30}}})
	e.declare(sqliteDSN(t, e.dir), "full")

	// No token, a malformed header, an unknown token: 401 in the one shape.
	e.wantError("", "GET", "/api/v1/projects", nil, 401, ferry.EUNAUTHORIZED, "Authorization: Bearer")
	for _, h := range []string{"Basic Zm9vOmJhcg==", "Bearer ", "Bearer ferry_nope", "Bearer " + e.tokens[read] + "x"} {
		req, _ := http.NewRequest("GET", e.api.URL+"/api/v1/projects", nil)
		req.Header.Set("Authorization", h)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var shape map[string]map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&shape)
		resp.Body.Close()
		if resp.StatusCode != 401 || shape["error"]["code"] != "unauthorized" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d %v", h, resp.StatusCode, shape)
		}
	}

	// read < run < admin.
	e.must(read, "GET", "/api/v1/syncs", nil, 200, nil)
	e.wantError(read, "POST", "/api/v1/syncs/customers/runs", nil, 403, ferry.EFORBIDDEN, "scope read", "needs scope run")
	e.wantError(read, "PUT", "/api/v1/projects/other", map[string]any{"database": sqliteDSN(t, e.dir)}, 403, ferry.EFORBIDDEN)
	e.wantError(run, "PUT", "/api/v1/projects/other", map[string]any{"database": sqliteDSN(t, e.dir)}, 403, ferry.EFORBIDDEN, "needs scope admin")
	e.wantError(run, "DELETE", "/api/v1/syncs/customers", nil, 403, ferry.EFORBIDDEN)
	e.wantError(read, "POST", "/api/v1/runs/run_x/retry", nil, 403, ferry.EFORBIDDEN)
	e.wantError(read, "POST", "/api/v1/runs/run_x/cancel", nil, 403, ferry.EFORBIDDEN)
	var rb runBody
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	e.wait(rb.Run.ID)

	// The records API over a SQLite destination: a soft delete shows.
	gone := e.srv.LiveIDs("customers")[3]
	if err := e.srv.Delete("customers", gone); err != nil {
		t.Fatal(err)
	}
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	if r := e.wait(rb.Run.ID); r.Counts.Deleted != 1 {
		t.Fatalf("second run: %+v", r)
	}
	recs := e.walk("limit=7", nil)
	deleted := 0
	for _, r := range recs {
		if r.Deleted {
			deleted++
			if r.ID != gone || r.DeletedAt == nil {
				t.Errorf("deleted record %+v, want %s", r, gone)
			}
		}
	}
	if len(recs) != 30 || deleted != 1 {
		t.Errorf("records: %d, %d deleted; want 30, 1", len(recs), deleted)
	}

	// A revoked token fails at once.
	toks, err := e.app.Store().ListTokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.Scope == store.ScopeAdmin {
			if tok.LastUsedAt.IsZero() {
				t.Error("the admin token's last use is not recorded")
			}
			if _, err := e.app.Store().RevokeToken(t.Context(), tok.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.wantError(admin, "GET", "/api/v1/projects", nil, 401, ferry.EUNAUTHORIZED, "revoked")
	e.noSecrets(apiKey)
}

func TestDeclareAndRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 2, Counts: map[string]int{"customers": 10}}})
	dsn := sqliteDSN(t, e.dir)
	e.declare(dsn, "incremental")

	// PUT again: unchanged; with a change: updated, naming the fields.
	var pb struct {
		Project api.Project `json:"project"`
		Change  api.Change  `json:"change"`
	}
	e.must(admin, "PUT", "/api/v1/projects/warehouse", map[string]any{"database": dsn}, 200, &pb)
	if pb.Change.Action != "unchanged" || pb.Project.Database != dsn || !pb.Project.Active {
		t.Errorf("PUT unchanged project: %+v", pb)
	}
	// The DSN is write-only: omitting it keeps it; pausing is an update.
	e.must(admin, "PUT", "/api/v1/projects/warehouse", map[string]any{"active": false}, 200, &pb)
	if pb.Change.Action != "updated" || fmt.Sprint(pb.Change.Fields) != "[active]" || pb.Project.Active {
		t.Errorf("PUT paused project: %+v", pb)
	}
	e.wantError(admin, "PUT", "/api/v1/projects/fresh", map[string]any{}, 400, ferry.EINVALID, "no database")
	// An unreachable database is named by its address, never its password.
	e.wantError(admin, "PUT", "/api/v1/projects/fresh", map[string]any{"database": "postgres://app:pw_do_not_show_41@127.0.0.1:1/app"}, 400, ferry.EINVALID, "127.0.0.1:1")

	var cb struct {
		Connection api.Connection `json:"connection"`
		Change     api.Change     `json:"change"`
	}
	e.must(admin, "PUT", "/api/v1/connections/stripe", map[string]any{"provider": "stripe", "base_url": e.url, "rate_limit": 500}, 200, &cb)
	if cb.Change.Action != "updated" || fmt.Sprint(cb.Change.Fields) != "[rate_limit]" || !cb.Connection.APIKeySet {
		t.Errorf("PUT connection keeping its key: %+v", cb)
	}
	// The same checks as ferry apply: a rejected key, an unknown provider.
	e.wantError(admin, "PUT", "/api/v1/connections/stripe", map[string]any{"provider": "stripe", "api_key": "sk_test_wrong_key_123456", "base_url": e.url}, 400, ferry.EINVALID, "connection stripe", "Invalid API Key")
	e.wantError(admin, "PUT", "/api/v1/connections/other", map[string]any{"provider": "strpe", "api_key": "x"}, 400, ferry.EINVALID, `unknown provider "strpe"`)
	e.must(admin, "PUT", "/api/v1/connections/offline", map[string]any{"provider": "stripe", "api_key": "sk_test_not_checked", "base_url": "http://127.0.0.1:1"}, 400, nil)
	e.must(admin, "PUT", "/api/v1/connections/offline?skip_checks=true", map[string]any{"provider": "stripe", "api_key": "sk_test_not_checked", "base_url": "http://127.0.0.1:1"}, 201, nil)

	var sb struct {
		Sync   api.Sync   `json:"sync"`
		Change api.Change `json:"change"`
	}
	e.must(read, "GET", "/api/v1/syncs/customers", nil, 200, &sb)
	if sb.Sync.Strategy != "incremental" || sb.Sync.Direction != "one-way" || sb.Sync.Rename["email"] != "email_address" || !sb.Sync.Active {
		t.Errorf("GET sync: %+v", sb.Sync)
	}
	// The same validation as ferry apply, with the same messages (no file position).
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string
	}{
		{"unknown object", map[string]any{"object": "custmers"}, []string{`no object "custmers"`, "customers, products"}},
		{"unknown field", map[string]any{"fields": []string{"id", "nmae"}}, []string{`no field "nmae"`, "valid: id,"}},
		{"bad strategy", map[string]any{"strategy": "sometimes"}, []string{`unknown strategy "sometimes"`}},
		{"full_every without incremental", map[string]any{"strategy": "full", "full_every": 3}, []string{"full_every needs strategy: incremental"}},
		{"missing project", map[string]any{"project": "nope"}, []string{`project "nope" is not declared here or applied before`}},
		{"two-way", map[string]any{"direction": "two-way"}, []string{"two-way is not available yet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse", "table": "t"}
			for k, v := range tc.body {
				body[k] = v
			}
			msg := e.wantError(admin, "PUT", "/api/v1/syncs/bad", body, 400, ferry.EINVALID, tc.want...)
			if strings.Contains(msg, ":0:") || strings.Contains(msg, "\x00") {
				t.Errorf("message carries a file position: %q", msg)
			}
		})
	}
	e.wantError(read, "GET", "/api/v1/syncs/bad", nil, 404, ferry.ENOTFOUND, `"bad" does not exist`)
	e.must(admin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
		"table": "stripe_customers", "fields": []string{"id", "email", "name", "created", "metadata", "phone"}, "rename": map[string]string{"email": "email_address"},
		"strategy": "incremental", "full_every": 5}, 200, &sb)
	if sb.Change.Action != "updated" || fmt.Sprint(sb.Change.Fields) != "[fields full_every]" {
		t.Errorf("PUT changed sync: %+v", sb.Change)
	}

	var lists struct {
		Projects    []api.Project    `json:"projects"`
		Connections []api.Connection `json:"connections"`
		Syncs       []api.Sync       `json:"syncs"`
	}
	e.must(read, "GET", "/api/v1/projects", nil, 200, &lists)
	e.must(read, "GET", "/api/v1/connections", nil, 200, &lists)
	e.must(read, "GET", "/api/v1/syncs", nil, 200, &lists)
	if len(lists.Projects) != 1 || len(lists.Connections) != 2 || len(lists.Syncs) != 1 {
		t.Errorf("lists: %+v", lists)
	}
	e.must(read, "GET", "/api/v1/connections/stripe", nil, 200, nil)
	e.must(read, "GET", "/api/v1/projects/warehouse", nil, 200, nil)

	// Deletes: refused while used, then allowed.
	e.wantError(admin, "DELETE", "/api/v1/projects/warehouse", nil, 409, ferry.ECONFLICT, "customers")
	e.wantError(admin, "DELETE", "/api/v1/connections/stripe", nil, 409, ferry.ECONFLICT, "customers")
	e.must(admin, "DELETE", "/api/v1/syncs/customers", nil, 204, nil)
	e.must(admin, "DELETE", "/api/v1/connections/offline", nil, 204, nil)
	e.must(admin, "DELETE", "/api/v1/connections/stripe", nil, 204, nil)
	e.must(admin, "DELETE", "/api/v1/projects/warehouse", nil, 204, nil)
	e.wantError(admin, "DELETE", "/api/v1/projects/warehouse", nil, 404, ferry.ENOTFOUND)
	e.noSecrets(apiKey, "sk_test_not_checked", "sk_test_wrong_key_123456", "pw_do_not_show_41")
}

func TestErrorShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 3}})
	e.wantError(read, "GET", "/api/v1/nothing", nil, 404, ferry.ENOTFOUND, "/openapi.json")
	e.wantError(read, "GET", "/api/v1/runs/run_missing", nil, 404, ferry.ENOTFOUND, "run_missing")
	e.wantError(read, "GET", "/api/v1/runs?limit=0", nil, 422, ferry.EINVALID, "limit")
	e.wantError(read, "GET", "/api/v1/runs?status=sleeping", nil, 422, ferry.EINVALID, "status")
	e.wantError(read, "GET", "/api/v1/runs?cursor=bm9wZQ", nil, 400, ferry.EINVALID, "cursor")
	e.wantError(admin, "PUT", "/api/v1/projects/p", "{not json", 400, ferry.EINVALID)
	e.wantError(admin, "PUT", "/api/v1/projects/p", map[string]any{"database": 42}, 422, ferry.EINVALID, "database")
	e.wantError(admin, "PUT", "/api/v1/projects/Bad%20Name", map[string]any{"database": "sqlite:///tmp/x.db"}, 400, ferry.EINVALID, "lowercase letters")
	e.wantError(run, "POST", "/api/v1/syncs/nope/runs", nil, 404, ferry.ENOTFOUND, "nope")
	e.wantError(read, "GET", "/api/v1/syncs/nope/records", nil, 404, ferry.ENOTFOUND)
}

func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 4}})
	resp, err := http.Get(e.api.URL + "/openapi.json") // no token needed
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Components.SecuritySchemes["bearer"] == nil || doc.Components.Schemas["Error"] == nil {
		t.Errorf("openapi %q, security %v, schemas %d", doc.OpenAPI, doc.Components.SecuritySchemes, len(doc.Components.Schemas))
	}
	for _, p := range []string{"/api/v1/projects", "/api/v1/projects/{name}", "/api/v1/connections/{name}", "/api/v1/syncs/{name}",
		"/api/v1/runs", "/api/v1/runs/{id}", "/api/v1/runs/{id}/batches", "/api/v1/runs/{id}/errors", "/api/v1/syncs/{name}/runs",
		"/api/v1/runs/{id}/cancel", "/api/v1/runs/{id}/retry", "/api/v1/syncs/{name}/records"} {
		if doc.Paths[p] == nil {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	// Secrets are write-only in the schema.
	b, _ := json.Marshal(doc.Components.Schemas)
	if !strings.Contains(string(b), `"writeOnly":true`) {
		t.Error("no writeOnly secret in the schemas")
	}
}

func TestRunsEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 5, Counts: map[string]int{"customers": 1200}}})
	dsn := pgtest.DB(t)
	dsn = strings.Replace(dsn, "postgres://ferry@", "postgres://ferry:pg_pass_7c1e55@", 1) // trust auth ignores it; it must never show
	e.declare(dsn, "incremental")

	var rb runBody
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	if rb.Run.ID == "" || rb.Run.Sync != "customers" {
		t.Fatalf("sync now: %+v", rb.Run)
	}
	// One run at a time.
	second, b := e.do(run, "POST", "/api/v1/syncs/customers/runs", nil)
	first := e.wait(rb.Run.ID)
	if first.Status != "succeeded" || first.Counts.Inserted != 1200 || first.Batches == 0 || first.FinishedAt == nil {
		t.Fatalf("first run: %+v", first)
	}
	if second != 409 && second != 202 { // 202 only if the first run ended meanwhile
		t.Errorf("a second sync now: %d %s", second, b)
	}
	if second == 202 {
		var r2 runBody
		_ = json.Unmarshal(b, &r2)
		e.wait(r2.Run.ID)
	}

	var batches struct {
		Batches []api.Batch `json:"batches"`
	}
	e.must(read, "GET", "/api/v1/runs/"+first.ID+"/batches", nil, 200, &batches)
	var sum int64
	for _, b := range batches.Batches {
		sum += b.Counts.Inserted
	}
	if int64(len(batches.Batches)) != first.Batches || sum != 1200 {
		t.Errorf("batch log: %d batches inserting %d, run says %d batches", len(batches.Batches), sum, first.Batches)
	}
	var errs struct {
		Errors []api.RecordError `json:"errors"`
	}
	e.must(read, "GET", "/api/v1/runs/"+first.ID+"/errors", nil, 200, &errs)
	if errs.Errors == nil || len(errs.Errors) != 0 {
		t.Errorf("record errors: %+v", errs)
	}

	e.wantError(run, "POST", "/api/v1/runs/"+first.ID+"/retry", nil, 409, ferry.ECONFLICT, "succeeded")
	e.wantError(run, "POST", "/api/v1/runs/"+first.ID+"/cancel", nil, 409, ferry.ECONFLICT, "already succeeded")

	// A rejected key fails the next run; retry after fixing it resumes.
	e.must(admin, "PUT", "/api/v1/connections/stripe?skip_checks=true", map[string]any{"provider": "stripe", "api_key": "sk_test_rotated_0000", "base_url": e.url}, 200, nil)
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	failed := e.wait(rb.Run.ID)
	if failed.Status != "failed" || failed.ErrorCode != "unauthorized" {
		t.Fatalf("run with a rejected key: %+v", failed)
	}
	e.must(admin, "PUT", "/api/v1/connections/stripe", map[string]any{"provider": "stripe", "api_key": apiKey, "base_url": e.url}, 200, nil)
	e.must(run, "POST", "/api/v1/runs/"+failed.ID+"/retry", nil, 202, &rb)
	if retried := e.wait(rb.Run.ID); retried.Status != "succeeded" || retried.ID == failed.ID {
		t.Errorf("retried run: %+v", retried)
	}

	// List: filters and cursor pagination, newest first.
	var page struct {
		Runs       []api.Run `json:"runs"`
		NextCursor string    `json:"next_cursor"`
	}
	var all []string
	cursor := ""
	for {
		e.must(read, "GET", "/api/v1/runs?sync=customers&limit=1&cursor="+cursor, nil, 200, &page)
		for _, r := range page.Runs {
			all = append(all, r.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor, page.NextCursor = page.NextCursor, ""
	}
	if len(all) < 3 || all[len(all)-1] != first.ID {
		t.Errorf("paged runs: %v", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i] >= all[i-1] {
			t.Errorf("runs not newest first: %v", all)
		}
	}
	e.must(read, "GET", "/api/v1/runs?status=failed", nil, 200, &page)
	if len(page.Runs) != 1 || page.Runs[0].ID != failed.ID {
		t.Errorf("failed runs: %+v", page.Runs)
	}
	e.must(read, "GET", "/api/v1/runs?sync=other", nil, 200, &page)
	if len(page.Runs) != 0 {
		t.Errorf("runs of another sync: %+v", page.Runs)
	}

	// Paused: sync now is refused.
	e.must(admin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
		"table": "stripe_customers", "fields": []string{"id", "email", "name", "created", "metadata"}, "rename": map[string]string{"email": "email_address"},
		"strategy": "incremental", "active": false}, 200, nil)
	e.wantError(run, "POST", "/api/v1/syncs/customers/runs", nil, 409, ferry.ECONFLICT, "paused")

	e.must(read, "GET", "/api/v1/projects/warehouse", nil, 200, nil)

	// /metrics reads the control state: runs by status, records, batches.
	resp, err := http.Get(e.api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(mb)
	for _, want := range []string{`ferry_runs{status="failed"} 1`, `ferry_runs{status="queued"} 0`, `ferry_queue_depth 0`,
		`ferry_records_total{outcome="inserted",sync="customers"} 1200`, `ferry_batch_duration_seconds_bucket{le="+Inf"} `,
		`ferry_metrics_error 0`, "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	e.noSecrets(apiKey, "pg_pass_7c1e55", "sk_test_rotated_0000")
}

func TestCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 6, Counts: map[string]int{"customers": 20000}, Latency: 5 * 1e6}})
	e.declare(sqliteDSN(t, e.dir), "full")
	var rb runBody
	e.must(run, "POST", "/api/v1/syncs/customers/runs", nil, 202, &rb)
	var cancelled runBody
	e.must(run, "POST", "/api/v1/runs/"+rb.Run.ID+"/cancel", nil, 200, &cancelled)
	if cancelled.Run.Status != "cancelled" {
		t.Fatalf("cancelled run: %+v", cancelled.Run)
	}
	e.must(run, "POST", "/api/v1/runs/"+rb.Run.ID+"/retry", nil, 202, &rb)
	e.must(run, "POST", "/api/v1/runs/"+rb.Run.ID+"/cancel", nil, 200, nil)
}

package main

import (
	"bufio"
	"bytes"
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

	"github.com/jackc/pgx/v5"

	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is one test's Ferry: a state file, a fake Stripe and a destination.
type env struct {
	t     *testing.T
	dir   string
	state string
	srv   *fake.Server
	url   string
}

func newEnv(t *testing.T, cfg fake.Config) *env {
	t.Helper()
	dir := t.TempDir()
	srv := fake.New(cfg)
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{t: t, dir: dir, state: filepath.Join(dir, "state.db"), srv: srv, url: url}
}

// ferry runs the CLI in-process and returns stdout, stderr and the exit code.
func (e *env) ferry(args ...string) (string, string, int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), append([]string{"--state", e.state}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func (e *env) mustFerry(args ...string) string {
	e.t.Helper()
	out, errs, code := e.ferry(args...)
	if code != 0 {
		e.t.Fatalf("ferry %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func (e *env) file(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// config is a ferry.yaml for one project and the customers sync.
func (e *env) config(dsn, extra string) string {
	return fmt.Sprintf(`projects:
  - {name: warehouse, database: %q}
connections:
  - {name: stripe, provider: stripe, api_key: sk_test_ferry, base_url: %q, rate_limit: 1000}
syncs:
  - name: customers
    connection: stripe
    object: customers
    project: warehouse
    table: stripe_customers
    fields: [id, email, name, created, metadata]
    rename: {email: email_address}
    strategy: incremental
%s`, dsn, e.url, extra)
}

// rows reads a whole destination table.
func rows(t *testing.T, dsn string, table database.Table) map[string]database.StoredRow {
	t.Helper()
	ctx := context.Background()
	d, err := app.OpenDestination(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	all := map[string]database.StoredRow{}
	after := ""
	for {
		page, err := d.Rows(ctx, table, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			if _, dup := all[r.ID]; dup {
				t.Fatalf("id %s returned twice", r.ID)
			}
			all[r.ID] = r
		}
		if len(page) < 5000 {
			return all
		}
		after = page[len(page)-1].ID
	}
}

// sameLive fails unless the live rows of got are exactly the fake's live ids.
func sameLive(t *testing.T, got map[string]database.StoredRow, want []string) {
	t.Helper()
	live := 0
	for _, r := range got {
		if r.DeletedAt == nil {
			live++
		}
	}
	missing := 0
	for _, id := range want {
		if r, ok := got[id]; !ok || r.DeletedAt != nil {
			missing++
		}
	}
	if missing > 0 || live != len(want) {
		t.Fatalf("destination has %d live rows, the provider %d objects; %d of them missing", live, len(want), missing)
	}
}

var customersTable = database.Table{Name: "stripe_customers", Columns: []database.Column{
	{Name: "email_address", Type: "string", Path: "email"},
	{Name: "name", Type: "string", Path: "name"},
	{Name: "created", Type: "timestamp", Path: "created"},
	{Name: "metadata", Type: "json", Path: "metadata"},
}}

func runJSONOf(t *testing.T, out string) runView {
	t.Helper()
	var v runView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not a run: %v\n%s", err, out)
	}
	return v
}

func TestSyncFullThenIncrementalPostgres(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 7, Counts: map[string]int{"customers": 2500}, PerSecond: 7})
	dsn := pgtest.DB(t)
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.config(dsn, "")))

	first := runJSONOf(t, e.mustFerry("sync", "customers", "--json"))
	if first.Status != "succeeded" || first.Mode != "full" || first.Inserted != 2500 || first.Fetched != 2500 {
		t.Fatalf("first run: %+v", first)
	}
	sameLive(t, rows(t, dsn, customersTable), e.srv.LiveIDs("customers"))
	// Applications read the sync's state from the destination.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var state, runID, entity string
	if err := conn.QueryRow(context.Background(), `SELECT state, run_id, entity FROM ferry.sync_status WHERE id = 'sync:customers'`).Scan(&state, &runID, &entity); err != nil {
		t.Fatalf("status row: %v", err)
	}
	if state != "synced" || runID != first.ID || entity != "customers" {
		t.Errorf("status row: state %s run %s entity %s, want synced, %s, customers", state, runID, entity, first.ID)
	}

	// Changes at the provider: updates, deletes and creates.
	ids := e.srv.LiveIDs("customers")
	for _, id := range ids[:20] {
		if _, err := e.srv.Update("customers", id, map[string]any{"name": "Changed " + id}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids[20:25] {
		if err := e.srv.Delete("customers", id); err != nil {
			t.Fatal(err)
		}
	}
	var created []string
	for i := range 7 {
		c, err := e.srv.Create("customers", map[string]any{"email": fmt.Sprintf("n%d@example.com", i)})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, c["id"].(string))
	}
	second := runJSONOf(t, e.mustFerry("sync", "customers", "--json"))
	if second.Status != "succeeded" || second.Mode != "incremental" {
		t.Fatalf("second run: %+v", second)
	}
	if second.Inserted != 7 || second.Updated != 20 || second.Deleted != 5 {
		t.Errorf("second run inserted %d updated %d deleted %d, want 7, 20, 5", second.Inserted, second.Updated, second.Deleted)
	}
	got := rows(t, dsn, customersTable)
	sameLive(t, got, e.srv.LiveIDs("customers"))
	for _, id := range ids[:20] {
		if got[id].Values[1] != "Changed "+id {
			t.Errorf("%s name = %v, want the update", id, got[id].Values[1])
		}
	}
	for _, id := range ids[20:25] {
		if got[id].DeletedAt == nil {
			t.Errorf("%s deleted at the provider but live in the destination", id)
		}
	}
	for _, id := range created {
		if _, ok := got[id]; !ok {
			t.Errorf("created %s missing", id)
		}
	}

	// Nothing changed: a third run changes nothing.
	third := runJSONOf(t, e.mustFerry("sync", "customers", "--json"))
	if third.Inserted+third.Updated+third.Deleted != 0 {
		t.Errorf("idle incremental run wrote: %+v", third)
	}
	// A forced full run finds everything unchanged and deletes nothing more.
	full := runJSONOf(t, e.mustFerry("sync", "customers", "--full", "--json"))
	if full.Mode != "full" || full.Inserted+full.Updated+full.Deleted != 0 || full.Unchanged != int64(len(e.srv.LiveIDs("customers"))) {
		t.Errorf("forced full run: %+v", full)
	}

	var hist []runView
	if err := json.Unmarshal([]byte(e.mustFerry("runs", "customers", "--json")), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 4 || hist[0].ID != full.ID || hist[3].ID != first.ID {
		t.Errorf("history: %+v", hist)
	}
	detail := e.mustFerry("run", first.ID)
	if !strings.Contains(detail, "batch log:") || !strings.Contains(detail, "created [") {
		t.Errorf("run detail lacks the batch log:\n%s", detail)
	}
}

func TestFullRunSoftDeletesWhatIsGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 8, Counts: map[string]int{"customers": 600}})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	e.mustFerry("apply", "-f", e.file("ferry.yaml", strings.Replace(e.config(dsn, ""), "strategy: incremental", "strategy: full", 1)))
	e.mustFerry("sync", "customers")
	gone := e.srv.LiveIDs("customers")[:9]
	for _, id := range gone {
		if err := e.srv.Delete("customers", id); err != nil {
			t.Fatal(err)
		}
	}
	run := runJSONOf(t, e.mustFerry("sync", "customers", "--json"))
	if run.Mode != "full" || run.Deleted != 9 || run.Inserted != 0 {
		t.Fatalf("second full run: %+v", run)
	}
	got := rows(t, dsn, customersTable)
	sameLive(t, got, e.srv.LiveIDs("customers"))
	if len(got) != 600 {
		t.Errorf("%d rows, want 600 (soft deletes keep the row)", len(got))
	}
}

func TestApplyIsIdempotentAndSaysWhatChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 1, Counts: map[string]int{"customers": 10}})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	file := e.file("ferry.yaml", e.config(dsn, ""))
	out := e.mustFerry("apply", "-f", file)
	if !strings.Contains(out, "3 changed, 0 unchanged") {
		t.Errorf("first apply:\n%s", out)
	}
	out = e.mustFerry("apply", "-f", file)
	if !strings.Contains(out, "0 changed, 3 unchanged") {
		t.Errorf("second apply:\n%s", out)
	}
	file = e.file("ferry.yaml", strings.Replace(e.config(dsn, "    full_every: 5\n"), "name, created", "name, phone, created", 1))
	out = e.mustFerry("apply", "-f", file)
	if !strings.Contains(out, "updated (fields, full_every)") || !strings.Contains(out, "1 changed, 2 unchanged") {
		t.Errorf("changed apply:\n%s", out)
	}
}

func TestApplyErrorsNameWhatIsWrongAndChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 1, Counts: map[string]int{"customers": 10}})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	good := e.config(dsn, "")
	e.mustFerry("apply", "-f", e.file("good.yaml", good))
	before := e.mustFerry("apply", "-f", e.file("good.yaml", good), "--json")

	for _, tc := range []struct {
		name, yaml string
		code       int
		want       []string
	}{
		{"unknown provider", strings.Replace(good, "provider: stripe", "provider: strpe", 1), 2, []string{"bad.yaml:4:", `unknown provider "strpe"`, "known: stripe"}},
		{"unknown object", strings.Replace(good, "object: customers", "object: custmers", 1), 2, []string{"bad.yaml:6:", `no object "custmers"`, "customers, products"}},
		{"unknown field", strings.Replace(good, "name, created", "nmae, created", 1), 2, []string{"bad.yaml:6:", `no field "nmae"`, "valid: id,"}},
		{"unknown key", strings.Replace(good, "strategy: incremental", "stratgy: incremental", 1), 2, []string{"bad.yaml:13:", `unknown key "stratgy"`}},
		{"bad yaml", good + "  - [\n", 2, []string{"bad.yaml"}},
		{"unset env", strings.Replace(good, "sk_test_ferry", `"${FERRY_TEST_UNSET_KEY}"`, 1), 2, []string{"bad.yaml:4:", "${FERRY_TEST_UNSET_KEY}", "not set"}},
		{"rejected key", strings.Replace(good, "sk_test_ferry", "sk_test_wrong_key_123456", 1), 2, []string{"bad.yaml:4:", "connection stripe", "Invalid API Key"}},
		{"unreachable database", strings.Replace(good, dsn, "postgres://app@127.0.0.1:1/app", 1), 2, []string{"bad.yaml:2:", "127.0.0.1:1"}},
		{"shared table", good + "  - {name: again, connection: stripe, object: customers, project: warehouse, table: Stripe_Customers}\n", 2, []string{"bad.yaml:14:", "already written by sync customers"}},
		{"missing reference", strings.Replace(good, "project: warehouse", "project: warehous", 1), 2, []string{"bad.yaml:6:", `project "warehous"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := e.ferry("apply", "-f", e.file("bad.yaml", tc.yaml))
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("error lacks %q:\n%s", w, errs)
				}
			}
			if strings.Contains(errs, "sk_test_wrong_key_123456") {
				t.Errorf("error prints the API key:\n%s", errs)
			}
		})
	}
	if after := e.mustFerry("apply", "-f", e.file("good.yaml", good), "--json"); after != before {
		t.Errorf("a failed apply changed the state:\nbefore %s\nafter %s", before, after)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"demo", "--dir", dir, "--scale", "0.1"}, &out, &errb); code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"customers", "charges", "incremental", "stripe.db"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	got := rows(t, "sqlite://"+filepath.Join(dir, "stripe.db"), database.Table{Name: "stripe_charges"})
	if len(got) != 1200 {
		t.Errorf("stripe_charges has %d rows, want 1200", len(got))
	}
}

// The kill tests drive the real binary.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func ferryBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ferry-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "ferry")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// startSync starts `ferry sync` and returns once it has committed n batches.
func (e *env) startSync(t *testing.T, n int) *exec.Cmd {
	t.Helper()
	return e.startMidRun(t, n, "sync", "customers", "--json")
}

// startMidRun starts the real binary with args and returns once it has
// committed n batches, with the provider stalled: the run stays in the
// middle of its first sync, however fast or slow this machine is, until the
// test acts (kill or Ctrl-C) and calls e.resume.
func (e *env) startMidRun(t *testing.T, n int, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(ferryBinary(t), append([]string{"--state", e.state, "--log-level", "info", "--log-format", "json"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	seen := 0
	for seen < n && sc.Scan() {
		if strings.Contains(sc.Text(), `"msg":"batch committed"`) {
			seen++
		}
	}
	if seen < n {
		_ = cmd.Process.Kill()
		t.Fatalf("ferry %s ended after %d batches", strings.Join(args, " "), seen)
	}
	e.srv.SetLatency(time.Hour)
	go func() { _, _ = bufio.NewReader(stderr).WriteTo(devNull{}) }()
	return cmd
}

// resume undoes the stall of startSync and startScope.
func (e *env) resume() { e.srv.SetLatency(0) }

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

func TestKillMidRunResumesExactlyOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 11, Counts: map[string]int{"customers": 12000}, PerSecond: 5, Latency: 2 * time.Millisecond})
	dsn := pgtest.DB(t)
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.config(dsn, "")))

	cmd := e.startSync(t, 3)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	e.resume()

	second := runJSONOf(t, e.mustFerry("sync", "customers", "--json"))
	if second.Status != "succeeded" || second.Mode != "full" || !strings.Contains(second.Reason, "resuming") {
		t.Fatalf("run after the kill: %+v", second)
	}
	if second.Fetched >= 12000 {
		t.Errorf("the resumed run fetched %d: it started over instead of resuming", second.Fetched)
	}
	sameLive(t, rows(t, dsn, customersTable), e.srv.LiveIDs("customers"))

	var hist []runView
	if err := json.Unmarshal([]byte(e.mustFerry("runs", "--json")), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[1].Status != "interrupted" {
		t.Fatalf("history after kill: %+v", hist)
	}
	if hist[1].Batches < 3 {
		t.Errorf("the killed run recorded %d batches, want at least 3", hist[1].Batches)
	}
}

func TestInterruptCancelsAndKeepsCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 12, Counts: map[string]int{"customers": 12000}, Latency: 2 * time.Millisecond})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.config(dsn, "")))

	cmd := e.startSync(t, 2)
	var out bytes.Buffer
	cmd.Stdout = nil
	_ = out
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("ferry sync after Ctrl-C: %v, want exit 130", err)
	}
	var hist []runView
	if err := json.Unmarshal([]byte(e.mustFerry("runs", "--json")), &hist); err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Status != "cancelled" || hist[0].Batches < 2 {
		t.Fatalf("history after Ctrl-C: %+v", hist)
	}
	kept := rows(t, dsn, customersTable)
	if int64(len(kept)) < hist[0].Inserted || len(kept) == 0 {
		t.Errorf("%d rows kept, the cancelled run inserted %d", len(kept), hist[0].Inserted)
	}
	e.resume()
	next := runJSONOf(t, e.mustFerry("sync", "customers", "--json"))
	if next.Status != "succeeded" || !strings.Contains(next.Reason, "resuming") {
		t.Fatalf("run after cancel: %+v", next)
	}
	sameLive(t, rows(t, dsn, customersTable), e.srv.LiveIDs("customers"))
}

func TestRejectedKeyFailsTheRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 1, Counts: map[string]int{"customers": 10}})
	dsn := "sqlite://" + filepath.Join(e.dir, "dest.db")
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.config(dsn, "")), "--offline")
	// The key is rotated at the provider after apply: simulate with a wrong key.
	e.mustFerry("apply", "-f", e.file("ferry.yaml", strings.Replace(e.config(dsn, ""), "sk_test_ferry", "sk_test_revoked_000000", 1)), "--offline")
	out, errs, code := e.ferry("sync", "customers", "--json")
	if code != 5 {
		t.Fatalf("exit %d, want 5 (unauthorized)\n%s%s", code, out, errs)
	}
	run := runJSONOf(t, out)
	if run.Status != "failed" || run.ErrorCode != "unauthorized" {
		t.Errorf("run: %+v", run)
	}
	if strings.Contains(out+errs, "sk_test_revoked_000000") {
		t.Errorf("output prints the API key")
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
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

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// cluster is a control state shared by several ferry processes.
type cluster struct {
	t     testing.TB
	state string
	key   string
}

func newCluster(t testing.TB, state string) *cluster {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &cluster{t: t, state: state, key: base64.StdEncoding.EncodeToString(k)}
}

func (c *cluster) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(binaryFor(c.t), append([]string{"--state", c.state}, args...)...)
	cmd.Env = append(os.Environ(), "FERRY_SECRET_KEY="+c.key)
	return cmd
}

// run runs the binary to its end.
func (c *cluster) run(args ...string) (string, string, int) {
	c.t.Helper()
	cmd := c.cmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode()
	}
	if err != nil {
		c.t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

func (c *cluster) must(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("ferry %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// open opens the control state in the test process.
func (c *cluster) open() *app.App {
	c.t.Helper()
	a, err := app.Open(context.Background(), app.Config{State: c.state, SecretKey: ferry.NewSecret(c.key)})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { a.Close() })
	return a
}

// manyConfigs is a ferry.yaml with n full syncs of customers, tables t1..tn,
// through a connection limited to rate requests per second (each run opens
// its own client: the workload is provider-bound per run).
func manyConfigs(url, dsn string, n int, rate int, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "projects:\n  - {name: wh, database: %q}\nconnections:\n  - {name: stripe, provider: stripe, api_key: sk_test_ferry, base_url: %q, rate_limit: %d}\nsyncs:\n", dsn, url, rate)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: c%d, connection: stripe, object: customers, project: wh, table: t%d, fields: [id, email, name, created, metadata], rename: {email: email_address}, strategy: full%s}\n", i, i, extra)
	}
	return b.String()
}

// binaryFor is ferryBinary for tests and benchmarks.
func binaryFor(tb testing.TB) string {
	tb.Helper()
	if t, ok := tb.(*testing.T); ok {
		return ferryBinary(t)
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ferry-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "ferry")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binErr != nil {
		tb.Fatal(binErr)
	}
	return binPath
}

// TestSyncNowFromTwoProcessesMakesOneRun: two processes ask for a run of
// one configuration at the same instant; exactly one run exists and the
// other process is refused with its id.
func TestSyncNowFromTwoProcessesMakesOneRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 3, Counts: map[string]int{"customers": 2000}, Latency: 20 * time.Millisecond})
	c := newCluster(t, e.state)
	c.must("apply", "-f", e.file("ferry.yaml", manyConfigs(e.url, "sqlite://"+e.dir+"/dest.db", 1, 20, "")))

	type result struct {
		out, errs string
		code      int
	}
	var wg sync.WaitGroup
	res := make([]result, 2)
	start := make(chan struct{})
	for i := range res {
		wg.Go(func() {
			<-start
			out, errs, code := c.run("sync", "c1", "--json")
			res[i] = result{out, errs, code}
		})
	}
	close(start)
	wg.Wait()
	var runs []runView
	if err := json.Unmarshal([]byte(c.must("runs", "--json")), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != "succeeded" {
		t.Fatalf("runs: %+v\nresults: %+v", runs, res)
	}
	ok, refused := 0, 0
	for _, r := range res {
		switch r.code {
		case 0:
			ok++
		case 4:
			refused++
			if !strings.Contains(r.errs, runs[0].ID) {
				t.Errorf("refusal does not name the active run %s: %s", runs[0].ID, r.errs)
			}
		default:
			t.Errorf("exit %d: %s%s", r.code, r.out, r.errs)
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("%d succeeded, %d refused; want 1 and 1: %+v", ok, refused, res)
	}
	// --queue waits behind an active run instead of refusing.
	c.must("sync", "c1", "--enqueue")
	done := make(chan result, 1)
	go func() {
		out, errs, code := c.run("sync", "c1", "--queue", "--json")
		done <- result{out, errs, code}
	}()
	time.Sleep(300 * time.Millisecond) // the waiter is behind the queued run
	a := c.open()
	if _, err := a.Store().CancelActiveRun(context.Background(), "c1", "test"); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.code != 0 || runJSONOf(t, r.out).Status != "succeeded" {
		t.Fatalf("sync --queue: exit %d\n%s%s", r.code, r.out, r.errs)
	}
}

// TestEnqueueFromTwoProcessesMakesOneRiverJob: with the control state in
// Postgres, two processes queue a run of one configuration at the same
// instant: one queued run and one River job exist, the other process is
// refused naming the run; a worker then executes it as a River job.
func TestEnqueueFromTwoProcessesMakesOneRiverJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 3, Counts: map[string]int{"customers": 500}})
	c := newCluster(t, pgtest.DB(t))
	c.must("apply", "-f", e.file("ferry.yaml", manyConfigs(e.url, "sqlite://"+e.dir+"/dest.db", 1, 1000, "")))
	type result struct {
		out, errs string
		code      int
	}
	var wg sync.WaitGroup
	res := make([]result, 2)
	start := make(chan struct{})
	for i := range res {
		wg.Go(func() {
			<-start
			out, errs, code := c.run("sync", "c1", "--enqueue")
			res[i] = result{out, errs, code}
		})
	}
	close(start)
	wg.Wait()
	a := c.open()
	runs := allRuns(t, a)
	if len(runs) != 1 || runs[0].Status != ferry.RunQueued {
		t.Fatalf("runs: %+v\nresults: %+v", runs, res)
	}
	ok, refused := 0, 0
	for _, r := range res {
		switch r.code {
		case 0:
			ok++
		case 4:
			refused++
			if !strings.Contains(r.errs, runs[0].ID) {
				t.Errorf("refusal does not name the queued run %s: %s", runs[0].ID, r.errs)
			}
		default:
			t.Errorf("exit %d: %s%s", r.code, r.out, r.errs)
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("%d queued, %d refused; want 1 and 1: %+v", ok, refused, res)
	}
	if jobs := riverJobs(t, c.state); len(jobs) != 1 || jobs[runs[0].ID] != "available" {
		t.Fatalf("river jobs: %v, want one available job for %s", jobs, runs[0].ID)
	}
	c.startWorker("--workers", "1")
	waitFor(t, 60*time.Second, "the run to succeed", func() bool {
		r, err := a.Store().GetRun(context.Background(), runs[0].ID)
		return err == nil && r.Status == ferry.RunSucceeded
	})
	waitFor(t, 10*time.Second, "its River job to complete", func() bool {
		return riverJobs(t, c.state)[runs[0].ID] == "completed"
	})
}

// worker is one `ferry worker` process.
type worker struct {
	cmd  *exec.Cmd
	errb *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (c *cluster) startWorker(args ...string) *worker {
	c.t.Helper()
	w := &worker{errb: &syncBuffer{}}
	w.cmd = c.cmd(append([]string{"--log-level", "info", "worker"}, args...)...)
	w.cmd.Stderr = w.errb
	if err := w.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		_ = w.cmd.Wait()
	})
	return w
}

// waitFor polls cond every 50ms until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func allRuns(t testing.TB, a *app.App) []ferry.Run {
	t.Helper()
	runs, err := a.Store().ListRuns(context.Background(), store.RunFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// TestWorkersShareRunsAndResumeAfterKill: three worker processes against one
// Postgres control database share the runs of many configurations; one is
// killed with SIGKILL mid-run; its run is marked interrupted and finished by
// another worker from its checkpoint, every object exactly once.
func TestWorkersShareRunsAndResumeAfterKill(t *testing.T) {
	t.Parallel()
	const n, count = 9, 4000
	e := newEnv(t, fake.Config{Seed: 21, Counts: map[string]int{"customers": count}, Latency: 5 * time.Millisecond})
	dest := pgtest.DB(t)
	c := newCluster(t, pgtest.DB(t))
	c.must("apply", "-f", e.file("ferry.yaml", manyConfigs(e.url, dest, n, 25, "")))

	var ws []*worker
	for range 3 {
		ws = append(ws, c.startWorker("--workers", "1", "--lease", "3s", "--poll", "100ms"))
	}
	for i := 1; i <= n; i++ {
		c.must("sync", fmt.Sprintf("c%d", i), "--enqueue")
	}
	a := c.open()
	// Kill the worker of the first run that has committed a batch.
	var victim ferry.Run
	waitFor(t, 60*time.Second, "a running run with a committed batch", func() bool {
		for _, r := range allRuns(t, a) {
			if r.Status == ferry.RunRunning && r.Batches >= 1 {
				victim = r
				return true
			}
		}
		return false
	})
	killed := false
	for _, w := range ws {
		if w.cmd.Process.Pid == victim.PID {
			if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = w.cmd.Wait()
			killed = true
		}
	}
	if !killed {
		t.Fatalf("run %s is held by pid %d, not one of the workers", victim.ID, victim.PID)
	}
	// Every configuration ends with a succeeded run.
	waitFor(t, 120*time.Second, "every configuration to succeed", func() bool {
		latest := map[string]ferry.Run{}
		for _, r := range allRuns(t, a) {
			if _, ok := latest[r.Config]; !ok {
				latest[r.Config] = r
			}
		}
		done := 0
		for _, r := range latest {
			if r.Status == ferry.RunSucceeded {
				done++
			}
		}
		return done == n
	})
	runs := allRuns(t, a)
	pids := map[int]int{}
	var resumed *ferry.Run
	for i, r := range runs {
		pids[r.PID]++
		if r.ID == victim.ID && r.Status != ferry.RunInterrupted {
			t.Errorf("the killed worker's run is %s, want interrupted", r.Status)
		}
		if r.Config == victim.Config && r.Attempt == victim.Attempt+1 {
			resumed = &runs[i]
		}
	}
	if len(pids) != 3 {
		t.Errorf("runs were executed by %d processes, want 3: %v", len(pids), pids)
	}
	if resumed == nil || resumed.Status != ferry.RunSucceeded || resumed.PID == victim.PID || !strings.Contains(resumed.Reason, "resuming") {
		t.Fatalf("the interrupted run was not resumed from its checkpoint by another worker: %+v", resumed)
	}
	if resumed.Counts.Fetched >= count {
		t.Errorf("the resumed run fetched %d of %d: it started over", resumed.Counts.Fetched, count)
	}
	table := customersTable
	table.Name = "t" + strings.TrimPrefix(victim.Config, "c")
	got := rows(t, dest, table)
	sameLive(t, got, e.srv.LiveIDs("customers"))
	if len(got) != count {
		t.Errorf("%d rows in %s, want %d", len(got), table.Name, count)
	}
	// The River executor ran them: every run has its River job, and the
	// completed jobs are those of the runs that ended.
	// River records a job's completion shortly after the run's end.
	var jobs map[string]string
	waitFor(t, 10*time.Second, "the resume's River job to complete", func() bool {
		jobs = riverJobs(t, c.state)
		return jobs[resumed.ID] == "completed"
	})
	for _, r := range runs {
		if _, ok := jobs[r.ID]; !ok {
			t.Errorf("run %s (%s, attempt %d) has no River job", r.ID, r.Status, r.Attempt)
		}
	}
	t.Logf("runs per worker pid: %v; killed %s after %d batches, resumed as %s fetching %d; river jobs: %v", pids, victim.ID, victim.Batches, resumed.ID, resumed.Counts.Fetched, jobs)
}

// riverJobs returns the state of each ferry_sync_run River job, by run id.
func riverJobs(t testing.TB, dsn string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT args->>'run_id', state::text FROM river_job WHERE kind = 'ferry_sync_run'")
	if err != nil {
		t.Fatalf("river jobs: %v", err)
	}
	jobs := map[string]string{}
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		jobs[id] = state
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return jobs
}

// TestWorkerSIGTERMInterruptsRiverRun: SIGTERM stops a worker's River client
// softly: its run commits the batch in flight and ends interrupted, its job
// completes, and another worker resumes the run from its checkpoint.
func TestWorkerSIGTERMInterruptsRiverRun(t *testing.T) {
	t.Parallel()
	const count = 3000
	e := newEnv(t, fake.Config{Seed: 8, Counts: map[string]int{"customers": count}, Latency: 5 * time.Millisecond})
	dest := pgtest.DB(t)
	c := newCluster(t, pgtest.DB(t))
	c.must("apply", "-f", e.file("ferry.yaml", manyConfigs(e.url, dest, 1, 20, "")))
	w := c.startWorker("--workers", "1", "--lease", "3s", "--poll", "100ms")
	c.must("sync", "c1", "--enqueue")
	a := c.open()
	var first ferry.Run
	waitFor(t, 60*time.Second, "a running run with a committed batch", func() bool {
		for _, r := range allRuns(t, a) {
			if r.Status == ferry.RunRunning && r.Batches >= 1 {
				first = r
				return true
			}
		}
		return false
	})
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("worker after SIGTERM: %v\n%s", err, w.errb)
	}
	r, err := a.Store().GetRun(context.Background(), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != ferry.RunInterrupted || r.Batches < first.Batches {
		t.Fatalf("after SIGTERM the run is %s with %d batches, want interrupted with at least %d", r.Status, r.Batches, first.Batches)
	}
	if st := riverJobs(t, c.state)[first.ID]; st != "completed" {
		t.Fatalf("after SIGTERM the run's River job is %q, want completed", st)
	}
	c.startWorker("--workers", "1", "--lease", "3s", "--poll", "100ms")
	var resumed ferry.Run
	waitFor(t, 60*time.Second, "the resumed run to succeed", func() bool {
		for _, r := range allRuns(t, a) {
			if r.Attempt == first.Attempt+1 && r.Status == ferry.RunSucceeded {
				resumed = r
				return true
			}
		}
		return false
	})
	if !strings.Contains(resumed.Reason, "resuming") || resumed.Counts.Fetched >= count {
		t.Errorf("the resumed run did not continue from the checkpoint: %+v", resumed)
	}
}

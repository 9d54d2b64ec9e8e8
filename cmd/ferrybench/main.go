// Command ferrybench measures Ferry's backfill of Stripe customers from the
// built-in fake into a throwaway PostgreSQL, next to two references measured
// in the same run on the same rows:
//
//   - raw COPY: the rows, already fetched and transformed, COPYed into an
//     empty table in one transaction (the destination's ceiling);
//   - minimal pipeline: concurrent fetch over the same ranges, then the
//     destination's staged upsert in 1,000-row batches, with no checkpoints,
//     no control state and no logging (what Ferry's pipeline costs on top);
//   - ferry: the real `ferry sync` binary, with its peak RSS;
//   - realistic: the fake with 300 ms latency and a 100 req/s limit, where
//     the ceiling is 100 requests/s x 100 records = 10,000 records/s.
//
// Run it with scripts/bench. It needs the PostgreSQL server binaries.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/database/postgres"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/internal/transform"
	"github.com/ferrysync/ferry/provider"
	"github.com/ferrysync/ferry/provider/stripe"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferrybench:", err)
		os.Exit(1)
	}
}

var (
	n          = flag.Int("n", 100_000, "customers to backfill")
	realisticN = flag.Int("realistic-n", 60_000, "customers for the realistic-provider run (0: skip)")
	workers    = flag.Int("concurrency", 64, "concurrent range fetchers (the minimal pipeline; ferry uses its default)")
	ferryBin   = flag.String("ferry", "", "the ferry binary (default: go build it)")
)

func run() error {
	flag.Parse()
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "ferrybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := *ferryBin
	if bin == "" {
		bin = filepath.Join(tmp, "ferry")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ferry").CombinedOutput(); err != nil {
			return fmt.Errorf("build ferry: %v: %s", err, out)
		}
	}
	pg, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer pg.Stop()

	srv := fake.New(fake.Config{Seed: 1, Counts: map[string]int{"customers": *n}})
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()
	obj, err := provider.Object(stripe.New(), "customers")
	if err != nil {
		return err
	}
	plan, err := transform.New(obj, ferry.SyncConfig{Name: "customers", Table: "stripe_customers"})
	if err != nil {
		return err
	}
	client, err := stripe.NewClient(stripe.Config{Config: provider.Config{APIKey: ferry.NewSecret("sk_test_ferry"), BaseURL: url, RateLimit: 1e6}})
	if err != nil {
		return err
	}
	fmt.Printf("ferrybench: %d customers, %d concurrent fetchers, GOMAXPROCS machine of %d cores\n\n", *n, *workers, runtime.NumCPU())

	// 1. Fetch everything once, for the raw COPY ceiling.
	start := time.Now()
	var rows []database.Row
	var mu sync.Mutex
	if err := fetchAll(ctx, client, plan, func(rs []database.Row) error {
		mu.Lock()
		rows = append(rows, rs...)
		mu.Unlock()
		return nil
	}); err != nil {
		return err
	}
	fetch := time.Since(start)
	report("fetch only (fake -> memory)", len(rows), fetch, "")

	dsn, err := pg.CreateDB(ctx, "raw")
	if err != nil {
		return err
	}
	rawDur, err := rawCopy(ctx, dsn, plan.Table, rows)
	if err != nil {
		return err
	}
	report("raw COPY (memory -> Postgres)", len(rows), rawDur, "")
	rows = nil

	// 2. The minimal fetch-then-staged-upsert pipeline.
	dsn, err = pg.CreateDB(ctx, "minimal")
	if err != nil {
		return err
	}
	minDur, minN, err := minimal(ctx, client, plan, dsn)
	if err != nil {
		return err
	}
	report("minimal fetch -> staged upsert", minN, minDur, "")

	// 3. Ferry itself, at n/10 and n, for throughput and flat memory.
	var ferryDur time.Duration
	for _, size := range []int{*n / 10, *n} {
		s, u := srv, url
		if size != *n {
			s = fake.New(fake.Config{Seed: 2, Counts: map[string]int{"customers": size}})
			defer s.Close()
			if u, err = s.Start("127.0.0.1:0"); err != nil {
				return err
			}
		}
		res, err := ferrySync(ctx, bin, tmp, pg, s, u, 1e6)
		if err != nil {
			return err
		}
		note := fmt.Sprintf("peak RSS %.1f MiB, %s", float64(res.maxRSS)/(1<<20), res.check)
		report(fmt.Sprintf("ferry sync (%d)", size), int(res.run.Fetched), res.dur, note)
		if size == *n {
			ferryDur = res.dur
		}
	}
	fmt.Printf("\nferry / minimal pipeline throughput: %.2f\n", minDur.Seconds()/ferryDur.Seconds())
	fmt.Printf("ferry / raw COPY throughput:         %.2f\n", rawDur.Seconds()/ferryDur.Seconds())

	// 4. A realistic provider: 300 ms per request, 100 requests/s.
	if *realisticN > 0 {
		s := fake.New(fake.Config{Seed: 3, Counts: map[string]int{"customers": *realisticN}, Latency: 300 * time.Millisecond, RateLimit: 100})
		defer s.Close()
		u, err := s.Start("127.0.0.1:0")
		if err != nil {
			return err
		}
		res, err := ferrySync(ctx, bin, tmp, pg, s, u, 100)
		if err != nil {
			return err
		}
		st := s.Stats()
		rate := float64(res.run.Fetched) / res.dur.Seconds()
		report("ferry sync, realistic provider", int(res.run.Fetched), res.dur,
			fmt.Sprintf("%.1f%% of the 10,000 rec/s ceiling, %d/%d requests answered 429 (%.2f%%), run %s, %s",
				rate/100, st.Throttled, st.Requests, 100*float64(st.Throttled)/float64(max(1, st.Requests)), res.run.Status, res.check))
	}
	return nil
}

func report(what string, records int, d time.Duration, note string) {
	fmt.Printf("%-34s %9d records in %8.2fs = %9.0f rec/s  %s\n", what, records, d.Seconds(), float64(records)/d.Seconds(), note)
}

// fetchAll walks every range of the customers listing concurrently.
func fetchAll(ctx context.Context, c *stripe.Client, plan *transform.Plan, emit func([]database.Row) error) error {
	ranges, err := c.Ranges(ctx, "customers", *workers*4)
	if err != nil {
		return err
	}
	work := make(chan ferry.Range, len(ranges))
	for _, r := range ranges {
		work <- r
	}
	close(work)
	errs := make(chan error, *workers)
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				cursor := ""
				for {
					pg, err := c.List(ctx, "customers", r, cursor)
					if err != nil {
						errs <- err
						return
					}
					rows := make([]database.Row, 0, len(pg.Records))
					for _, rec := range pg.Records {
						row, _ := plan.Row(rec)
						rows = append(rows, row)
					}
					if err := emit(rows); err != nil {
						errs <- err
						return
					}
					if pg.Done {
						break
					}
					cursor = pg.Cursor
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// rawCopy COPYs rows into the (empty) destination table in one transaction.
func rawCopy(ctx context.Context, dsn string, t database.Table, rows []database.Row) (time.Duration, error) {
	dest, err := postgres.Open(ctx, dsn)
	if err != nil {
		return 0, err
	}
	if err := dest.Prepare(ctx, t); err != nil {
		return 0, err
	}
	dest.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	cols := []string{"id"}
	for _, c := range t.Columns {
		cols = append(cols, c.Name)
	}
	cols = append(cols, "_raw", "_ferry_synced_at", "_ferry_run_id")
	now := time.Now()
	start := time.Now()
	_, err = conn.CopyFrom(ctx, pgx.Identifier{t.Name}, cols, pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := rows[i]
		v := make([]any, 0, len(cols))
		v = append(v, r.ID)
		v = append(v, r.Values...)
		return append(v, string(r.Raw), now, "raw"), nil
	}))
	return time.Since(start), err
}

// minimal is the simplest concurrent fetch then staged upsert.
func minimal(ctx context.Context, c *stripe.Client, plan *transform.Plan, dsn string) (time.Duration, int, error) {
	dest, err := postgres.Open(ctx, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer dest.Close()
	if err := dest.Prepare(ctx, plan.Table); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	ch := make(chan []database.Row, *workers)
	var fetchErr error
	go func() {
		fetchErr = fetchAll(ctx, c, plan, func(rs []database.Row) error { ch <- rs; return nil })
		close(ch)
	}()
	var batch []database.Row
	total := 0
	write := func() error {
		_, err := dest.Write(ctx, plan.Table, database.Batch{RunID: "minimal", At: time.Now(), Rows: batch})
		total += len(batch)
		batch = batch[:0]
		return err
	}
	for rs := range ch {
		batch = append(batch, rs...)
		if len(batch) >= 1000 {
			if err := write(); err != nil {
				return 0, 0, err
			}
		}
	}
	if err := write(); err != nil {
		return 0, 0, err
	}
	return time.Since(start), total, fetchErr
}

type ferryResult struct {
	dur    time.Duration
	maxRSS int64
	run    struct {
		Status  string `json:"status"`
		Fetched int64  `json:"fetched"`
	}
	check string
}

// ferrySync applies a one-sync configuration and runs `ferry sync` as a
// child process, then checks the destination against the fake.
func ferrySync(ctx context.Context, bin, tmp string, pg *pgtest.Cluster, srv *fake.Server, url string, rateLimit float64) (ferryResult, error) {
	var res ferryResult
	dsn, err := pg.CreateDB(ctx, "ferry")
	if err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp(tmp, "state-")
	if err != nil {
		return res, err
	}
	yaml := fmt.Sprintf(`projects: [{name: bench, database: %q}]
connections: [{name: stripe, provider: stripe, api_key: sk_test_ferry, base_url: %q, rate_limit: %g}]
syncs: [{name: customers, connection: stripe, object: customers, project: bench, table: stripe_customers, strategy: full}]
`, dsn, url, rateLimit)
	file := filepath.Join(dir, "ferry.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		return res, err
	}
	env := append(os.Environ(), "FERRY_STATE="+filepath.Join(dir, "state.db"))
	apply := exec.Command(bin, "apply", "-f", file)
	apply.Env = env
	if out, err := apply.CombinedOutput(); err != nil {
		return res, fmt.Errorf("ferry apply: %v: %s", err, out)
	}
	cmd := exec.Command(bin, "sync", "customers", "--json")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	var stdout strings.Builder
	cmd.Stdout = &stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	err = cmd.Wait()
	res.dur = time.Since(start)
	res.maxRSS = peak()
	out := []byte(stdout.String())
	if err != nil {
		return res, fmt.Errorf("ferry sync: %v: %s", err, out)
	}
	if err := json.Unmarshal(out, &res.run); err != nil {
		return res, fmt.Errorf("ferry sync output: %v: %s", err, out)
	}
	res.check, err = check(ctx, dsn, srv.LiveIDs("customers"))
	return res, err
}

// watchPeakRSS polls the child's VmHWM (its own high-water mark, unlike
// rusage's ru_maxrss, which a child started by a large parent inherits from
// it at fork) until the child exits; peak returns the last value seen.
func watchPeakRSS(pid int) (peak func() int64) {
	var hwm atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		path := fmt.Sprintf("/proc/%d/status", pid)
		for {
			if b, err := os.ReadFile(path); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						var kb int64
						fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
						if kb*1024 > hwm.Load() {
							hwm.Store(kb * 1024)
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int64 { close(done); <-stopped; return hwm.Load() }
}

// check compares the destination's live ids with the fake's.
func check(ctx context.Context, dsn string, want []string) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id FROM stripe_customers WHERE _ferry_deleted_at IS NULL`)
	if err != nil {
		return "", err
	}
	got := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		got[id]++
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	missing, dups := 0, 0
	for _, id := range want {
		switch got[id] {
		case 0:
			missing++
		case 1:
		default:
			dups++
		}
	}
	extra := len(got) - (len(want) - missing)
	return fmt.Sprintf("%d missing, %d duplicated, %d extra", missing, dups, extra), nil
}

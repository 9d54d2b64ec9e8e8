package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// BenchmarkScaleOut: 30 configurations with a provider-bound workload
// (200ms on every fake request), executed by 1 worker process, then by 3
// (one run at a time each), against one Postgres control database. Reports
// the wall time of each and the speed-up.
//
//	go test -run '^$' -bench ScaleOut -benchtime 1x ./cmd/ferry
func BenchmarkScaleOut(b *testing.B) {
	const n = 30
	var secs [2]float64
	for b.Loop() {
		for i, workers := range []int{1, 3} {
			secs[i] = scaleOutOnce(b, n, workers).Seconds()
		}
	}
	b.ReportMetric(secs[0], "s/1-worker")
	b.ReportMetric(secs[1], "s/3-workers")
	b.ReportMetric(secs[0]/secs[1], "speedup")
}

func scaleOutOnce(b *testing.B, n, workers int) time.Duration {
	b.Helper()
	srv := fake.New(fake.Config{Seed: 5, Counts: map[string]int{"customers": 300}, Latency: 200 * time.Millisecond})
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	dir := b.TempDir()
	c := newBenchCluster(b, pgtest.DB(b))
	yaml := manyConfigs(url, pgtest.DB(b), n, 1000, "")
	path := dir + "/ferry.yaml"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	c.must("apply", "-f", path, "--offline")
	for i := 1; i <= n; i++ {
		c.must("sync", fmt.Sprintf("c%d", i), "--enqueue")
	}
	a := c.open()
	start := time.Now()
	for range workers {
		c.startWorker("--workers", "1", "--poll", "50ms")
	}
	waitFor(c.t, 10*time.Minute, "all runs", func() bool {
		runs := allRuns(c.t, a)
		done := 0
		for _, r := range runs {
			if r.Status == ferry.RunSucceeded {
				done++
			} else if r.Status.Done() {
				b.Fatalf("run %s: %s %s", r.ID, r.Status, r.Error)
			}
		}
		return done == n
	})
	return time.Since(start)
}

func newBenchCluster(b *testing.B, state string) *cluster { return newCluster(b, state) }

// BenchmarkSchedulerIdle: 1,000 configurations on schedules, an idle
// `ferry serve` (embedded SQLite state) for 10 seconds: CPU as a percentage
// of one core, and resident memory.
//
//	go test -run '^$' -bench SchedulerIdle -benchtime 1x ./cmd/ferry
func BenchmarkSchedulerIdle(b *testing.B) {
	const n = 1000
	dir := b.TempDir()
	c := newBenchCluster(b, dir+"/state.db")
	var y strings.Builder
	fmt.Fprintf(&y, "projects:\n  - {name: wh, database: \"sqlite://%s/dest.db\"}\nconnections:\n  - {name: stripe, provider: stripe, api_key: sk_test_ferry, base_url: \"http://127.0.0.1:1\"}\nsyncs:\n", dir)
	for i := range n {
		// Hourly and daily schedules that do not fire during the measure.
		spec := `"0 3 * * *"`
		if i%2 == 0 {
			spec = fmt.Sprintf(`"%d */6 * * *"`, (time.Now().Minute()+30)%60)
		}
		fmt.Fprintf(&y, "  - {name: s%d, connection: stripe, object: customers, project: wh, table: t%d, schedule: %s, timezone: Europe/Paris}\n", i, i, spec)
	}
	if err := os.WriteFile(dir+"/ferry.yaml", []byte(y.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	c.must("apply", "-f", dir+"/ferry.yaml", "--offline")
	var cpu, rss float64
	for b.Loop() {
		w := c.cmd("serve", "--addr", "")
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		time.Sleep(3 * time.Second) // start-up: migrations, first schedule pass
		t0, c0 := time.Now(), cpuTicks(b, w.Process.Pid)
		time.Sleep(10 * time.Second)
		t1, c1 := time.Now(), cpuTicks(b, w.Process.Pid)
		cpu = float64(c1-c0) / 100 / t1.Sub(t0).Seconds() * 100 // USER_HZ is 100
		rss = rssMB(b, w.Process.Pid)
		_ = w.Process.Signal(syscall.SIGTERM)
		_ = w.Wait()
	}
	b.ReportMetric(cpu, "cpu%")
	b.ReportMetric(rss, "rss-MB")
}

func cpuTicks(b *testing.B, pid int) int64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

func rssMB(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// TestServeSIGTERMInterruptsAndResumes: SIGTERM to ferry serve commits the
// batch in flight and leaves the run interrupted; the next serve resumes it
// from the checkpoint as attempt 2.
func TestServeSIGTERMInterruptsAndResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 31, Counts: map[string]int{"customers": 6000}, Latency: 5 * time.Millisecond})
	dest := "sqlite://" + e.dir + "/dest.db"
	c := newCluster(t, e.state)
	c.must("apply", "-f", e.file("ferry.yaml", manyConfigs(e.url, dest, 1, 25, "")))
	a := c.open()

	serve := c.cmd("--log-level", "info", "serve", "--addr", "", "--lease", "2s", "--poll", "100ms")
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	c.must("sync", "c1", "--enqueue")
	var first ferry.Run
	waitFor(t, 60*time.Second, "a committed batch", func() bool {
		runs := allRuns(t, a)
		if len(runs) == 1 && runs[0].Status == ferry.RunRunning && runs[0].Batches >= 1 {
			first = runs[0]
			return true
		}
		return false
	})
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	got, err := a.Store().GetRun(t.Context(), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ferry.RunInterrupted || got.Batches < first.Batches {
		t.Fatalf("run after SIGTERM: %s with %d batches, want interrupted with at least %d", got.Status, got.Batches, first.Batches)
	}

	// Pausing the project refuses runs and says which tier.
	c.must("pause", "project", "wh")
	_, errs, code := c.run("sync", "c1")
	if code != 4 || !strings.Contains(errs, "tier: project") {
		t.Fatalf("sync of a paused project: exit %d, %s", code, errs)
	}
	var st []app.ConfigStatus
	if err := json.Unmarshal([]byte(c.must("status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Active || st[0].PausedBy != "project" || st[0].LastRun == nil || st[0].LastRun.Status != ferry.RunInterrupted {
		t.Fatalf("status while paused: %+v", st)
	}
	c.must("resume", "project", "wh")

	serve = c.cmd("serve", "--addr", "", "--lease", "2s", "--poll", "100ms")
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Signal(syscall.SIGTERM); _ = serve.Wait() })
	var resumed ferry.Run
	waitFor(t, 60*time.Second, "the resumed run", func() bool {
		runs := allRuns(t, a)
		if len(runs) == 2 && runs[0].Status == ferry.RunSucceeded {
			resumed = runs[0]
			return true
		}
		return false
	})
	if resumed.Attempt != 2 || !strings.Contains(resumed.Reason, "resuming") || resumed.Counts.Fetched >= 6000 {
		t.Fatalf("resumed run: attempt %d, reason %q, fetched %d", resumed.Attempt, resumed.Reason, resumed.Counts.Fetched)
	}
	sameLive(t, rows(t, dest, tableT1()), e.srv.LiveIDs("customers"))
}

func tableT1() (tb tableType) {
	tb = customersTable
	tb.Name = "t1"
	return tb
}

type tableType = database.Table

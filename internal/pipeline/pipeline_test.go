package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/database/sqlite"
	"github.com/ferrysync/ferry/internal/transform"
	"github.com/ferrysync/ferry/provider"
)

// catalog is a small in-memory provider: objects with created times (many
// sharing a second), listed newest first in pages, with a change feed.
type catalog struct {
	mu      sync.Mutex
	objs    map[string]int64 // id -> created
	version map[string]int
	events  []ferry.Record // oldest first
	failAt  int64          // fail the List call with this number (1-based); 0 never
	calls   atomic.Int64
	page    int
}

func newCatalog(n, perSecond int) *catalog {
	c := &catalog{objs: map[string]int64{}, version: map[string]int{}, page: 7}
	for i := range n {
		c.objs[fmt.Sprintf("obj_%05d", i)] = 1_000_000 + int64(i/perSecond)
	}
	return c
}

func (c *catalog) record(id string) ferry.Record {
	raw, _ := json.Marshal(map[string]any{"id": id, "created": c.objs[id], "v": c.version[id]})
	return ferry.Record{ID: id, Created: c.objs[id], Raw: raw}
}

func (c *catalog) sorted(r ferry.Range) []string {
	var ids []string
	for id, cr := range c.objs {
		if cr >= r.Lo && (r.Hi == 0 || cr < r.Hi) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if c.objs[ids[i]] != c.objs[ids[j]] {
			return c.objs[ids[i]] > c.objs[ids[j]]
		}
		return ids[i] > ids[j]
	})
	return ids
}

func (c *catalog) Verify(context.Context) error { return nil }

func (c *catalog) Ranges(_ context.Context, _ string, n int) ([]ferry.Range, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lo, hi := int64(1<<62), int64(0)
	for _, cr := range c.objs {
		lo, hi = min(lo, cr), max(hi, cr)
	}
	if hi == 0 {
		return nil, nil
	}
	var out []ferry.Range
	step := max(1, (hi+1-lo)/int64(n))
	for at := lo; at <= hi; at += step {
		out = append(out, ferry.Range{Lo: at, Hi: min(at+step, hi+1)})
	}
	return out, nil
}

func (c *catalog) List(_ context.Context, _ string, r ferry.Range, cursor string) (provider.Page, error) {
	if call := c.calls.Add(1); call == c.failAt {
		return provider.Page{}, ferry.Errorf(ferry.EUNAVAILABLE, "injected failure")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := c.sorted(r)
	start := 0
	if cursor != "" {
		start = sort.Search(len(ids), func(i int) bool {
			a, b := c.objs[ids[i]], c.objs[cursor]
			return a < b || (a == b && ids[i] <= cursor)
		})
		if start < len(ids) && ids[start] == cursor {
			start++
		}
	}
	end := min(len(ids), start+c.page)
	var p provider.Page
	for _, id := range ids[start:end] {
		p.Records = append(p.Records, c.record(id))
	}
	if len(p.Records) > 0 {
		p.Cursor = p.Records[len(p.Records)-1].ID
	}
	p.Done = end == len(ids)
	return p, nil
}

func (c *catalog) Retention() time.Duration { return 30 * 24 * time.Hour }

func (c *catalog) Changes(_ context.Context, _ string, since ferry.Watermark, emit func([]ferry.Record) error) (ferry.Watermark, error) {
	c.mu.Lock()
	var out []ferry.Record
	seen := map[string]bool{}
	for i := len(c.events) - 1; i >= 0; i-- {
		e := c.events[i]
		if e.Created < since.Time || seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		out = append(out, e)
	}
	wm := since
	if n := len(c.events); n > 0 {
		wm = ferry.Watermark{Time: c.events[n-1].Created}
	}
	c.mu.Unlock()
	if len(out) == 0 {
		return wm, nil
	}
	return wm, emit(out)
}

func (c *catalog) update(id string, at int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version[id]++
	rec := c.record(id)
	rec.Created = at
	c.events = append(c.events, rec)
}

func (c *catalog) remove(id string, at int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.objs, id)
	c.events = append(c.events, ferry.Record{ID: id, Created: at, Deleted: true})
}

func (c *catalog) add(id string, created int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objs[id] = created
}

var (
	_ provider.Lister     = (*catalog)(nil)
	_ provider.ChangeFeed = (*catalog)(nil)
)

// flaky fails the destination's Write number failAt (1-based), after
// which it works again: a crash between two batches.
type flaky struct {
	database.Destination
	writes atomic.Int64
	failAt int64
}

func (f *flaky) Write(ctx context.Context, t database.Table, b database.Batch) (database.Result, error) {
	if f.writes.Add(1) == f.failAt {
		return database.Result{}, ferry.Errorf(ferry.EUNAVAILABLE, "injected write failure")
	}
	return f.Destination.Write(ctx, t, b)
}

type recorder struct {
	mu      sync.Mutex
	batches []ferry.Batch
	failed  []ferry.RecordError
	started []ferry.Run
}

func (r *recorder) Started(_ context.Context, run ferry.Run) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, run)
	return nil
}

func (r *recorder) Committed(_ context.Context, b ferry.Batch, _ ferry.Run, _ float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return nil
}

func (r *recorder) Failed(_ context.Context, errs []ferry.RecordError) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, errs...)
	return nil
}

var object = ferry.Object{Name: "things", Fields: []ferry.Field{{Name: "id", Type: ferry.String}, {Name: "created", Type: ferry.Timestamp}, {Name: "v", Type: ferry.Integer}}}

type harness struct {
	t    *testing.T
	dest *sqlite.DB
	cat  *catalog
	plan *transform.Plan
	sync ferry.SyncConfig
	now  time.Time
	n    int
}

func newHarness(t *testing.T, objects, perSecond int) *harness {
	t.Helper()
	dest, err := sqlite.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dest.Close() })
	sc := ferry.SyncConfig{Name: "things", Object: "things", Table: "things", Strategy: ferry.Incremental}
	plan, err := transform.New(object, sc)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, dest: dest, cat: newCatalog(objects, perSecond), plan: plan, sync: sc, now: time.Unix(1_000_000+int64(objects), 0)}
}

func (h *harness) run(dest database.Destination, cfg Config) (*ferry.Run, *recorder, error) {
	h.n++
	cfg.Now = func() time.Time { return h.now }
	run := &ferry.Run{ID: fmt.Sprintf("run_%d", h.n)}
	rec := &recorder{}
	err := New(cfg).Run(context.Background(), Job{Run: run, Sync: h.sync, Plan: h.plan, Conn: h.cat, Dest: dest, Observer: rec})
	return run, rec, err
}

// check fails unless the live rows are exactly the catalog's objects, each
// at its current version.
func (h *harness) check() {
	h.t.Helper()
	got := map[string]database.StoredRow{}
	after := ""
	for {
		rows, err := h.dest.Rows(context.Background(), h.plan.Table, after, 1000)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, r := range rows {
			got[r.ID] = r
		}
		if len(rows) < 1000 {
			break
		}
		after = rows[len(rows)-1].ID
	}
	h.cat.mu.Lock()
	defer h.cat.mu.Unlock()
	live := 0
	for id, r := range got {
		if r.DeletedAt != nil {
			if _, ok := h.cat.objs[id]; ok {
				h.t.Errorf("%s is soft-deleted but exists at the provider", id)
			}
			continue
		}
		live++
		if _, ok := h.cat.objs[id]; !ok {
			h.t.Errorf("%s is live but was deleted at the provider", id)
		} else if v := r.Values[1]; v != int64(h.cat.version[id]) {
			h.t.Errorf("%s has version %v, want %d", id, v, h.cat.version[id])
		}
	}
	if live != len(h.cat.objs) {
		h.t.Errorf("%d live rows, want %d", live, len(h.cat.objs))
	}
}

func TestFullPassWithTiesIsExact(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 1000, 9)
	run, rec, err := h.run(h.dest, Config{Concurrency: 4, BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	if run.Mode != ferry.ModeFull || run.Counts.Inserted != 1000 || run.Counts.Fetched != 1000 {
		t.Fatalf("run: %+v", run)
	}
	if len(rec.batches) < 1000/(50+7) {
		t.Errorf("%d batches for 1000 rows of batch size 50", len(rec.batches))
	}
	h.check()
}

func TestWriteFailureThenResumeIsExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, failAt := range []int64{2, 5, 11} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, 700, 4)
			_, _, err := h.run(&flaky{Destination: h.dest, failAt: failAt}, Config{Concurrency: 3, BatchSize: 40})
			if ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
				t.Fatalf("first run: %v, want the injected failure", err)
			}
			run, _, err := h.run(h.dest, Config{Concurrency: 3, BatchSize: 40})
			if err != nil {
				t.Fatal(err)
			}
			if run.Mode != ferry.ModeFull || run.Counts.Fetched >= 700 && failAt > 2 {
				t.Errorf("resumed run: mode %s fetched %d; want a full pass resumed, not restarted", run.Mode, run.Counts.Fetched)
			}
			h.check()
		})
	}
}

func TestFetchFailureKeepsCommittedCheckpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 500, 3)
	h.cat.failAt = 30
	_, _, err := h.run(h.dest, Config{Concurrency: 2, BatchSize: 20})
	if ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Fatalf("first run: %v", err)
	}
	cp, ok, err := h.dest.Checkpoint(context.Background(), "things")
	if err != nil || !ok {
		t.Fatalf("checkpoint: %v %v", ok, err)
	}
	var bf backfill
	if err := json.Unmarshal(cp.Backfill, &bf); err != nil {
		t.Fatal(err)
	}
	// Every cursor in the checkpoint must be durable already.
	rows, err := h.dest.Rows(context.Background(), h.plan.Table, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range rows {
		have[r.ID] = true
	}
	for _, r := range bf.Ranges {
		if r.Cursor != "" && !have[r.Cursor] {
			t.Errorf("checkpoint cursor %s is not in the destination", r.Cursor)
		}
	}
	h.cat.failAt = 0
	if _, _, err := h.run(h.dest, Config{Concurrency: 2, BatchSize: 20}); err != nil {
		t.Fatal(err)
	}
	h.check()
}

func TestIncrementalAppliesCreatesUpdatesDeletes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 300, 5)
	if _, _, err := h.run(h.dest, Config{Concurrency: 2, BatchSize: 64}); err != nil {
		t.Fatal(err)
	}
	at := h.now.Unix()
	h.cat.update("obj_00010", at)
	h.cat.update("obj_00010", at) // twice: the newest wins
	h.cat.update("obj_00200", at)
	h.cat.remove("obj_00020", at)
	h.cat.add("obj_new_1", h.cat.objs["obj_00299"]) // ties on the watermark second
	h.cat.add("obj_new_2", at)
	h.now = h.now.Add(time.Minute)
	run, _, err := h.run(h.dest, Config{Concurrency: 2, BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if run.Mode != ferry.ModeIncremental || run.Counts.Inserted != 2 || run.Counts.Updated != 2 || run.Counts.Deleted != 1 {
		t.Fatalf("incremental run: mode %s counts %+v", run.Mode, run.Counts)
	}
	h.check()
	// Idle: nothing to write.
	run, _, err = h.run(h.dest, Config{})
	if err != nil || run.Counts.Inserted+run.Counts.Updated+run.Counts.Deleted != 0 {
		t.Fatalf("idle run: %+v %v", run.Counts, err)
	}
}

func TestModeDecisions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 50, 2)
	h.sync.FullEvery = 2
	modes := []ferry.Mode{}
	for range 7 {
		run, _, err := h.run(h.dest, Config{})
		if err != nil {
			t.Fatal(err)
		}
		modes = append(modes, run.Mode)
	}
	want := []ferry.Mode{"full", "incremental", "incremental", "full", "incremental", "incremental", "full"}
	if fmt.Sprint(modes) != fmt.Sprint(want) {
		t.Errorf("modes %v, want %v", modes, want)
	}
	// A watermark older than the feed's retention forces a full run.
	h.sync.FullEvery = 0
	h.now = h.now.Add(31 * 24 * time.Hour)
	run, _, err := h.run(h.dest, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Mode != ferry.ModeFull || run.Reason == "" {
		t.Errorf("after 31 days: mode %s reason %q", run.Mode, run.Reason)
	}
}

func TestCancelCommitsInFlightAndStops(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 400, 2)
	ctx, cancel := context.WithCancel(context.Background())
	rec := &cancelAfter{n: 2, cancel: cancel}
	run := &ferry.Run{ID: "run_c"}
	err := New(Config{Concurrency: 2, BatchSize: 20, Now: func() time.Time { return h.now }}).Run(ctx,
		Job{Run: run, Sync: h.sync, Plan: h.plan, Conn: h.cat, Dest: h.dest, Observer: rec})
	if ferry.ErrorCode(err) != ferry.ECANCELED {
		t.Fatalf("err = %v, want cancelled", err)
	}
	if run.Batches < 2 {
		t.Errorf("%d batches recorded", run.Batches)
	}
	r2, _, err := h.run(h.dest, Config{Concurrency: 2, BatchSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Counts.Fetched >= 400 {
		t.Errorf("after cancel the next run fetched %d: it did not resume", r2.Counts.Fetched)
	}
	h.check()
}

type cancelAfter struct {
	recorder
	n      int
	cancel func()
}

func (c *cancelAfter) Committed(ctx context.Context, b ferry.Batch, run ferry.Run, f float64) error {
	if b.Seq == int64(c.n) {
		c.cancel()
	}
	return c.recorder.Committed(ctx, b, run, f)
}

// sweeps records the Sweep of every write.
type sweeps struct {
	database.Destination
	mu  sync.Mutex
	ids []string
}

func (s *sweeps) Write(ctx context.Context, t database.Table, b database.Batch) (database.Result, error) {
	if len(b.Rows) > 0 {
		s.mu.Lock()
		s.ids = append(s.ids, b.Sweep)
		s.mu.Unlock()
	}
	return s.Destination.Write(ctx, t, b)
}

func TestFirstPassSkipsSweepLaterPassesDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 200, 3)
	h.sync.Strategy = ferry.Full
	rec := &sweeps{Destination: h.dest}
	if _, _, err := h.run(rec, Config{Concurrency: 2, BatchSize: 30}); err != nil {
		t.Fatal(err)
	}
	for _, id := range rec.ids {
		if id != "" {
			t.Fatalf("the first pass into an empty table recorded seen ids (sweep %q)", id)
		}
	}
	for _, id := range []string{"obj_00003", "obj_00100", "obj_00199"} {
		h.cat.remove(id, h.now.Unix())
	}
	rec.ids = nil
	run, _, err := h.run(rec, Config{Concurrency: 2, BatchSize: 30})
	if err != nil {
		t.Fatal(err)
	}
	if run.Counts.Deleted != 3 {
		t.Errorf("second pass deleted %d, want 3", run.Counts.Deleted)
	}
	for _, id := range rec.ids {
		if id != run.ID {
			t.Fatalf("the second pass wrote with sweep %q, want %q", id, run.ID)
		}
	}
	h.check()
}

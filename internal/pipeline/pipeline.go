package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/internal/transform"
	"github.com/ferrysync/ferry/provider"
)

// Config tunes a Pipeline. The zero value is usable.
type Config struct {
	Concurrency     int           // concurrent range fetchers; default 64 (a 100 req/s budget at 300 ms latency needs 30 requests in flight, with room for slow ones)
	RangesPerWorker int           // ranges per fetcher, for balance; default 4
	BatchSize       int           // rows per destination transaction; default 1000
	ClockSkew       time.Duration // margin between Ferry's and the provider's clocks; default 10m
	Logger          *slog.Logger
	Now             func() time.Time
}

func (c Config) withDefaults() Config {
	c.Concurrency = cmp.Or(c.Concurrency, 64)
	c.RangesPerWorker = cmp.Or(c.RangesPerWorker, 4)
	c.BatchSize = cmp.Or(c.BatchSize, 1000)
	c.ClockSkew = cmp.Or(c.ClockSkew, 10*time.Minute)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Pipeline executes runs.
type Pipeline struct{ cfg Config }

// New returns a Pipeline.
func New(cfg Config) *Pipeline { return &Pipeline{cfg: cfg.withDefaults()} }

// Observer hears about a run as it goes: the app records it in the control
// state and shows progress. Calls come from one goroutine at a time.
type Observer interface {
	// Started is called once the mode is decided (run.Mode, run.Reason).
	Started(ctx context.Context, run ferry.Run) error
	// Committed is called after each batch is durable, in commit order, with
	// the run's totals so far and the estimated fraction done (-1: unknown).
	Committed(ctx context.Context, b ferry.Batch, run ferry.Run, fraction float64) error
	// Failed reports records that were written with some columns left NULL.
	Failed(ctx context.Context, errs []ferry.RecordError) error
}

// Job is one run to execute.
type Job struct {
	Run       *ferry.Run // ID set by the caller; the pipeline fills Mode, Reason, counts
	Sync      ferry.SyncConfig
	Plan      *transform.Plan
	Conn      provider.Conn
	Dest      database.Destination
	ForceFull bool
	Observer  Observer
}

// Run executes the job to the end. It returns nil when the run succeeded;
// a cancelled ctx returns an error with code ECANCELED after the batch in
// flight has committed.
func (p *Pipeline) Run(ctx context.Context, job Job) error {
	lister, ok := job.Conn.(provider.Lister)
	if !ok {
		return ferry.Errorf(ferry.EINVALID, "provider connection cannot list objects")
	}
	if err := job.Dest.Prepare(ctx, job.Plan.Table); err != nil {
		return fmt.Errorf("prepare table %s: %w", job.Plan.Table.Name, err)
	}
	cp, _, err := job.Dest.Checkpoint(ctx, job.Sync.Name)
	if err != nil {
		return fmt.Errorf("load checkpoint: %w", err)
	}
	bf, err := decode[backfill](cp.Backfill, "backfill")
	if err != nil {
		return err
	}
	inc, err := decode[incremental](cp.Incremental, "incremental")
	if err != nil {
		return err
	}
	feed, _ := job.Conn.(provider.ChangeFeed)
	mode, reason := p.decide(job, bf, inc, feed)
	job.Run.Mode, job.Run.Reason = mode, reason
	if err := job.Observer.Started(ctx, *job.Run); err != nil {
		return err
	}
	p.cfg.Logger.InfoContext(ctx, "run started", "mode", mode, "reason", reason)
	if mode == ferry.ModeFull {
		if bf == nil {
			bf, err = p.plan(ctx, job, lister)
			if err != nil {
				return err
			}
		}
		return p.full(ctx, job, lister, bf, inc)
	}
	return p.incremental(ctx, job, lister, feed, inc)
}

// decide picks the run's mode and says why.
func (p *Pipeline) decide(job Job, bf *backfill, inc *incremental, feed provider.ChangeFeed) (ferry.Mode, string) {
	switch {
	case bf != nil:
		return ferry.ModeFull, fmt.Sprintf("resuming the full pass started by run %s", bf.Sweep)
	case job.ForceFull:
		return ferry.ModeFull, "full run requested"
	case job.Sync.Strategy != ferry.Incremental:
		return ferry.ModeFull, "strategy is full"
	case inc == nil:
		return ferry.ModeFull, "first run: a full pass sets the high watermark"
	case job.Sync.FullEvery > 0 && inc.SinceFull >= job.Sync.FullEvery:
		return ferry.ModeFull, fmt.Sprintf("full_every %d: %d incremental runs since the last full pass", job.Sync.FullEvery, inc.SinceFull)
	case feed != nil && p.cfg.Now().Sub(time.Unix(inc.Events.Time, 0)) > feed.Retention()-p.cfg.ClockSkew:
		return ferry.ModeFull, fmt.Sprintf("the change feed keeps %s and the last position is from %s, so changes may be missing",
			days(feed.Retention()), time.Unix(inc.Events.Time, 0).UTC().Format(time.DateTime))
	}
	return ferry.ModeIncremental, "changes since " + time.Unix(inc.Created.Time, 0).UTC().Format(time.DateTime)
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// plan starts a new full pass: split the listing into ranges and save them
// before the first page is fetched.
func (p *Pipeline) plan(ctx context.Context, job Job, lister provider.Lister) (*backfill, error) {
	started := p.cfg.Now()
	ranges, err := lister.Ranges(ctx, job.Sync.Object, p.cfg.Concurrency*p.cfg.RangesPerWorker)
	if err != nil {
		return nil, fmt.Errorf("plan full pass: %w", err)
	}
	existing, err := job.Dest.Rows(ctx, job.Plan.Table, "", 1)
	if err != nil {
		return nil, fmt.Errorf("plan full pass: %w", err)
	}
	bf := &backfill{Sweep: job.Run.ID, StartedAt: started.UTC(), Empty: len(existing) == 0}
	for _, r := range ranges {
		bf.Ranges = append(bf.Ranges, rangeState{Range: r})
		if r.Hi > 0 {
			bf.Newest = max(bf.Newest, r.Hi-1)
		}
	}
	cp := &database.Checkpoint{Key: job.Sync.Name, Backfill: encode(bf)}
	if _, err := job.Dest.Write(ctx, job.Plan.Table, database.Batch{RunID: job.Run.ID, At: started, Checkpoint: cp}); err != nil {
		return nil, fmt.Errorf("save checkpoint: %w", err)
	}
	return bf, nil
}

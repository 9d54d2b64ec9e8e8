package pipeline

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
)

// page is what a fetcher hands the collector.
type page struct {
	rows     []database.Row
	deletes  []string
	failed   []ferry.RecordError
	fetched  int64
	from, to string // positions, for the batch log
	advance  func() // moves the checkpoint state past this page; run by the collector
}

// source fetches and sends pages until it is done or ctx ends.
type source func(ctx context.Context, send func(page) error) error

// cut is one batch on its way to the writer.
type cut struct {
	batch    database.Batch
	fetched  int64
	failed   []ferry.RecordError
	from, to string
	fraction float64
}

// execute runs src through the collector and the writer (see doc.go). The
// checkpoint func snapshots the position as of the pages collected so far.
func (p *Pipeline) execute(ctx context.Context, job Job, src source, checkpoint func() *database.Checkpoint, fraction func() float64, sweep string) error {
	fetchCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// A short queue: a fetcher blocked on it holds its page, so the pages in
	// memory are at most Concurrency plus this depth.
	pages := make(chan page, 8)
	var fetchErr error
	go func() {
		defer close(pages)
		fetchErr = src(fetchCtx, func(pg page) error {
			select {
			case pages <- pg:
				return nil
			case <-fetchCtx.Done():
				return context.Cause(fetchCtx)
			}
		})
	}()

	batches := make(chan cut, 1)
	var writeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c := range batches {
			if writeErr != nil {
				continue // drain: the collector must never block
			}
			if err := p.commit(ctx, job, c); err != nil {
				writeErr = err
				cancel(err)
			}
		}
	}()

	var cur cut
	var size int
	flush := func() {
		cur.batch.RunID, cur.batch.Sweep = job.Run.ID, sweep
		cur.batch.Checkpoint = checkpoint()
		cur.fraction = fraction()
		batches <- cur
		cur, size = cut{}, 0
	}
	for pg := range pages {
		if fetchCtx.Err() != nil {
			continue // stopping: what is not cut yet is fetched again next time
		}
		if size == 0 {
			cur.from = pg.from
		}
		cur.to = pg.to
		cur.batch.Rows = append(cur.batch.Rows, pg.rows...)
		cur.batch.Deletes = append(cur.batch.Deletes, pg.deletes...)
		cur.failed = append(cur.failed, pg.failed...)
		cur.fetched += pg.fetched
		size += len(pg.rows) + len(pg.deletes)
		if pg.advance != nil {
			pg.advance()
		}
		if size >= p.cfg.BatchSize {
			flush()
		}
	}
	if fetchCtx.Err() == nil && fetchErr == nil && cur.fetched > 0 {
		flush()
	}
	close(batches)
	wg.Wait()

	switch {
	case writeErr != nil:
		return writeErr
	case ctx.Err() != nil:
		return &ferry.Error{Code: ferry.ECANCELED, Message: "run cancelled; committed batches and the checkpoint are kept", Err: ctx.Err()}
	case fetchErr != nil:
		return fetchErr
	}
	return nil
}

// commit writes one batch and records it. It uses a context that the run's
// cancellation does not reach, so a batch in flight when the user presses
// Ctrl-C still commits together with its checkpoint.
func (p *Pipeline) commit(ctx context.Context, job Job, c cut) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	defer cancel()
	start := p.cfg.Now()
	c.batch.At = start
	res, err := job.Dest.Write(wctx, job.Plan.Table, c.batch)
	if err != nil {
		return fmt.Errorf("write batch %d: %w", job.Run.Batches+1, err)
	}
	counts := ferry.Counts{Fetched: c.fetched, Inserted: res.Inserted, Updated: res.Updated,
		Unchanged: res.Unchanged, Deleted: res.Deleted, Failed: int64(len(c.failed))}
	return p.record(wctx, job, counts, int64(len(c.batch.Rows)+len(c.batch.Deletes)), c.from, c.to, c.fraction, start, c.failed)
}

// record adds one committed batch to the run and tells the observer.
func (p *Pipeline) record(ctx context.Context, job Job, counts ferry.Counts, records int64, from, to string, fraction float64, start time.Time, failed []ferry.RecordError) error {
	run := job.Run
	run.Counts.Add(counts)
	run.Batches++
	now := p.cfg.Now()
	b := ferry.Batch{RunID: run.ID, Seq: run.Batches, Records: records, Counts: counts,
		Duration: now.Sub(start), CursorFrom: from, CursorTo: to, CommittedAt: now.UTC()}
	if len(failed) > 0 {
		for i := range failed {
			failed[i].RunID, failed[i].At = run.ID, now.UTC()
		}
		if err := job.Observer.Failed(ctx, failed); err != nil {
			return err
		}
	}
	return job.Observer.Committed(ctx, b, *run, fraction)
}

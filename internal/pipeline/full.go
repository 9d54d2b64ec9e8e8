package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/provider"
)

// full runs (or resumes) a full pass, then soft-deletes what it did not see
// and sets the incremental watermarks.
func (p *Pipeline) full(ctx context.Context, job Job, lister provider.Lister, bf *backfill, prev *incremental) error {
	// Fetchers start from the cursors as saved; the collector alone moves
	// bf forward as pages join batches.
	var todo []int
	starts := make([]string, len(bf.Ranges))
	for i, r := range bf.Ranges {
		starts[i] = r.Cursor
		if !r.Done {
			todo = append(todo, i)
		}
	}
	src := func(ctx context.Context, send func(page) error) error {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		work := make(chan int, len(todo))
		for _, i := range todo {
			work <- i
		}
		close(work)
		var wg sync.WaitGroup
		var once sync.Once
		var first error
		for range min(p.cfg.Concurrency, len(todo)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					if err := p.walk(ctx, job, lister, bf.Ranges[i].Range, i, starts[i], bf, send); err != nil {
						once.Do(func() { first = err; cancel(err) })
						return
					}
				}
			}()
		}
		wg.Wait()
		return first
	}
	checkpoint := func() *database.Checkpoint {
		return &database.Checkpoint{Key: job.Sync.Name, Backfill: encode(bf)}
	}
	sweep := bf.Sweep
	if bf.Empty {
		sweep = ""
	}
	if err := p.execute(ctx, job, src, checkpoint, bf.fraction, sweep); err != nil {
		return err
	}

	// Every range is durable: close the sweep and hand over to incremental
	// runs. New objects were created at or after the newest one the pass
	// planned for; changes are read from when the pass started, less the
	// clock margin.
	now := p.cfg.Now()
	inc := incremental{
		Created: ferry.Watermark{Time: bf.Newest},
		Events:  ferry.Watermark{Time: max(bf.Newest, bf.StartedAt.Add(-p.cfg.ClockSkew).Unix())},
		FullAt:  now.UTC(),
	}
	if prev != nil && prev.Created.Time > inc.Created.Time {
		inc.Created = prev.Created
	}
	cp := &database.Checkpoint{Key: job.Sync.Name, Backfill: []byte("null"), Incremental: encode(inc)}
	if bf.Empty {
		if _, err := job.Dest.Write(ctx, job.Plan.Table, database.Batch{RunID: job.Run.ID, At: now, Checkpoint: cp}); err != nil {
			return fmt.Errorf("finish full pass: %w", err)
		}
		return nil
	}
	deleted, err := job.Dest.FinishSweep(ctx, job.Plan.Table, bf.Sweep, job.Run.ID, now, cp)
	if err != nil {
		return fmt.Errorf("finish full pass: %w", err)
	}
	return p.record(ctx, job, ferry.Counts{Deleted: deleted}, deleted, "sweep "+bf.Sweep, "done", 1, now, nil)
}

// walk fetches one range page by page, newest first, from cursor on.
func (p *Pipeline) walk(ctx context.Context, job Job, lister provider.Lister, r ferry.Range, i int, cursor string, bf *backfill, send func(page) error) error {
	for {
		pg, err := lister.List(ctx, job.Sync.Object, r, cursor)
		if err != nil {
			return fmt.Errorf("list %s: %w", job.Sync.Object, err)
		}
		out := p.convert(job, pg.Records)
		out.from = position(r, cursor)
		next, done := cmpOr(pg.Cursor, cursor), pg.Done
		var last int64
		if n := len(pg.Records); n > 0 {
			last = pg.Records[n-1].Created
		}
		out.to = position(r, next)
		out.advance = func() {
			s := &bf.Ranges[i]
			s.Cursor, s.Done = next, done
			if last != 0 {
				s.Last = last
			}
		}
		if err := send(out); err != nil {
			return err
		}
		if done {
			return nil
		}
		cursor = next
	}
}

func position(r ferry.Range, cursor string) string {
	s := fmt.Sprintf("created [%d,%d)", r.Lo, r.Hi)
	if cursor != "" {
		s += " after " + cursor
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// convert transforms fetched records into a page. Tombstones become deletes.
func (p *Pipeline) convert(job Job, recs []ferry.Record) page {
	out := page{fetched: int64(len(recs)), rows: make([]database.Row, 0, len(recs))}
	for _, rec := range recs {
		if rec.Deleted {
			out.deletes = append(out.deletes, rec.ID)
			continue
		}
		row, errs := job.Plan.Row(rec)
		out.rows = append(out.rows, row)
		for _, e := range errs {
			out.failed = append(out.failed, ferry.RecordError{RecordID: rec.ID, Code: ferry.EINVALID,
				Message: e.Error() + "; the column is NULL and _raw keeps the value"})
		}
	}
	return out
}

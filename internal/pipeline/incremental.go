package pipeline

import (
	"context"
	"fmt"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/provider"
)

// incremental fetches what was created since the created watermark and what
// changed since the events watermark, then saves both watermarks in a last
// write after every batch before it is durable.
func (p *Pipeline) incremental(ctx context.Context, job Job, lister provider.Lister, feed provider.ChangeFeed, inc *incremental) error {
	next := *inc
	next.SinceFull++
	src := func(ctx context.Context, send func(page) error) error {
		r := ferry.Range{Lo: inc.Created.Time}
		cursor := ""
		for {
			pg, err := lister.List(ctx, job.Sync.Object, r, cursor)
			if err != nil {
				return fmt.Errorf("list new %s: %w", job.Sync.Object, err)
			}
			out := p.convert(job, pg.Records)
			out.from, out.to = position(r, cursor), position(r, pg.Cursor)
			for _, rec := range pg.Records {
				next.Created.Time = max(next.Created.Time, rec.Created)
			}
			if err := send(out); err != nil {
				return err
			}
			if pg.Done || pg.Cursor == "" {
				break
			}
			cursor = pg.Cursor
		}
		if feed == nil {
			return nil
		}
		from := fmt.Sprintf("events since %d", inc.Events.Time)
		wm, err := feed.Changes(ctx, job.Sync.Object, inc.Events, func(recs []ferry.Record) error {
			out := p.convert(job, recs)
			out.from, out.to = from, from
			return send(out)
		})
		if err != nil {
			return fmt.Errorf("read %s changes: %w", job.Sync.Object, err)
		}
		next.Events = wm
		return nil
	}
	noCheckpoint := func() *database.Checkpoint { return nil }
	unknown := func() float64 { return -1 }
	if err := p.execute(ctx, job, src, noCheckpoint, unknown, ""); err != nil {
		return err
	}
	cp := &database.Checkpoint{Key: job.Sync.Name, Incremental: encode(next)}
	at := p.cfg.Now()
	if _, err := job.Dest.Write(ctx, job.Plan.Table, database.Batch{RunID: job.Run.ID, At: at, Checkpoint: cp}); err != nil {
		return fmt.Errorf("save watermark: %w", err)
	}
	return nil
}

package main

import (
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
)

func syncCmd(g *globals) *cobra.Command {
	var full, queue, enqueue bool
	cmd := &cobra.Command{
		Use:   "sync NAME",
		Short: "Run one sync configuration now, in the foreground",
		Long: `Sync runs the named configuration now and shows its progress. Ctrl-C stops it
cleanly: committed batches stay, the checkpoint is kept, the run is cancelled,
and the next run continues from the checkpoint.

While the configuration has a queued or running run (a scheduled run, a
worker's, another terminal's), sync is refused with that run's id; with
--queue it waits for that run to finish, then runs.`,
		Args: exactArgs(1, "the name of a sync configuration"),
		RunE: func(cmd *cobra.Command, args []string) error {
			limitSyncMemory()
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if enqueue {
				run, err := a.Enqueue(cmd.Context(), args[0], full)
				if err != nil {
					return err
				}
				if g.json {
					return g.printJSON(runJSON(run))
				}
				fmt.Fprintf(g.stdout, "%s %s queued for the workers\n", run.ID, run.Config)
				return nil
			}
			p := newProgress(g, args[0])
			run, err := a.Sync(cmd.Context(), args[0], app.SyncOptions{Full: full, Queue: queue, Progress: p.update})
			p.done()
			if run.ID == "" {
				return err
			}
			if g.json {
				if perr := g.printJSON(runJSON(run)); perr != nil {
					return perr
				}
			} else {
				printSummary(g, run)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&enqueue, "enqueue", false, "queue the run for ferry serve or ferry worker and return at once")
	cmd.Flags().BoolVar(&queue, "queue", false, "wait behind the configuration's active run instead of refusing")
	cmd.Flags().BoolVar(&full, "full", false, "force a full pass (re-read everything, soft-delete what is gone)")
	return cmd
}

// progress draws a run's progress bar on a terminal: percent and ETA when
// the pass can estimate them, else a spinner; counts and rate always.
type progress struct {
	g     *globals
	name  string
	bar   *progressbar.ProgressBar
	start time.Time
	tty   bool
}

func newProgress(g *globals, name string) *progress {
	fi, err := os.Stderr.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0 && g.stderr == os.Stderr && !g.json
	return &progress{g: g, name: name, start: time.Now(), tty: tty}
}

func (p *progress) update(run ferry.Run, fraction float64) {
	if !p.tty {
		return
	}
	if p.bar == nil {
		// A full pass estimates how far it is (percent and ETA); an
		// incremental run cannot know how much changed: a spinner.
		max := int64(1000)
		if run.Mode != ferry.ModeFull {
			max = -1
		}
		p.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(p.g.stderr),
			progressbar.OptionSetDescription(p.name),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetPredictTime(max > 0),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14),
		)
	}
	secs := time.Since(p.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(run.Counts.Fetched) / secs
	}
	written := run.Counts.Inserted + run.Counts.Updated + run.Counts.Deleted
	p.bar.Describe(fmt.Sprintf("%s %s: fetched %d, written %d, %.0f rec/s", p.name, run.Mode, run.Counts.Fetched, written, rate))
	switch {
	case run.Mode != ferry.ModeFull:
		_ = p.bar.Add(1)
	case fraction >= 0:
		_ = p.bar.Set64(int64(fraction * 1000))
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func printSummary(g *globals, run ferry.Run) {
	c := run.Counts
	fmt.Fprintf(g.stdout, "%s %s %s (%s) in %s: fetched %d, inserted %d, updated %d, unchanged %d, deleted %d, failed %d, %d batches\n",
		run.ID, run.Config, run.Status, run.Mode, run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond),
		c.Fetched, c.Inserted, c.Updated, c.Unchanged, c.Deleted, c.Failed, run.Batches)
	if run.Reason != "" {
		fmt.Fprintf(g.stdout, "  mode: %s\n", run.Reason)
	}
	if run.Error != "" {
		fmt.Fprintf(g.stdout, "  error: %s\n", run.Error)
	}
}

// runView is a run as --json prints it.
type runView struct {
	ID        string     `json:"id"`
	Config    string     `json:"config"`
	Status    string     `json:"status"`
	Mode      string     `json:"mode"`
	Reason    string     `json:"reason,omitempty"`
	Fetched   int64      `json:"fetched"`
	Inserted  int64      `json:"inserted"`
	Updated   int64      `json:"updated"`
	Unchanged int64      `json:"unchanged"`
	Deleted   int64      `json:"deleted"`
	Failed    int64      `json:"failed"`
	Batches   int64      `json:"batches"`
	Attempt   int        `json:"attempt"`
	Started   time.Time  `json:"started"`
	Finished  *time.Time `json:"finished,omitempty"`
	ErrorCode string     `json:"error_code,omitempty"`
	Error     string     `json:"error,omitempty"`
}

func runJSON(r ferry.Run) runView {
	v := runView{ID: r.ID, Config: r.Config, Status: string(r.Status), Mode: string(r.Mode), Reason: r.Reason,
		Fetched: r.Counts.Fetched, Inserted: r.Counts.Inserted, Updated: r.Counts.Updated, Unchanged: r.Counts.Unchanged,
		Deleted: r.Counts.Deleted, Failed: r.Counts.Failed, Batches: r.Batches, Attempt: r.Attempt, Started: r.StartedAt,
		ErrorCode: r.ErrorCode, Error: r.Error}
	if !r.FinishedAt.IsZero() {
		f := r.FinishedAt
		v.Finished = &f
	}
	return v
}

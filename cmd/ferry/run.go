package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
)

func runCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run ID",
		Short: "Show one run: counts, its batch log and its errors",
		Args:  exactArgs(1, "a run id (see ferry runs)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := a.InterruptStale(ctx); err != nil {
				return err
			}
			run, err := a.Store().GetRun(ctx, args[0])
			if err != nil {
				return err
			}
			batches, err := a.Store().ListBatches(ctx, run.ID)
			if err != nil {
				return err
			}
			errs, err := a.Store().ListRecordErrors(ctx, run.ID, 1000)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(struct {
					runView
					BatchLog []batchView `json:"batch_log"`
					Errors   []errorView `json:"record_errors"`
				}{runJSON(run), batchViews(batches), errorViews(errs)})
			}
			printSummary(g, run)
			fmt.Fprintf(g.stdout, "  started %s on %s (pid %d), attempt %d\n", run.StartedAt.Local().Format(time.DateTime), run.Host, run.PID, run.Attempt)
			if len(batches) > 0 {
				fmt.Fprintln(g.stdout, "\nbatch log:")
				w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "  #\tRECORDS\tINSERTED\tUPDATED\tUNCHANGED\tDELETED\tFAILED\tDURATION\tFROM\tTO")
				for _, b := range batches {
					c := b.Counts
					fmt.Fprintf(w, "  %d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", b.Seq, b.Records, c.Inserted, c.Updated, c.Unchanged, c.Deleted, c.Failed,
						b.Duration.Round(time.Millisecond), b.CursorFrom, b.CursorTo)
				}
				_ = w.Flush()
			}
			if len(errs) > 0 {
				fmt.Fprintln(g.stdout, "\nrecord errors:")
				for _, e := range errs {
					fmt.Fprintf(g.stdout, "  %s: %s\n", e.RecordID, e.Message)
				}
			}
			return nil
		},
	}
	return cmd
}

type batchView struct {
	Seq        int64        `json:"seq"`
	Records    int64        `json:"records"`
	Counts     ferry.Counts `json:"counts"`
	DurationMS int64        `json:"duration_ms"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	Committed  time.Time    `json:"committed_at"`
}

func batchViews(bs []ferry.Batch) []batchView {
	out := make([]batchView, len(bs))
	for i, b := range bs {
		out[i] = batchView{Seq: b.Seq, Records: b.Records, Counts: b.Counts, DurationMS: b.Duration.Milliseconds(), From: b.CursorFrom, To: b.CursorTo, Committed: b.CommittedAt}
	}
	return out
}

type errorView struct {
	RecordID string    `json:"record_id"`
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	At       time.Time `json:"at"`
}

func errorViews(es []ferry.RecordError) []errorView {
	out := make([]errorView, len(es))
	for i, e := range es {
		out[i] = errorView{RecordID: e.RecordID, Code: e.Code, Message: e.Message, At: e.At}
	}
	return out
}

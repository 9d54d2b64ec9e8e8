package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

func runsCmd(g *globals) *cobra.Command {
	var limit int
	var status string
	cmd := &cobra.Command{
		Use:   "runs [NAME]",
		Short: "List runs, newest first (all configurations, or one)",
		Args:  cobraMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := a.InterruptStale(cmd.Context()); err != nil {
				return err
			}
			f := store.RunFilter{Limit: limit, Status: ferry.RunStatus(status)}
			if len(args) == 1 {
				f.Config = args[0]
			}
			runs, err := a.Store().ListRuns(cmd.Context(), f)
			if err != nil {
				return err
			}
			if g.json {
				views := make([]runView, len(runs))
				for i, r := range runs {
					views[i] = runJSON(r)
				}
				return g.printJSON(views)
			}
			if len(runs) == 0 {
				fmt.Fprintln(g.stdout, "no runs yet; start one with: ferry sync NAME")
				return nil
			}
			w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSYNC\tSTATUS\tMODE\tSTARTED\tDURATION\tFETCHED\tINSERTED\tUPDATED\tDELETED\tFAILED")
			for _, r := range runs {
				c := r.Counts
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Config, r.Status, r.Mode,
					r.StartedAt.Local().Format(time.DateTime), duration(r), c.Fetched, c.Inserted, c.Updated, c.Deleted, c.Failed)
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many runs")
	cmd.Flags().StringVar(&status, "status", "", "only runs with this status (queued, running, succeeded, failed, interrupted, cancelled)")
	return cmd
}

func duration(r ferry.Run) string {
	if r.FinishedAt.IsZero() {
		return "running"
	}
	return r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
}

func cobraMaxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return ferry.Errorf(ferry.EINVALID, "%s takes at most %d argument(s) (see %s --help)", cmd.CommandPath(), n, cmd.CommandPath())
		}
		return nil
	}
}

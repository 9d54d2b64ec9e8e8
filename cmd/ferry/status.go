package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func statusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each configuration: active or paused (which tier), last run, next run",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			list, err := a.Status(cmd.Context())
			if err != nil {
				return err
			}
			if g.json {
				if list == nil {
					return g.printJSON([]any{})
				}
				return g.printJSON(list)
			}
			w := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SYNC\tSTATE\tSCHEDULE\tNEXT RUN\tLAST RUN\tRUNNING")
			for _, s := range list {
				state := "active"
				if !s.Active {
					state = "paused (" + s.PausedBy + ")"
				}
				if s.QuotaUntil != nil {
					state += ", quota until " + s.QuotaUntil.Local().Format(time.DateTime)
				}
				sched, next, last, running := "-", "-", "-", "-"
				if s.Schedule != "" {
					sched = s.Schedule
					if s.Timezone != "" {
						sched += " (" + s.Timezone + ")"
					}
				}
				if s.NextRun != nil {
					next = s.NextRun.Local().Format(time.DateTime)
				}
				if s.LastRun != nil {
					last = fmt.Sprintf("%s %s", s.LastRun.Status, s.LastRun.Started.Local().Format(time.DateTime))
				}
				if s.ActiveRun != nil {
					running = fmt.Sprintf("%s %s (attempt %d)", s.ActiveRun.ID, s.ActiveRun.Status, s.ActiveRun.Attempt)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, state, sched, next, last, running)
			}
			return w.Flush()
		},
	}
}

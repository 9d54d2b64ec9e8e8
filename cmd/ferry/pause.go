package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

func tierArg(s string) (store.Tier, error) {
	switch t := store.Tier(s); t {
	case store.TierProject, store.TierSync, store.TierSchedule:
		return t, nil
	}
	return "", ferry.Errorf(ferry.EINVALID, "%q is not a tier: pause project NAME, sync NAME or schedule NAME", s)
}

func pauseCmd(g *globals) *cobra.Command {
	var cancelRunning bool
	cmd := &cobra.Command{
		Use:   "pause project|sync|schedule NAME",
		Short: "Stop new runs of a project, a sync configuration or its schedule",
		Long: `Pause stops new runs at one of three tiers: a project (all its configurations),
a sync configuration (scheduled and manual runs), or a configuration's schedule
(manual runs still work). A run already running goes on unless --cancel-running,
which stops it after the batch in flight. A refused run names the paused tier.`,
		Args: exactArgs(2, "a tier (project, sync or schedule) and a name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			tier, err := tierArg(args[0])
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			ids, err := a.Pause(cmd.Context(), tier, args[1], cancelRunning)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(map[string]any{"tier": tier, "name": args[1], "active": false, "cancelled_runs": ids})
			}
			fmt.Fprintf(g.stdout, "%s %s paused\n", tier, args[1])
			if len(ids) > 0 {
				fmt.Fprintf(g.stdout, "cancelled: %s\n", strings.Join(ids, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&cancelRunning, "cancel-running", false, "also cancel the runs it covers that are queued or running")
	return cmd
}

func resumeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume project|sync|schedule NAME",
		Short: "Let a paused project, sync configuration or schedule run again",
		Args:  exactArgs(2, "a tier (project, sync or schedule) and a name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			tier, err := tierArg(args[0])
			if err != nil {
				return err
			}
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.Resume(cmd.Context(), tier, args[1]); err != nil {
				return err
			}
			if g.json {
				return g.printJSON(map[string]any{"tier": tier, "name": args[1], "active": true})
			}
			fmt.Fprintf(g.stdout, "%s %s resumed\n", tier, args[1])
			return nil
		},
	}
}

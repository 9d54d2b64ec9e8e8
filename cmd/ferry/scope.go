package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

func scopeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scope",
		Short: "Start several syncs as one unit and follow them (start, list, show, delete, status delete)",
		Long: `A scope starts several sync configurations as one unit. Each start is a scope
instance with its own id; each of its syncs gets a status row (syncing, synced,
failed) and the instance an aggregate state: syncing until every sync has
finished, then failed if one failed, else synced; interrupted when the process
running it died or was stopped. The same rows are kept in each destination
(ferry.sync_scope and ferry.sync_status; ferry_sync_scope and ferry_sync_status
in SQLite): see docs/status-tables.md.`,
	}
	cmd.AddCommand(scopeStartCmd(g), scopeListCmd(g), scopeShowCmd(g), scopeDeleteCmd(g), scopeStatusCmd(g))
	return cmd
}

func scopeStartCmd(g *globals) *cobra.Command {
	var syncs string
	var parallel int
	var full, queue bool
	cmd := &cobra.Command{
		Use:   "start NAME",
		Short: "Start a scope instance and wait for it to finish",
		Long: `Start runs the scope's syncs (--syncs, or the syncs declared under scopes: in
ferry.yaml) concurrently, each as an ordinary run, and waits for all of them.
A scope cannot be started while an instance of it is syncing: the refusal names
that instance. Ctrl-C stops the runs cleanly and leaves the instance
interrupted. A sync whose configuration already has an active run fails
with that run's id, unless --queue, which waits for it. The exit code is 0 only
when every sync succeeded.`,
		Args: exactArgs(1, "a scope name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			opt := app.ScopeOptions{Parallel: parallel, Full: full, Queue: queue}
			for _, s := range strings.Split(syncs, ",") {
				if s = strings.TrimSpace(s); s != "" {
					opt.Syncs = append(opt.Syncs, s)
				}
			}
			if !g.json {
				opt.Started = func(sc ferry.Scope) {
					fmt.Fprintf(g.stderr, "scope %s started as %s: %d syncs\n", sc.Name, sc.ID, len(sc.Entities))
				}
				last := map[string]ferry.StatusState{} // calls are serialised
				opt.Progress = func(sc ferry.Scope, st ferry.SyncStatus) {
					if last[st.Config] == st.State {
						return // the run id, recorded once the run started
					}
					last[st.Config] = st.State
					c := sc.Counts
					line := fmt.Sprintf("  %-14s %-8s (%d of %d done", st.Config, st.State, c.Synced+c.Failed, len(sc.Entities))
					if c.Failed > 0 {
						line += fmt.Sprintf(", %d failed", c.Failed)
					}
					line += ")"
					if st.Error != "" {
						line += ": " + st.Error
					}
					fmt.Fprintln(g.stderr, line)
				}
			}
			sc, err := a.StartScope(ctx, args[0], opt)
			if sc.ID == "" {
				return err
			}
			if g.json {
				if perr := g.printJSON(scopeJSON(sc)); perr != nil {
					return perr
				}
			} else {
				printScope(g, sc)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&syncs, "syncs", "", "comma-separated sync configurations (default: the scope's declared syncs)")
	cmd.Flags().IntVar(&parallel, "parallel", 0, "how many syncs run at once (default: all)")
	cmd.Flags().BoolVar(&full, "full", false, "force full passes")
	cmd.Flags().BoolVar(&queue, "queue", false, "wait behind a sync's active run instead of failing that sync")
	return cmd
}

func scopeListCmd(g *globals) *cobra.Command {
	var limit int
	var state string
	cmd := &cobra.Command{
		Use:   "list [NAME]",
		Short: "List scope instances, newest first",
		Args:  cobraMaxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := a.InterruptStaleScopes(ctx); err != nil {
				return err
			}
			f := store.ScopeFilter{Limit: limit, State: ferry.ScopeState(state)}
			if len(args) == 1 {
				f.Name = args[0]
			}
			scopes, err := a.Store().ListScopes(ctx, f)
			if err != nil {
				return err
			}
			if g.json {
				views := make([]scopeView, len(scopes))
				for i, sc := range scopes {
					views[i] = scopeJSON(sc)
				}
				return g.printJSON(views)
			}
			if len(scopes) == 0 {
				fmt.Fprintln(g.stdout, "no scope instances yet; start one with: ferry scope start NAME --syncs a,b")
				return nil
			}
			w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSCOPE\tSTATE\tNOT STARTED\tSYNCING\tSYNCED\tFAILED\tSTARTED")
			for _, sc := range scopes {
				c := sc.Counts
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", sc.ID, sc.Name, sc.State, c.NotStarted, c.Syncing, c.Synced, c.Failed,
					sc.LastStartedAt.Local().Format(time.DateTime))
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many instances")
	cmd.Flags().StringVar(&state, "status", "", "only instances in this state (syncing, synced, failed, interrupted)")
	return cmd
}

func scopeShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a scope instance: its state, counts and the status of each sync",
		Args:  exactArgs(1, "a scope instance id (see ferry scope list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := a.InterruptStaleScopes(ctx); err != nil {
				return err
			}
			sc, err := a.Store().GetScope(ctx, args[0])
			if err != nil {
				return err
			}
			sts, err := a.Store().ListSyncStatuses(ctx, sc.ID)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(struct {
					scopeView
					Statuses []statusView `json:"statuses"`
				}{scopeJSON(sc), statusViews(sts)})
			}
			printScope(g, sc)
			if len(sts) > 0 {
				fmt.Fprintln(g.stdout, "\nstatus rows:")
				w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "  ID\tSYNC\tSTATE\tAT\tRUN")
				for _, st := range sts {
					fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", st.ID, st.Config, st.State, st.At.Local().Format(time.DateTime), st.RunID)
				}
				_ = w.Flush()
			}
			return nil
		},
	}
}

func scopeDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a finished scope instance and its status rows (also from the destinations)",
		Args:  exactArgs(1, "a scope instance id (see ferry scope list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			sc, err := a.DeleteScope(ctx, args[0])
			if sc.ID == "" {
				return err
			}
			if g.json {
				if perr := g.printJSON(map[string]string{"deleted": sc.ID, "scope": sc.Name}); perr != nil {
					return perr
				}
			} else {
				fmt.Fprintf(g.stdout, "deleted scope instance %s (%s)\n", sc.ID, sc.Name)
			}
			return err
		},
	}
}

// scopeStatusCmd holds the status-row commands; `ferry status` itself is
// the overview of configurations.
func scopeStatusCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Manage the status rows of scope instances (delete)",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "delete ID",
		Short: "Delete one status row (also from its destination); the scope instance keeps its counts",
		Args:  exactArgs(1, "a status row id (see ferry scope show ID)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			a, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			st, err := a.DeleteSyncStatus(ctx, args[0])
			if st.ID == "" {
				return err
			}
			if g.json {
				if perr := g.printJSON(map[string]string{"deleted": st.ID, "scope_id": st.Scope, "sync_config": st.Config}); perr != nil {
					return perr
				}
			} else {
				fmt.Fprintf(g.stdout, "deleted status %s (%s in scope instance %s)\n", st.ID, st.Config, st.Scope)
			}
			return err
		},
	})
	return cmd
}

// scopeView is a scope instance as --json prints it.
type scopeView struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	State         ferry.ScopeState    `json:"state"`
	NotStarted    int                 `json:"not_started"`
	Syncing       int                 `json:"syncing"`
	Failed        int                 `json:"failed"`
	Synced        int                 `json:"synced"`
	LastStartedAt *time.Time          `json:"last_started_at"`
	LastFailedAt  *time.Time          `json:"last_failed_at"`
	LastSyncedAt  *time.Time          `json:"last_synced_at"`
	FinishedAt    *time.Time          `json:"finished_at"`
	Error         string              `json:"error,omitempty"`
	Host          string              `json:"host"`
	PID           int                 `json:"pid"`
	Details       []ferry.ScopeEntity `json:"details"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func scopeJSON(sc ferry.Scope) scopeView {
	details := make([]ferry.ScopeEntity, len(sc.Entities))
	for i, e := range sc.Entities {
		if e.State == "" {
			e.State = "not_started"
		}
		details[i] = e
	}
	return scopeView{ID: sc.ID, Name: sc.Name, State: sc.State,
		NotStarted: sc.Counts.NotStarted, Syncing: sc.Counts.Syncing, Failed: sc.Counts.Failed, Synced: sc.Counts.Synced,
		LastStartedAt: optTime(sc.LastStartedAt), LastFailedAt: optTime(sc.LastFailedAt), LastSyncedAt: optTime(sc.LastSyncedAt),
		FinishedAt: optTime(sc.FinishedAt), Error: sc.Error, Host: sc.Host, PID: sc.PID, Details: details}
}

// statusView is a status row as --json prints it.
type statusView struct {
	ID        string            `json:"id"`
	ScopeID   string            `json:"scope_id"`
	Provider  string            `json:"provider"`
	Entity    string            `json:"entity"`
	Config    string            `json:"sync_config"`
	RunID     string            `json:"run_id"`
	State     ferry.StatusState `json:"state"`
	At        time.Time         `json:"timestamp"`
	ErrorCode string            `json:"error_code,omitempty"`
	Error     string            `json:"error,omitempty"`
}

func statusViews(sts []ferry.SyncStatus) []statusView {
	out := make([]statusView, len(sts))
	for i, st := range sts {
		out[i] = statusView{ID: st.ID, ScopeID: st.Scope, Provider: st.Provider, Entity: st.Entity, Config: st.Config,
			RunID: st.RunID, State: st.State, At: st.At, ErrorCode: st.ErrorCode, Error: st.Error}
	}
	return out
}

func printScope(g *globals, sc ferry.Scope) {
	c := sc.Counts
	fmt.Fprintf(g.stdout, "scope %s instance %s: %s (%d synced, %d failed, %d syncing, %d not started)\n",
		sc.Name, sc.ID, sc.State, c.Synced, c.Failed, c.Syncing, c.NotStarted)
	if sc.Error != "" {
		fmt.Fprintf(g.stdout, "  %s\n", sc.Error)
	}
	fmt.Fprintf(g.stdout, "  started %s on %s (pid %d)\n", sc.LastStartedAt.Local().Format(time.DateTime), sc.Host, sc.PID)
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  SYNC\tENTITY\tSTATE\tRUN\tERROR")
	for _, e := range sc.Entities {
		state := string(e.State)
		if state == "" {
			state = "not started"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", e.Config, e.Entity, state, e.RunID, e.Error)
	}
	_ = w.Flush()
}

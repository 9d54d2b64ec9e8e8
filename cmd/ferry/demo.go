package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/api"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/ui"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

var demoObjects = []string{"products", "prices", "customers", "subscriptions", "invoices", "charges"}

func demoCmd(g *globals) *cobra.Command {
	f := &fakeFlags{}
	var dir, serveAddr string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Sync a built-in Stripe-compatible demo account into a SQLite file",
		Long: `demo starts the built-in fake Stripe, seeded with thousands of customers,
products, prices, subscriptions, invoices and charges, declares a project, a
connection and one sync per object, and runs them: a full pass each, then a few
changes at the fake and an incremental run that picks them up. No services, no
keys, no network. Everything lands in --dir (starts afresh each time).`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			for _, name := range []string{"state.db", "stripe.db"} {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					_ = os.Remove(filepath.Join(abs, name+suffix))
				}
			}
			if err := os.MkdirAll(abs, 0o755); err != nil {
				return ferry.Errorf(ferry.EINVALID, "create %s: %v", abs, err)
			}
			srv := fake.New(f.config())
			url, err := srv.Start("127.0.0.1:0")
			if err != nil {
				return err
			}
			defer srv.Close()
			fmt.Fprintf(g.stdout, "fake Stripe on %s\n", url)

			g.state = filepath.Join(abs, "state.db")
			a, err := g.open(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			doc := &app.Document{
				Projects:    []app.ProjectSpec{{Name: "demo", Database: "sqlite://" + filepath.Join(abs, "stripe.db")}},
				Connections: []app.ConnectionSpec{{Name: "stripe", Provider: "stripe", APIKey: "sk_test_ferry", BaseURL: url, RateLimit: 1000}},
			}
			for _, o := range demoObjects {
				doc.Syncs = append(doc.Syncs, app.SyncSpec{Name: o, Connection: "stripe", Object: o, Project: "demo",
					Table: "stripe_" + o, Strategy: string(ferry.Incremental), FullEvery: 10})
			}
			if _, err := a.Apply(ctx, doc, app.ApplyOptions{}); err != nil {
				return err
			}
			var runs []ferry.Run
			for _, o := range demoObjects {
				p := newProgress(g, o)
				run, err := a.Sync(ctx, o, app.SyncOptions{Progress: p.update})
				p.done()
				if err != nil {
					return err
				}
				runs = append(runs, run)
			}

			// Change a few customers at the provider; an incremental run picks
			// the changes up from Stripe's events.
			ids := srv.LiveIDs("customers")
			for i, id := range ids[:min(25, len(ids))] {
				if _, err := srv.Update("customers", id, map[string]any{"name": fmt.Sprintf("Renamed Customer %d", i)}); err != nil {
					return err
				}
			}
			for _, id := range ids[25:min(30, len(ids))] {
				if err := srv.Delete("customers", id); err != nil {
					return err
				}
			}
			for i := range 10 {
				if _, err := srv.Create("customers", map[string]any{"email": fmt.Sprintf("new%d@example.com", i), "name": fmt.Sprintf("New Customer %d", i)}); err != nil {
					return err
				}
			}
			run, err := a.Sync(ctx, "customers", app.SyncOptions{})
			if err != nil {
				return err
			}
			runs = append(runs, run)

			w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "\nSYNC\tMODE\tSTATUS\tFETCHED\tINSERTED\tUPDATED\tUNCHANGED\tDELETED\tTIME")
			for _, r := range runs {
				c := r.Counts
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Config, r.Mode, r.Status, c.Fetched, c.Inserted, c.Updated, c.Unchanged, c.Deleted, duration(r))
			}
			_ = w.Flush()
			rel := abs
			if wd, err := os.Getwd(); err == nil {
				if r, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(r, "..") {
					rel = r
				}
			}
			fmt.Fprintf(g.stdout, `
The data is in %[1]s/stripe.db: one table per object (stripe_customers, ...),
typed columns plus _raw (the whole object), _ferry_synced_at, _ferry_deleted_at.
Run history: ferry runs --state %[1]s/state.db
One run:     ferry run %[2]s --state %[1]s/state.db
`, rel, run.ID)
			if serveAddr == "" {
				fmt.Fprintf(g.stdout, "Dashboard:   ferry demo --serve (then open the address it prints)\n")
				return nil
			}
			return serveDemoDashboard(ctx, g, a, serveAddr)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", "ferry-demo", "where the demo keeps its files")
	cmd.Flags().StringVar(&serveAddr, "serve", "", "after the demo, serve the dashboard on this address until Ctrl-C (--serve alone: 127.0.0.1:8700)")
	cmd.Flags().Lookup("serve").NoOptDefVal = "127.0.0.1:8700"
	return cmd
}

// serveDemoDashboard serves the dashboard over the demo's state until ctx
// ends, printing its address and the login. "Sync now" runs in this process.
func serveDemoDashboard(ctx context.Context, g *globals, a *app.App, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "dashboard: cannot listen on %s: %v (choose another with --serve=127.0.0.1:PORT)", addr, err)
	}
	fmt.Fprintln(g.stdout)
	mux := http.NewServeMux()
	apiSrv := api.New(a, api.Config{Logger: g.logger(), Metrics: app.NewMetrics()})
	defer apiSrv.Close()
	apiSrv.Mount(mux) // /api/, /openapi.json, /metrics, /healthz, as under ferry serve
	mux.Handle("/", ui.New(a, ui.Config{AdminPassword: os.Getenv("FERRY_ADMIN_PASSWORD"), Out: g.stdout, Logger: g.logger()}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(g.stdout, "Dashboard:   http://%s/  (log in with the admin password above; Ctrl-C stops)\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

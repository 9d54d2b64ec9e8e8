package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// fakeFlags configure the built-in Stripe-compatible fake.
type fakeFlags struct {
	addr      string
	seed      int64
	customers int
	scale     float64
	latency   time.Duration
	rateLimit float64
}

func (f *fakeFlags) config() fake.Config {
	n := func(base int) int { return int(float64(base) * f.scale) }
	counts := map[string]int{
		"customers": n(5000), "products": n(100), "prices": n(300),
		"invoices": n(8000), "subscriptions": n(2000), "charges": n(12000),
	}
	if f.customers > 0 {
		counts["customers"] = f.customers
	}
	return fake.Config{Seed: f.seed, Counts: counts, Latency: f.latency, RateLimit: f.rateLimit}
}

func fakeCmd(g *globals) *cobra.Command {
	f := &fakeFlags{}
	cmd := &cobra.Command{
		Use:   "fake-stripe",
		Short: "Serve the built-in Stripe-compatible fake (for trying Ferry, tests and benchmarks)",
		Long: `fake-stripe serves a stateful fake of Stripe's API, seeded deterministically:
the same paths, auth, pagination, filters, events, error bodies and rate-limit
answers. Its secret key is sk_test_ferry. It runs until interrupted.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv := fake.New(f.config())
			url, err := srv.Start(f.addr)
			if err != nil {
				return err
			}
			defer srv.Close()
			fmt.Fprintf(g.stdout, "fake Stripe listening on %s (api key sk_test_ferry)\n", url)
			<-cmd.Context().Done()
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:12111", "listen address")
	return cmd
}

func (f *fakeFlags) register(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&f.seed, "seed", 1, "seed for the generated data")
	cmd.Flags().Float64Var(&f.scale, "scale", 1, "multiply the default object counts (5,000 customers, 8,000 invoices, 12,000 charges, ...)")
	cmd.Flags().IntVar(&f.customers, "customers", 0, "number of customers (overrides --scale for customers)")
	cmd.Flags().DurationVar(&f.latency, "latency", 0, "latency added to every request")
	cmd.Flags().Float64Var(&f.rateLimit, "rate-limit", 0, "requests per second before answering 429 (0: unlimited)")
}

package executor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database/postgres"
	"github.com/ferrysync/ferry/internal/executor"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/provider"
	"github.com/ferrysync/ferry/provider/stripe"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// stripeAnswer serves one canned Stripe answer and returns the error a
// Stripe client (one attempt per request) makes of it.
func stripeAnswer(t *testing.T, status int, header map[string]string, body string) error {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c, err := stripe.NewClient(stripe.Config{Config: provider.Config{APIKey: ferry.NewSecret("sk_test_x"), BaseURL: srv.URL}, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.List(context.Background(), "customers", ferry.Range{Lo: 0, Hi: 1 << 40}, "")
	if err == nil {
		t.Fatal("no error from the canned answer")
	}
	return err
}

// TestRetryDecisions drives real error bodies through the adapters'
// classifiers and checks the executor's decision from the code alone.
func TestRetryDecisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const rateLimited = `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests hit the API too quickly. We recommend an exponential backoff of your requests."}}`
	const badKey = `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_********"}}`
	const apiError = `{"error":{"type":"api_error","message":"An unknown error occurred"}}`
	admin := pgtest.DB(t)
	base := admin[:strings.LastIndex(admin, "/")]

	cases := []struct {
		name  string
		err   func(t *testing.T) error
		code  string
		retry bool
	}{
		{"stripe 429", func(t *testing.T) error { return stripeAnswer(t, 429, nil, rateLimited) }, ferry.ERATELIMITED, true},
		{"stripe 429 Stripe-Should-Retry true", func(t *testing.T) error {
			return stripeAnswer(t, 429, map[string]string{"Stripe-Should-Retry": "true", "Retry-After": "1"}, rateLimited)
		}, ferry.ERATELIMITED, true},
		{"stripe 401", func(t *testing.T) error { return stripeAnswer(t, 401, nil, badKey) }, ferry.EUNAUTHORIZED, false},
		{"stripe 500", func(t *testing.T) error { return stripeAnswer(t, 500, nil, apiError) }, ferry.EUNAVAILABLE, true},
		{"stripe 400", func(t *testing.T) error {
			return stripeAnswer(t, 400, nil, `{"error":{"type":"invalid_request_error","param":"limit","message":"Invalid integer: abc"}}`)
		}, ferry.EINVALID, false},
		{"postgres connection refused", func(t *testing.T) error {
			_, err := postgres.Open(ctx, "postgres://ferry@127.0.0.1:1/app?connect_timeout=2")
			return err
		}, ferry.EUNAVAILABLE, true},
		{"postgres 3D000 database does not exist", func(t *testing.T) error {
			_, err := postgres.Open(ctx, base+"/no_such_database_x")
			return err
		}, ferry.ENOTFOUND, false},
		{"postgres 28000 role does not exist", func(t *testing.T) error {
			_, err := postgres.Open(ctx, strings.Replace(base, "ferry@", "nobody_here@", 1)+"/postgres")
			return err
		}, ferry.EUNAUTHORIZED, false},
		{"context cancelled", func(t *testing.T) error { return context.Canceled }, ferry.ECANCELED, false},
	}
	p := executor.RetryPolicy{Rand: func() float64 { return 0.5 }}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err(t)
			code := ferry.ErrorCode(err)
			if code != tc.code {
				t.Fatalf("code %q, want %q (error: %v)", code, tc.code, err)
			}
			if retry, _ := p.Decide(code, 1); retry != tc.retry {
				t.Errorf("retry = %v, want %v", retry, tc.retry)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rand     float64
		attempt  int
		want     time.Duration
		retry    bool
		maxTries int
	}{
		{0, 1, 15 * time.Second, true, 0},        // half of 30s
		{0.999999, 1, 30 * time.Second, true, 0}, // up to 30s
		{0, 2, 30 * time.Second, true, 0},        // 60s, half fixed
		{0, 4, 120 * time.Second, true, 0},       // 240s
		{0, 4, 0, false, 4},                      // attempts used up
		{0.5, 30, 1350 * time.Second, true, 100}, // capped at 30m: 15m + 7.5m
	} {
		p := executor.RetryPolicy{Rand: func() float64 { return tc.rand }, MaxAttempts: tc.maxTries}
		retry, d := p.Decide(ferry.EUNAVAILABLE, tc.attempt)
		if retry != tc.retry || d.Round(time.Second) != tc.want {
			t.Errorf("attempt %d rand %v: retry %v after %s, want %v after %s", tc.attempt, tc.rand, retry, d, tc.retry, tc.want)
		}
	}
}

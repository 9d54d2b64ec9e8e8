package stripe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/provider"
)

func TestOpen(t *testing.T) {
	t.Parallel()
	p := New()
	if p.Name() != "stripe" {
		t.Errorf("Name = %q", p.Name())
	}
	if _, err := p.Open(provider.Config{}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("Open without key: %v, want EINVALID", err)
	}
	if _, err := p.Open(provider.Config{APIKey: ferry.NewSecret(testKey), BaseURL: "ftp://x"}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("Open with ftp URL: %v, want EINVALID", err)
	}
	conn, err := p.Open(provider.Config{APIKey: ferry.NewSecret(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	c := conn.(*Client)
	if c.cfg.BaseURL != DefaultBaseURL || c.cfg.RateLimit != DefaultRateLimit || c.cfg.MaxAttempts != DefaultMaxAttempts {
		t.Errorf("defaults not applied: %+v", c.cfg)
	}
}

func TestObjects(t *testing.T) {
	t.Parallel()
	objs := New().Objects()
	if len(objs) != len(objectInfos) {
		t.Fatalf("%d objects, %d fetchable", len(objs), len(objectInfos))
	}
	for _, o := range objs {
		if _, ok := objectInfos[o.Name]; !ok {
			t.Errorf("object %s has no list path", o.Name)
		}
		if o.Fields[0].Name != "id" {
			t.Errorf("%s: first field %q, want id", o.Name, o.Fields[0].Name)
		}
		for _, want := range []ferry.Field{{Name: "created", Type: ferry.Timestamp}, {Name: "metadata", Type: ferry.JSON}, {Name: "livemode", Type: ferry.Boolean}} {
			if f, ok := o.Field(want.Name); ok && f != want {
				t.Errorf("%s.%s = %v, want %v", o.Name, want.Name, f.Type, want.Type)
			} else if !ok && want.Name == "created" {
				t.Errorf("%s has no created", o.Name)
			}
		}
	}
	if f, _ := provider.Object(New(), "invoices"); f.Fields == nil {
		t.Fatal("no invoices")
	} else if ft, _ := f.Field("amount_due"); ft.Type != ferry.Integer {
		t.Errorf("invoices.amount_due = %v", ft.Type)
	}
	if _, err := lookup("refunds"); ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), "customers") {
		t.Errorf("lookup(refunds) = %v", err)
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	var got http.Header
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		if r.URL.Path != "/v1/customers" || r.URL.RawQuery != "limit=1" {
			t.Errorf("Verify asked for %s", r.URL)
		}
		w.Write([]byte(`{"object": "balance", "available": []}`))
	})
	c, _ := newTestClient(t, srv.URL, Config{})
	if err := c.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got.Get("Authorization"))
	}
	if got.Get("Stripe-Version") != StripeVersion {
		t.Errorf("Stripe-Version = %q", got.Get("Stripe-Version"))
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answers []func(w http.ResponseWriter) // one per attempt; the last repeats
		max     int
		code    string // "" for success
		reqs    int64
		slept   []time.Duration
	}{
		{
			name:    "500 then success",
			answers: []func(http.ResponseWriter){status(500, nil), ok},
			reqs:    2, slept: []time.Duration{500 * time.Millisecond},
		},
		{
			name:    "exponential backoff capped at MaxDelay",
			answers: []func(http.ResponseWriter){status(503, nil)},
			max:     7, code: ferry.EUNAVAILABLE, reqs: 7,
			slept: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second},
		},
		{
			name:    "Retry-After seconds",
			answers: []func(http.ResponseWriter){status(429, map[string]string{"Retry-After": "3"}), ok},
			reqs:    2, slept: []time.Duration{3 * time.Second},
		},
		{
			name:    "Stripe-Should-Retry false on 429",
			answers: []func(http.ResponseWriter){status(429, map[string]string{"Stripe-Should-Retry": "false"})},
			code:    ferry.ERATELIMITED, reqs: 1,
		},
		{
			name:    "Stripe-Should-Retry true on 400",
			answers: []func(http.ResponseWriter){status(400, map[string]string{"Stripe-Should-Retry": "true"}), ok},
			reqs:    2, slept: []time.Duration{500 * time.Millisecond},
		},
		{
			name:    "400 not retried",
			answers: []func(http.ResponseWriter){status(400, nil)},
			code:    ferry.EINVALID, reqs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				i := min(int(n.Add(1))-1, len(tt.answers)-1)
				tt.answers[i](w)
			})
			c, clock := newTestClient(t, srv.URL, Config{MaxAttempts: tt.max, MaxDelay: 10 * time.Second})
			err := c.Verify(t.Context())
			if got := ferry.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q, want %q (%v)", got, tt.code, err)
			}
			if st := c.Stats(); st.Requests != tt.reqs || st.Retries != tt.reqs-1 {
				t.Errorf("stats = %+v, want %d requests", st, tt.reqs)
			}
			if got := clock.Slept(); !equalDurations(got, tt.slept) {
				t.Errorf("slept %v, want %v", got, tt.slept)
			}
		})
	}
}

func TestRetryJitter(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { status(500, nil)(w) })
	c, clock := newTestClient(t, srv.URL, Config{MaxAttempts: 4, Jitter: func() float64 { return 0.25 }})
	_ = c.Verify(t.Context())
	want := []time.Duration{125 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond}
	if got := clock.Slept(); !equalDurations(got, want) {
		t.Errorf("slept %v, want %v", got, want)
	}
}

func TestRetryNetworkError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused from now on
	c, _ := newTestClient(t, "http://"+addr, Config{MaxAttempts: 3})
	err = c.Verify(t.Context())
	if ferry.ErrorCode(err) != ferry.EUNAVAILABLE {
		t.Fatalf("err = %v, want EUNAVAILABLE", err)
	}
	if st := c.Stats(); st.Requests != 3 || st.Retries != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { status(503, nil)(w) })
	ctx, cancel := context.WithCancel(t.Context())
	c, _ := newTestClient(t, srv.URL, Config{MaxAttempts: 100})
	c.cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	err := c.Verify(ctx)
	if !errors.Is(err, context.Canceled) || ferry.ErrorCode(err) != ferry.ECANCELED {
		t.Fatalf("err = %v, want canceled", err)
	}
	if st := c.Stats(); st.Requests != 1 {
		t.Errorf("stats = %+v, want 1 request", st)
	}
}

// The token bucket paces requests on the injected clock: at 10/s with a
// burst of 2, 42 requests take 4 seconds.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { ok(w) })
	c, clock := newTestClient(t, srv.URL, Config{Config: provider.Config{RateLimit: 10}})
	for range 42 {
		if err := c.Verify(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.Total(); got != 4*time.Second {
		t.Errorf("slept %v in total, want 4s", got)
	}
	if st := c.Stats(); st.Requests != 42 || st.Retries != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"2", 2 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{now.Add(-7 * time.Second).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
		{"-1", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func ok(w http.ResponseWriter) { w.Write([]byte(`{"object": "balance"}`)) }

func status(code int, header map[string]string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		w.Write([]byte(`{"error": {"message": "test", "type": "api_error"}}`))
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package fake_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := fake.New(fake.Config{Now: clk.Now, RateLimit: 2})
	wantStatus(t, do(t, s, "GET", "/v1/balance", nil), 200)
	wantStatus(t, do(t, s, "GET", "/v1/balance", nil), 200)
	r := do(t, s, "GET", "/v1/balance", nil)
	wantStatus(t, r, http.StatusTooManyRequests)
	e := r.errorBody(t)
	if e["type"] != "invalid_request_error" || e["code"] != "rate_limit" {
		t.Fatalf("429 body %v", e)
	}
	if r.header.Get("Stripe-Should-Retry") != "true" {
		t.Fatal("no Stripe-Should-Retry on 429")
	}
	clk.Advance(500 * time.Millisecond) // one token back
	wantStatus(t, do(t, s, "GET", "/v1/balance", nil), 200)
	wantStatus(t, do(t, s, "GET", "/v1/balance", nil), 429)
	s.SetRateLimit(0)
	for range 10 {
		wantStatus(t, do(t, s, "GET", "/v1/balance", nil), 200)
	}
	st := s.Stats()
	if st.Throttled != 2 || st.Requests != 15 || st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, map[string]int{"customers": 3}, 0)
	for _, tc := range []struct {
		status    int
		errorType string
	}{{500, "api_error"}, {503, "api_error"}, {429, "invalid_request_error"}} {
		s.FailNext(2, tc.status)
		for range 2 {
			r := do(t, s, "GET", "/v1/customers", nil)
			wantStatus(t, r, tc.status)
			if e := r.errorBody(t); e["type"] != tc.errorType {
				t.Fatalf("%d: %v", tc.status, e)
			}
			if r.header.Get("Stripe-Should-Retry") != "true" {
				t.Fatalf("%d: no Stripe-Should-Retry", tc.status)
			}
		}
		wantStatus(t, do(t, s, "GET", "/v1/customers", nil), 200)
	}
	if st := s.Stats(); st.Errors != 6 || st.Throttled != 2 || st.Requests != 9 {
		t.Fatalf("stats %+v", st)
	}
}

func TestLatencyHonoursContext(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, nil, 0)
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequestWithContext(ctx, "GET", "/v1/balance", nil)
	r.Header.Set("Authorization", "Bearer "+fake.DefaultAPIKey)
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.ServeHTTP(w, r); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a canceled request waited out the latency")
	}
	s.SetLatency(time.Millisecond)
	wantStatus(t, do(t, s, "GET", "/v1/balance", nil), 200)
}

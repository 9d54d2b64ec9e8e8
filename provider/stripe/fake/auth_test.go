package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, map[string]int{"customers": 1}, 0)
	const wrong = "sk_test_51Habcdefghijklmnopqrstuvwxyzabcd"
	for _, tc := range []struct {
		name    string
		auth    func(*http.Request)
		status  int
		message string
	}{
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+fake.DefaultAPIKey) }, 200, ""},
		{"basic with the key as user", func(r *http.Request) { r.SetBasicAuth(fake.DefaultAPIKey, "") }, 200, ""},
		{"missing", nil, 401, "You did not provide an API key."},
		{"wrong bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+wrong) }, 401,
			"Invalid API Key provided: sk_test_" + strings.Repeat("*", len(wrong)-len("sk_test_")-4) + "abcd"},
		{"wrong basic", func(r *http.Request) { r.SetBasicAuth(wrong, "") }, 401, "Invalid API Key provided: sk_test_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := doAuth(t, s, "GET", "/v1/customers", nil, tc.auth)
			wantStatus(t, r, tc.status)
			if r.header.Get("Request-Id") == "" || !strings.HasPrefix(r.header.Get("Request-Id"), "req_") {
				t.Errorf("Request-Id %q", r.header.Get("Request-Id"))
			}
			if tc.status == 200 {
				return
			}
			e := r.errorBody(t)
			if e["type"] != "invalid_request_error" || !strings.HasPrefix(e["message"].(string), tc.message) {
				t.Errorf("error %v", e)
			}
			if strings.Contains(r.raw, wrong) || strings.Contains(r.raw, "abcdefghij") {
				t.Errorf("the key is echoed: %s", r.raw)
			}
			if len(e) != 2 {
				t.Errorf("Stripe's 401 body has message and type only: %v", e)
			}
		})
	}
	t.Run("custom key", func(t *testing.T) {
		s := fake.New(fake.Config{APIKey: "sk_test_custom"})
		r := doAuth(t, s, "GET", "/v1/balance", nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer sk_test_custom") })
		wantStatus(t, r, 200)
		if r.body["object"] != "balance" {
			t.Fatalf("balance: %s", r.raw)
		}
		wantStatus(t, do(t, s, "GET", "/v1/balance", nil), 401)
	})
}

func TestMaskShortKey(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, nil, 0)
	r := doAuth(t, s, "GET", "/v1/balance", nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") })
	wantStatus(t, r, 401)
	if strings.Contains(r.raw, "abc") {
		t.Fatalf("short key echoed: %s", r.raw)
	}
}

func TestStripeVersionHeader(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, nil, 0)
	r := do(t, s, "GET", "/v1/balance", nil)
	if got := r.header.Get("Stripe-Version"); got != fake.DefaultAPIVersion {
		t.Fatalf("default Stripe-Version %q", got)
	}
	r = doAuth(t, s, "GET", "/v1/balance", nil, func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+fake.DefaultAPIKey)
		r.Header.Set("Stripe-Version", "2023-10-16")
	})
	if got := r.header.Get("Stripe-Version"); got != "2023-10-16" {
		t.Fatalf("echoed Stripe-Version %q", got)
	}
}

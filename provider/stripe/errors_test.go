package stripe

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrysync/ferry"
)

// Real Stripe error answers (API 2024+), keys masked as Stripe masks them.
func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		code      string
		requests  int64
		throttled int64
		message   []string // substrings of the user message
	}{
		{
			name:   "429 rate limit, Stripe says retry",
			status: 429,
			header: map[string]string{"Stripe-Should-Retry": "true", "Request-Id": "req_JpYv1jqYz9d3a1"},
			body: `{"error": {"code": "rate_limit", "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
				"message": "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
				"type": "invalid_request_error"}}`,
			code: ferry.ERATELIMITED, requests: 3, throttled: 3,
			message: []string{"rate limit", "3 attempts"},
		},
		{
			name:   "401 invalid key",
			status: 401,
			body: `{"error": {"message": "Invalid API Key provided: sk_test_********************************p7dc",
				"type": "invalid_request_error"}}`,
			code: ferry.EUNAUTHORIZED, requests: 1,
			message: []string{"Invalid API Key provided", "p7dc"},
		},
		{
			name:   "403 restricted key",
			status: 403,
			body: `{"error": {"message": "The provided key 'rk_test_*********************************p7dc' does not have the required permissions for this endpoint on account 'acct_1Ab2Cd3Ef4Gh5Ij6'.",
				"type": "invalid_request_error"}}`,
			code: ferry.EUNAUTHORIZED, requests: 1,
			message: []string{"required permissions"},
		},
		{
			name:   "500 api_error",
			status: 500,
			header: map[string]string{"Request-Id": "req_8nKZz0t9Q1xYb2"},
			body: `{"error": {"message": "Sorry, something went wrong. We've already been notified of the problem, but if you need any help, you can reach us at support.stripe.com/contact.",
				"type": "api_error"}}`,
			code: ferry.EUNAVAILABLE, requests: 3,
			message: []string{"something went wrong"},
		},
		{
			name:   "500 Stripe says do not retry",
			status: 500,
			header: map[string]string{"Stripe-Should-Retry": "false"},
			body:   `{"error": {"message": "An unknown error occurred", "type": "api_error"}}`,
			code:   ferry.EUNAVAILABLE, requests: 1,
		},
		{
			name:   "400 invalid parameter",
			status: 400,
			header: map[string]string{"Stripe-Should-Retry": "false"},
			body: `{"error": {"code": "parameter_invalid_integer", "doc_url": "https://stripe.com/docs/error-codes/parameter-invalid-integer",
				"message": "Invalid integer: abc", "param": "created[gte]", "type": "invalid_request_error"}}`,
			code: ferry.EINVALID, requests: 1,
			message: []string{"created[gte]", "Invalid integer: abc"},
		},
		{
			name:   "400 unknown parameter",
			status: 400,
			body: `{"error": {"code": "parameter_unknown", "doc_url": "https://stripe.com/docs/error-codes/parameter-unknown",
				"message": "Received unknown parameter: bogus", "param": "bogus", "type": "invalid_request_error"}}`,
			code: ferry.EINVALID, requests: 1,
			message: []string{"parameter bogus"},
		},
		{
			name:   "404 resource missing",
			status: 404,
			body: `{"error": {"code": "resource_missing", "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
				"message": "No such customer: 'cus_nope'", "param": "id", "type": "invalid_request_error"}}`,
			code: ferry.ENOTFOUND, requests: 1,
			message: []string{"No such customer"},
		},
		{
			name:   "409 lock timeout, Stripe says retry",
			status: 409,
			header: map[string]string{"Stripe-Should-Retry": "true"},
			body: `{"error": {"code": "lock_timeout", "message": "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.",
				"type": "invalid_request_error"}}`,
			code: ferry.ECONFLICT, requests: 3,
		},
		{
			name:   "502 from a proxy, not Stripe's body",
			status: 502,
			body:   `<html><body>Bad Gateway</body></html>`,
			code:   ferry.EUNAVAILABLE, requests: 3,
			message: []string{"Bad Gateway"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			c, _ := newTestClient(t, srv.URL, Config{MaxAttempts: 3})
			err := c.Verify(t.Context())
			if got := ferry.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q, want %q (err: %v)", got, tt.code, err)
			}
			msg := ferry.ErrorMessage(err)
			for _, s := range tt.message {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not contain %q", msg, s)
				}
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(msg, testKey) {
				t.Errorf("error shows the key: %v", err)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status {
				t.Errorf("cause = %#v, want an *APIError with status %d", ae, tt.status)
			}
			st := c.Stats()
			if st.Requests != tt.requests || st.Retries != tt.requests-1 || st.Throttled != tt.throttled {
				t.Errorf("stats = %+v, want %d requests, %d retries, %d throttled", st, tt.requests, tt.requests-1, tt.throttled)
			}
		})
	}
}

// A server that echoes the key in its message must not get it into an error.
func TestErrorScrubsKey(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"error": {"message": "Invalid API Key provided: ` + testKey + `", "type": "invalid_request_error"}}`))
	})
	c, _ := newTestClient(t, srv.URL, Config{})
	err := c.Verify(t.Context())
	if ferry.ErrorCode(err) != ferry.EUNAUTHORIZED {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatalf("error shows the key: %v", err)
	}
}

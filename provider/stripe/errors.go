package stripe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrysync/ferry"
)

// APIError is an error answer of Stripe's API, the cause inside the
// *ferry.Error that classify returns. Its message is Stripe's, which masks
// API keys (sk_test_****1234); the client also scrubs its own key from it.
type APIError struct {
	Status    int    // HTTP status
	Type      string // api_error, invalid_request_error, rate_limit_error, ...
	Code      string // resource_missing, rate_limit, parameter_invalid_integer, ...
	Param     string // the offending request parameter, if any
	Message   string
	RequestID string // Request-Id header, for Stripe support
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stripe status %d", e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" request " + e.RequestID)
	}
	return b.String()
}

// parseAPIError reads Stripe's error body {"error": {...}}. A body that is
// not Stripe's (a proxy's HTML page) leaves only the status.
func parseAPIError(status int, header http.Header, body []byte) *APIError {
	var env struct {
		Error struct {
			Type    string `json:"type"`
			Code    string `json:"code"`
			Param   string `json:"param"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &env) // best effort: a foreign body keeps the status
	return &APIError{
		Status:    status,
		Type:      env.Error.Type,
		Code:      env.Error.Code,
		Param:     env.Error.Param,
		Message:   env.Error.Message,
		RequestID: header.Get("Request-Id"),
	}
}

// classify turns a final (not retried, or out of retries) error answer into
// a coded error. attempts is how many requests were made.
func classify(e *APIError, attempts int) *ferry.Error {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return ferry.Wrap(ferry.EUNAUTHORIZED, e, "stripe rejected the API key: %s", msg)
	case e.Status == http.StatusTooManyRequests:
		return ferry.Wrap(ferry.ERATELIMITED, e, "stripe rate limit still exceeded after %d attempts: %s", attempts, msg)
	case e.Status >= 500:
		return ferry.Wrap(ferry.EUNAVAILABLE, e, "stripe unavailable after %d attempts: %s", attempts, msg)
	case e.Status == http.StatusNotFound:
		return ferry.Wrap(ferry.ENOTFOUND, e, "stripe: %s", msg)
	case e.Status == http.StatusConflict:
		return ferry.Wrap(ferry.ECONFLICT, e, "stripe: %s", msg)
	case e.Status >= 400:
		if e.Param != "" {
			return ferry.Wrap(ferry.EINVALID, e, "stripe rejected parameter %s: %s", e.Param, msg)
		}
		return ferry.Wrap(ferry.EINVALID, e, "stripe rejected the request: %s", msg)
	}
	return ferry.Wrap(ferry.EINTERNAL, e, "stripe: unexpected status %d", e.Status)
}

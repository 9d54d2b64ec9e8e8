package fake

import (
	"fmt"
	"net/http"
	"strings"
)

// Error is a Stripe API error, as answered over HTTP in the body
// {"error":{...}} and returned by the Server's direct write methods.
type Error struct {
	Status  int    `json:"-"`
	Type    string `json:"type"`              // invalid_request_error, api_error, ...
	Code    string `json:"code,omitempty"`    // resource_missing, rate_limit, ...
	Message string `json:"message"`           // human text, as Stripe words it
	Param   string `json:"param,omitempty"`   // the parameter at fault
	DocURL  string `json:"doc_url,omitempty"` // set with Code
}

func (e *Error) Error() string {
	return fmt.Sprintf("stripe fake: %d %s: %s", e.Status, e.Type, e.Message)
}

func docURL(code string) string {
	return "https://stripe.com/docs/error-codes/" + strings.ReplaceAll(code, "_", "-")
}

func errInvalid(param, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: msg, Param: param}
}

func errResourceMissing(object, id, param string) *Error {
	return &Error{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "resource_missing",
		DocURL: docURL("resource_missing"), Message: fmt.Sprintf("No such %s: '%s'", object, id), Param: param}
}

// errMissingInParam is Stripe's answer to a pagination cursor or reference
// parameter naming an object that does not exist: a 400, not a 404.
func errMissingInParam(object, id, param string) *Error {
	e := errResourceMissing(object, id, param)
	e.Status = http.StatusBadRequest
	return e
}

func errUnknownParam(param string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "parameter_unknown",
		DocURL: docURL("parameter_unknown"), Message: "Received unknown parameter: " + param, Param: param}
}

func errMissingParam(param string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "parameter_missing",
		DocURL: docURL("parameter_missing"), Message: "Missing required param: " + param + ".", Param: param}
}

func errUnrecognizedURL(method, path string) *Error {
	return &Error{Status: http.StatusNotFound, Type: "invalid_request_error",
		Message: fmt.Sprintf("Unrecognized request URL (%s: %s). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.", method, path)}
}

func errRateLimit() *Error {
	return &Error{Status: http.StatusTooManyRequests, Type: "invalid_request_error", Code: "rate_limit",
		DocURL:  docURL("rate_limit"),
		Message: "Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits."}
}

// errAPI is a server-side failure (500, 502, 503...).
func errAPI(status int) *Error {
	msg := "An unknown error occurred"
	if status == http.StatusServiceUnavailable {
		msg = "Stripe is temporarily unavailable. Please try again."
	}
	return &Error{Status: status, Type: "api_error", Message: msg}
}

func errNoKey() *Error {
	return &Error{Status: http.StatusUnauthorized, Type: "invalid_request_error",
		Message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."}
}

func errBadKey(key string) *Error {
	return &Error{Status: http.StatusUnauthorized, Type: "invalid_request_error",
		Message: "Invalid API Key provided: " + maskKey(key)}
}

// fail writes e as Stripe's error body.
func (c *call) fail(e *Error) {
	body := map[string]any{"type": e.Type, "message": e.Message}
	if e.Code != "" {
		body["code"] = e.Code
	}
	if e.DocURL != "" {
		body["doc_url"] = e.DocURL
	}
	if e.Param != "" {
		body["param"] = e.Param
	}
	if e.Status != http.StatusUnauthorized {
		body["request_log_url"] = fmt.Sprintf("https://dashboard.stripe.com/test/logs/%s?t=%d", c.reqID, c.s.now().Unix())
	}
	c.write(e.Status, map[string]any{"error": body})
}

func (c *call) ok(v any) { c.write(http.StatusOK, v) }

func (c *call) write(status int, v any) {
	b, err := appendJSON(make([]byte, 0, 4096), v, 0)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"An unknown error occurred","type":"api_error"}}`)
	}
	b = append(b, '\n')
	if c.idemKey != "" {
		c.s.remember(c.idemKey, cachedResponse{status: status, body: b, fingerprint: c.fingerprint})
	}
	c.w.WriteHeader(status)
	c.w.Write(b) //nolint:errcheck // the client may be gone
}

package ferry

import (
	"context"
	"errors"
	"fmt"
)

// Error codes. The executor decides retries from the code alone, the API maps
// each code to one HTTP status and the CLI to one exit code.
const (
	EINVALID      = "invalid"      // bad input: configuration, YAML, arguments
	ENOTFOUND     = "not_found"    // a named thing does not exist
	ECONFLICT     = "conflict"     // state forbids it now (a run is already running)
	EUNAUTHORIZED = "unauthorized" // credentials rejected
	EFORBIDDEN    = "forbidden"    // credentials accepted, but they do not allow this
	ERATELIMITED  = "rate_limited" // throttled by a provider; retry later
	EUNAVAILABLE  = "unavailable"  // network, 5xx, database down; retryable
	EEXPIRED      = "expired"      // a cursor or change feed is past its retention
	ECANCELED     = "canceled"     // stopped on request
	EINTERNAL     = "internal"     // a bug; details are logged, not shown
)

// Error is Ferry's one coded error. Message is written for users: it says
// what is wrong and how to fix it, and never carries a secret.
type Error struct {
	Code    string
	Message string
	Err     error // the cause, for logs and errors.Is; may be nil
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message. A %w verb
// wraps its operand as the cause.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap returns err as a coded error with a user message, keeping err as the cause.
func Wrap(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, ECANCELED for
// a context cancellation, and EINTERNAL for anything else. nil has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return ECANCELED
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of the
// first *Error in its chain, or a generic text for internal errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}

// Retryable reports whether an error with this code may succeed when tried
// again later without anyone changing anything.
func Retryable(code string) bool {
	switch code {
	case ERATELIMITED, EUNAVAILABLE:
		return true
	}
	return false
}

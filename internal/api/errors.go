package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
)

// Status is the one map from Ferry's error codes to HTTP statuses.
func Status(code string) int {
	switch code {
	case ferry.EINVALID:
		return http.StatusBadRequest
	case ferry.ENOTFOUND:
		return http.StatusNotFound
	case ferry.ECONFLICT, ferry.ECANCELED:
		return http.StatusConflict
	case ferry.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case ferry.EFORBIDDEN:
		return http.StatusForbidden
	case ferry.ERATELIMITED:
		return http.StatusTooManyRequests
	case ferry.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case ferry.EEXPIRED:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

// codes are the error codes the API answers with, for codeFor.
var codes = []string{ferry.EINVALID, ferry.ENOTFOUND, ferry.ECONFLICT, ferry.EUNAUTHORIZED, ferry.EFORBIDDEN,
	ferry.ERATELIMITED, ferry.EUNAVAILABLE, ferry.EEXPIRED, ferry.EINTERNAL}

// codeFor is the code of an error that huma raises itself (a body that is
// not JSON, a parameter out of range) from its status: Status read
// backwards, with every other 4xx (422 included) an invalid request.
func codeFor(status int) string {
	for _, c := range codes {
		if Status(c) == status {
			return c
		}
	}
	if status >= 400 && status < 500 {
		return ferry.EINVALID
	}
	return ferry.EINTERNAL
}

// Error is the one error shape of the API:
// {"error": {"code": "not_found", "message": "..."}}.
type Error struct {
	status int
	Detail ErrorDetail `json:"error"`
}

// ErrorDetail is the body of an Error.
type ErrorDetail struct {
	Code    string `json:"code" enum:"invalid,not_found,conflict,unauthorized,forbidden,rate_limited,unavailable,expired,internal" doc:"Stable error code; clients branch on it"`
	Message string `json:"message" doc:"What is wrong and how to fix it, for people"`
}

func (e *Error) Error() string  { return e.Detail.Code + ": " + e.Detail.Message }
func (e *Error) GetStatus() int { return e.status }

// newError is huma's constructor for the errors it raises itself.
func newError(status int, msg string, errs ...error) huma.StatusError {
	code := codeFor(status)
	var details []string
	for _, e := range errs {
		if e == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(e, &d) {
			ed := d.ErrorDetail()
			if ed.Location != "" {
				details = append(details, fmt.Sprintf("%s: %s", ed.Location, ed.Message))
				continue
			}
			details = append(details, ed.Message)
			continue
		}
		if code != ferry.EINTERNAL {
			details = append(details, e.Error())
		}
	}
	if code == ferry.EINTERNAL {
		msg = "internal error"
	}
	if len(details) > 0 {
		msg = strings.TrimSuffix(msg, ".") + ": " + strings.Join(details, "; ")
	}
	return &Error{status: status, Detail: ErrorDetail{Code: code, Message: msg}}
}

var setErrorShape sync.Once

// useErrorShape makes huma answer its own errors (validation, unreadable
// bodies) in the API's error shape. huma only offers a package variable for
// this; every huma API in the process answers the same way, which is what
// we want.
func useErrorShape() {
	setErrorShape.Do(func() { huma.NewError = newError })
}

// apiError turns an error of the application into the API's error: its
// code, the status for the code, its message for users. Internal errors are
// logged and answered with a generic message.
func apiError(ctx context.Context, log *slog.Logger, err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	code := ferry.ErrorCode(err)
	msg := ferry.ErrorMessage(err)
	if code == ferry.EINTERNAL {
		log.ErrorContext(ctx, "api request failed", "error", err)
		msg = "internal error; the server log has the details"
	}
	return &Error{status: Status(code), Detail: ErrorDetail{Code: code, Message: msg}}
}

// errorf returns an API error with a code and a message.
func errorf(code, format string, args ...any) *Error {
	return &Error{status: Status(code), Detail: ErrorDetail{Code: code, Message: fmt.Sprintf(format, args...)}}
}

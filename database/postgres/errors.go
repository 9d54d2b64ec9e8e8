package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrysync/ferry"
)

// classify turns a native error into a *ferry.Error whose code alone tells
// the executor whether to retry. The message is the formatted context; the
// native error stays as the cause. *ferry.Error values pass through.
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var fe *ferry.Error
	if errors.As(err, &fe) {
		return err
	}
	msg := fmt.Sprintf(format, args...)
	code, why := code(err)
	if why != "" {
		msg += ": " + why
	}
	return &ferry.Error{Code: code, Message: msg, Err: err}
}

// code returns the Ferry error code of a native error and a short reason
// for users (empty when the cause says it best).
func code(err error) (string, string) {
	if pe := pgErr(err); pe != nil {
		return sqlstate(pe.Code)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ferry.ECANCELED, "canceled"
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return ferry.EUNAVAILABLE, "timed out"
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ferry.EUNAVAILABLE, "database unreachable"
	case errors.As(err, &ne), errors.As(err, &ce):
		return ferry.EUNAVAILABLE, "database unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return ferry.EUNAVAILABLE, "connection lost"
	case pgconn.SafeToRetry(err):
		return ferry.EUNAVAILABLE, "connection lost"
	case strings.Contains(err.Error(), "conn closed"), strings.Contains(err.Error(), "closed pool"):
		return ferry.EUNAVAILABLE, "connection closed"
	}
	return ferry.EINTERNAL, ""
}

// sqlstate maps a SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html).
func sqlstate(state string) (string, string) {
	switch state {
	case "40001": // serialization_failure
		return ferry.EUNAVAILABLE, "serialization failure, retry"
	case "40P01": // deadlock_detected
		return ferry.EUNAVAILABLE, "deadlock, retry"
	case "55P03": // lock_not_available
		return ferry.EUNAVAILABLE, "lock not available, retry"
	case "57014": // query_canceled (statement_timeout)
		return ferry.EUNAVAILABLE, "statement canceled, retry"
	case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return ferry.EUNAVAILABLE, "database shutting down or starting up"
	case "42501": // insufficient_privilege
		return ferry.EUNAUTHORIZED, "permission denied"
	case "3D000": // invalid_catalog_name: the database does not exist
		return ferry.ENOTFOUND, "database does not exist"
	case "3F000": // invalid_schema_name
		return ferry.ENOTFOUND, "schema does not exist"
	case "42P01": // undefined_table
		return ferry.EINVALID, "table does not exist (Prepare it first)"
	case "42703": // undefined_column
		return ferry.EINVALID, "column does not exist (Prepare the table first)"
	case "22P02", "22P05", "22021": // invalid_text_representation, untranslatable_character, character_not_in_repertoire
		return ferry.EINVALID, "value not valid for its column"
	case "22003", "22008": // numeric_value_out_of_range, datetime_field_overflow
		return ferry.EINVALID, "value out of range for its column"
	case "42804", "42846": // datatype_mismatch, cannot_coerce
		return ferry.EINVALID, "value of the wrong type for its column"
	}
	if len(state) != 5 {
		return ferry.EINTERNAL, ""
	}
	switch state[:2] {
	case "08": // connection_exception
		return ferry.EUNAVAILABLE, "connection failure"
	case "53", "58": // insufficient_resources, system_error
		return ferry.EUNAVAILABLE, "database out of resources"
	case "28": // invalid_authorization_specification
		return ferry.EUNAUTHORIZED, "authentication failed"
	case "22", "23", "42": // data_exception, integrity_constraint_violation, syntax_error_or_access_rule_violation
		return ferry.EINVALID, "rejected by the database"
	case "40": // transaction_rollback
		return ferry.EUNAVAILABLE, "transaction rolled back, retry"
	case "54": // program_limit_exceeded (too many columns, name too long)
		return ferry.EINVALID, "over a database limit"
	}
	return ferry.EINTERNAL, ""
}

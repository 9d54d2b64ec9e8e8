package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/database/postgres"
	"github.com/ferrysync/ferry/internal/pgtest"
)

// TestClassify provokes real errors from a real server (and a real refused
// connection) and checks the code each is classified to. Errors that are
// hard to provoke on demand (serialization failure, deadlock) are raised by
// the server with their SQLSTATE, so they still arrive as real
// pgconn.PgError values off the wire.
func TestClassify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := pgtest.DB(t)
	db := open(t)
	tb := database.Table{Name: "items", Columns: []database.Column{{Name: "n", Type: ferry.Integer}}}
	if err := db.Prepare(ctx, tb); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	setup := []string{
		"CREATE TABLE t (n int4 NOT NULL, s text UNIQUE)",
		"CREATE ROLE nobody NOLOGIN",
	}
	for _, q := range setup {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raise := func(state string) string {
		return fmt.Sprintf("DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '%s'; END $$", state)
	}
	tests := []struct {
		name  string
		sql   string
		state string // the SQLSTATE the server must answer
		code  string
	}{
		{"undefined_column", "SELECT nosuch FROM t", "42703", ferry.EINVALID},
		{"undefined_table", "SELECT * FROM nosuch", "42P01", ferry.EINVALID},
		{"datatype_mismatch", "SELECT CASE WHEN true THEN 1 ELSE true END", "42804", ferry.EINVALID},
		{"invalid_text_representation", "SELECT 'abc'::int", "22P02", ferry.EINVALID},
		{"numeric_value_out_of_range", "SELECT 2147483648::bigint::int4", "22003", ferry.EINVALID},
		{"invalid json", `SELECT '{"a":'::jsonb`, "22P02", ferry.EINVALID},
		{"not_null_violation", "INSERT INTO t (n) VALUES (NULL)", "23502", ferry.EINVALID},
		{"syntax_error", "SELEC 1", "42601", ferry.EINVALID},
		{"division_by_zero", "SELECT 1/0", "22012", ferry.EINVALID},
		{"insufficient_privilege", "SET ROLE nobody; SELECT * FROM t", "42501", ferry.EUNAUTHORIZED},
		{"serialization_failure", raise("40001"), "40001", ferry.EUNAVAILABLE},
		{"deadlock_detected", raise("40P01"), "40P01", ferry.EUNAVAILABLE},
		{"admin_shutdown", raise("57P01"), "57P01", ferry.EUNAVAILABLE},
		{"cannot_connect_now", raise("57P03"), "57P03", ferry.EUNAVAILABLE},
		{"too_many_connections", raise("53300"), "53300", ferry.EUNAVAILABLE},
		{"lock_not_available", "SET lock_timeout = '1ms'; " + raise("55P03"), "55P03", ferry.EUNAVAILABLE},
		{"internal_error", raise("XX000"), "XX000", ferry.EINTERNAL},
	}
	for _, tc := range tests {
		_, err := conn.Exec(ctx, tc.sql)
		_, _ = conn.Exec(ctx, "RESET ROLE")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != tc.state {
			t.Errorf("%s: %q gave %v, want SQLSTATE %s", tc.name, tc.sql, err, tc.state)
			continue
		}
		got := postgres.Classify(err, "do %s", "it")
		if c := ferry.ErrorCode(got); c != tc.code {
			t.Errorf("%s (%s): code %q, want %q (%v)", tc.name, tc.state, c, tc.code, got)
		}
		if !errors.Is(got, err) {
			t.Errorf("%s: classified error does not wrap the cause", tc.name)
		}
		if !strings.HasPrefix(got.Error(), "do it") {
			t.Errorf("%s: message %q does not start with the context", tc.name, got.Error())
		}
	}

	// A killed backend: the session's next query fails (57P01 or EOF).
	victim, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend($1)", victim.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	_, err = victim.Exec(ctx, "SELECT 1")
	if c := ferry.ErrorCode(postgres.Classify(err, "query")); err == nil || c != ferry.EUNAVAILABLE {
		t.Errorf("terminated backend: %v classified %q, want %q", err, c, ferry.EUNAVAILABLE)
	}

	// Canceled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = db.Rows(cctx, tb, "", 10)
	if c := ferry.ErrorCode(err); c != ferry.ECANCELED {
		t.Errorf("canceled Rows: %v classified %q, want %q", err, c, ferry.ECANCELED)
	}

	// Errors from the destination's own methods are classified at the edge.
	_, err = db.Rows(ctx, database.Table{Name: "nosuch"}, "", 10)
	if c := ferry.ErrorCode(err); c != ferry.EINVALID {
		t.Errorf("Rows of a missing table: %v classified %q, want %q", err, c, ferry.EINVALID)
	}
	_, err = db.Write(ctx, tb, database.Batch{Rows: []database.Row{{ID: "x", Values: []any{int64(1)}, Raw: []byte(`{"a":`)}}})
	if c := ferry.ErrorCode(err); c != ferry.EINVALID {
		t.Errorf("Write of invalid raw JSON: %v classified %q, want %q", err, c, ferry.EINVALID)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// A real refused connection: a port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	_, err = postgres.Open(ctx, fmt.Sprintf("postgres://ferry:s3cretpw@127.0.0.1:%d/appdb?sslmode=disable&connect_timeout=5", port))
	t.Logf("refused: %v", err)
	if c := ferry.ErrorCode(err); c != ferry.EUNAVAILABLE {
		t.Errorf("refused: %v classified %q, want %q", err, c, ferry.EUNAVAILABLE)
	}
	if err != nil {
		want := fmt.Sprintf("127.0.0.1:%d/appdb", port)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refused: %q does not name %s", err, want)
		}
		if strings.Contains(err.Error(), "s3cretpw") || strings.Contains(ferry.ErrorMessage(err), "s3cretpw") {
			t.Errorf("refused: %q shows the password", err)
		}
	}

	for _, dsn := range []string{
		"postgres://ferry:s3cretpw@127.0.0.1:notaport/db",
		"postgres://ferry:s3cretpw@[::1/db",
		"host=127.0.0.1 password=s3cretpw port=x",
		"host=127.0.0.1 password='s3cretpw",
		"postgres://ferry:s3cretpw@127.0.0.1/db?sslmode=bogus",
	} {
		_, err := postgres.Open(ctx, dsn)
		t.Logf("bad DSN: %v", err)
		if c := ferry.ErrorCode(err); c != ferry.EINVALID {
			t.Errorf("Open(%q): %v classified %q, want %q", dsn, err, c, ferry.EINVALID)
		}
		if err != nil && strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("Open(%q): %q shows the password", dsn, err)
		}
	}

	// A database that does not exist.
	dsn := pgtest.DB(t)
	i := strings.LastIndex(dsn, "/")
	j := strings.Index(dsn, "?")
	_, err = postgres.Open(ctx, dsn[:i+1]+"no_such_db"+dsn[j:])
	t.Logf("missing database: %v", err)
	if c := ferry.ErrorCode(err); c != ferry.ENOTFOUND {
		t.Errorf("missing database: %v classified %q, want %q", err, c, ferry.ENOTFOUND)
	}
}

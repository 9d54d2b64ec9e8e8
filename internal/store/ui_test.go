package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

func TestDashboardLogin(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)

		if _, ok, err := s.AdminPasswordHash(ctx); err != nil || ok {
			t.Fatalf("fresh store has an admin password (%v, %v)", ok, err)
		}
		if created, err := s.InitAdminPassword(ctx, "hash-1"); err != nil || !created {
			t.Fatalf("InitAdminPassword: %v, %v", created, err)
		}
		// Only the first process to start sets it.
		if created, err := s.InitAdminPassword(ctx, "hash-2"); err != nil || created {
			t.Fatalf("second InitAdminPassword: %v, %v", created, err)
		}
		if h, ok, err := s.AdminPasswordHash(ctx); err != nil || !ok || h != "hash-1" {
			t.Fatalf("AdminPasswordHash = %q, %v, %v", h, ok, err)
		}

		sess := store.Session{IDHash: "abc", CSRFToken: "tok", ExpiresAt: c.Now().Add(time.Hour)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateSession(ctx, sess); ferry.ErrorCode(err) != ferry.ECONFLICT {
			t.Fatalf("duplicate session: %v, want ECONFLICT", err)
		}
		got, err := s.GetSession(ctx, "abc")
		if err != nil || got.CSRFToken != "tok" || !got.ExpiresAt.Equal(stored(sess.ExpiresAt)) || !got.CreatedAt.Equal(stored(c.Now())) {
			t.Fatalf("GetSession = %+v, %v", got, err)
		}
		c.Add(2 * time.Hour)
		if _, err := s.GetSession(ctx, "abc"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
			t.Fatalf("expired session: %v, want ENOTFOUND", err)
		}

		// Changing the password ends every session.
		if err := s.CreateSession(ctx, store.Session{IDHash: "def", CSRFToken: "t2", ExpiresAt: c.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAdminPassword(ctx, "hash-3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, "def"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
			t.Fatalf("session after a password change: %v, want ENOTFOUND", err)
		}
		if h, _, _ := s.AdminPasswordHash(ctx); h != "hash-3" {
			t.Fatalf("hash after SetAdminPassword = %q", h)
		}
		if err := s.CreateSession(ctx, store.Session{IDHash: "ghi", CSRFToken: "t3", ExpiresAt: c.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, "ghi"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, "ghi"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
			t.Fatalf("deleted session: %v", err)
		}
		if err := s.DeleteSession(ctx, "ghi"); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
	})
}

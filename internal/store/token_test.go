package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, target string) {
		ctx := context.Background()
		c := newClock()
		s := open(t, target, c)

		_, _, err := s.CreateToken(ctx, "x", "owner")
		wantCode(t, err, ferry.EINVALID, "read, run, admin")

		tok, secret, err := s.CreateToken(ctx, "ci", store.ScopeRun)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret.Reveal(), "ferry_") || len(secret.Reveal()) < 50 || !strings.HasPrefix(tok.ID, "tok_") {
			t.Fatalf("token %+v secret of %d chars", tok, len(secret.Reveal()))
		}
		// Only a hash is stored.
		var n int
		if err := s.DB().QueryRowContext(ctx, s.Rebind("SELECT COUNT(*) FROM api_tokens WHERE hash = ? OR name = ?"), secret.Reveal(), secret.Reveal()).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the plaintext token is stored (%d rows, %v)", n, err)
		}

		c.Add(time.Hour)
		got, err := s.Authenticate(ctx, secret.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != tok.ID || got.Scope != store.ScopeRun || !got.LastUsedAt.Equal(stored(c.Now())) {
			t.Fatalf("Authenticate = %+v", got)
		}
		list, err := s.ListTokens(ctx)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(stored(c.Now())) {
			t.Fatalf("ListTokens = %+v, %v", list, err)
		}

		_, err = s.Authenticate(ctx, secret.Reveal()+"x")
		wantCode(t, err, ferry.EUNAUTHORIZED)
		_, err = s.Authenticate(ctx, "")
		wantCode(t, err, ferry.EUNAUTHORIZED)

		rev, err := s.RevokeToken(ctx, tok.ID)
		if err != nil || rev.RevokedAt.IsZero() {
			t.Fatalf("RevokeToken = %+v, %v", rev, err)
		}
		_, err = s.Authenticate(ctx, secret.Reveal())
		wantCode(t, err, ferry.EUNAUTHORIZED)
		_, err = s.RevokeToken(ctx, "tok_missing")
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

func TestTokenScopes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		have, need store.TokenScope
		ok         bool
	}{
		{store.ScopeRead, store.ScopeRead, true},
		{store.ScopeRead, store.ScopeRun, false},
		{store.ScopeRun, store.ScopeRead, true},
		{store.ScopeRun, store.ScopeAdmin, false},
		{store.ScopeAdmin, store.ScopeRun, true},
		{"", store.ScopeRead, false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.ok {
			t.Errorf("%q.Allows(%q) = %v", tc.have, tc.need, got)
		}
	}
}

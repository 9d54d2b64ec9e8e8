package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// TokenScope is what an API token may do. Scopes are ordered: read < run <
// admin, and a token may do everything a lower scope may.
type TokenScope string

const (
	ScopeRead  TokenScope = "read"  // inspect: list and read everything, never a secret
	ScopeRun   TokenScope = "run"   // read, and start, cancel and retry runs
	ScopeAdmin TokenScope = "admin" // everything: declare projects, connections, syncs
)

func (s TokenScope) rank() int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeRun:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// Valid reports whether s is a known scope.
func (s TokenScope) Valid() bool { return s.rank() > 0 }

// Allows reports whether a token of scope s may do what needs scope need.
func (s TokenScope) Allows(need TokenScope) bool { return s.Valid() && s.rank() >= need.rank() }

// Token is an API access token as stored: everything but the token itself,
// of which only a hash is kept.
type Token struct {
	ID         string
	Name       string
	Scope      TokenScope
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: valid
}

// Token secrets are "ferry_" and the base32 of 32 random bytes (256 bits),
// so a fast unsalted hash is enough to store them: there is nothing to guess.
const tokenPrefix = "ferry_"

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// lastUsedGranularity bounds how often using a token writes its last-used
// time: at most once a minute, so busy clients do not turn reads into writes.
const lastUsedGranularity = time.Minute

// CreateToken creates a token with the scope and returns it with its secret,
// which is not stored and cannot be shown again.
func (s *Store) CreateToken(ctx context.Context, name string, scope TokenScope) (Token, ferry.Secret, error) {
	if !scope.Valid() {
		return Token{}, ferry.Secret{}, ferry.Errorf(ferry.EINVALID, "token scope %q is not valid (valid: read, run, admin)", scope)
	}
	if len(name) > 200 {
		return Token{}, ferry.Secret{}, ferry.Errorf(ferry.EINVALID, "a token name is at most 200 characters")
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	plain := tokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(b[:]))
	var idb [10]byte
	_, _ = rand.Read(idb[:])
	t := Token{ID: "tok_" + strings.ToLower(tokenEncoding.EncodeToString(idb[:])), Name: name, Scope: scope, CreatedAt: s.stampNow()}
	_, err := s.exec(ctx, s.db, "INSERT INTO api_tokens (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)",
		t.ID, t.Name, string(t.Scope), hashToken(plain), s.tv(t.CreatedAt))
	if err != nil {
		return Token{}, ferry.Secret{}, s.dbErr(err, "create token")
	}
	return t, ferry.NewSecret(plain), nil
}

const tokenCols = "id, name, scope, created_at, last_used_at, revoked_at"

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var scope string
	err := sc.Scan(&t.ID, &t.Name, &scope, timeCol{&t.CreatedAt}, timeCol{&t.LastUsedAt}, timeCol{&t.RevokedAt})
	t.Scope = TokenScope(scope)
	return t, err
}

// Authenticate returns the token whose secret is plain and records its use.
// An unknown or revoked token is EUNAUTHORIZED, with the same message for
// both: a caller learns nothing about which tokens exist.
func (s *Store) Authenticate(ctx context.Context, plain string) (Token, error) {
	unauthorized := ferry.Errorf(ferry.EUNAUTHORIZED, "the API token is not valid (unknown or revoked); create one with: ferry token create --scope read")
	if !strings.HasPrefix(plain, tokenPrefix) {
		return Token{}, unauthorized
	}
	t, err := scanToken(s.queryRow(ctx, s.db, "SELECT "+tokenCols+" FROM api_tokens WHERE hash = ?", hashToken(plain)))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, unauthorized
	}
	if err != nil {
		return Token{}, s.dbErr(err, "authenticate token")
	}
	if !t.RevokedAt.IsZero() {
		return Token{}, unauthorized
	}
	now := s.stampNow()
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) >= lastUsedGranularity {
		if _, err := s.exec(ctx, s.db, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", s.tv(now), t.ID); err != nil {
			return Token{}, s.dbErr(err, "record token use")
		}
		t.LastUsedAt = now
	}
	return t, nil
}

// GetToken returns the token with the id, or ENOTFOUND.
func (s *Store) GetToken(ctx context.Context, id string) (Token, error) {
	t, err := scanToken(s.queryRow(ctx, s.db, "SELECT "+tokenCols+" FROM api_tokens WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ferry.Errorf(ferry.ENOTFOUND, "token %s does not exist (list them with: ferry token list)", id)
	}
	return t, s.dbErr(err, "get token")
}

// ListTokens returns all tokens, revoked ones included, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.query(ctx, s.db, "SELECT "+tokenCols+" FROM api_tokens ORDER BY created_at, id")
	if err != nil {
		return nil, s.dbErr(err, "list tokens")
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, s.dbErr(err, "list tokens")
		}
		out = append(out, t)
	}
	return out, s.dbErr(rows.Err(), "list tokens")
}

// RevokeToken revokes the token: it stops working at once. Revoking a
// revoked token changes nothing. ENOTFOUND if there is no such token.
func (s *Store) RevokeToken(ctx context.Context, id string) (Token, error) {
	if _, err := s.exec(ctx, s.db, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", s.tv(s.now()), id); err != nil {
		return Token{}, s.dbErr(err, "revoke token")
	}
	return s.GetToken(ctx, id)
}

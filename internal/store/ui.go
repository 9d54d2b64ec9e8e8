package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/ferrysync/ferry"
)

// AdminPasswordHash returns the dashboard admin's password hash, and false
// when no password was set yet.
func (s *Store) AdminPasswordHash(ctx context.Context) (string, bool, error) {
	var h string
	err := s.queryRow(ctx, s.db, "SELECT password_hash FROM ui_admin WHERE id = 1").Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.dbErr(err, "read admin password")
	}
	return h, true, nil
}

// InitAdminPassword stores the admin's password hash unless one is already
// stored, and reports whether it stored it. Of processes racing on a fresh
// database exactly one wins; the others keep theirs unused.
func (s *Store) InitAdminPassword(ctx context.Context, hash string) (bool, error) {
	if hash == "" {
		return false, ferry.Errorf(ferry.EINVALID, "empty admin password hash")
	}
	res, err := s.exec(ctx, s.db, "INSERT INTO ui_admin (id, password_hash, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
		hash, s.tv(s.now()))
	if err != nil {
		return false, s.dbErr(err, "store admin password")
	}
	n, err := res.RowsAffected()
	return n > 0, s.dbErr(err, "store admin password")
}

// SetAdminPassword replaces the admin's password hash and ends every session.
func (s *Store) SetAdminPassword(ctx context.Context, hash string) error {
	if hash == "" {
		return ferry.Errorf(ferry.EINVALID, "empty admin password hash")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `INSERT INTO ui_admin (id, password_hash, created_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash`, hash, s.tv(s.now())); err != nil {
			return s.dbErr(err, "store admin password")
		}
		_, err := s.exec(ctx, tx, "DELETE FROM ui_sessions")
		return s.dbErr(err, "end sessions")
	})
}

// Session is a logged-in dashboard session. IDHash is the SHA-256 of the
// cookie value (hex); the cookie value itself is never stored.
type Session struct {
	IDHash    string
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession stores a session and removes expired ones.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	if sess.IDHash == "" || sess.CSRFToken == "" {
		return ferry.Errorf(ferry.EINVALID, "a session needs an id and a CSRF token")
	}
	now := s.now()
	if _, err := s.exec(ctx, s.db, "DELETE FROM ui_sessions WHERE expires_at < ?", s.tv(now)); err != nil {
		return s.dbErr(err, "remove expired sessions")
	}
	_, err := s.exec(ctx, s.db, "INSERT INTO ui_sessions (id_hash, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?)",
		sess.IDHash, sess.CSRFToken, s.tv(cmpTime(sess.CreatedAt, now)), s.tv(sess.ExpiresAt))
	if isUnique(err) {
		return ferry.Errorf(ferry.ECONFLICT, "session already exists")
	}
	return s.dbErr(err, "create session")
}

// GetSession returns an unexpired session by its id hash, or ENOTFOUND.
func (s *Store) GetSession(ctx context.Context, idHash string) (Session, error) {
	var sess Session
	err := s.queryRow(ctx, s.db, "SELECT id_hash, csrf_token, created_at, expires_at FROM ui_sessions WHERE id_hash = ? AND expires_at > ?",
		idHash, s.tv(s.now())).Scan(&sess.IDHash, &sess.CSRFToken, timeCol{&sess.CreatedAt}, timeCol{&sess.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return sess, ferry.Errorf(ferry.ENOTFOUND, "no such session")
	}
	return sess, s.dbErr(err, "get session")
}

// DeleteSession ends a session; ending one that does not exist is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.exec(ctx, s.db, "DELETE FROM ui_sessions WHERE id_hash = ?", idHash)
	return s.dbErr(err, "delete session")
}

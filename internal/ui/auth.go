package ui

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

const (
	sessionCookie = "ferry_session"
	loginCookie   = "ferry_login" // pre-login CSRF token (double submit)
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	// pbkdf2Iter is OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
	pbkdf2Iter = 600_000
)

// HashPassword returns a PBKDF2-HMAC-SHA256 hash of password with a random
// salt, as "pbkdf2-sha256$iterations$salt$key" (base64, no padding).
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iter, 32)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pbkdf2Iter, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash (from HashPassword),
// in time independent of where they differ.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// ensureAdmin stores the admin password on first start: password, or a
// generated one that it returns (to print once). There is no default.
func ensureAdmin(ctx context.Context, st *store.Store, password string) (generated string, err error) {
	if _, ok, err := st.AdminPasswordHash(ctx); err != nil || ok {
		return "", err
	}
	if password == "" {
		generated = randomToken(18)
		password = generated
	} else if len(password) < 8 {
		return "", ferry.Errorf(ferry.EINVALID, "FERRY_ADMIN_PASSWORD is too short: use at least 8 characters")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	created, err := st.InitAdminPassword(ctx, hash)
	if err != nil || !created {
		return "", err // another process set it first: its password holds
	}
	return generated, nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

type ctxKey struct{}

func sessionFrom(ctx context.Context) store.Session {
	s, _ := ctx.Value(ctxKey{}).(store.Session)
	return s
}

func (s *server) secure(r *http.Request) bool { return s.cfg.Secure || r.TLS != nil }

// requireSession lets logged-in requests through, sends others to the login
// page, and checks the CSRF token of every request that is not GET or HEAD
// (a state change never happens on GET).
func (s *server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.initErr != nil {
			s.errorPage(w, r, http.StatusServiceUnavailable, "The dashboard cannot start", s.initErr.Error())
			return
		}
		var sess store.Session
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			sess, err = s.store.GetSession(r.Context(), hashToken(c.Value))
			if err != nil && ferry.ErrorCode(err) != ferry.ENOTFOUND {
				s.fail(w, r, err)
				return
			}
		}
		if sess.IDHash == "" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				dest := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
				if r.Header.Get("HX-Request") != "" {
					w.Header().Set("HX-Redirect", dest)
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, dest, http.StatusSeeOther)
				return
			}
			s.errorPage(w, r, http.StatusUnauthorized, "Please log in again", "Your session has ended. Log in and try again.")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			tok := r.Header.Get(csrfHeader)
			if tok == "" {
				tok = r.PostFormValue(csrfField)
			}
			if subtle.ConstantTimeCompare([]byte(tok), []byte(sess.CSRFToken)) != 1 {
				s.errorPage(w, r, http.StatusForbidden, "This form has expired",
					"The page you sent it from is out of date (or it did not come from Ferry). Go back, reload the page and try again.")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	})
}

type loginData struct {
	CSRF  string
	Next  string
	Error string
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	if s.initErr != nil {
		s.errorPage(w, r, http.StatusServiceUnavailable, "The dashboard cannot start", s.initErr.Error())
		return
	}
	s.renderLogin(w, r, http.StatusOK, "")
}

func (s *server) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	// Keep the token of a form this browser already holds (another tab, or
	// a background request that landed here), so that form still works.
	tok := randomToken(24)
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == len(tok) {
		tok = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(r), MaxAge: 3600})
	s.render(w, r, status, "login", page{Title: "Log in", Data: loginData{CSRF: tok, Next: safeNext(r.FormValue("next")), Error: msg}})
}

// loginLimiter slows password guessing: one attempt at a time, and a pause
// after each failure.
var loginLimiter sync.Mutex

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	if s.initErr != nil {
		s.errorPage(w, r, http.StatusServiceUnavailable, "The dashboard cannot start", s.initErr.Error())
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		s.renderLogin(w, r, http.StatusForbidden, "The login form expired. Please enter the password again.")
		return
	}
	hash, ok, err := s.store.AdminPasswordHash(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	loginLimiter.Lock()
	good := ok && CheckPassword(hash, r.PostFormValue("password"))
	if !good {
		time.Sleep(500 * time.Millisecond)
	}
	loginLimiter.Unlock()
	if !good {
		s.log.Warn("dashboard login failed", "remote", r.RemoteAddr)
		s.renderLogin(w, r, http.StatusUnauthorized,
			"That password is not right. It was printed when Ferry first started, or set with FERRY_ADMIN_PASSWORD.")
		return
	}
	tok := randomToken(32)
	now := s.cfg.Now()
	sess := store.Session{IDHash: hashToken(tok), CSRFToken: randomToken(32), CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.store.CreateSession(r.Context(), sess); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, Secure: s.secure(r)})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.secure(r), Expires: sess.ExpiresAt})
	http.Redirect(w, r, cmpStr(safeNext(r.PostFormValue("next")), "/"), http.StatusSeeOther)
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSession(r.Context(), sessionFrom(r.Context()).IDHash); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-login destination on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return ""
	}
	return next
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

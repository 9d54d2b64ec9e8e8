package ui

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

//go:embed static templates/*.html
var assets embed.FS

// Config configures the dashboard. Zero values are defaults.
type Config struct {
	// AdminPassword is the admin password to set on first start
	// (FERRY_ADMIN_PASSWORD). Empty: one is generated and printed once to
	// Out. Once a password is stored this is ignored.
	AdminPassword string
	// Out is where a generated password is printed; default os.Stderr.
	Out io.Writer
	// Secure marks session cookies Secure even on plain HTTP requests (behind
	// a proxy that terminates TLS). Requests that arrive over TLS always get
	// Secure cookies.
	Secure bool
	// SessionTTL is how long a login lasts; default 12 hours.
	SessionTTL time.Duration
	// Enqueue sends "Sync now" and "Retry" to the workers' queue (ferry
	// serve, whose workers execute it); false runs them in this process
	// (ferry demo, tests: no workers).
	Enqueue bool
	// Poll is how often a live run page checks the control state for batches
	// committed by other processes; default 1 second.
	Poll   time.Duration
	Logger *slog.Logger
	Now    func() time.Time
}

func (c Config) withDefaults() Config {
	c.Out = cmp.Or[io.Writer](c.Out, os.Stderr)
	c.SessionTTL = cmp.Or(c.SessionTTL, 12*time.Hour)
	c.Poll = cmp.Or(c.Poll, time.Second)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// server is the dashboard.
type server struct {
	app   *app.App
	store *store.Store
	cfg   Config
	pages *pages
	hub   *hub
	log   *slog.Logger
	// initErr is why the dashboard cannot work (its admin password could not
	// be set up); every page says so.
	initErr error
}

// New returns the dashboard's handler, to be mounted at / (the JSON API
// lives under /api/v1). On first start it sets the admin password from
// cfg.AdminPassword or generates one and prints it once to cfg.Out.
func New(a *app.App, cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	s := &server{app: a, store: a.Store(), cfg: cfg, pages: mustParsePages(), hub: newHub(), log: cfg.Logger}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	generated, err := ensureAdmin(ctx, s.store, cfg.AdminPassword)
	switch {
	case err != nil:
		s.initErr = err
		s.log.Error("dashboard login unavailable", "error", err)
	case generated != "":
		fmt.Fprintf(cfg.Out, "Dashboard admin password (shown once; set FERRY_ADMIN_PASSWORD before the first start to choose it): %s\n", generated)
	}
	return s.routes()
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)

	authed := http.NewServeMux()
	authed.HandleFunc("POST /logout", s.logout)
	authed.HandleFunc("GET /{$}", s.overview)
	authed.HandleFunc("GET /syncs/{name}", s.configPage)
	authed.HandleFunc("POST /syncs/{name}/run", s.syncNow)
	authed.HandleFunc("GET /runs", s.runsPage)
	authed.HandleFunc("GET /runs/{id}", s.runPage)
	authed.HandleFunc("GET /runs/{id}/events", s.runEvents)
	authed.HandleFunc("POST /runs/{id}/retry", s.retry)
	authed.HandleFunc("POST /runs/{id}/cancel", s.cancel)
	authed.HandleFunc("POST /pause/{tier}/{name}", s.pause)
	authed.HandleFunc("POST /resume/{tier}/{name}", s.resume)
	authed.HandleFunc("GET /scopes", s.scopesPage)
	mux.Handle("/", s.requireSession(authed))

	// Defence in depth beside the synchronizer tokens: refuse state-changing
	// requests that a browser marks as cross-origin.
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

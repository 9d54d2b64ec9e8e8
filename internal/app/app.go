// Package app is Ferry's composition root: it reads configuration, opens
// the control state and the vault, builds the registries of providers and
// destinations, and wires them into the pipeline. Only this package and
// cmd/ferry read files, flags and the environment.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/database/postgres"
	"github.com/ferrysync/ferry/database/sqlite"
	"github.com/ferrysync/ferry/internal/pipeline"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/vault"
	"github.com/ferrysync/ferry/provider"
	"github.com/ferrysync/ferry/provider/stripe"
)

// Config configures an App.
type Config struct {
	// State is where the control state lives: a SQLite file path (default
	// ferry.db in the working directory) or a postgres:// DSN.
	State string
	// SecretKey is FERRY_SECRET_KEY: 32 bytes as base64 or 64 hex digits.
	// Empty: a key file beside a SQLite state (created 0600 on first use).
	SecretKey ferry.Secret
	// KeyFile overrides where that key file is.
	KeyFile  string
	Logger   *slog.Logger
	Now      func() time.Time
	Pipeline pipeline.Config
	// Lease is how long a running run may go without a heartbeat before
	// another process declares it interrupted; default 1 minute.
	Lease time.Duration
	// HTTP is the client providers use (Metrics.HTTPClient counts their
	// requests for /metrics); nil: each provider's default.
	HTTP *http.Client
}

// App is an opened Ferry: control state, vault, registries, pipeline.
type App struct {
	cfg       Config
	store     *store.Store
	providers provider.Registry
	log       *slog.Logger
	now       func() time.Time
}

// Providers is the registry of built-in providers.
func Providers() provider.Registry {
	return provider.Registry{"stripe": stripe.New()}
}

// OpenDestination opens a project's database by its DSN's scheme.
func OpenDestination(ctx context.Context, dsn string) (database.Destination, error) {
	switch scheme, _, _ := strings.Cut(dsn, ":"); scheme {
	case "postgres", "postgresql":
		return postgres.Open(ctx, dsn)
	case "sqlite", "file":
		return sqlite.Open(ctx, dsn)
	}
	return nil, ferry.Errorf(ferry.EINVALID, "unsupported database address (want postgres://user@host:port/db or sqlite:///path/file.db)")
}

// Open opens the control state and everything around it.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg.State = cmp.Or(cfg.State, "ferry.db")
	cfg.Lease = cmp.Or(cfg.Lease, time.Minute)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	key, err := loadKey(cfg)
	if err != nil {
		return nil, err
	}
	v, err := vault.New(key)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.State, v, cfg.Now)
	if err != nil {
		return nil, fmt.Errorf("open control state: %w", err)
	}
	return &App{cfg: cfg, store: st, providers: Providers(), log: cfg.Logger, now: cfg.Now}, nil
}

func isPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// loadKey finds the key that seals secrets at rest.
func loadKey(cfg Config) ([]byte, error) {
	if !cfg.SecretKey.IsZero() {
		k, err := vault.ParseKey(cfg.SecretKey.Reveal())
		if err != nil {
			return nil, ferry.Wrap(ferry.EINVALID, err, "FERRY_SECRET_KEY is not a key (want 32 bytes as base64, or 64 hex digits; make one with: openssl rand -base64 32)")
		}
		return k, nil
	}
	path := cfg.KeyFile
	if path == "" {
		if isPostgres(cfg.State) {
			return nil, ferry.Errorf(ferry.EINVALID, "control state in Postgres needs FERRY_SECRET_KEY (the same on every machine; make one with: openssl rand -base64 32)")
		}
		path = filepath.Join(filepath.Dir(strings.TrimPrefix(cfg.State, "sqlite:")), "ferry.key")
	}
	return vault.LoadOrCreateKeyFile(path)
}

// Close releases the control state.
func (a *App) Close() error { return a.store.Close() }

// Store returns the control state (for inspection commands).
func (a *App) Store() *store.Store { return a.store }

func hostname() string {
	h, _ := os.Hostname()
	return h
}

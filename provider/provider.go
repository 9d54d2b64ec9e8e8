// Package provider is the contract between Ferry's engine and the SaaS
// providers it syncs. A provider opens connections; a connection implements
// only the capabilities it has (Lister, ChangeFeed, ...), and the engine asks
// for each with a type assertion.
package provider

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/ferrysync/ferry"
)

// Config is what a provider needs to open a connection.
type Config struct {
	APIKey    ferry.Secret
	BaseURL   string       // empty: the provider's public API
	RateLimit float64      // requests per second; 0: the provider default
	HTTP      *http.Client // nil: a client with sane timeouts
	Logger    *slog.Logger // nil: discard
}

// Provider is one kind of provider (stripe, shopify, ...).
type Provider interface {
	// Name is the provider's identifier in configuration ("stripe").
	Name() string
	// Objects lists the object types it can sync, with their fields.
	Objects() []ferry.Object
	// Open returns a connection. It does no I/O; Conn.Verify does.
	Open(cfg Config) (Conn, error)
}

// Conn is an open provider account.
type Conn interface {
	// Verify checks the credentials with one cheap call. A rejected key is an
	// EUNAUTHORIZED error; an unreachable provider EUNAVAILABLE.
	Verify(ctx context.Context) error
}

// Page is one page of a listing.
type Page struct {
	Records []ferry.Record
	// Cursor is the position after this page, to pass back to List; it is
	// also what a checkpoint stores.
	Cursor string
	// Done is true when the range has no more pages.
	Done bool
}

// Lister lists an object's records, in ranges that can be fetched
// concurrently.
type Lister interface {
	// Ranges splits the object's whole listing into at most n disjoint ranges
	// that cover it, for concurrent fetching. Few or no objects may give
	// fewer ranges; none gives an empty slice.
	Ranges(ctx context.Context, object string, n int) ([]ferry.Range, error)
	// List returns the page of the range that follows cursor ("" for the
	// first page).
	List(ctx context.Context, object string, r ferry.Range, cursor string) (Page, error)
}

// ChangeFeed reports updates and deletions since a watermark.
type ChangeFeed interface {
	// Retention is how far back the feed reaches; a watermark older than
	// that cannot be served and needs a full run.
	Retention() time.Duration
	// Changes calls emit with the changed records (the newest state of each,
	// or a tombstone) since the watermark, and returns the watermark to store
	// once they are durable. Records are deduplicated: one per id.
	Changes(ctx context.Context, object string, since ferry.Watermark, emit func([]ferry.Record) error) (ferry.Watermark, error)
}

// Registry maps provider names to providers. internal/app builds it as an
// explicit map.
type Registry map[string]Provider

// Lookup returns the named provider or an EINVALID error listing the known ones.
func (r Registry) Lookup(name string) (Provider, error) {
	if p, ok := r[name]; ok {
		return p, nil
	}
	return nil, ferry.Errorf(ferry.EINVALID, "unknown provider %q (known: %s)", name, joinSorted(r))
}

// Object returns the named object of provider p, or an EINVALID error
// listing the valid ones.
func Object(p Provider, name string) (ferry.Object, error) {
	var names []string
	for _, o := range p.Objects() {
		if o.Name == name {
			return o, nil
		}
		names = append(names, o.Name)
	}
	return ferry.Object{}, ferry.Errorf(ferry.EINVALID, "provider %s has no object %q (valid: %s)", p.Name(), name, join(names))
}

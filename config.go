package ferry

import "time"

// Project is a destination database.
type Project struct {
	Name      string
	DSN       Secret // postgres://... or sqlite:///path
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Connection is one provider account.
type Connection struct {
	Name      string
	Provider  string // stripe
	APIKey    Secret
	BaseURL   string  // optional override, e.g. a local fake
	RateLimit float64 // requests per second; 0 means the provider default
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Strategy says how a sync configuration fetches.
type Strategy string

const (
	// Full re-reads every object on each run and soft-deletes what it did not see.
	Full Strategy = "full"
	// Incremental runs full once, then fetches what changed since a persistent
	// high watermark; with FullEvery > 0, every (FullEvery+1)th run is full.
	Incremental Strategy = "incremental"
)

// Direction says which way data flows.
type Direction string

const (
	OneWay Direction = "one-way"
	TwoWay Direction = "two-way"
)

// SyncConfig is one sync configuration: provider object -> project table.
type SyncConfig struct {
	Name       string
	Connection string
	Object     string
	Project    string
	Table      string
	Fields     []string          // provider fields; empty means all
	Rename     map[string]string // provider field -> column name
	Strategy   Strategy
	FullEvery  int // with Incremental: a full run after every N incremental runs; 0 never
	Direction  Direction
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

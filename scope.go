package ferry

import "time"

// A scope starts several entity syncs (sync configurations) as one unit and
// tracks them together. Each start creates a scope instance with its own id;
// each entity of the instance gets a SyncStatus once it starts.

// StatusState is the state of one entity sync of a scope.
type StatusState string

const (
	StatusSyncing StatusState = "syncing"
	StatusSynced  StatusState = "synced"
	StatusFailed  StatusState = "failed"
)

// Done reports whether the entity sync has completed (either way).
func (s StatusState) Done() bool { return s == StatusSynced || s == StatusFailed }

// ScopeState is the aggregate state of a scope instance.
type ScopeState string

const (
	// ScopeSyncing: not every entity has completed; some may not have started.
	ScopeSyncing ScopeState = "syncing"
	// ScopeFailed: every entity completed and at least one failed.
	ScopeFailed ScopeState = "failed"
	// ScopeSynced: every entity completed successfully.
	ScopeSynced ScopeState = "synced"
	// ScopeInterrupted: the process running the scope died or was stopped
	// before every entity completed.
	ScopeInterrupted ScopeState = "interrupted"
)

// Done reports whether the scope instance is final.
func (s ScopeState) Done() bool { return s != ScopeSyncing }

// SyncStatus is the status of one entity sync inside a scope instance.
type SyncStatus struct {
	ID        string
	Scope     string // the scope instance id
	Provider  string // stripe
	Entity    string // the provider object: customers
	Config    string // the sync configuration
	Project   string // the destination it writes to
	RunID     string // the run doing the work, once created
	State     StatusState
	At        time.Time // when the state last changed
	ErrorCode string
	Error     string
}

// ScopeEntity is one entity sync a scope instance is made of, and where it
// stands: State is empty until it starts.
type ScopeEntity struct {
	Config     string      `json:"sync_config"`
	Provider   string      `json:"provider"`
	Entity     string      `json:"entity"`
	Project    string      `json:"project"`
	StatusID   string      `json:"status_id,omitempty"`
	RunID      string      `json:"run_id,omitempty"`
	State      StatusState `json:"state,omitempty"` // empty: not started
	StartedAt  *time.Time  `json:"started_at,omitempty"`
	FinishedAt *time.Time  `json:"finished_at,omitempty"`
	ErrorCode  string      `json:"error_code,omitempty"`
	Error      string      `json:"error,omitempty"`
}

// ScopeCounts counts a scope instance's entities by where they stand.
type ScopeCounts struct {
	NotStarted int `json:"not_started"`
	Syncing    int `json:"syncing"`
	Failed     int `json:"failed"`
	Synced     int `json:"synced"`
}

// Scope is one instance of a scope.
type Scope struct {
	ID            string
	Name          string
	State         ScopeState
	Counts        ScopeCounts
	LastStartedAt time.Time     // this instance's start
	LastFailedAt  time.Time     // the latest entity failure, carried over from earlier instances of the name until this one fails
	LastSyncedAt  time.Time     // the latest complete success, carried over likewise
	Entities      []ScopeEntity // the details, in the order given at start
	Error         string        // why it was interrupted
	Host          string
	PID           int
	HeartbeatAt   time.Time
	FinishedAt    time.Time // zero while syncing
	UpdatedAt     time.Time
}

// Aggregate derives the scope state from its entities: syncing until every
// entity completed, then failed if any failed, else synced. It does not
// produce interrupted, which only a dead or stopped process causes.
func Aggregate(entities []ScopeEntity) (ScopeState, ScopeCounts) {
	var c ScopeCounts
	for _, e := range entities {
		switch e.State {
		case StatusSyncing:
			c.Syncing++
		case StatusSynced:
			c.Synced++
		case StatusFailed:
			c.Failed++
		default:
			c.NotStarted++
		}
	}
	switch {
	case c.NotStarted > 0 || c.Syncing > 0:
		return ScopeSyncing, c
	case c.Failed > 0:
		return ScopeFailed, c
	}
	return ScopeSynced, c
}

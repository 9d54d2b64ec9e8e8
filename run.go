package ferry

import "time"

// RunStatus is the state of a run.
type RunStatus string

const (
	RunQueued      RunStatus = "queued"
	RunRunning     RunStatus = "running"
	RunSucceeded   RunStatus = "succeeded"
	RunFailed      RunStatus = "failed"
	RunInterrupted RunStatus = "interrupted" // the process running it died or was stopped
	RunCancelled   RunStatus = "cancelled"
)

// Done reports whether the status is final.
func (s RunStatus) Done() bool {
	switch s {
	case RunSucceeded, RunFailed, RunInterrupted, RunCancelled:
		return true
	}
	return false
}

// Mode is what a run does: a full pass or an incremental one.
type Mode string

const (
	ModeFull        Mode = "full"
	ModeIncremental Mode = "incremental"
)

// Counts are a run's (or a batch's) record counts.
type Counts struct {
	Fetched   int64 `json:"fetched"`
	Inserted  int64 `json:"inserted"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Deleted   int64 `json:"deleted"`
	Failed    int64 `json:"failed"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Fetched += o.Fetched
	c.Inserted += o.Inserted
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Deleted += o.Deleted
	c.Failed += o.Failed
}

// Run is one execution of a sync configuration.
type Run struct {
	ID          string
	Config      string
	Status      RunStatus
	Mode        Mode
	Reason      string // why this mode (e.g. "first run", "events older than 30 days")
	Counts      Counts
	Batches     int64
	Total       int64 // expected records when known, else 0
	Attempt     int
	ErrorCode   string
	Error       string
	Host        string
	PID         int
	StartedAt   time.Time
	FinishedAt  time.Time // zero while running
	HeartbeatAt time.Time
}

// Batch is one committed batch of a run, for the batch log.
type Batch struct {
	RunID       string
	Seq         int64
	Records     int64
	Counts      Counts
	Duration    time.Duration
	CursorFrom  string // the position the batch started after
	CursorTo    string // the position it ended at
	CommittedAt time.Time
}

// RecordError is a per-record failure inside a run.
type RecordError struct {
	RunID    string
	RecordID string
	Code     string
	Message  string
	At       time.Time
}

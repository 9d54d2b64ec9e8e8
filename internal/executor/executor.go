package executor

import (
	"context"
	"time"

	"github.com/ferrysync/ferry"
)

// Executor runs sync runs: Enqueue records a queued run of a configuration,
// Work executes queued runs until ctx is done.
type Executor interface {
	Enqueue(ctx context.Context, config string, r Request) (ferry.Run, error)
	Work(ctx context.Context) error
}

// Request says what a queued run should do.
type Request struct {
	Attempt   int       // 1 for a new run
	NotBefore time.Time // not started before; zero: now
	Full      bool      // force a full pass
	Trigger   string    // manual, schedule, retry, resume
}

// Clock is the time source; tests substitute their own.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
var RealClock Clock = realClock{}

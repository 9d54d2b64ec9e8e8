package executor

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
)

type fakeQueue struct {
	enqueued  []Request
	throttled []time.Time
}

func (q *fakeQueue) Enqueue(_ context.Context, config string, r Request) (ferry.Run, error) {
	q.enqueued = append(q.enqueued, r)
	return ferry.Run{ID: "run_next", Config: config, Status: ferry.RunQueued, Attempt: r.Attempt}, nil
}
func (q *fakeQueue) Claim(context.Context) (ferry.Run, bool, error) { return ferry.Run{}, false, nil }
func (q *fakeQueue) Recover(context.Context) ([]ferry.Run, error)   { return nil, nil }
func (q *fakeQueue) Throttle(_ context.Context, _ ferry.Run, until time.Time) error {
	q.throttled = append(q.throttled, until)
	return nil
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                       { return c.t }
func (c fixedClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

// TestAfterRetriesRetryableFailures: the decision after a failed run, from
// its code alone: a new attempt later for retryable codes (and a paused
// connection for an exhausted quota), nothing for permanent ones.
func TestAfterRetriesRetryableFailures(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		code      string
		attempt   int
		retry     bool
		throttled bool
	}{
		{ferry.ERATELIMITED, 1, true, true},
		{ferry.EUNAVAILABLE, 2, true, false},
		{ferry.EUNAVAILABLE, 5, false, false},
		{ferry.EUNAUTHORIZED, 1, false, false},
		{ferry.EINVALID, 1, false, false},
		{ferry.EINTERNAL, 1, false, false},
	} {
		q := &fakeQueue{}
		l := NewLocal(q, nil, Config{Clock: fixedClock{now}, Retry: RetryPolicy{Rand: func() float64 { return 0 }}})
		run := ferry.Run{ID: "run_1", Config: "c", Status: ferry.RunFailed, Attempt: tc.attempt}
		l.after(context.Background(), slog.New(slog.DiscardHandler), run, ferry.Errorf(tc.code, "boom"))
		if got := len(q.enqueued) == 1; got != tc.retry {
			t.Errorf("%s attempt %d: retried %v, want %v", tc.code, tc.attempt, got, tc.retry)
			continue
		}
		if tc.retry {
			r := q.enqueued[0]
			want := now.Add(15 * time.Second << (tc.attempt - 1))
			if r.Attempt != tc.attempt+1 || r.Trigger != "retry" || !r.NotBefore.Equal(want) {
				t.Errorf("%s: retry %+v, want attempt %d not before %s", tc.code, r, tc.attempt+1, want)
			}
		}
		if got := len(q.throttled) == 1; got != tc.throttled {
			t.Errorf("%s: connection paused %v, want %v", tc.code, got, tc.throttled)
		}
	}
}

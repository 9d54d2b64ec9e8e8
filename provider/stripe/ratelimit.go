package stripe

import (
	"context"
	"time"

	"golang.org/x/time/rate"

	"github.com/ferrysync/ferry"
)

// DefaultRateLimit is Stripe's test-mode limit in requests per second (live
// mode allows 100). A connection never sends faster than its limit, so
// concurrent range fetches share one budget instead of earning 429s.
const DefaultRateLimit = 25

// limiter is a token bucket per connection on the client's clock, so tests
// drive it without sleeping.
type limiter struct {
	lim   *rate.Limiter
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func newLimiter(rps float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *limiter {
	// A small burst: enough to let concurrent workers start together,
	// small enough not to trip Stripe's own bucket.
	burst := max(1, int(rps/5))
	return &limiter{lim: rate.NewLimiter(rate.Limit(rps), burst), now: now, sleep: sleep}
}

// wait blocks until the next request may be sent or ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	now := l.now()
	r := l.lim.ReserveN(now, 1)
	if !r.OK() {
		return ferry.Errorf(ferry.EINTERNAL, "stripe rate limiter refused a request")
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := l.sleep(ctx, d); err != nil {
		r.CancelAt(l.now()) // give the token back to the others
		return err
	}
	return nil
}

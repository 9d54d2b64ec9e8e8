package executor

import (
	"cmp"
	"math/rand/v2"
	"time"

	"github.com/ferrysync/ferry"
)

// RetryPolicy decides whether a failed run is tried again, and when.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, the first included; default 5
	Base        time.Duration // delay before the second attempt; default 30s
	Max         time.Duration // cap of the delay; default 30m
	// Rand returns a float in [0, 1) for jitter; nil: math/rand/v2.
	Rand func() float64
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	p.MaxAttempts = cmp.Or(p.MaxAttempts, 5)
	p.Base = cmp.Or(p.Base, 30*time.Second)
	p.Max = cmp.Or(p.Max, 30*time.Minute)
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
	return p
}

// Decide returns whether a run that ended with error code code on attempt
// attempt (1-based) is retried, and the delay before the next attempt: the
// exponential Base*2^(attempt-1), capped at Max, with "equal jitter" (half
// fixed, half random) so that many runs failing together do not retry in
// lockstep. Only retryable codes (ferry.Retryable: rate_limited, unavailable)
// are retried; permanent failures (unauthorized, invalid, not_found,
// internal, ...) wait for someone to fix them.
func (p RetryPolicy) Decide(code string, attempt int) (retry bool, delay time.Duration) {
	p = p.withDefaults()
	if !ferry.Retryable(code) || attempt >= p.MaxAttempts {
		return false, 0
	}
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	half := d / 2
	return true, half + time.Duration(p.Rand()*float64(d-half))
}

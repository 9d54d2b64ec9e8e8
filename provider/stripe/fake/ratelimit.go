package fake

import (
	"sync"
	"time"
)

// limiter is a token bucket on the Server's clock: rate tokens a second, a
// burst of max(1, rate). A zero rate lets everything through.
type limiter struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func (l *limiter) set(rps float64, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate = max(rps, 0)
	l.tokens = l.burst()
	l.last = now
}

func (l *limiter) burst() float64 { return max(1, l.rate) }

func (l *limiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rate == 0 {
		return true
	}
	if dt := now.Sub(l.last).Seconds(); dt > 0 {
		l.tokens = min(l.burst(), l.tokens+dt*l.rate)
		l.last = now
	}
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// SetRateLimit sets the requests per second answered before 429s; 0 removes
// the limit. The bucket starts full.
func (s *Server) SetRateLimit(rps float64) { s.limiter.set(rps, s.now()) }

// faults are the injected failures still to answer.
type faults struct {
	mu     sync.Mutex
	n      int
	status int
}

func (f *faults) take() (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n <= 0 {
		return 0, false
	}
	f.n--
	return f.status, true
}

// FailNext makes the next n requests fail with status (429, 500, 503, ...)
// before authentication, with Stripe's body for that status and
// Stripe-Should-Retry: true. It replaces any failures still pending.
func (s *Server) FailNext(n int, status int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.n, s.faults.status = n, status
}

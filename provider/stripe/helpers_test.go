package stripe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/provider"
)

const testKey = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

// fakeClock is the client's clock in tests: Sleep advances it at once.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func (c *fakeClock) Total() time.Duration {
	var t time.Duration
	for _, d := range c.Slept() {
		t += d
	}
	return t
}

// newTestClient returns a client of the server at baseURL on a fake clock,
// with full jitter pinned to its ceiling and a rate limit high enough not to
// matter unless cfg says otherwise.
func newTestClient(t *testing.T, baseURL string, cfg Config) (*Client, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	if cfg.APIKey.IsZero() {
		cfg.APIKey = ferry.NewSecret(testKey)
	}
	cfg.BaseURL = baseURL
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 1e6
	}
	cfg.Now = clock.Now
	cfg.Sleep = clock.Sleep
	if cfg.Jitter == nil {
		cfg.Jitter = func() float64 { return 1 }
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock
}

// serve starts an httptest server with h and closes it after the test.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// listAll walks the ranges concurrently and returns every record.
func listAll(t *testing.T, c *Client, object string, ranges []ferry.Range) []ferry.Record {
	t.Helper()
	var (
		mu   sync.Mutex
		all  []ferry.Record
		wg   sync.WaitGroup
		errs = make(chan error, len(ranges))
	)
	for _, r := range ranges {
		wg.Go(func() {
			cursor := ""
			for {
				p, err := c.List(t.Context(), object, r, cursor)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				all = append(all, p.Records...)
				mu.Unlock()
				if p.Done {
					return
				}
				cursor = p.Cursor
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return all
}

var _ provider.Lister = (*Client)(nil)

package stripe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/provider"
)

// Defaults of Config.
const (
	DefaultBaseURL        = "https://api.stripe.com"
	DefaultMaxAttempts    = 6
	DefaultRequestTimeout = 30 * time.Second
	DefaultBaseDelay      = 500 * time.Millisecond
	DefaultMaxDelay       = 20 * time.Second

	// StripeVersion pins the API version of every request, so the shape of
	// the objects does not change with the account's default version.
	StripeVersion = "2026-08-26.dahlia"

	// maxRetryAfter caps how long a Retry-After header can make us wait.
	maxRetryAfter = 2 * time.Minute
	// maxBody bounds one response (a page of 100 invoices with lines is a
	// few MB).
	maxBody = 64 << 20
)

// Config configures a Client. The zero value of each field means its default.
type Config struct {
	provider.Config

	MaxAttempts    int           // attempts per request, first included; default 6
	RequestTimeout time.Duration // per attempt; default 30s
	BaseDelay      time.Duration // backoff of the first retry; default 500ms
	MaxDelay       time.Duration // backoff cap; default 20s

	// Now and Sleep are the clock; tests inject a fake one. Sleep returns
	// ctx.Err() when ctx is done first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0,1) for full-jitter backoff.
	Jitter func() float64
}

func (c Config) withDefaults() Config {
	c.BaseURL = strings.TrimRight(cmp.Or(c.BaseURL, DefaultBaseURL), "/")
	c.RateLimit = cmp.Or(c.RateLimit, DefaultRateLimit)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, DefaultMaxAttempts)
	c.RequestTimeout = cmp.Or(c.RequestTimeout, DefaultRequestTimeout)
	c.BaseDelay = cmp.Or(c.BaseDelay, DefaultBaseDelay)
	c.MaxDelay = cmp.Or(c.MaxDelay, DefaultMaxDelay)
	if c.HTTP == nil {
		c.HTTP = newHTTPClient()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
	return c
}

func (c Config) validate() error {
	if c.APIKey.IsZero() {
		return ferry.Errorf(ferry.EINVALID, "stripe connection needs an API key")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ferry.Errorf(ferry.EINVALID, "stripe base URL %q is not an http(s) URL", c.BaseURL)
	}
	if c.RateLimit < 0 {
		return ferry.Errorf(ferry.EINVALID, "stripe rate limit must be positive, not %g", c.RateLimit)
	}
	if c.MaxAttempts < 0 {
		return ferry.Errorf(ferry.EINVALID, "stripe max attempts must be positive, not %d", c.MaxAttempts)
	}
	return nil
}

// newHTTPClient returns a client whose transport keeps enough idle
// connections for ~40 concurrent requests to one host. Its overall timeout
// is left to the per-attempt context.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: DefaultRequestTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   64,
		MaxConnsPerHost:       64,
		IdleConnTimeout:       90 * time.Second,
	}}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Client is an open Stripe account. It is safe for concurrent use; all its
// requests share one rate limiter.
type Client struct {
	cfg   Config
	key   string // revealed once, used only for the Authorization header and scrubbing
	lim   *limiter
	log   *slog.Logger
	stats struct{ requests, retries, throttled atomic.Int64 }
}

var (
	_ provider.Conn       = (*Client)(nil)
	_ provider.Lister     = (*Client)(nil)
	_ provider.ChangeFeed = (*Client)(nil)
)

// NewClient returns a connection. It does no I/O; Verify does.
func NewClient(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Client{
		cfg: cfg,
		key: cfg.APIKey.Reveal(),
		lim: newLimiter(cfg.RateLimit, cfg.Now, cfg.Sleep),
		log: cfg.Logger,
	}, nil
}

// Stats are a connection's request counters since it was opened.
type Stats struct {
	Requests  int64 // HTTP requests sent, retries included
	Retries   int64 // requests that were retries
	Throttled int64 // 429 answers received
}

// Stats returns the connection's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:  c.stats.requests.Load(),
		Retries:   c.stats.retries.Load(),
		Throttled: c.stats.throttled.Load(),
	}
}

// Verify checks the key with one cheap call: the newest customer. (Not
// /v1/balance: a restricted key made for syncing may read customers but
// not the balance.)
func (c *Client) Verify(ctx context.Context) error {
	if _, err := c.get(ctx, "/v1/customers", url.Values{"limit": {"1"}}); err != nil {
		return fmt.Errorf("verify stripe connection: %w", err)
	}
	return nil
}

// get sends GET path?query, retrying what Stripe says may be retried, and
// returns the body of a 2xx answer. Errors are *ferry.Error (or the context's
// error when ctx ends).
func (c *Client) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	u := c.cfg.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	for attempt := 1; ; attempt++ {
		if err := c.lim.wait(ctx); err != nil {
			return nil, err
		}
		status, header, body, err := c.send(ctx, u)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil && status/100 == 2 {
			return body, nil
		}
		if status == http.StatusTooManyRequests {
			c.stats.throttled.Add(1)
		}
		retry := err != nil || status == http.StatusTooManyRequests || status >= 500
		// Stripe's own word overrides the status (an idempotency conflict
		// may be retried; a 500 from a failed charge must not be).
		switch header.Get("Stripe-Should-Retry") {
		case "true":
			retry = true
		case "false":
			retry = false
		}
		if !retry || attempt >= c.cfg.MaxAttempts {
			if err != nil {
				return nil, ferry.Wrap(ferry.EUNAVAILABLE, c.scrub(err), "stripe unreachable after %d attempts", attempt)
			}
			e := parseAPIError(status, header, body)
			e.Message = c.scrubString(e.Message)
			return nil, classify(e, attempt)
		}
		d := c.backoff(attempt, header)
		c.log.DebugContext(ctx, "stripe request retry",
			slog.String("path", path), slog.Int("status", status), slog.Int("attempt", attempt),
			slog.Duration("delay", d), slog.Any("error", c.scrub(err)))
		if err := c.cfg.Sleep(ctx, d); err != nil {
			return nil, err
		}
		c.stats.retries.Add(1)
	}
}

// send makes one attempt. A transport error comes back as err, any HTTP
// answer as status, header and body.
func (c *Client) send(ctx context.Context, u string) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, http.Header{}, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Stripe-Version", StripeVersion)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ferry")
	c.stats.requests.Add(1)
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		return 0, http.Header{}, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, http.Header{}, nil, fmt.Errorf("read stripe response: %w", err)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// backoff is the wait before retry number attempt: Retry-After when Stripe
// sends one, otherwise exponential backoff with full jitter.
func (c *Client) backoff(attempt int, header http.Header) time.Duration {
	if d, ok := retryAfter(header.Get("Retry-After"), c.cfg.Now()); ok {
		return min(d, maxRetryAfter)
	}
	ceiling := c.cfg.MaxDelay
	if shift := attempt - 1; shift < 30 {
		ceiling = min(ceiling, c.cfg.BaseDelay<<shift)
	}
	return time.Duration(c.cfg.Jitter() * float64(ceiling))
}

// retryAfter parses a Retry-After value: seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// scrub keeps the key out of an error that may quote the request.
func (c *Client) scrub(err error) error {
	if err == nil || !strings.Contains(err.Error(), c.key) {
		return err
	}
	return errors.New(c.scrubString(err.Error()))
}

func (c *Client) scrubString(s string) string {
	if c.key == "" {
		return s
	}
	return strings.ReplaceAll(s, c.key, "[redacted]")
}

package fake

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultAPIKey is the secret key a Server accepts when Config.APIKey is empty.
const DefaultAPIKey = "sk_test_ferry"

// DefaultAPIVersion is the Stripe-Version the fake answers with when a
// request does not ask for one.
const DefaultAPIVersion = "2024-06-20"

// Config configures a Server. The zero value serves nothing seeded, with the
// default key and no limits.
type Config struct {
	Seed      int64
	Counts    map[string]int // object name ("customers", ...) -> seeded count
	PerSecond int            // seeded objects sharing one created second; default 3
	// Start is the created time of the oldest seeded object. Default: Now()
	// minus enough seconds to fit the largest count, so the newest seeded
	// object is about one hour old.
	Start     time.Time
	APIKey    string           // the accepted secret key; default DefaultAPIKey
	Now       func() time.Time // clock; default time.Now
	Latency   time.Duration    // added to every request
	RateLimit float64          // requests/second before 429; 0 = unlimited
}

// Stats counts what a Server answered.
type Stats struct {
	Requests  int64 // every request received
	Throttled int64 // 429s sent, by the rate limiter or injected
	Errors    int64 // injected failures (FailNext)
}

// world is the immutable part of a Server: everything seeded objects are
// generated from.
type world struct {
	seed      int64
	start     int64 // unix seconds
	perSecond int
	counts    map[string]int64
	kinds     map[string]*kind
	codecs    map[string]idCodec // auxiliary prefixes: evt_, req_, si_, ...
}

func (w *world) codec(prefix string) idCodec { return w.codecs[prefix] }

// Server is a stateful fake of Stripe's API. It is safe for concurrent use.
type Server struct {
	w      *world
	apiKey string
	now    func() time.Time

	mu     sync.RWMutex
	tables map[string]*table
	events eventLog
	idem   map[string]cachedResponse
	// churnSeq counts Churn's writes; it seeds the next one.
	churnSeq int64

	latency atomic.Int64
	limiter limiter
	faults  faults
	reqSeq  atomic.Int64

	requests, throttled, injected atomic.Int64

	srvMu sync.Mutex
	srv   *http.Server
}

// New returns a Server seeded as cfg says. It generates nothing up front:
// memory does not grow with the seeded counts.
func New(cfg Config) *Server {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	per := max(cfg.PerSecond, 0)
	per = cmp.Or(per, 3)
	w := &world{seed: cfg.Seed, perSecond: per, counts: map[string]int64{}, kinds: map[string]*kind{}, codecs: map[string]idCodec{}}
	largest := 0
	for _, name := range objectNames {
		n := max(cfg.Counts[name], 0)
		w.counts[name] = int64(n)
		largest = max(largest, n)
	}
	if cfg.Start.IsZero() {
		span := time.Duration((largest+per-1)/per) * time.Second
		cfg.Start = now().Add(-time.Hour - span).Truncate(time.Second)
	}
	w.start = cfg.Start.Unix()
	for _, p := range []string{"evt_", "req_", "si_", "il_", "txn_", "pi_", "pm_", "fp"} {
		w.codecs[p] = newIDCodec(cfg.Seed, p)
	}
	w.buildKinds()
	s := &Server{
		w:      w,
		apiKey: cmp.Or(cfg.APIKey, DefaultAPIKey),
		now:    now,
		tables: map[string]*table{},
		idem:   map[string]cachedResponse{},
	}
	for _, name := range objectNames {
		s.tables[name] = newTable(w.kinds[name], w.counts[name])
	}
	s.latency.Store(int64(cfg.Latency))
	s.limiter.set(cfg.RateLimit, now())
	return s
}

// Objects returns the object names the Server serves, as used in paths and
// Config.Counts.
func (s *Server) Objects() []string { return append([]string(nil), objectNames...) }

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Throttled: s.throttled.Load(), Errors: s.injected.Load()}
}

// SetLatency sets the delay added to every request from now on.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Start listens on addr ("127.0.0.1:0" for any free port) and serves in the
// background. It returns the base URL, like "http://127.0.0.1:43121".
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.srvMu.Lock()
	if s.srv != nil {
		s.srvMu.Unlock()
		ln.Close()
		return "", errors.New("stripe fake: already started")
	}
	s.srv = srv
	s.srvMu.Unlock()
	go srv.Serve(ln) //nolint:errcheck // returns ErrServerClosed on Close
	return "http://" + ln.Addr().String(), nil
}

// Close stops a Server started with Start. It is a no-op otherwise.
func (s *Server) Close() error {
	s.srvMu.Lock()
	srv := s.srv
	s.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// ServeHTTP answers one request the way Stripe would: latency, injected
// faults, authentication, rate limiting, then the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	reqID := s.w.codec("req_").encode(s.reqSeq.Add(1))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", reqID)
	h.Set("Stripe-Version", cmp.Or(r.Header.Get("Stripe-Version"), DefaultAPIVersion))
	c := &call{s: s, w: w, r: r, reqID: reqID, version: h.Get("Stripe-Version")}

	if err := s.wait(r.Context()); err != nil {
		return // the client is gone
	}
	if status, ok := s.faults.take(); ok {
		s.injected.Add(1)
		if status == http.StatusTooManyRequests {
			s.throttled.Add(1)
			h.Set("Stripe-Should-Retry", "true")
			c.fail(errRateLimit())
			return
		}
		h.Set("Stripe-Should-Retry", "true")
		c.fail(errAPI(status))
		return
	}
	if e := s.authenticate(r); e != nil {
		c.fail(e)
		return
	}
	if !s.limiter.allow(s.now()) {
		s.throttled.Add(1)
		h.Set("Stripe-Should-Retry", "true")
		c.fail(errRateLimit())
		return
	}
	c.route()
}

// wait sleeps the configured latency, or until ctx ends.
func (s *Server) wait(ctx context.Context) error {
	d := time.Duration(s.latency.Load())
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call is one request being answered.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	reqID   string
	version string
	idemKey string // set while answering a request with an Idempotency-Key
	// fingerprint identifies the request for Idempotency-Key reuse checks.
	fingerprint string
}

func (c *call) route() {
	path := strings.TrimSuffix(c.r.URL.Path, "/")
	parts := strings.Split(strings.TrimPrefix(path, "/v1/"), "/")
	if !strings.HasPrefix(path, "/v1/") || len(parts) > 3 || parts[0] == "" {
		c.fail(errUnrecognizedURL(c.r.Method, c.r.URL.Path))
		return
	}
	m := c.r.Method
	switch {
	case parts[0] == "balance" && len(parts) == 1 && m == http.MethodGet:
		c.balance()
	case parts[0] == "events" && len(parts) == 1 && m == http.MethodGet:
		c.listEvents()
	case parts[0] == "events" && len(parts) == 2 && m == http.MethodGet:
		c.getEvent(parts[1])
	default:
		k := c.s.w.kinds[parts[0]]
		if k == nil {
			c.fail(errUnrecognizedURL(m, c.r.URL.Path))
			return
		}
		switch {
		case len(parts) == 3 && m == http.MethodPost && k.name == "invoices" && invoiceActions[parts[2]].event != "":
			c.invoiceAction(parts[1], parts[2])
		case len(parts) == 3:
			c.fail(errUnrecognizedURL(m, c.r.URL.Path))
		case len(parts) == 1 && m == http.MethodGet:
			c.list(k)
		case len(parts) == 1 && m == http.MethodPost:
			c.create(k)
		case len(parts) == 2 && m == http.MethodGet:
			c.retrieve(k, parts[1])
		case len(parts) == 2 && m == http.MethodPost:
			c.update(k, parts[1])
		case len(parts) == 2 && m == http.MethodDelete && k.delete != deleteNone:
			c.del(k, parts[1])
		default:
			c.fail(errUnrecognizedURL(m, c.r.URL.Path))
		}
	}
}

func (c *call) balance() {
	zero := func() []any {
		return []any{map[string]any{"amount": int64(0), "currency": "usd", "source_types": map[string]any{"card": int64(0)}}}
	}
	c.ok(map[string]any{
		"object": "balance", "livemode": false, "available": zero(), "pending": zero(),
		"connect_reserved": []any{map[string]any{"amount": int64(0), "currency": "usd"}},
	})
}

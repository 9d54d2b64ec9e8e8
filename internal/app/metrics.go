package app

import (
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Metrics counts the HTTP requests Ferry makes to providers, by host and
// status, for /metrics. Providers never see it: they get an *http.Client
// whose transport counts (HTTPClient), so provider/ stays free of internal/.
// Everything else /metrics shows is read from the control state, which
// every process shares.
type Metrics struct {
	mu       sync.Mutex
	requests map[RequestKey]uint64
}

// RequestKey labels a provider request count. Code is the HTTP status, or
// "error" for a request that got no response.
type RequestKey struct {
	Host string
	Code string
}

// RequestCount is one labelled count.
type RequestCount struct {
	RequestKey
	N uint64
}

// NewMetrics returns empty counters.
func NewMetrics() *Metrics { return &Metrics{requests: map[RequestKey]uint64{}} }

// HTTPClient returns a client for providers that counts their requests,
// with the timeouts a provider client needs.
func (m *Metrics) HTTPClient() *http.Client {
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: m.Transport(base)}
}

// Transport wraps base so that every round trip is counted.
func (m *Metrics) Transport(base http.RoundTripper) http.RoundTripper {
	return countingTransport{m: m, base: base}
}

type countingTransport struct {
	m    *Metrics
	base http.RoundTripper
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.m.mu.Lock()
	t.m.requests[RequestKey{Host: r.URL.Host, Code: code}]++
	t.m.mu.Unlock()
	return resp, err
}

// Requests returns the request counts, sorted by host and code.
func (m *Metrics) Requests() []RequestCount {
	m.mu.Lock()
	out := make([]RequestCount, 0, len(m.requests))
	for k, n := range m.requests {
		out = append(out, RequestCount{RequestKey: k, N: n})
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Host != out[j].Host {
			return out[i].Host < out[j].Host
		}
		return out[i].Code < out[j].Code
	})
	return out
}

package fake_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// clock is a settable clock for Config.Now: tests move time instead of
// sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func newServer(t *testing.T, counts map[string]int, per int) (*fake.Server, *clock) {
	t.Helper()
	clk := newClock()
	return fake.New(fake.Config{Seed: 42, Counts: counts, PerSecond: per, Now: clk.Now}), clk
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends one request straight to ServeHTTP with the default key.
func do(t *testing.T, s http.Handler, method, path string, form url.Values) response {
	t.Helper()
	return doAuth(t, s, method, path, form, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+fake.DefaultAPIKey) })
}

func doAuth(t *testing.T, s http.Handler, method, path string, form url.Values, auth func(*http.Request)) response {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != nil {
		auth(r)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	res := response{status: w.Code, header: w.Header(), raw: w.Body.String()}
	if err := json.Unmarshal(w.Body.Bytes(), &res.body); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v\n%s", method, path, err, res.raw)
	}
	return res
}

func (r response) errorBody(t *testing.T) map[string]any {
	t.Helper()
	e, ok := r.body["error"].(map[string]any)
	if !ok {
		t.Fatalf("status %d, no error body: %s", r.status, r.raw)
	}
	return e
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
}

func listData(t *testing.T, r response) []map[string]any {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if r.body["object"] != "list" {
		t.Fatalf("not a list: %s", r.raw)
	}
	raw, _ := r.body["data"].([]any)
	out := make([]map[string]any, len(raw))
	for i, d := range raw {
		out[i] = d.(map[string]any)
	}
	return out
}

func ids(objs []map[string]any) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o["id"].(string)
	}
	return out
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

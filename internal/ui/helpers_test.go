package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/pipeline"
	"github.com/ferrysync/ferry/internal/ui"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

const testPassword = "correct horse battery staple"

// env is a dashboard over a fresh control state with one project, one
// connection to a seeded Stripe fake, and a "customers" configuration.
type env struct {
	app    *app.App
	stripe *fake.Server
	srv    *httptest.Server
}

type envOptions struct {
	customers int
	latency   time.Duration
}

func newEnv(t *testing.T, opt envOptions) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st := fake.New(fake.Config{Seed: 7, Counts: map[string]int{"customers": opt.customers}, Latency: opt.latency})
	base, err := st.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a, err := app.Open(ctx, app.Config{State: filepath.Join(dir, "state.db"),
		Pipeline: pipeline.Config{BatchSize: 100, Concurrency: 2}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	doc := &app.Document{
		Projects:    []app.ProjectSpec{{Name: "demo", Database: "sqlite://" + filepath.Join(dir, "dest.db")}},
		Connections: []app.ConnectionSpec{{Name: "stripe", Provider: "stripe", APIKey: "sk_test_ferry", BaseURL: base, RateLimit: 1000}},
		Syncs: []app.SyncSpec{{Name: "customers", Connection: "stripe", Object: "customers", Project: "demo",
			Table: "stripe_customers", Strategy: string(ferry.Incremental)}},
	}
	if _, err := a.Apply(ctx, doc, app.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	h := ui.New(a, ui.Config{AdminPassword: testPassword, Out: io.Discard, Poll: 200 * time.Millisecond})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{app: a, stripe: st, srv: srv}
}

// client is a cookie-keeping HTTP client that does not follow redirects.
func (e *env) client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login logs c in and returns the session's CSRF token.
func (e *env) login(t *testing.T, c *http.Client, password string) (*http.Response, string) {
	t.Helper()
	_, body := get(t, c, e.srv.URL+"/login")
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on the login page:\n%s", body)
	}
	resp, _ := post(t, c, e.srv.URL+"/login", url.Values{"csrf": {m[1]}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		return resp, ""
	}
	_, body = get(t, c, e.srv.URL+"/")
	m = csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token after login:\n%s", body)
	}
	return resp, m[1]
}

func waitRun(t *testing.T, e *env, id string) ferry.Run {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r, err := e.app.Store().GetRun(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status.Done() {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("run %s did not finish", id)
	return ferry.Run{}
}

func runIDFrom(t *testing.T, loc string) string {
	t.Helper()
	id, ok := strings.CutPrefix(loc, "/runs/")
	if !ok || id == "" {
		t.Fatalf("redirect to %q, want /runs/ID", loc)
	}
	return id
}

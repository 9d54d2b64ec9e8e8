package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/api"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/executor"
	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The API key the fake Stripe accepts in these tests: long and unique, so
// that finding it in a response or a log is never a coincidence.
const apiKey = "sk_test_apitest_9f8e7d6c5b4a39281706"

// env is one test's Ferry behind the API: a control state, a fake Stripe,
// tokens of every scope, and every response body seen (for secret checks).
type env struct {
	t      *testing.T
	dir    string
	app    *app.App
	srv    *fake.Server
	url    string // the fake Stripe
	api    *httptest.Server
	logs   *syncBuffer
	tokens map[store.TokenScope]string

	mu     sync.Mutex
	bodies []string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type envOptions struct {
	fake fake.Config
	now  func() time.Time
}

func newEnv(t *testing.T, opt envOptions) *env {
	t.Helper()
	dir := t.TempDir()
	if opt.fake.APIKey == "" {
		opt.fake.APIKey = apiKey
	}
	srv := fake.New(opt.fake)
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.Open(context.Background(), app.Config{State: filepath.Join(dir, "state.db"), Logger: log, Now: opt.now,
		SecretKey: ferry.NewSecret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")})
	if err != nil {
		t.Fatal(err)
	}
	s := api.New(a, api.Config{Logger: log})
	hs := httptest.NewServer(s)
	// Workers run the queued runs, as in ferry serve.
	wctx, stopWorkers := context.WithCancel(context.Background())
	workers := make(chan struct{})
	go func() {
		defer close(workers)
		_ = a.Executor(executor.Config{Workers: 2, Poll: 20 * time.Millisecond}).Work(wctx)
	}()
	t.Cleanup(func() {
		hs.Close()
		stopWorkers()
		<-workers
		s.Close()
		a.Close()
	})
	e := &env{t: t, dir: dir, app: a, srv: srv, url: url, api: hs, logs: logs, tokens: map[store.TokenScope]string{}}
	for _, sc := range []store.TokenScope{store.ScopeRead, store.ScopeRun, store.ScopeAdmin} {
		_, secret, err := a.Store().CreateToken(context.Background(), "test "+string(sc), sc)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[sc] = secret.Reveal()
	}
	return e
}

// do sends a request with the token of scope (none: "") and returns the
// status and body; the body is kept for the secret checks.
func (e *env) do(scope store.TokenScope, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				e.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.api.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if scope != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[scope])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mu.Lock()
	e.bodies = append(e.bodies, method+" "+path+" -> "+string(b))
	e.mu.Unlock()
	return resp.StatusCode, b
}

// must sends a request that must answer want, and decodes the body into out.
func (e *env) must(scope store.TokenScope, method, path string, body any, want int, out any) {
	e.t.Helper()
	code, b := e.do(scope, method, path, body)
	if code != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, code, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
}

// wantError checks a response is the one error shape with the code.
func (e *env) wantError(scope store.TokenScope, method, path string, body any, status int, code string, contains ...string) string {
	e.t.Helper()
	got, b := e.do(scope, method, path, body)
	if got != status {
		e.t.Errorf("%s %s: status %d, want %d\n%s", method, path, got, status, b)
	}
	var shape map[string]map[string]string
	if err := json.Unmarshal(b, &shape); err != nil || len(shape) != 1 || len(shape["error"]) != 2 {
		e.t.Errorf("%s %s: body is not {\"error\":{\"code\",\"message\"}}: %s", method, path, b)
		return ""
	}
	if shape["error"]["code"] != code {
		e.t.Errorf("%s %s: code %q, want %q (%s)", method, path, shape["error"]["code"], code, b)
	}
	for _, c := range contains {
		if !strings.Contains(shape["error"]["message"], c) {
			e.t.Errorf("%s %s: message %q lacks %q", method, path, shape["error"]["message"], c)
		}
	}
	return shape["error"]["message"]
}

// noSecrets fails if any response body or log line holds one of secrets.
func (e *env) noSecrets(secrets ...string) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.bodies) == 0 {
		e.t.Fatal("no responses recorded")
	}
	for _, s := range secrets {
		for _, b := range e.bodies {
			if strings.Contains(b, s) {
				e.t.Errorf("a response holds the secret %q: %s", s, b)
			}
		}
		if strings.Contains(e.logs.String(), s) {
			e.t.Errorf("the log holds the secret %q", s)
		}
	}
}

// declare puts a project on dsn, the stripe connection and the customers sync.
func (e *env) declare(dsn, strategy string) {
	e.t.Helper()
	e.must(store.ScopeAdmin, "PUT", "/api/v1/projects/warehouse", map[string]any{"database": dsn}, 201, nil)
	e.must(store.ScopeAdmin, "PUT", "/api/v1/connections/stripe", map[string]any{"provider": "stripe", "api_key": apiKey, "base_url": e.url, "rate_limit": 1000}, 201, nil)
	e.must(store.ScopeAdmin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
		"table": "stripe_customers", "fields": []string{"id", "email", "name", "created", "metadata"}, "rename": map[string]string{"email": "email_address"},
		"strategy": strategy}, 201, nil)
}

type runBody struct {
	Run api.Run `json:"run"`
}

// wait polls a run until it is done.
func (e *env) wait(id string) api.Run {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		var rb runBody
		e.must(store.ScopeRead, "GET", "/api/v1/runs/"+id, nil, 200, &rb)
		if ferry.RunStatus(rb.Run.Status).Done() {
			return rb.Run
		}
		time.Sleep(20 * time.Millisecond)
	}
	var rb runBody
	e.must(store.ScopeRead, "GET", "/api/v1/runs/"+id, nil, 200, &rb)
	e.t.Fatalf("run %s did not finish: %+v", id, rb.Run)
	return api.Run{}
}

func sqliteDSN(t *testing.T, dir string) string { return "sqlite://" + filepath.Join(dir, "dest.db") }

func waitABit() { time.Sleep(10 * time.Millisecond) }

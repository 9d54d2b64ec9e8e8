package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/pgtest"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// TestServeAPIWithTokens drives the real binary: tokens made with the CLI
// authenticate against the API of `ferry serve`, a read token cannot start
// a run, a revoked one fails, /metrics counts the run and the provider
// requests, and the logs of the whole run (JSON, debug level) hold neither
// the API key nor the database password.
func TestServeAPIWithTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fake.Config{Seed: 21, Counts: map[string]int{"customers": 800}})
	const password = "pg_pw_Zq81x"
	dsn := strings.Replace(pgtest.DB(t), "postgres://ferry@", "postgres://ferry:"+password+"@", 1) // trust auth ignores it
	e.mustFerry("apply", "-f", e.file("ferry.yaml", e.config(dsn, "")))

	type tok struct {
		ID, Token, Scope string
	}
	var readTok, runTok tok
	_ = json.Unmarshal([]byte(e.mustFerry("token", "create", "--scope", "read", "--name", "dashboard", "--json")), &readTok)
	_ = json.Unmarshal([]byte(e.mustFerry("token", "create", "--scope", "run", "--json")), &runTok)
	if !strings.HasPrefix(readTok.Token, "ferry_") || runTok.Scope != "run" {
		t.Fatalf("created tokens: %+v %+v", readTok, runTok)
	}
	if _, errs, code := e.ferry("token", "create", "--scope", "owner"); code != 2 || !strings.Contains(errs, "read, run or admin") {
		t.Errorf("bad scope: exit %d %s", code, errs)
	}
	if list := e.mustFerry("token", "list"); !strings.Contains(list, readTok.ID) || !strings.Contains(list, "never") || strings.Contains(list, readTok.Token) {
		t.Errorf("token list:\n%s", list)
	}

	serve := exec.Command(ferryBinary(t), "--state", e.state, "--log-format", "json", "--log-level", "debug",
		"serve", "--addr", "127.0.0.1:0", "--poll", "50ms")
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	sc := bufio.NewScanner(stderr)
	base := ""
	for base == "" && sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if _, after, ok := strings.Cut(sc.Text(), "listening on "); ok {
			base = strings.TrimSpace(after)
		}
	}
	if base == "" {
		_ = serve.Process.Kill()
		t.Fatalf("ferry serve did not listen:\n%s", logs.String())
	}
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		for sc.Scan() { // the same scanner: it may hold lines read ahead
			logs.WriteString(sc.Text() + "\n")
		}
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = serve.Process.Signal(syscall.SIGTERM)
			<-logsDone
			_ = serve.Wait()
		}
	}
	t.Cleanup(stop)

	call := func(token, method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if code, body := call(readTok.Token, "GET", "/api/v1/syncs"); code != 200 || !strings.Contains(body, `"customers"`) {
		t.Fatalf("GET syncs with a read token: %d %s", code, body)
	}
	if code, body := call(readTok.Token, "POST", "/api/v1/syncs/customers/runs"); code != 403 || !strings.Contains(body, `"code":"forbidden"`) {
		t.Errorf("sync now with a read token: %d %s", code, body)
	}
	code, body := call(runTok.Token, "POST", "/api/v1/syncs/customers/runs")
	if code != 202 {
		t.Fatalf("sync now with a run token: %d %s", code, body)
	}
	var started struct{ Run struct{ ID, Status string } }
	_ = json.Unmarshal([]byte(body), &started)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, body := call(readTok.Token, "GET", "/api/v1/runs/"+started.Run.ID)
		var r struct{ Run struct{ Status string } }
		_ = json.Unmarshal([]byte(body), &r)
		if r.Run.Status == "succeeded" {
			break
		}
		if r.Run.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("run: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, metrics := call("", "GET", "/metrics")
	for _, want := range []string{`ferry_runs{status="succeeded"} 1`, `ferry_records_total{outcome="inserted",sync="customers"} 800`,
		`ferry_provider_requests_total{code="200"`, "ferry_batch_duration_seconds_count", "ferry_queue_depth 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, body := call(readTok.Token, "GET", "/api/v1/syncs/customers/records?limit=5"); code != 200 || !strings.Contains(body, `"next_cursor"`) {
		t.Errorf("records: %d %s", code, body)
	}

	e.mustFerry("token", "revoke", readTok.ID)
	if code, body := call(readTok.Token, "GET", "/api/v1/syncs"); code != 401 || !strings.Contains(body, `"code":"unauthorized"`) {
		t.Errorf("a revoked token: %d %s", code, body)
	}
	list := e.mustFerry("token", "list", "--json")
	if !strings.Contains(list, `"revoked_at"`) || !strings.Contains(list, `"last_used_at"`) {
		t.Errorf("token list after use and revoke:\n%s", list)
	}

	stop()
	all := logs.String()
	if !strings.Contains(all, `"msg":"batch committed"`) {
		t.Fatalf("the serve log does not cover the run:\n%.2000s", all)
	}
	for _, secret := range []string{fake.DefaultAPIKey, password, readTok.Token, runTok.Token} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds the secret %q", secret)
		}
	}
}

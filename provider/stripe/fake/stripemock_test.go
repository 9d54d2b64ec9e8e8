package fake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// stripe-mock serves Stripe's OpenAPI spec with fixture data. Comparing key
// sets against it keeps the fake's shapes on the real spec.
const stripeMockInstall = "go install github.com/stripe/stripe-mock@v0.203.0"

func startStripeMock(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		home, _ := os.UserHomeDir()
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			gopath = filepath.Join(home, "go")
		}
		bin = filepath.Join(gopath, "bin", "stripe-mock")
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("stripe-mock is not installed; install it with: %s", stripeMockInstall)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// HTTPS would default to :12112, which another stripe-mock may hold.
	cmd := exec.Command(bin, "-http-addr", addr, "-https-addr", "127.0.0.1:0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // teardown
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not listen on %s:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond) // waiting for a child process, not for our own clock
	}
}

func mockGet(t *testing.T, base, path string, auth bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if auth {
		req.Header.Set("Authorization", "Bearer sk_test_123")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("stripe-mock %s: %v", path, err)
	}
	return res.StatusCode, m
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func diff(a, b []string) []string {
	var out []string
	for _, k := range a {
		if !slices.Contains(b, k) {
			out = append(out, k)
		}
	}
	return out
}

func TestShapesMatchStripeMock(t *testing.T) {
	base := startStripeMock(t)
	counts := map[string]int{"customers": 3, "products": 3, "prices": 3, "invoices": 3, "subscriptions": 3, "charges": 3}
	s, _ := newServer(t, counts, 0)
	if _, err := s.Create("customers", map[string]any{"name": "evented"}); err != nil {
		t.Fatal(err)
	}

	t.Run("customer keys are the spec's", func(t *testing.T) {
		_, want := mockGet(t, base, "/v1/customers/cus_123", true)
		got := do(t, s, "GET", "/v1/customers/"+s.LiveIDs("customers")[0], nil).body
		if !slices.Equal(keys(got), keys(want)) {
			t.Fatalf("customer keys differ: only ours %v, only stripe-mock's %v", diff(keys(got), keys(want)), diff(keys(want), keys(got)))
		}
	})
	for obj, prefix := range map[string]string{"products": "prod_1", "prices": "price_1", "invoices": "in_1",
		"subscriptions": "sub_1", "charges": "ch_1"} {
		t.Run(obj+" keys are in the spec", func(t *testing.T) {
			_, want := mockGet(t, base, "/v1/"+obj+"/"+prefix, true)
			got := do(t, s, "GET", "/v1/"+obj+"/"+s.LiveIDs(obj)[0], nil).body
			if extra := diff(keys(got), keys(want)); len(extra) > 0 {
				t.Fatalf("%s fields not in Stripe's spec: %v", obj, extra)
			}
		})
	}
	t.Run("event keys", func(t *testing.T) {
		_, want := mockGet(t, base, "/v1/events/evt_123", true)
		got := listData(t, do(t, s, "GET", "/v1/events", nil))[0]
		if !slices.Equal(keys(got), keys(want)) {
			t.Fatalf("event keys: ours %v, stripe-mock's %v", keys(got), keys(want))
		}
		if !slices.Equal(keys(got["request"].(map[string]any)), keys(want["request"].(map[string]any))) {
			t.Fatalf("event.request keys differ")
		}
	})
	t.Run("list keys", func(t *testing.T) {
		_, want := mockGet(t, base, "/v1/customers", true)
		got := do(t, s, "GET", "/v1/customers", nil).body
		if !slices.Equal(keys(got), keys(want)) {
			t.Fatalf("list keys: ours %v, stripe-mock's %v", keys(got), keys(want))
		}
	})
	t.Run("401 error keys", func(t *testing.T) {
		status, want := mockGet(t, base, "/v1/customers", false)
		got := doAuth(t, s, "GET", "/v1/customers", nil, nil)
		if status != got.status || !slices.Equal(keys(got.body), keys(want)) ||
			!slices.Equal(keys(got.errorBody(t)), keys(want["error"].(map[string]any))) {
			t.Fatalf("401: ours %d %v, stripe-mock's %d %v", got.status, got.raw, status, want)
		}
	})
	t.Run("balance keys", func(t *testing.T) {
		_, want := mockGet(t, base, "/v1/balance", true)
		got := do(t, s, "GET", "/v1/balance", nil).body
		if !slices.Equal(keys(got), keys(want)) {
			t.Fatalf("balance keys: ours %v, stripe-mock's %v", keys(got), keys(want))
		}
	})
}

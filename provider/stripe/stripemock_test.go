package stripe

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
)

const stripeMockInstall = "go install github.com/stripe/stripe-mock@v0.203.0"

// stripeMockPath finds the stripe-mock binary: $FERRY_STRIPE_MOCK, then
// PATH, then $(go env GOPATH)/bin. A missing binary fails the test.
func stripeMockPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FERRY_STRIPE_MOCK"); p != "" {
		return p
	}
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "stripe-mock")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	t.Fatalf("stripe-mock not found ($FERRY_STRIPE_MOCK, PATH, GOPATH/bin); install it with: %s", stripeMockInstall)
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startStripeMock runs stripe-mock on free ports, with the version check
// that rejects a Stripe-Version other than its spec's, and returns its URL.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := stripeMockPath(t)
	for try := 0; ; try++ {
		httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, "-http-addr", httpAddr, "-https-addr", httpsAddr, "-strict-version-check")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatalf("start stripe-mock: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() { cancel(); <-exited }
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Time{}
				continue
			default:
			}
			if conn, err := net.DialTimeout("tcp", httpAddr, 100*time.Millisecond); err == nil {
				conn.Close()
				t.Cleanup(stop)
				return "http://" + httpAddr
			}
			time.Sleep(50 * time.Millisecond)
		}
		stop()
		if try == 2 { // a port taken between probe and bind: try others
			t.Fatalf("stripe-mock did not listen on %s:\n%s", httpAddr, out.String())
		}
	}
}

// Every request the client makes is a valid Stripe request: stripe-mock
// validates parameters against Stripe's OpenAPI spec and the pinned version.
func TestStripeMock(t *testing.T) {
	t.Parallel()
	url := startStripeMock(t)
	c, _ := newTestClient(t, url, Config{MaxAttempts: 1})
	if err := c.Verify(t.Context()); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for _, o := range New().Objects() {
		t.Run(o.Name, func(t *testing.T) {
			p, err := c.List(t.Context(), o.Name, ferry.Range{Lo: 1, Hi: 2_000_000_000}, "")
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(p.Records) == 0 || p.Records[0].ID == "" || p.Records[0].Created == 0 {
				t.Fatalf("List: %+v", p)
			}
			assertFieldsKnown(t, o, p.Records[0].Raw)
			if _, err := c.List(t.Context(), o.Name, ferry.Range{Lo: 0}, p.Records[0].ID); err != nil {
				t.Fatalf("List with cursor: %v", err)
			}
			if _, err := c.Ranges(t.Context(), o.Name, 4); err != nil {
				t.Fatalf("Ranges: %v", err)
			}
			mark, err := c.Changes(t.Context(), o.Name, ferry.Watermark{Time: 1_700_000_000}, func([]ferry.Record) error { return nil })
			if err != nil {
				t.Fatalf("Changes: %v", err)
			}
			if mark.ID == "" {
				t.Errorf("Changes watermark %+v, want the newest event", mark)
			}
		})
	}
	// A parameter Stripe does not know is refused, so the checks above mean
	// something.
	if _, err := c.get(t.Context(), "/v1/customers", map[string][]string{"bogus": {"1"}}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("unknown parameter: %v, want EINVALID", err)
	}
}

// assertFieldsKnown checks that every field of an object stripe-mock sends
// is in the object's schema.
func assertFieldsKnown(t *testing.T, o ferry.Object, raw []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if _, ok := o.Field(k); !ok {
			t.Errorf("%s: stripe-mock sends field %q missing from Objects", o.Name, k)
		}
	}
}

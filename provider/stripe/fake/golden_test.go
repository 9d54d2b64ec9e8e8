package fake_test

import (
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Wire shapes are golden: a change to what the fake sends shows up in review.
func TestGoldenResponses(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	counts := map[string]int{"customers": 5, "products": 2, "prices": 2, "invoices": 2, "subscriptions": 2, "charges": 2}
	s := fake.New(fake.Config{Seed: 1, Counts: counts, Now: clk.Now})
	cases := []struct {
		name string
		send func() response
	}{
		{"customer", func() response { return do(t, s, "GET", "/v1/customers/"+s.LiveIDs("customers")[0], nil) }},
		{"product", func() response { return do(t, s, "GET", "/v1/products/"+s.LiveIDs("products")[0], nil) }},
		{"price", func() response { return do(t, s, "GET", "/v1/prices/"+s.LiveIDs("prices")[0], nil) }},
		{"invoice", func() response { return do(t, s, "GET", "/v1/invoices/"+s.LiveIDs("invoices")[0], nil) }},
		{"subscription", func() response {
			return do(t, s, "GET", "/v1/subscriptions/"+s.LiveIDs("subscriptions")[0], nil)
		}},
		{"charge", func() response { return do(t, s, "GET", "/v1/charges/"+s.LiveIDs("charges")[0], nil) }},
		{"list", func() response { return do(t, s, "GET", "/v1/customers?limit=2", nil) }},
		{"update_event", func() response {
			do(t, s, "POST", "/v1/customers/"+s.LiveIDs("customers")[1], url.Values{"name": {"Renamed"}, "metadata[k]": {"v"}})
			return do(t, s, "GET", "/v1/events?limit=1", nil)
		}},
		{"error_missing", func() response { return do(t, s, "GET", "/v1/customers/cus_missing", nil) }},
		{"error_limit", func() response { return do(t, s, "GET", "/v1/customers?limit=1000", nil) }},
		{"error_auth", func() response {
			return doAuth(t, s, "GET", "/v1/customers", nil, func(r *http.Request) { r.Header.Set("Authorization", "Bearer sk_test_wrongwrongabcd") })
		}},
	}
	for _, tc := range cases {
		got := tc.send().raw
		path := filepath.Join("testdata", "golden", tc.name+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run Golden -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (go test -run Golden -update to accept):\n%s", tc.name, path, got)
		}
	}
}

package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenResponses pins what clients see on the wire for a few
// responses: resources (secrets redacted) and errors.
func TestGoldenResponses(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 9}, now: func() time.Time { return at }})
	e.must(admin, "PUT", "/api/v1/projects/warehouse?skip_checks=true",
		map[string]any{"database": "postgres://ferry:s3cret@db.internal:5432/warehouse?sslmode=disable&password=s3cret"}, 201, nil)
	e.must(admin, "PUT", "/api/v1/connections/stripe?skip_checks=true",
		map[string]any{"provider": "stripe", "api_key": apiKey, "base_url": "http://user:pw@127.0.0.1:12111", "rate_limit": 25}, 201, nil)
	e.must(admin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
		"table": "stripe_customers", "fields": []string{"id", "email", "created"}, "rename": map[string]string{"email": "email_address"},
		"strategy": "incremental", "full_every": 6, "schedule": "every 15m"}, 201, nil)

	for _, tc := range []struct {
		name         string
		scope        store.TokenScope
		method, path string
		body         any
		status       int
	}{
		{"project", read, "GET", "/api/v1/projects/warehouse", nil, 200},
		{"connections", read, "GET", "/api/v1/connections", nil, 200},
		{"sync", read, "GET", "/api/v1/syncs/customers", nil, 200},
		{"sync_unchanged", admin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
			"table": "stripe_customers", "fields": []string{"id", "email", "created"}, "rename": map[string]string{"email": "email_address"},
			"strategy": "incremental", "full_every": 6, "schedule": "every 15m"}, 200},
		{"runs_empty", read, "GET", "/api/v1/runs", nil, 200},
		{"error_not_found", read, "GET", "/api/v1/syncs/orders", nil, 404},
		{"error_invalid", admin, "PUT", "/api/v1/syncs/orders", map[string]any{"connection": "stripe", "object": "orders", "project": "warehouse", "table": "t"}, 400},
		{"error_forbidden", read, "POST", "/api/v1/syncs/customers/runs", nil, 403},
		{"error_unauthorized", "", "GET", "/api/v1/syncs", nil, 401},
		{"error_validation", read, "GET", "/api/v1/runs?limit=100000", nil, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(tc.scope, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatalf("not JSON: %s", body)
			}
			got, _ := json.MarshalIndent(v, "", "  ")
			got = append(got, '\n')
			// Token ids are random: the forbidden message names one.
			got = tokenID.ReplaceAll(got, []byte("tok_XXXX"))
			file := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update if intended):\n%s", tc.name, file, got)
			}
		})
	}
	e.noSecrets(apiKey, "s3cret", "user:pw")
}

var tokenID = regexp.MustCompile(`tok_[a-z0-9]+`)

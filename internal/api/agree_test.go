package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// TestAPIAndApplyAgree declares through the API, then applies the same
// things as YAML: apply finds nothing to change. And the other way round.
func TestAPIAndApplyAgree(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{fake: fake.Config{Seed: 12, Counts: map[string]int{"customers": 5}}})
	dsn := sqliteDSN(t, e.dir)
	e.declare(dsn, "incremental")
	e.must(admin, "PUT", "/api/v1/scopes/billing", map[string]any{"syncs": []string{"customers"}}, 200, nil)
	yaml := fmt.Sprintf(`projects:
  - {name: warehouse, database: %q}
connections:
  - {name: stripe, provider: stripe, api_key: %s, base_url: %q, rate_limit: 1000}
syncs:
  - name: customers
    connection: stripe
    object: customers
    project: warehouse
    table: stripe_customers
    fields: [id, email, name, created, metadata]
    rename: {email: email_address}
    strategy: incremental
scopes:
  - {name: billing, syncs: [customers]}
`, dsn, apiKey, e.url)
	apply := func(y string) []app.Change {
		t.Helper()
		doc, err := app.ParseDocument("ferry.yaml", []byte(y), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		changes, err := e.app.Apply(context.Background(), doc, app.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return changes
	}
	for _, c := range apply(yaml) {
		if c.Action != "unchanged" {
			t.Errorf("apply after the API: %s %s %s %v", c.Kind, c.Name, c.Action, c.Fields)
		}
	}

	// YAML changes the sync; the API's PUT of the same body is unchanged.
	apply(strings.Replace(yaml, "strategy: incremental", "strategy: incremental\n    full_every: 4\n    schedule: every 1h", 1))
	var sb struct {
		Change struct{ Action string } `json:"change"`
	}
	e.must(admin, "PUT", "/api/v1/syncs/customers", map[string]any{"connection": "stripe", "object": "customers", "project": "warehouse",
		"table": "stripe_customers", "fields": []string{"id", "email", "name", "created", "metadata"}, "rename": map[string]string{"email": "email_address"},
		"strategy": "incremental", "full_every": 4, "schedule": "every 1h"}, 200, &sb)
	if sb.Change.Action != "unchanged" {
		t.Errorf("API PUT after apply: %s", sb.Change.Action)
	}
}

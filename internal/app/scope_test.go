package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

const scopeDoc = `projects:
  - {name: warehouse, database: "sqlite:///tmp/ferry-scope-test.db"}
connections:
  - {name: stripe, provider: stripe, api_key: sk_test_x}
syncs:
  - {name: customers, connection: stripe, object: customers, project: warehouse, table: c}
  - {name: invoices, connection: stripe, object: invoices, project: warehouse, table: i}
scopes:
  - name: billing
    syncs: [customers, invoices]
`

func TestScopeDocument(t *testing.T) {
	t.Parallel()
	env := func(string) (string, bool) { return "", false }
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key", strings.Replace(scopeDoc, "    syncs: [customers, invoices]", "    syncs: [customers]\n    sync: [x]", 1), `f.yaml:11: unknown key "sync" in a scope (valid: name, syncs)`},
		{"not a list", strings.Replace(scopeDoc, "scopes:\n", "scopes: 3\n", 1) + "", "f.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDocument("f.yaml", []byte(tc.yaml), env)
			if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want EINVALID with %q", err, tc.want)
			}
		})
	}
	doc, err := ParseDocument("f.yaml", []byte(scopeDoc), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Scopes) != 1 || doc.Scopes[0].Name != "billing" || len(doc.Scopes[0].Syncs) != 2 || doc.Scopes[0].line != 9 {
		t.Fatalf("scopes: %+v", doc.Scopes)
	}
}

func TestApplyScopes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(ctx, Config{State: filepath.Join(dir, "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	env := func(string) (string, bool) { return "", false }
	apply := func(yaml string) ([]Change, error) {
		doc, err := ParseDocument("f.yaml", []byte(yaml), env)
		if err != nil {
			t.Fatal(err)
		}
		return a.Apply(ctx, doc, ApplyOptions{SkipChecks: true})
	}
	scopeChange := func(cs []Change) Change {
		for _, c := range cs {
			if c.Kind == "scope" {
				return c
			}
		}
		t.Fatalf("no scope change in %+v", cs)
		return Change{}
	}
	cs, err := apply(scopeDoc)
	if err != nil || scopeChange(cs).Action != "created" {
		t.Fatalf("first apply: %+v %v", cs, err)
	}
	cs, err = apply(scopeDoc)
	if err != nil || scopeChange(cs).Action != "unchanged" {
		t.Fatalf("second apply: %+v %v", cs, err)
	}
	cs, err = apply(strings.Replace(scopeDoc, "[customers, invoices]", "[invoices]", 1))
	if c := scopeChange(cs); err != nil || c.Action != "updated" || c.Fields[0] != "syncs" {
		t.Fatalf("changed apply: %+v %v", cs, err)
	}
	def, err := a.Store().GetScopeDef(ctx, "billing")
	if err != nil || len(def.Syncs) != 1 || def.Syncs[0] != "invoices" {
		t.Fatalf("stored: %+v %v", def, err)
	}
	for _, tc := range []struct{ from, to, want string }{
		{"[customers, invoices]", "[customers, nope]", `f.yaml:9: scope billing: sync "nope" is not declared`},
		{"[customers, invoices]", "[customers, customers]", "lists sync customers twice"},
		{"[customers, invoices]", "[]", "has no syncs"},
		{"name: billing", "name: Billing", "scope name"},
	} {
		_, err := apply(strings.Replace(scopeDoc, tc.from, tc.to, 1))
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.to, err, tc.want)
		}
	}
}

// TestScopeHeartbeatRefreshesDestination: while a long sync makes no state
// change, the scope row in the destination keeps getting a fresh
// updated_at.
func TestScopeHeartbeatRefreshesDestination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fake.New(fake.Config{Seed: 3, Counts: map[string]int{"customers": 4000}, Latency: 20 * time.Millisecond})
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	a, err := Open(ctx, Config{State: filepath.Join(dir, "state.db"), Lease: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	dsn := "sqlite://" + filepath.Join(dir, "dest.db")
	doc, err := ParseDocument("f.yaml", []byte(fmt.Sprintf(`projects:
  - {name: w, database: %q}
connections:
  - {name: stripe, provider: stripe, api_key: sk_test_ferry, base_url: %q, rate_limit: 1000}
syncs:
  - {name: customers, connection: stripe, object: customers, project: w, table: c}
`, dsn, url)), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Apply(ctx, doc, ApplyOptions{SkipChecks: true}); err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		_, err := a.StartScope(ctx, "one", ScopeOptions{Syncs: []string{"customers"}, Started: func(sc ferry.Scope) { started <- sc.ID }})
		done <- err
	}()
	id := <-started
	d, err := OpenDestination(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	seen := map[time.Time]bool{}
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) < 3 {
				t.Fatalf("the syncing scope row was written at %d distinct times, want heartbeats", len(seen))
			}
			sc, _, _, err := d.(database.StatusReader).ReadStatus(ctx, id)
			if err != nil || sc.State != ferry.ScopeSynced {
				t.Fatalf("final row: %+v %v", sc, err)
			}
			return
		case <-time.After(30 * time.Millisecond):
		}
		sc, _, ok, err := d.(database.StatusReader).ReadStatus(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if ok && sc.State == ferry.ScopeSyncing && sc.Counts.Syncing == 1 {
			seen[sc.UpdatedAt] = true
		}
	}
}

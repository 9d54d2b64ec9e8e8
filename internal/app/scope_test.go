package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrysync/ferry"
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

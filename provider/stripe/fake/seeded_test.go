package fake

import (
	"testing"
	"time"
)

// seededField must agree with the generators it shortcuts.
func TestSeededFieldMatchesGenerators(t *testing.T) {
	t.Parallel()
	s := New(Config{Seed: 11, Counts: map[string]int{"customers": 50, "products": 7, "prices": 40, "invoices": 60,
		"subscriptions": 60, "charges": 60}, Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
	for _, c := range []struct{ object, field string }{
		{"invoices", "customer"}, {"subscriptions", "customer"}, {"charges", "customer"}, {"prices", "product"},
	} {
		tb := s.tables[c.object]
		for idx := range tb.count {
			got, ok := s.w.seededField(c.object, idx, c.field)
			if want := s.current(tb, idx)[c.field]; !ok || got != want {
				t.Fatalf("%s %d %s: %q, generated %v", c.object, idx, c.field, got, want)
			}
		}
	}
}

// Seeded objects are never newer than what they reference, and created is
// non-decreasing with the index, PerSecond to a second.
func TestSeededCreatedAndReferences(t *testing.T) {
	t.Parallel()
	s := New(Config{Seed: 3, PerSecond: 4, Counts: map[string]int{"customers": 100, "invoices": 100, "charges": 400},
		Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
	ct := s.tables["customers"]
	for _, name := range []string{"invoices", "charges"} {
		tb := s.tables[name]
		prev := int64(0)
		for idx := range tb.count {
			o := s.current(tb, idx)
			created := o["created"].(int64)
			if created < prev || created != s.w.start+idx/4 {
				t.Fatalf("%s %d created %d", name, idx, created)
			}
			prev = created
			ci, ok := ct.find(o["customer"].(string))
			if !ok {
				t.Fatalf("%s %d references %v", name, idx, o["customer"])
			}
			c := s.current(ct, ci)
			if name == "invoices" && (o["customer_email"] != c["email"] || o["customer_name"] != c["name"]) {
				t.Fatalf("invoice %d: customer_email %v, customer's %v", idx, o["customer_email"], c["email"])
			}
			if c["created"].(int64) > created {
				t.Fatalf("%s %d is older than its customer", name, idx)
			}
		}
	}
	if newest := s.w.seededCreated(399); time.Unix(1_700_000_000, 0).Sub(time.Unix(newest, 0)) < time.Hour {
		t.Fatalf("newest seeded object is less than an hour old")
	}
}

package fake_test

import (
	"net/url"
	"strconv"
	"testing"
)

func TestFilters(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, map[string]int{"customers": 200, "products": 4, "prices": 30, "subscriptions": 50}, 5)
	seeded := do(t, s, "GET", "/v1/customers/"+s.LiveIDs("customers")[123], nil).body
	email := seeded["email"].(string)

	t.Run("email of a seeded customer", func(t *testing.T) {
		got := ids(listData(t, do(t, s, "GET", "/v1/customers?email="+url.QueryEscape(email), nil)))
		if len(got) != 1 || got[0] != seeded["id"] {
			t.Fatalf("email filter: %v", got)
		}
	})
	t.Run("email of created and updated customers", func(t *testing.T) {
		a, _ := s.Create("customers", map[string]any{"email": "shared@example.com"})
		b, _ := s.Update("customers", s.LiveIDs("customers")[7], map[string]any{"email": "shared@example.com"})
		got := ids(listData(t, do(t, s, "GET", "/v1/customers?email=shared@example.com", nil)))
		if len(got) != 2 || got[0] != a["id"] || got[1] != b["id"] {
			t.Fatalf("email filter: %v", got)
		}
		// The seeded customer whose email changed no longer matches its old one.
		old := do(t, s, "GET", "/v1/customers?email="+url.QueryEscape(customerEmailOf(t, s, 7)), nil)
		if len(listData(t, old)) != 0 {
			t.Fatalf("old email still matches: %s", old.raw)
		}
	})
	t.Run("created exact and ranges", func(t *testing.T) {
		c := num(seeded["created"])
		got := listData(t, do(t, s, "GET", "/v1/customers?created="+strconv.FormatInt(c, 10), nil))
		if len(got) != 5 {
			t.Fatalf("created=%d: %d objects, want PerSecond=5", c, len(got))
		}
		for _, o := range got {
			if num(o["created"]) != c {
				t.Fatalf("created filter let %v through", o["created"])
			}
		}
		got = listData(t, do(t, s, "GET", "/v1/customers?limit=100&created[gt]="+strconv.FormatInt(c, 10)+"&created[lte]="+strconv.FormatInt(c+2, 10), nil))
		if len(got) != 10 {
			t.Fatalf("gt/lte: %d", len(got))
		}
	})
	t.Run("prices by product", func(t *testing.T) {
		prod := s.LiveIDs("products")[1]
		got := walk(t, s, "/v1/prices", url.Values{"product": {prod}, "limit": {"3"}})
		if len(got) == 0 {
			t.Fatal("no prices for a seeded product")
		}
		for _, id := range got {
			if p := do(t, s, "GET", "/v1/prices/"+id, nil); p.body["product"] != prod {
				t.Fatalf("price %s of product %v", id, p.body["product"])
			}
		}
	})
	t.Run("subscriptions by status", func(t *testing.T) {
		all := walk(t, s, "/v1/subscriptions", url.Values{"limit": {"100"}})
		active := walk(t, s, "/v1/subscriptions", url.Values{"status": {"active"}})
		trialing := walk(t, s, "/v1/subscriptions", url.Values{"status": {"trialing"}})
		pastDue := walk(t, s, "/v1/subscriptions", url.Values{"status": {"past_due"}})
		if len(active) == 0 || len(active)+len(trialing)+len(pastDue) != len(all) {
			t.Fatalf("statuses %d+%d+%d of %d", len(active), len(trialing), len(pastDue), len(all))
		}
	})
}

func customerEmailOf(t *testing.T, s interface{ LiveIDs(string) []string }, i int) string {
	t.Helper()
	// Seeded emails are first.last.INDEX@example.com; LiveIDs lists seeded
	// customers by index first.
	fresh, _ := newServer(t, map[string]int{"customers": 200}, 5)
	return do(t, fresh, "GET", "/v1/customers/"+fresh.LiveIDs("customers")[i], nil).body["email"].(string)
}

package fake_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// events lists events with query q, newest first.
func events(t *testing.T, s http.Handler, q string) []map[string]any {
	t.Helper()
	return listData(t, do(t, s, "GET", "/v1/events?limit=100&"+q, nil))
}

func TestCustomerWritesEmitEvents(t *testing.T) {
	t.Parallel()
	s, clk := newServer(t, map[string]int{"customers": 10}, 0)

	r := do(t, s, "POST", "/v1/customers", url.Values{"email": {"ada@example.com"}, "name": {"Ada"},
		"metadata[plan]": {"pro"}, "address[city]": {"London"}, "balance": {"-500"}})
	wantStatus(t, r, 200)
	c := r.body
	id := c["id"].(string)
	if c["object"] != "customer" || len(id) < 4+14 || id[:4] != "cus_" || num(c["created"]) != clk.Now().Unix() ||
		c["email"] != "ada@example.com" || num(c["balance"]) != -500 || c["phone"] != nil ||
		c["metadata"].(map[string]any)["plan"] != "pro" || c["address"].(map[string]any)["city"] != "London" {
		t.Fatalf("created customer: %s", r.raw)
	}
	ev := events(t, s, "")
	if len(ev) != 1 || ev[0]["type"] != "customer.created" || ev[0]["object"] != "event" ||
		ev[0]["data"].(map[string]any)["object"].(map[string]any)["id"] != id {
		t.Fatalf("events after create: %v", ev)
	}
	if req := ev[0]["request"].(map[string]any); req["id"] != r.header.Get("Request-Id") {
		t.Fatalf("event request %v, want %s", req, r.header.Get("Request-Id"))
	}

	clk.Advance(time.Minute)
	r = do(t, s, "POST", "/v1/customers/"+id, url.Values{"name": {"Ada Lovelace"}, "metadata[plan]": {""}, "metadata[tier]": {"1"}})
	wantStatus(t, r, 200)
	if r.body["name"] != "Ada Lovelace" || len(r.body["metadata"].(map[string]any)) != 1 {
		t.Fatalf("updated: %s", r.raw)
	}
	ev = events(t, s, "type=customer.updated")
	if len(ev) != 1 {
		t.Fatalf("updated events: %v", ev)
	}
	data := ev[0]["data"].(map[string]any)
	prev := data["previous_attributes"].(map[string]any)
	meta := prev["metadata"].(map[string]any)
	if prev["name"] != "Ada" || meta["plan"] != "pro" || meta["tier"] != nil || len(prev) != 2 {
		t.Fatalf("previous_attributes %v", prev)
	}
	if data["object"].(map[string]any)["name"] != "Ada Lovelace" {
		t.Fatalf("data.object is not the new snapshot: %v", data["object"])
	}

	// An updated seeded customer keeps its place and shows the new value.
	seeded := s.LiveIDs("customers")[3]
	wantStatus(t, do(t, s, "POST", "/v1/customers/"+seeded, url.Values{"description": {"vip"}}), 200)
	if got := do(t, s, "GET", "/v1/customers/"+seeded, nil); got.body["description"] != "vip" {
		t.Fatalf("seeded update lost: %s", got.raw)
	}

	r = do(t, s, "DELETE", "/v1/customers/"+id, nil)
	wantStatus(t, r, 200)
	if r.body["deleted"] != true || r.body["id"] != id || r.body["object"] != "customer" || len(r.body) != 3 {
		t.Fatalf("delete answer %s", r.raw)
	}
	if got := do(t, s, "GET", "/v1/customers/"+id, nil); got.status != 200 || got.body["deleted"] != true {
		t.Fatalf("retrieve deleted: %s", got.raw)
	}
	wantStatus(t, do(t, s, "POST", "/v1/customers/"+id, url.Values{"name": {"x"}}), 404)
	if ev := events(t, s, "type=customer.deleted"); len(ev) != 1 {
		t.Fatalf("deleted events %v", ev)
	}
	for _, l := range ids(listData(t, do(t, s, "GET", "/v1/customers?limit=100", nil))) {
		if l == id {
			t.Fatal("deleted customer listed")
		}
	}
	if ev := events(t, s, "type=customer.*"); len(ev) != 4 {
		t.Fatalf("customer.* events: %d", len(ev))
	}
	wantStatus(t, do(t, s, "POST", "/v1/customers", url.Values{"colour": {"red"}}), 400)
}

func TestWritesPerType(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, map[string]int{"customers": 5, "products": 3, "prices": 3, "invoices": 40, "subscriptions": 5, "charges": 5}, 0)
	cus := s.LiveIDs("customers")[0]

	prod, err := s.Create("products", map[string]any{"name": "Widget", "metadata": map[string]string{"sku": "w1"}})
	if err != nil {
		t.Fatal(err)
	}
	price, err := s.Create("prices", map[string]any{"product": prod["id"], "currency": "usd", "unit_amount": 1500,
		"recurring": map[string]any{"interval": "month"}})
	if err != nil {
		t.Fatal(err)
	}
	if price["type"] != "recurring" || price["unit_amount_decimal"] != "1500" || price["product"] != prod["id"] {
		t.Fatalf("price %v", price)
	}
	var fe *fake.Error
	if _, err := s.Create("prices", map[string]any{"product": "prod_missing", "currency": "usd"}); !errors.As(err, &fe) || fe.Code != "resource_missing" || fe.Param != "product" {
		t.Fatalf("price with a missing product: %v", err)
	}
	if _, err := s.Create("products", map[string]any{}); !errors.As(err, &fe) || fe.Param != "name" {
		t.Fatalf("product without name: %v", err)
	}
	// Prices and charges have no DELETE in Stripe.
	wantStatus(t, do(t, s, "DELETE", "/v1/prices/"+price["id"].(string), nil), 404)

	sub := do(t, s, "POST", "/v1/subscriptions", url.Values{"customer": {cus}, "items[0][price]": {price["id"].(string)}, "items[0][quantity]": {"2"}})
	wantStatus(t, sub, 200)
	items := sub.body["items"].(map[string]any)["data"].([]any)
	if len(items) != 1 || num(items[0].(map[string]any)["quantity"]) != 2 || sub.body["status"] != "active" {
		t.Fatalf("subscription %s", sub.raw)
	}
	subID := sub.body["id"].(string)
	r := do(t, s, "DELETE", "/v1/subscriptions/"+subID, nil)
	wantStatus(t, r, 200)
	if r.body["status"] != "canceled" || r.body["canceled_at"] == nil {
		t.Fatalf("cancel %s", r.raw)
	}
	for _, l := range s.LiveIDs("subscriptions") {
		if l == subID {
			t.Fatal("canceled subscription is live")
		}
	}
	if got := ids(listData(t, do(t, s, "GET", "/v1/subscriptions?status=canceled", nil))); len(got) != 1 || got[0] != subID {
		t.Fatalf("status=canceled: %v", got)
	}

	inv, err := s.Create("invoices", map[string]any{"customer": cus})
	if err != nil || inv["status"] != "draft" {
		t.Fatalf("invoice %v %v", inv, err)
	}
	wantStatus(t, do(t, s, "DELETE", "/v1/invoices/"+inv["id"].(string), nil), 200)
	wantStatus(t, do(t, s, "GET", "/v1/invoices/"+inv["id"].(string), nil), 404)
	paid := listData(t, do(t, s, "GET", "/v1/invoices?status=paid&limit=1", nil))
	if len(paid) != 1 {
		t.Fatal("no paid seeded invoice")
	}
	r = do(t, s, "DELETE", "/v1/invoices/"+paid[0]["id"].(string), nil)
	wantStatus(t, r, 400)

	ch := do(t, s, "POST", "/v1/charges", url.Values{"amount": {"2000"}, "currency": {"usd"}, "customer": {cus}})
	wantStatus(t, ch, 200)
	if ch.body["status"] != "succeeded" || num(ch.body["amount_captured"]) != 2000 || ch.body["paid"] != true {
		t.Fatalf("charge %s", ch.raw)
	}
	if err := s.Delete("charges", ch.body["id"].(string)); err == nil {
		t.Fatal("charges cannot be deleted")
	}
	// Stripe keeps products that have prices.
	if err := s.Delete("products", prod["id"].(string)); !errors.As(err, &fe) || fe.Status != 400 {
		t.Fatalf("deleting a product with a price: %v", err)
	}
	bare, err := s.Create("products", map[string]any{"name": "No prices"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("products", bare["id"].(string)); err != nil {
		t.Fatal(err)
	}

	want := []string{"product.deleted", "product.created", "charge.succeeded", "invoice.deleted", "invoice.created",
		"customer.subscription.deleted", "customer.subscription.created", "price.created", "product.created"}
	var got []string
	for _, e := range events(t, s, "") {
		got = append(got, e["type"].(string))
	}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	if ev := events(t, s, "types[]=invoice.created&types[]=charge.succeeded"); len(ev) != 2 {
		t.Fatalf("types[]: %d", len(ev))
	}
	if ev := events(t, s, "type=customer.subscription.*"); len(ev) != 2 {
		t.Fatalf("customer.subscription.*: %d", len(ev))
	}
	// Events paginate like everything else.
	all := walk(t, s, "/v1/events", url.Values{"limit": {"3"}})
	if len(all) != len(want) {
		t.Fatalf("event walk %d", len(all))
	}
	wantStatus(t, do(t, s, "GET", "/v1/events/"+all[0], nil), 200)
}

func TestEventRetention(t *testing.T) {
	t.Parallel()
	s, clk := newServer(t, nil, 0)
	old, err := s.Create("customers", map[string]any{"name": "old"})
	if err != nil {
		t.Fatal(err)
	}
	oldEvent := events(t, s, "")[0]["id"].(string)
	clk.Advance(20 * 24 * time.Hour)
	if _, err := s.Update("customers", old["id"].(string), map[string]any{"name": "newer"}); err != nil {
		t.Fatal(err)
	}
	if ev := events(t, s, ""); len(ev) != 2 {
		t.Fatalf("20 days: %d events", len(ev))
	}
	clk.Advance(11 * 24 * time.Hour)
	ev := events(t, s, "")
	if len(ev) != 1 || ev[0]["type"] != "customer.updated" {
		t.Fatalf("31 days: %v", ev)
	}
	wantStatus(t, do(t, s, "GET", "/v1/events/"+oldEvent, nil), 404)
}

func TestIdempotencyKeyReplays(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, nil, 0)
	send := func() response {
		return doAuth(t, s, "POST", "/v1/customers", url.Values{"name": {"once"}}, func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+fake.DefaultAPIKey)
			r.Header.Set("Idempotency-Key", "k1")
		})
	}
	a, b := send(), send()
	if a.body["id"] != b.body["id"] || b.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %s / %s", a.raw, b.raw)
	}
	if n := len(s.LiveIDs("customers")); n != 1 {
		t.Fatalf("%d customers after a replay", n)
	}
	other := doAuth(t, s, "POST", "/v1/customers", url.Values{"name": {"twice"}}, func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+fake.DefaultAPIKey)
		r.Header.Set("Idempotency-Key", "k1")
	})
	wantStatus(t, other, 400)
	if e := other.errorBody(t); e["type"] != "idempotency_error" {
		t.Fatalf("key reuse with other parameters: %v", e)
	}
}

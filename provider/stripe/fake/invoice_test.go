package fake_test

import (
	"net/url"
	"testing"
	"time"
)

func TestInvoiceLifecycle(t *testing.T) {
	t.Parallel()
	s, clk := newServer(t, map[string]int{"customers": 3}, 0)
	inv, err := s.Create("invoices", map[string]any{"customer": s.LiveIDs("customers")[1]})
	if err != nil {
		t.Fatal(err)
	}
	id := inv["id"].(string)
	wantStatus(t, do(t, s, "POST", "/v1/invoices/"+id+"/pay", url.Values{}), 400) // a draft cannot be paid
	clk.Advance(time.Minute)
	r := do(t, s, "POST", "/v1/invoices/"+id+"/finalize", url.Values{})
	wantStatus(t, r, 200)
	if r.body["status"] != "open" || r.body["number"] == nil {
		t.Fatalf("finalized: %s", r.raw)
	}
	clk.Advance(time.Minute)
	r = do(t, s, "POST", "/v1/invoices/"+id+"/pay", url.Values{})
	wantStatus(t, r, 200)
	if r.body["status"] != "paid" || num(r.body["status_transitions"].(map[string]any)["paid_at"]) != clk.Now().Unix() {
		t.Fatalf("paid: %s", r.raw)
	}
	wantStatus(t, do(t, s, "POST", "/v1/invoices/"+id+"/void", url.Values{}), 400)
	wantStatus(t, do(t, s, "POST", "/v1/invoices/"+id+"/refund", url.Values{}), 404)
	var got []string
	for _, e := range events(t, s, "type=invoice.*") {
		got = append(got, e["type"].(string))
	}
	want := []string{"invoice.updated", "invoice.payment_succeeded", "invoice.paid", "invoice.updated", "invoice.finalized", "invoice.created"}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	upd := events(t, s, "type=invoice.updated")[0]["data"].(map[string]any)
	if prev := upd["previous_attributes"].(map[string]any); prev["status"] != "open" {
		t.Fatalf("previous_attributes %v", prev)
	}
}

func TestChurn(t *testing.T) {
	t.Parallel()
	counts := map[string]int{"customers": 500, "products": 20, "prices": 20, "invoices": 300, "subscriptions": 100}
	a, _ := newServer(t, counts, 0)
	b, _ := newServer(t, counts, 0)
	if n := a.Churn(200); n < 150 {
		t.Fatalf("only %d of 200 writes", n)
	}
	b.Churn(200)
	ea, eb := events(t, a, ""), events(t, b, "")
	if len(ea) != 100 || len(eb) != 100 {
		t.Fatalf("events %d %d", len(ea), len(eb))
	}
	for i := range ea {
		if ea[i]["type"] != eb[i]["type"] || ea[i]["id"] != eb[i]["id"] {
			t.Fatal("Churn is not reproducible")
		}
	}
	sameSet(t, walk(t, a, "/v1/customers", url.Values{"limit": {"100"}}), a.LiveIDs("customers"))
}

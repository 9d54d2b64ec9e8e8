package stripe

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/ferrysync/ferry"
)

func obj(kind, id string, v int) string {
	return fmt.Sprintf(`{"id":%q,"object":%q,"created":100,"v":%d}`, id, kind, v)
}

// collect runs Changes and returns the records by id, the chunk sizes and
// the watermark.
func collect(t *testing.T, c *Client, object string, since ferry.Watermark) (map[string]ferry.Record, []int, ferry.Watermark) {
	t.Helper()
	got := map[string]ferry.Record{}
	var chunks []int
	mark, err := c.Changes(t.Context(), object, since, func(recs []ferry.Record) error {
		chunks = append(chunks, len(recs))
		for _, r := range recs {
			if _, dup := got[r.ID]; dup {
				t.Errorf("%s emitted twice", r.ID)
			}
			got[r.ID] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, chunks, mark
}

func TestChangesKindsAndDeletes(t *testing.T) {
	t.Parallel()
	s, url := newStub(t)
	s.event("evt_1", "customer.created", 1000, obj("customer", "cus_a", 1))
	s.event("evt_2", "customer.created", 1000, obj("customer", "cus_b", 1))
	s.event("evt_3", "customer.discount.created", 1001, obj("discount", "di_1", 1))
	s.event("evt_4", "customer.subscription.created", 1001, obj("subscription", "sub_1", 1))
	s.event("evt_5", "customer.updated", 1002, obj("customer", "cus_a", 2))
	s.event("evt_6", "customer.deleted", 1003, obj("customer", "cus_b", 2))
	s.event("evt_7", "customer.subscription.deleted", 1003, obj("subscription", "sub_1", 2))
	s.event("evt_8", "charge.refund.updated", 1004, obj("refund", "re_1", 1))
	s.event("evt_9", "charge.succeeded", 1004, obj("charge", "ch_1", 1))
	c, _ := newTestClient(t, url, Config{})

	got, _, mark := collect(t, c, "customers", ferry.Watermark{Time: 900})
	if len(got) != 2 {
		t.Fatalf("customers: %v", got)
	}
	if r := got["cus_a"]; r.Deleted || string(r.Raw) != obj("customer", "cus_a", 2) || r.Created != 100 {
		t.Errorf("cus_a = %+v, want its newest snapshot", r)
	}
	if r := got["cus_b"]; !r.Deleted || string(r.Raw) != obj("customer", "cus_b", 2) {
		t.Errorf("cus_b = %+v, want a tombstone", r)
	}
	if mark != (ferry.Watermark{Time: 1003, ID: "evt_7"}) {
		t.Errorf("watermark %+v, want the newest customer.* event", mark)
	}

	got, _, _ = collect(t, c, "subscriptions", ferry.Watermark{Time: 900})
	if r := got["sub_1"]; len(got) != 1 || r.Deleted || string(r.Raw) != obj("subscription", "sub_1", 2) {
		t.Errorf("subscriptions = %+v, want sub_1 canceled as an update", got)
	}
	got, _, _ = collect(t, c, "charges", ferry.Watermark{Time: 900})
	if len(got) != 1 || got["ch_1"].ID != "ch_1" {
		t.Errorf("charges = %+v, want ch_1 only", got)
	}

	// Nothing since the watermark: no records, the watermark stays.
	since := ferry.Watermark{Time: 2000, ID: "evt_x"}
	got, chunks, mark := collect(t, c, "customers", since)
	if len(got) != 0 || len(chunks) != 0 || mark != since {
		t.Errorf("since 2000: %v, %v, %+v", got, chunks, mark)
	}
	// The watermark's second is read again (tie-safe, idempotent).
	got, _, _ = collect(t, c, "customers", ferry.Watermark{Time: 1003, ID: "evt_6"})
	if len(got) != 1 || !got["cus_b"].Deleted {
		t.Errorf("since 1003: %v", got)
	}
}

// Dedup holds across pages and chunks: 1500 events over 600 customers give
// 600 records, each the newest snapshot, in chunks of at most 500.
func TestChangesDedupAcrossChunks(t *testing.T) {
	t.Parallel()
	s, url := newStub(t)
	const ids, events = 600, 1500
	newest := map[string]int{}
	for i := range events {
		id := fmt.Sprintf("cus_%03d", (i*7)%ids)
		s.event(fmt.Sprintf("evt_%04d", i), "customer.updated", 5000+int64(i/3), obj("customer", id, i))
		newest[id] = i
	}
	c, _ := newTestClient(t, url, Config{})
	got, chunks, mark := collect(t, c, "customers", ferry.Watermark{Time: 1})
	if len(got) != ids {
		t.Fatalf("%d records, want %d", len(got), ids)
	}
	for id, v := range newest {
		var snap struct{ V int }
		if err := json.Unmarshal(got[id].Raw, &snap); err != nil || snap.V != v {
			t.Errorf("%s: version %d, want %d", id, snap.V, v)
		}
	}
	if len(chunks) != 2 || chunks[0] != 500 || chunks[1] != 100 {
		t.Errorf("chunks %v, want [500 100]", chunks)
	}
	if mark != (ferry.Watermark{Time: 5000 + (events-1)/3, ID: fmt.Sprintf("evt_%04d", events-1)}) {
		t.Errorf("watermark %+v", mark)
	}
	if calls := c.Stats().Requests; calls != 15 {
		t.Errorf("%d requests, want 15 pages", calls)
	}
}

func TestChangesErrors(t *testing.T) {
	t.Parallel()
	s, url := newStub(t)
	s.event("evt_1", "product.created", 1000, obj("product", "prod_1", 1))
	c, _ := newTestClient(t, url, Config{})

	// emit's error stops the walk and comes back as is.
	boom := errors.New("boom")
	_, err := c.Changes(t.Context(), "products", ferry.Watermark{}, func([]ferry.Record) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}

	// Stripe refusing the created range is an expired feed.
	s.fail = func(w http.ResponseWriter, r *http.Request) bool {
		stubError(w, 400, "created[gte]", "created must be within the last 30 days")
		return true
	}
	since := ferry.Watermark{Time: 1000, ID: "evt_0"}
	mark, err := c.Changes(t.Context(), "products", since, func([]ferry.Record) error { return nil })
	if ferry.ErrorCode(err) != ferry.EEXPIRED || mark != since {
		t.Errorf("err = %v (%s), mark %+v; want EEXPIRED", err, ferry.ErrorCode(err), mark)
	}
	if _, err := c.Changes(t.Context(), "refunds", since, nil); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("Changes(refunds) = %v", err)
	}
}

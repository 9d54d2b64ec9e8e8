package stripe

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/ferrysync/ferry"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lo, hi int64
		n      int
		want   []ferry.Range
	}{
		{10, 10, 4, []ferry.Range{}},
		{10, 11, 4, []ferry.Range{{Lo: 10, Hi: 11}}},
		{10, 13, 8, []ferry.Range{{Lo: 10, Hi: 11}, {Lo: 11, Hi: 12}, {Lo: 12, Hi: 13}}},
		{0, 10, 3, []ferry.Range{{Lo: 0, Hi: 3}, {Lo: 3, Hi: 6}, {Lo: 6, Hi: 10}}},
		{5, 105, 0, []ferry.Range{{Lo: 5, Hi: 105}}},
	}
	for _, tt := range tests {
		if got := split(tt.lo, tt.hi, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("split(%d, %d, %d) = %v, want %v", tt.lo, tt.hi, tt.n, got, tt.want)
		}
	}
}

// Ranges and List together return every customer exactly once, with many
// customers sharing a created second (and a page boundary).
func TestRangesListCoverEverything(t *testing.T) {
	t.Parallel()
	s, url := newStub(t)
	const n = 1037
	want := make([]string, 0, n)
	for i := range n {
		id := fmt.Sprintf("cus_%05d", i)
		s.add("/v1/customers", "customer", id, 1_600_000_000+int64(i/7)*13) // 7 per second
		want = append(want, id)
	}
	c, _ := newTestClient(t, url, Config{})
	ranges, err := c.Ranges(t.Context(), "customers", 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(ranges) != 8 {
		t.Fatalf("%d ranges, want 8: %v", len(ranges), ranges)
	}
	// The first range may start a little before the oldest object (the
	// search stops within 1/64 of the span), never after it.
	newest := int64(1_600_000_000 + int64((n-1)/7)*13)
	if lo := ranges[0].Lo; lo > 1_600_000_000 || lo < 1_600_000_000-(newest-1_600_000_000)/64-1 || ranges[7].Hi != newest+1 {
		t.Errorf("ranges %v do not span [oldest, newest+1)", ranges)
	}
	for i := 1; i < len(ranges); i++ {
		if ranges[i].Lo != ranges[i-1].Hi {
			t.Errorf("ranges %v not contiguous", ranges)
		}
	}
	if calls := c.Stats().Requests; calls > 120 {
		t.Errorf("Ranges made %d requests", calls)
	}
	recs := listAll(t, c, "customers", ranges)
	got := make([]string, 0, len(recs))
	for _, r := range recs {
		got = append(got, r.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("listed %d records (%d distinct), want %d", len(got), len(slices.Compact(slices.Clone(got))), n)
	}
}

func TestRangesEmptyAndSingle(t *testing.T) {
	t.Parallel()
	s, url := newStub(t)
	c, _ := newTestClient(t, url, Config{})
	ranges, err := c.Ranges(t.Context(), "prices", 8)
	if err != nil || ranges == nil || len(ranges) != 0 {
		t.Fatalf("Ranges of nothing = %#v, %v; want an empty slice", ranges, err)
	}
	s.add("/v1/prices", "price", "price_1", 1_700_000_123)
	ranges, err = c.Ranges(t.Context(), "prices", 8)
	if err != nil || !slices.Equal(ranges, []ferry.Range{{Lo: 1_700_000_123, Hi: 1_700_000_124}}) {
		t.Fatalf("Ranges of one = %v, %v", ranges, err)
	}
	if _, err := c.Ranges(t.Context(), "refunds", 8); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("Ranges(refunds) = %v, want EINVALID", err)
	}
}

func TestListPage(t *testing.T) {
	t.Parallel()
	s, url := newStub(t)
	for i := range 150 {
		s.add("/v1/invoices", "invoice", fmt.Sprintf("in_%03d", i), 1000+int64(i))
	}
	c, _ := newTestClient(t, url, Config{})
	r := ferry.Range{Lo: 1010, Hi: 1140} // 130 invoices: in_010 .. in_139
	p, err := c.List(t.Context(), "invoices", r, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Records) != 100 || p.Done || p.Cursor != "in_040" {
		t.Fatalf("page 1: %d records, done %v, cursor %q", len(p.Records), p.Done, p.Cursor)
	}
	first := p.Records[0]
	if first.ID != "in_139" || first.Created != 1139 || first.Deleted {
		t.Errorf("first record %+v", first)
	}
	if want := `{"id":"in_139","object":"invoice","created":1139,"metadata":{}}`; string(first.Raw) != want {
		t.Errorf("Raw = %s, want the exact bytes %s", first.Raw, want)
	}
	p, err = c.List(t.Context(), "invoices", r, p.Cursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Records) != 30 || !p.Done || p.Cursor != "in_010" {
		t.Fatalf("page 2: %d records, done %v, cursor %q", len(p.Records), p.Done, p.Cursor)
	}
	// Hi == 0 is unbounded.
	p, err = c.List(t.Context(), "invoices", ferry.Range{Lo: 1145}, "")
	if err != nil || len(p.Records) != 5 || !p.Done {
		t.Fatalf("unbounded: %d records, %v", len(p.Records), err)
	}
}

func TestParsePage(t *testing.T) {
	t.Parallel()
	body := `{"object":"list","url":"/v1/customers","has_more":true,"data":[{"id":"cus_1","object":"customer","created":5,"name":"A \"b\""}]}`
	p, err := parsePage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !p.hasMore || len(p.records) != 1 || p.records[0].ID != "cus_1" || p.records[0].Created != 5 {
		t.Fatalf("parsed %+v", p)
	}
	if !json.Valid(p.records[0].Raw) {
		t.Error("raw not valid JSON")
	}
	for _, bad := range []string{`not json`, `{"object":"customer"}`, `{"data":[{"created":1}]}`, `{"data":[1]}`} {
		if _, err := parsePage([]byte(bad)); err == nil {
			t.Errorf("parsePage(%s) accepted", bad)
		}
	}
}

// Subscriptions are listed with status=all: a canceled subscription stays
// in a full listing, as the change feed reports it (an update, not a delete).
func TestListSubscriptionsWithCanceled(t *testing.T) {
	t.Parallel()
	var queries []string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		w.Write([]byte(`{"object":"list","data":[],"has_more":false}`))
	})
	c, _ := newTestClient(t, srv.URL, Config{})
	if _, err := c.List(t.Context(), "subscriptions", ferry.Range{Lo: 5, Hi: 9}, "sub_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(t.Context(), "customers", ferry.Range{Lo: 5}, ""); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/v1/subscriptions?created%5Bgte%5D=5&created%5Blt%5D=9&limit=100&starting_after=sub_1&status=all",
		"/v1/customers?created%5Bgte%5D=5&limit=100",
	}
	if !slices.Equal(queries, want) {
		t.Errorf("requests\n%q\nwant\n%q", queries, want)
	}
}

package fake_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// walk pages through path with starting_after until has_more is false and
// checks the order on the way.
func walk(t *testing.T, s http.Handler, path string, q url.Values) []string {
	t.Helper()
	var all []string
	var last map[string]any
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("pagination does not end")
		}
		if last != nil {
			q.Set("starting_after", last["id"].(string))
		}
		r := do(t, s, "GET", path+"?"+q.Encode(), nil)
		data := listData(t, r)
		for _, d := range data {
			if last != nil && num(d["created"]) > num(last["created"]) {
				t.Fatalf("%s after %s is newer", d["id"], last["id"])
			}
			last = d
		}
		all = append(all, ids(data)...)
		if r.body["has_more"] != true {
			return all
		}
		if len(data) == 0 {
			t.Fatal("has_more with an empty page")
		}
	}
}

func sameSet(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
	}
	if len(got) != len(want) {
		t.Fatalf("got %d ids, want %d", len(got), len(want))
	}
	for _, id := range want {
		if !seen[id] {
			t.Fatalf("missing %s", id)
		}
	}
}

func TestPaginationWalksEveryObjectOnce(t *testing.T) {
	t.Parallel()
	s, clk := newServer(t, map[string]int{"customers": 1000}, 7)
	// Writes: deletes among the seeded, creates both after them and inside a
	// seeded second (ties with seeded objects on created).
	seeded := s.LiveIDs("customers")
	for _, i := range []int{0, 1, 500, 998, 999} {
		if err := s.Delete("customers", seeded[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 25 {
		if _, err := s.Create("customers", map[string]any{"email": "new" + strconv.Itoa(i) + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	r := do(t, s, "GET", "/v1/customers/"+seeded[300], nil)
	mid := num(r.body["created"])
	now := clk.Now()
	clk.Set(time.Unix(mid, 0))
	for range 3 {
		if _, err := s.Create("customers", map[string]any{"name": "tie"}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Set(now)
	live := s.LiveIDs("customers")
	if len(live) != 1000-5+25+3 {
		t.Fatalf("LiveIDs: %d", len(live))
	}

	t.Run("starting_after", func(t *testing.T) {
		sameSet(t, walk(t, s, "/v1/customers", url.Values{"limit": {"100"}}), live)
	})
	t.Run("small pages", func(t *testing.T) {
		sameSet(t, walk(t, s, "/v1/customers", url.Values{"limit": {"7"}}), live)
	})
	t.Run("created slices", func(t *testing.T) {
		// Split the time span at seconds shared by several objects.
		var all []string
		bounds := []int64{0, mid - 3, mid, mid + 1, mid + 50, 1 << 40}
		for i := 0; i+1 < len(bounds); i++ {
			q := url.Values{"limit": {"100"}, "created[gte]": {strconv.FormatInt(bounds[i], 10)},
				"created[lt]": {strconv.FormatInt(bounds[i+1], 10)}}
			all = append(all, walk(t, s, "/v1/customers", q)...)
		}
		sameSet(t, all, live)
	})
	t.Run("ending_before", func(t *testing.T) {
		// Walk from the oldest object back up to the newest.
		full := walk(t, s, "/v1/customers", url.Values{"limit": {"100"}})
		got := []string{full[len(full)-1]}
		cursor := got[0]
		for {
			r := do(t, s, "GET", "/v1/customers?limit=9&ending_before="+cursor, nil)
			data := ids(listData(t, r))
			if len(data) == 0 {
				break
			}
			got = append(got, data...)
			cursor = data[0]
			if r.body["has_more"] != true {
				break
			}
		}
		sameSet(t, got, live)
	})
	t.Run("order is newest first with a fixed tie order", func(t *testing.T) {
		a := walk(t, s, "/v1/customers", url.Values{"limit": {"100"}})
		b := walk(t, s, "/v1/customers", url.Values{"limit": {"13"}})
		if !slices.Equal(a, b) {
			t.Fatal("page size changes the order")
		}
	})
}

func TestPaginationSeededOnlyEveryType(t *testing.T) {
	t.Parallel()
	counts := map[string]int{"customers": 50, "products": 20, "prices": 40, "invoices": 60, "subscriptions": 30, "charges": 70}
	s, _ := newServer(t, counts, 0)
	for _, obj := range s.Objects() {
		got := walk(t, s, "/v1/"+obj, url.Values{"limit": {"11"}})
		sameSet(t, got, s.LiveIDs(obj))
		if len(got) != counts[obj] {
			t.Fatalf("%s: %d objects, want %d", obj, len(got), counts[obj])
		}
	}
}

func TestListParameterErrors(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, map[string]int{"customers": 5}, 0)
	for _, tc := range []struct {
		query, param, code string
		status             int
	}{
		{"limit=0", "limit", "", 400},
		{"limit=101", "limit", "", 400},
		{"limit=abc", "limit", "", 400},
		{"starting_after=cus_doesnotexist", "starting_after", "resource_missing", 400},
		{"ending_before=cus_doesnotexist", "ending_before", "resource_missing", 400},
		{"created[gte]=yesterday", "created[gte]", "", 400},
		{"colour=red", "colour", "parameter_unknown", 400},
	} {
		r := do(t, s, "GET", "/v1/customers?"+tc.query, nil)
		wantStatus(t, r, tc.status)
		e := r.errorBody(t)
		if e["type"] != "invalid_request_error" || e["param"] != tc.param || (tc.code != "" && e["code"] != tc.code) {
			t.Errorf("%s: error %v", tc.query, e)
		}
	}
	r := do(t, s, "GET", "/v1/customers?limit=100", nil)
	if len(listData(t, r)) != 5 || r.body["has_more"] != false || r.body["url"] != "/v1/customers" {
		t.Fatalf("list: %s", r.raw)
	}
}

func TestRetrieveAndMissing(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, map[string]int{"customers": 5, "invoices": 5}, 0)
	id := s.LiveIDs("customers")[2]
	r := do(t, s, "GET", "/v1/customers/"+id, nil)
	wantStatus(t, r, 200)
	if r.body["id"] != id || r.body["object"] != "customer" || r.body["livemode"] != false {
		t.Fatalf("retrieve: %s", r.raw)
	}
	// Deterministic: the same seed gives the same object.
	if again := do(t, s, "GET", "/v1/customers/"+id, nil); again.raw != r.raw {
		t.Fatal("seeded object changed between reads")
	}
	r = do(t, s, "GET", "/v1/customers/cus_nope", nil)
	wantStatus(t, r, 404)
	if e := r.errorBody(t); e["code"] != "resource_missing" || e["message"] != "No such customer: 'cus_nope'" || e["param"] != "id" {
		t.Fatalf("missing: %v", e)
	}
	// Invoices reference seeded customers.
	inv := do(t, s, "GET", "/v1/invoices/"+s.LiveIDs("invoices")[4], nil)
	cus := inv.body["customer"].(string)
	wantStatus(t, do(t, s, "GET", "/v1/customers/"+cus, nil), 200)
	wantStatus(t, do(t, s, "GET", "/v1/nothing", nil), 404)
}

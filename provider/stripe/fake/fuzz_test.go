package fake

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeID: decoding never panics, and whatever decodes re-encodes to
// the same id (ids are canonical, so cursors cannot alias).
func FuzzDecodeID(f *testing.F) {
	c := newIDCodec(42, "cus_")
	f.Add(c.encode(0))
	f.Add(c.encode(123456))
	f.Add("cus_zzzzzzzzzzzzzz")
	f.Add("cus_")
	f.Fuzz(func(t *testing.T, id string) {
		idx, ok := c.decode(id)
		if !ok {
			return
		}
		if idx < 0 || idx >= maxIndex {
			t.Fatalf("decode(%q) = %d", id, idx)
		}
		if back := c.encode(idx); back != id {
			t.Fatalf("decode(%q) = %d, which encodes to %q", id, idx, back)
		}
	})
}

// FuzzParseQuery: any query string either parses into a list query or is
// rejected with a 400 error, without panicking.
func FuzzParseQuery(f *testing.F) {
	f.Add("limit=10&starting_after=cus_0000000000000&created[gte]=5")
	f.Add("metadata[a]=1&items[0][price]=p&items[1][price]=q&expand[]=x")
	f.Add("created[lt]=9223372036854775807&created[gt]=-9223372036854775808")
	f.Add("a[=1&b]=2&[c]=3&d[e][]=4")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		params, e := parseForm(v)
		if e != nil {
			if e.Status != 400 {
				t.Fatalf("parseForm error status %d", e.Status)
			}
			return
		}
		q, e := parseListQuery(params, set("email", "types", "type"), func(id, param string) (okey, *Error) {
			return okey{}, errMissingInParam("customer", id, param)
		})
		if e != nil {
			if e.Status != 400 {
				t.Fatalf("list query error status %d", e.Status)
			}
			return
		}
		if q.limit < 1 || q.limit > maxLimit {
			t.Fatalf("limit %d accepted", q.limit)
		}
	})
}

// FuzzWrite: any form body POSTed to a create or an update is answered with
// a 200 or a 4xx Stripe error, never a panic or a 5xx.
func FuzzWrite(f *testing.F) {
	f.Add(uint8(0), false, "email=a@b.c&metadata[k]=v&address[city]=X&balance=5")
	f.Add(uint8(4), false, "customer=CUS&items[0][price]=PRICE&items[0][quantity]=2")
	f.Add(uint8(2), false, "product=PROD&currency=usd&unit_amount=100&recurring[interval]=month")
	f.Add(uint8(5), false, "amount=100&currency=usd&capture=false")
	f.Add(uint8(3), true, "description=&metadata=")
	f.Add(uint8(1), true, "name=x&active=maybe")
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, which uint8, update bool, body string) {
		object := objectNames[int(which)%len(objectNames)]
		s := New(Config{Seed: 1, Counts: map[string]int{"customers": 2, "products": 2, "prices": 2, "invoices": 2,
			"subscriptions": 2, "charges": 2}, Now: func() time.Time { return now }})
		body = strings.NewReplacer("CUS", s.LiveIDs("customers")[0], "PRICE", s.LiveIDs("prices")[0],
			"PROD", s.LiveIDs("products")[0]).Replace(body)
		path := "/v1/" + object
		if update {
			path += "/" + s.LiveIDs(object)[1]
		}
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 || !json.Valid(w.Body.Bytes()) {
			t.Fatalf("POST %s %q: %d %s", path, body, w.Code, w.Body)
		}
	})
}

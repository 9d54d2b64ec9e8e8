package fake

import (
	"net/url"
	"testing"
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

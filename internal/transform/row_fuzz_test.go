package transform

import (
	"encoding/json"
	"testing"

	"github.com/ferrysync/ferry"
	"github.com/google/go-cmp/cmp"
)

// reference is what Row computed before the zero-copy scan: the record
// decoded with encoding/json, then each path looked up in the maps.
func reference(p *Plan, raw []byte) ([]any, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return nil, false
	}
	out := make([]any, len(p.paths))
	for i, path := range p.paths {
		v, ok := top[path[0]]
		for _, key := range path[1:] {
			var m map[string]json.RawMessage
			if !ok || json.Unmarshal(v, &m) != nil {
				ok = false
				break
			}
			v, ok = m[key]
		}
		if !ok {
			continue
		}
		if c, err := Coerce(v, p.Table.Columns[i].Type); err == nil {
			out[i] = c
		}
	}
	return out, true
}

func FuzzRowMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"id":"cus_1","email":"a@b.c","balance":12,"created":1700000000,"delinquent":false,"metadata":{"a":"b"},"address":{"city":"Zürich"},"score":1.5}`,
		`{"email":"x\"y\\u00e9","address":{"city":null},"email":"dup wins"}`,
		`{"e\u006dail":"escaped key","address":[1,{"city":"in array"}]}`,
		` { "balance" : "42" , "metadata" : [ ] } `,
		`{"address":{"ci\"ty":1,"city":{"nested":"obj"}}}`,
		`{}`, `[]`, `{"email":`, `{"email":"\xff"}`,
	} {
		f.Add([]byte(s))
	}
	p, err := New(customers, ferry.SyncConfig{Table: "t", Fields: []string{"email", "balance", "created", "delinquent", "metadata", "address.city", "score"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			p.Row(ferry.Record{ID: "x", Raw: raw}) // must not panic
			return
		}
		want, isObject := reference(p, raw)
		row, errs := p.Row(ferry.Record{ID: "x", Raw: raw})
		if !isObject {
			if len(errs) == 0 || errs[0].Field != "_raw" {
				t.Fatalf("%s is not an object, Row reported %v", raw, errs)
			}
			return
		}
		if len(errs) == 1 && errs[0].Field == "_raw" {
			t.Fatalf("Row refused a valid object %s: %v", raw, errs[0])
		}
		if diff := cmp.Diff(want, row.Values); diff != "" {
			t.Fatalf("Row(%s) differs from encoding/json (-want +got):\n%s", raw, diff)
		}
	})
}

func BenchmarkRow(b *testing.B) {
	p, err := New(customers, ferry.SyncConfig{Table: "t"})
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(`{"id":"cus_QX8yQ2","object":"customer","address":{"city":"Toronto","country":"CA","line1":"2 Oak Ave"},` +
		`"balance":0,"created":1700000000,"currency":"usd","delinquent":false,"description":"A customer","email":"jenny@example.com",` +
		`"metadata":{"plan":"pro","region":"eu"},"name":"Jenny Rosen","score":4.5}`)
	b.ReportAllocs()
	for b.Loop() {
		p.Row(ferry.Record{ID: "cus_QX8yQ2", Raw: raw})
	}
}

package stripe

import (
	"encoding/json"
	"testing"
)

// FuzzParsePage: any body either fails cleanly or gives records with ids
// whose Raw is valid JSON.
func FuzzParsePage(f *testing.F) {
	f.Add([]byte(`{"object":"list","data":[{"id":"cus_1","object":"customer","created":1700000000}],"has_more":true}`))
	f.Add([]byte(`{"object":"list","data":[],"has_more":false}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parsePage(body)
		if err != nil {
			return
		}
		for _, r := range p.records {
			if r.ID == "" || !json.Valid(r.Raw) {
				t.Fatalf("bad record %+v", r)
			}
		}
	})
}

// FuzzParseEvents: the same for a page of events.
func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(`{"object":"list","data":[{"id":"evt_1","type":"customer.deleted","created":1700000000,"data":{"object":{"id":"cus_1","object":"customer","created":1690000000,"deleted":true}}}],"has_more":false}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, _, err := parseEvents(body)
		if err != nil {
			return
		}
		for _, e := range events {
			if e.ID == "" || e.Object.ID == "" || !json.Valid(e.Raw) {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}

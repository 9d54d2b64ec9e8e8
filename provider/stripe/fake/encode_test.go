package fake

import (
	"encoding/json"
	"testing"
	"time"
)

// appendJSON must write what encoding/json writes, indentation included.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	s := New(Config{Seed: 5, Counts: map[string]int{"customers": 3, "products": 3, "prices": 3, "invoices": 3,
		"subscriptions": 3, "charges": 3}, Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
	values := []any{
		map[string]any{"s": "quote \" back \\ nl \n é <tag> & \u2028", "n": nil, "e": []any{}, "m": map[string]any{},
			"i": int64(-3), "f": 1.5, "b": true, "l": []any{"a", int64(1), map[string]any{"k": "v"}}},
	}
	for _, obj := range s.Objects() {
		values = append(values, s.current(s.tables[obj], 1))
	}
	for _, v := range values {
		got, err := appendJSON(nil, v, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.MarshalIndent(v, "", "  ")
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("invalid JSON: %v\n%s", err, got)
		}
		json.Unmarshal(want, &b) //nolint:errcheck // encoding/json's own output
		ga, _ := json.Marshal(a)
		gb, _ := json.Marshal(b)
		if string(ga) != string(gb) {
			t.Fatalf("differs:\n%s\n%s", got, want)
		}
	}
}

package jsonscan

import (
	"encoding/json"
	"testing"
)

func TestMember(t *testing.T) {
	t.Parallel()
	obj := []byte(` {"a": 1, "b" : {"c": [1, "]}", {"d": null}]}, "e\u0073": "esc", "a": "last", "s": "x\"y"} `)
	for _, tc := range []struct {
		key, want string
		ok        bool
	}{
		{"a", `"last"`, true},
		{"b", `{"c": [1, "]}", {"d": null}]}`, true},
		{"es", `"esc"`, true},
		{"s", `"x\"y"`, true},
		{"missing", "", false},
	} {
		got, ok, err := Member(obj, tc.key)
		if err != nil || ok != tc.ok || string(got) != tc.want {
			t.Errorf("Member(%q) = %s, %v, %v; want %s, %v", tc.key, got, ok, err, tc.want, tc.ok)
		}
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":"unterminated}`, `{"a":[1}`, `"str"`} {
		if _, _, err := Member([]byte(bad), "a"); err == nil {
			t.Errorf("Member(%s) accepted a malformed object", bad)
		}
	}
}

// FuzzMembers checks the scan against encoding/json on valid objects: the
// same keys, and each value the same JSON.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":[1,2,{"c":"}"}]},"d":"\\\""}`, `{}`, `{"k\u00e9y":true,"x":null}`, ` { "a" : -1.5e3 } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			_ = Members(b, func(k, v []byte) {}) // must not panic
			return
		}
		got := map[string]json.RawMessage{}
		if err := Members(b, func(k, v []byte) { got[Unescape(k)] = v }); err != nil {
			t.Fatalf("Members(%s): %v", b, err)
		}
		if len(got) != len(want) {
			t.Fatalf("Members(%s) found %d keys, encoding/json %d", b, len(got), len(want))
		}
		for k, w := range want {
			var a, c any
			if json.Unmarshal(w, &a) != nil || json.Unmarshal(got[k], &c) != nil {
				t.Fatalf("key %q: %s vs %s", k, w, got[k])
			}
			wa, _ := json.Marshal(a)
			gc, _ := json.Marshal(c)
			if string(wa) != string(gc) {
				t.Fatalf("key %q: encoding/json %s, scan %s", k, w, got[k])
			}
		}
	})
}

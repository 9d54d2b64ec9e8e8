package fake

import (
	"strings"
	"testing"
)

func TestIDRoundTrip(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{0, 1, -7, 1 << 40} {
		c := newIDCodec(seed, "cus_")
		seen := map[string]bool{}
		for _, idx := range []int64{0, 1, 2, 3, 99, 1000, 999_999, 1_000_000, maxIndex - 1} {
			id := c.encode(idx)
			if len(id) != len("cus_")+idDigits || !strings.HasPrefix(id, "cus_") || seen[id] {
				t.Fatalf("seed %d idx %d: id %q", seed, idx, id)
			}
			seen[id] = true
			got, ok := c.decode(id)
			if !ok || got != idx {
				t.Fatalf("seed %d: decode(%q) = %d, %v; want %d", seed, id, got, ok, idx)
			}
			if _, ok := newIDCodec(seed+1, "cus_").decode(id); ok {
				t.Fatalf("an id of seed %d decodes under seed %d", seed, seed+1)
			}
			if _, ok := newIDCodec(seed, "prod_").decode("prod_" + id[4:]); ok {
				t.Fatal("an id decodes under another prefix")
			}
		}
	}
	c := newIDCodec(3, "ch_")
	for _, bad := range []string{"", "ch_", "ch_123", "cus_0000000000000A", "ch_!!!!!!!!!!!!!!", "ch_zzzzzzzzzzzzzz", c.encode(5) + "x"} {
		if _, ok := c.decode(bad); ok {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
	// Neighbouring indexes give unrelated-looking ids.
	if a, b := c.encode(10), c.encode(11); a[3:8] == b[3:8] {
		t.Errorf("ids of neighbours share a prefix: %s %s", a, b)
	}
}

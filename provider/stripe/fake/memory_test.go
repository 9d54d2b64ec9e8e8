package fake_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// Seeding must not cost memory: a million customers are generated on
// demand, never stored.
func TestSeedingAMillionAllocatesAlmostNothing(t *testing.T) {
	counts := map[string]int{"customers": 1_000_000, "products": 1000, "prices": 3000, "invoices": 1_000_000,
		"subscriptions": 500_000, "charges": 1_000_000}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := fake.Config{Seed: 7, Counts: counts, Now: func() time.Time { return now }}
	allocs := testing.AllocsPerRun(5, func() { fake.New(cfg) })
	if allocs > 500 {
		t.Fatalf("New allocates %v times", allocs)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := fake.New(cfg)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("New allocated %d bytes", grew)
	}
	// And a page deep inside still answers.
	deep := now.Add(-time.Hour - 200_000*time.Second).Unix()
	r := do(t, s, "GET", "/v1/customers?limit=100&created[lt]="+strconv.FormatInt(deep, 10), nil)
	if len(listData(t, r)) != 100 {
		t.Fatalf("deep page: %s", r.raw[:200])
	}
	runtime.KeepAlive(s)
}

package stripe

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/provider"
	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// startFake starts the Stripe fake with a clock the test moves and returns
// it, a client of it (on a fake clock: no real sleeps) and the fake's clock.
func startFake(t *testing.T, counts map[string]int) (*fake.Server, *Client, *manualClock) {
	t.Helper()
	clock := &manualClock{t: time.Unix(1_760_000_000, 0)}
	srv := fake.New(fake.Config{Seed: 7, Counts: counts, PerSecond: 3, Now: clock.Now})
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, _ := newTestClient(t, url, Config{Config: provider.Config{APIKey: ferry.NewSecret(fake.DefaultAPIKey), RateLimit: DefaultRateLimit}})
	return srv, c, clock
}

type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// A concurrent backfill over 8 ranges returns exactly the fake's live
// customers, 3 per created second, through injected failures.
func TestFakeBackfill(t *testing.T) {
	t.Parallel()
	srv, c, _ := startFake(t, map[string]int{"customers": 2345})
	ranges, err := c.Ranges(t.Context(), "customers", 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(ranges) != 8 {
		t.Fatalf("ranges %v", ranges)
	}
	if probes := c.Stats().Requests; probes > 120 {
		t.Errorf("Ranges made %d requests", probes)
	}
	t.Logf("Ranges: %d requests", c.Stats().Requests)
	srv.FailNext(2, 500)
	recs := listAll(t, c, "customers", ranges)
	got := make([]string, 0, len(recs))
	for _, r := range recs {
		got = append(got, r.ID)
		if r.Created < ranges[0].Lo || r.Created >= ranges[7].Hi {
			t.Errorf("%s created %d outside the ranges", r.ID, r.Created)
		}
	}
	want := srv.LiveIDs("customers")
	slices.Sort(got)
	slices.Sort(want)
	if len(got) != len(slices.Compact(slices.Clone(got))) {
		t.Errorf("duplicates in %d records", len(got))
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %d customers, the fake has %d", len(got), len(want))
	}
	if st := c.Stats(); st.Retries != 2 {
		t.Errorf("stats %+v, want 2 retries", st)
	}
	if _, err := c.Ranges(t.Context(), "charges", 8); err != nil {
		t.Errorf("Ranges of no charges: %v", err)
	}
}

// Changes reports creates, updates and deletes made after the watermark,
// each once with its newest state; a canceled subscription is an update and
// stays in the listing.
func TestFakeChanges(t *testing.T) {
	t.Parallel()
	srv, c, clock := startFake(t, map[string]int{"customers": 40, "products": 5, "prices": 5, "subscriptions": 10})
	since := ferry.Watermark{Time: clock.Now().Unix()}
	live := srv.LiveIDs("customers")
	clock.Add(time.Second)

	created, err := srv.Create("customers", map[string]any{"email": "new@example.com", "name": "New"})
	if err != nil {
		t.Fatal(err)
	}
	newID := created["id"].(string)
	updID, delID := live[3], live[5]
	for _, name := range []string{"First", "Second"} {
		clock.Add(time.Second)
		if _, err := srv.Update("customers", updID, map[string]any{"name": name}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(time.Second)
	if err := srv.Delete("customers", delID); err != nil {
		t.Fatal(err)
	}
	subID := srv.LiveIDs("subscriptions")[0]
	if err := srv.Delete("subscriptions", subID); err != nil {
		t.Fatal(err)
	}

	got, _, mark := collect(t, c, "customers", since)
	if len(got) != 3 {
		t.Fatalf("changes %v, want 3", got)
	}
	if r := got[newID]; r.Deleted || r.Created == 0 {
		t.Errorf("created customer %+v", r)
	}
	var snap struct{ Name string }
	if err := json.Unmarshal(got[updID].Raw, &snap); err != nil || snap.Name != "Second" || got[updID].Deleted {
		t.Errorf("updated customer %s: name %q, want its newest state", got[updID].Raw, snap.Name)
	}
	if !got[delID].Deleted {
		t.Errorf("deleted customer %+v, want a tombstone", got[delID])
	}
	if mark.Time != clock.Now().Unix() || mark.ID == "" {
		t.Errorf("watermark %+v, want the newest event at %d", mark, clock.Now().Unix())
	}

	// From the returned watermark: only its own second is read again.
	again, _, mark2 := collect(t, c, "customers", mark)
	if len(again) != 1 || !again[delID].Deleted || mark2 != mark {
		t.Errorf("from the watermark: %v, %+v", again, mark2)
	}

	subs, _, _ := collect(t, c, "subscriptions", since)
	var sub struct{ Status string }
	if r, ok := subs[subID]; !ok || r.Deleted || json.Unmarshal(r.Raw, &sub) != nil || sub.Status != "canceled" {
		t.Errorf("canceled subscription %+v, want an update with status canceled", r)
	}
	ranges, err := c.Ranges(t.Context(), "subscriptions", 2)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range listAll(t, c, "subscriptions", ranges) {
		found = found || r.ID == subID
	}
	if !found {
		t.Errorf("canceled subscription %s missing from the full listing", subID)
	}
}

package fake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

// Like Ferry's client: 32 fetchers over created ranges, in parallel with
// writes, through a real listener.
func TestConcurrentPagesAndWrites(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := fake.New(fake.Config{Seed: 9, Counts: map[string]int{"customers": 3200}, PerSecond: 4, Now: clk.Now})
	base, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	first := s.LiveIDs("customers")[0]
	var start int64
	{
		r := do(t, s, "GET", "/v1/customers/"+first, nil)
		start = num(r.body["created"])
	}
	const workers = 32
	span := int64(3200 / 4 / workers)
	var wg sync.WaitGroup
	results := make([][]string, workers)
	errs := make(chan error, workers+1)
	for w := range workers {
		wg.Go(func() {
			lo, hi := start+int64(w)*span, start+int64(w+1)*span
			cursor := ""
			for {
				url := fmt.Sprintf("%s/v1/customers?limit=100&created[gte]=%d&created[lt]=%d", base, lo, hi)
				if cursor != "" {
					url += "&starting_after=" + cursor
				}
				req, _ := http.NewRequest("GET", url, nil)
				req.SetBasicAuth(fake.DefaultAPIKey, "")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				var page struct {
					HasMore bool `json:"has_more"`
					Data    []struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				err = json.NewDecoder(res.Body).Decode(&page)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 {
					errs <- fmt.Errorf("status %d: %v", res.StatusCode, err)
					return
				}
				for _, d := range page.Data {
					results[w] = append(results[w], d.ID)
				}
				if !page.HasMore {
					return
				}
				cursor = page.Data[len(page.Data)-1].ID
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			if _, err := s.Create("customers", map[string]any{"name": fmt.Sprint("c", i)}); err != nil {
				errs <- err
				return
			}
			if _, err := s.Update("customers", first, map[string]any{"description": fmt.Sprint("d", i)}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var all []string
	for _, r := range results {
		all = append(all, r...)
	}
	// The creates are newer than every range, so the ranges cover exactly
	// the seeded customers.
	sameSet(t, all, s.LiveIDs("customers")[:3200])
	if st := s.Stats(); st.Requests < 32 {
		t.Fatalf("stats %+v", st)
	}
}

package fake_test

import (
	"net/http/httptest"
	"testing"

	"github.com/ferrysync/ferry/provider/stripe/fake"
)

func BenchmarkListPage(b *testing.B) {
	s := fake.New(fake.Config{Seed: 1, Counts: map[string]int{"customers": 1_000_000, "invoices": 1_000_000}})
	for _, obj := range []string{"customers", "invoices"} {
		b.Run(obj, func(b *testing.B) {
			mid := s.LiveIDs(obj)[500_000]
			r := httptest.NewRequest("GET", "/v1/"+obj+"?limit=100&starting_after="+mid, nil)
			r.Header.Set("Authorization", "Bearer "+fake.DefaultAPIKey)
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code)
				}
			}
		})
	}
}

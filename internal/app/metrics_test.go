package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetricsCountsProviderRequests(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow-down") {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	m := NewMetrics()
	c := m.HTTPClient()
	for _, p := range []string{"/a", "/b", "/slow-down"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, err := c.Get("http://127.0.0.1:1/unreachable"); err == nil {
		t.Fatal("a request to a closed port succeeded")
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	got := m.Requests()
	want := []RequestCount{{RequestKey{"127.0.0.1:1", "error"}, 1}, {RequestKey{host, "200"}, 2}, {RequestKey{host, "429"}, 1}}
	if len(got) != len(want) {
		t.Fatalf("Requests() = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Requests()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

package stripe

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// stub is a small in-test Stripe: lists of objects and events with Stripe's
// list semantics (newest first, created filters, starting_after, limit) and
// a strict parameter check.
type stub struct {
	mu      sync.Mutex
	objects map[string][]stubItem // by path: /v1/customers
	events  []stubEvent
	calls   atomic.Int64
	// fail, when set, answers instead of the list.
	fail func(w http.ResponseWriter, r *http.Request) bool
}

type stubItem struct {
	ID      string
	Created int64
	Raw     string
}

type stubEvent struct {
	ID, Type string
	Created  int64
	Object   string // data.object JSON
}

func newStub(t *testing.T) (*stub, string) {
	t.Helper()
	s := &stub{objects: map[string][]stubItem{}}
	srv := serve(t, s.ServeHTTP)
	return s, srv.URL
}

// add adds an object of kind created at created, with id.
func (s *stub) add(path, kind, id string, created int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw := fmt.Sprintf(`{"id":%q,"object":%q,"created":%d,"metadata":{}}`, id, kind, created)
	s.objects[path] = append(s.objects[path], stubItem{ID: id, Created: created, Raw: raw})
}

// event adds an event; seq orders events of the same second.
func (s *stub) event(id, typ string, created int64, object string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, stubEvent{ID: id, Type: typ, Created: created, Object: object})
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	if s.fail != nil && s.fail(w, r) {
		return
	}
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "limit", "created[gte]", "created[lt]", "starting_after", "type", "status":
		default:
			stubError(w, 400, k, "Received unknown parameter: "+k)
			return
		}
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 100 {
		stubError(w, 400, "limit", "Invalid integer: "+q.Get("limit"))
		return
	}
	gte, lt := int64(-1<<62), int64(1<<62)
	if v := q.Get("created[gte]"); v != "" {
		if gte, err = strconv.ParseInt(v, 10, 64); err != nil {
			stubError(w, 400, "created[gte]", "Invalid integer: "+v)
			return
		}
	}
	if v := q.Get("created[lt]"); v != "" {
		if lt, err = strconv.ParseInt(v, 10, 64); err != nil {
			stubError(w, 400, "created[lt]", "Invalid integer: "+v)
			return
		}
	}
	s.mu.Lock()
	var items []stubItem
	if r.URL.Path == "/v1/events" {
		prefix := strings.TrimSuffix(q.Get("type"), "*")
		for i, e := range s.events {
			if q.Get("type") != "" && !strings.HasPrefix(e.Type, prefix) {
				continue
			}
			raw := fmt.Sprintf(`{"id":%q,"object":"event","type":%q,"created":%d,"data":{"object":%s}}`, e.ID, e.Type, e.Created, e.Object)
			// Newer events of one second sort first: order ids by insertion.
			items = append(items, stubItem{ID: e.ID, Created: e.Created*1e6 + int64(i), Raw: raw})
		}
		gte, lt = clampMul(gte), clampMul(lt)
	} else {
		items = slices.Clone(s.objects[r.URL.Path])
	}
	s.mu.Unlock()
	slices.SortFunc(items, func(a, b stubItem) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), strings.Compare(b.ID, a.ID))
	})
	start := 0
	if after := q.Get("starting_after"); after != "" {
		i := slices.IndexFunc(items, func(it stubItem) bool { return it.ID == after })
		if i < 0 {
			stubError(w, 400, "starting_after", "No such object: "+after)
			return
		}
		start = i + 1
	}
	var data []json.RawMessage
	more := false
	for _, it := range items[start:] {
		if it.Created < gte || it.Created >= lt {
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		data = append(data, json.RawMessage(it.Raw))
	}
	if data == nil {
		data = []json.RawMessage{}
	}
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "url": r.URL.Path, "has_more": more, "data": data})
}

func clampMul(v int64) int64 {
	if v > 1<<40 || v < -(1<<40) {
		return v
	}
	return v * 1e6
}

func stubError(w http.ResponseWriter, status int, param, msg string) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
		"type": "invalid_request_error", "param": param, "message": msg,
	}})
}

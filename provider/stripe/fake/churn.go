package fake

import (
	"fmt"
	"strconv"
)

// Churn makes n writes of the kinds a live Stripe account sees, for demos
// and incremental-sync benchmarks: customers created, updated and deleted,
// products updated, subscriptions canceled, invoices finalized and paid.
// Which objects it touches follows from the seed and the writes made so far,
// so a run is reproducible. Each write emits its events, on the Server's
// clock. It returns the number of writes made (types with nothing seeded or
// nothing in the right state are skipped).
func (s *Server) Churn(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	done := 0
	for range n {
		s.churnSeq++
		r := newRNG(s.w.seed, "churn", s.churnSeq)
		if s.churnOnce(&r) {
			done++
		}
	}
	return done
}

// pickLive returns a random live object of t, or false after a few misses.
func (s *Server) pickLive(r *rng, t *table) (int64, bool) {
	total := t.next
	if total == 0 {
		return 0, false
	}
	for range 8 {
		idx := int64(r.next() % uint64(total))
		if t.exists(idx) && !t.hidden(idx, false) {
			return idx, true
		}
	}
	return 0, false
}

func (s *Server) churnOnce(r *rng) bool {
	req := eventRequest{}
	roll := r.intn(100)
	switch {
	case roll < 20:
		name := pick(r, firstNames) + " " + pick(r, lastNames)
		email := fmt.Sprintf("churn.%d@example.com", s.churnSeq)
		_, e := s.createLocked(s.w.kinds["customers"], map[string]any{"name": name, "email": email}, req)
		return e == nil
	case roll < 60:
		t := s.tables["customers"]
		idx, ok := s.pickLive(r, t)
		if !ok {
			return false
		}
		params := map[string]any{"description": "updated by churn " + strconv.FormatInt(s.churnSeq, 10),
			"metadata": map[string]any{"churn": strconv.FormatInt(s.churnSeq, 10)}}
		_, e := s.updateLocked(t.k, t.k.codec.encode(idx), params, req)
		return e == nil
	case roll < 65:
		t := s.tables["customers"]
		idx, ok := s.pickLive(r, t)
		if !ok {
			return false
		}
		_, e := s.deleteLocked(t.k, t.k.codec.encode(idx), req)
		return e == nil
	case roll < 75:
		t := s.tables["products"]
		idx, ok := s.pickLive(r, t)
		if !ok {
			return false
		}
		_, e := s.updateLocked(t.k, t.k.codec.encode(idx), map[string]any{"active": r.chance(80)}, req)
		return e == nil
	case roll < 80:
		t := s.tables["subscriptions"]
		idx, ok := s.pickLive(r, t)
		if !ok {
			return false
		}
		_, e := s.deleteLocked(t.k, t.k.codec.encode(idx), req)
		return e == nil
	default:
		t := s.tables["invoices"]
		idx, ok := s.pickLive(r, t)
		if !ok {
			return false
		}
		id := t.k.codec.encode(idx)
		switch s.current(t, idx)["status"] {
		case "draft":
			_, e := s.invoiceActionLocked(id, "finalize", req)
			return e == nil
		case "open":
			_, e := s.invoiceActionLocked(id, "pay", req)
			return e == nil
		}
		_, e := s.updateLocked(t.k, id, map[string]any{"metadata": map[string]any{"churn": strconv.FormatInt(s.churnSeq, 10)}}, req)
		return e == nil
	}
}

package fake

import (
	"fmt"
	"net/http"
)

// The direct write methods have the same effect as the HTTP writes,
// events included, for tests that set up state without a client.

func (s *Server) kind(object string) (*kind, error) {
	k := s.w.kinds[object]
	if k == nil {
		return nil, fmt.Errorf("stripe fake: unknown object %q", object)
	}
	return k, nil
}

// Create creates an object of type object ("customers", ...) from fields,
// named as Stripe's create parameters (metadata as map[string]string or
// map[string]any), and returns a copy of it. Errors are *Error.
func (s *Server) Create(object string, fields map[string]any) (map[string]any, error) {
	k, err := s.kind(object)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, e := s.createLocked(k, fields, eventRequest{})
	if e != nil {
		return nil, e
	}
	return deepCopy(obj).(map[string]any), nil
}

// Update sets fields on the object with that id and returns a copy of it.
func (s *Server) Update(object, id string, fields map[string]any) (map[string]any, error) {
	k, err := s.kind(object)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, e := s.updateLocked(k, id, fields, eventRequest{})
	if e != nil {
		return nil, e
	}
	return deepCopy(obj).(map[string]any), nil
}

// Delete deletes the object as DELETE /v1/{object}/{id} would: customers and
// products are removed, draft invoices too, subscriptions are canceled;
// prices and charges cannot be deleted.
func (s *Server) Delete(object, id string) error {
	k, err := s.kind(object)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := s.deleteLocked(k, id, eventRequest{}); e != nil {
		return e
	}
	return nil
}

// LiveIDs returns the ids of every object of that type that a default list
// returns: not deleted, and for subscriptions not canceled.
func (s *Server) LiveIDs(object string) []string {
	k := s.w.kinds[object]
	if k == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[object]
	ids := make([]string, 0, int(t.count)+len(t.extra))
	for i := range t.count {
		if !t.hidden(i, false) {
			ids = append(ids, k.codec.encode(i))
		}
	}
	for _, e := range t.extra {
		if !t.hidden(e.idx, false) {
			ids = append(ids, k.codec.encode(e.idx))
		}
	}
	return ids
}

// hidden reports whether lists skip idx: deleted objects always, canceled
// subscriptions unless the list asks for them.
func (t *table) hidden(idx int64, withCanceled bool) bool {
	return t.deleted[idx] || (!withCanceled && t.canceled[idx])
}

// HTTP handlers.

func (c *call) retrieve(k *kind, id string) {
	c.s.mu.RLock()
	obj, e := c.s.retrieveLocked(k, id)
	if e != nil {
		c.s.mu.RUnlock()
		c.fail(e)
		return
	}
	defer c.s.mu.RUnlock()
	c.ok(obj) // encoded under the read lock: stored snapshots are never mutated, but keep it simple
}

// writeParams parses a write's form parameters, and answers a replay when
// the Idempotency-Key was seen before. ok is false when it has answered.
func (c *call) writeParams() (map[string]any, bool) {
	if err := c.r.ParseForm(); err != nil {
		c.fail(errInvalid("", "Invalid request body: "+err.Error()))
		return nil, false
	}
	params, e := parseForm(c.r.Form)
	if e != nil {
		c.fail(e)
		return nil, false
	}
	if key := c.r.Header.Get("Idempotency-Key"); key != "" {
		c.w.Header().Set("Idempotency-Key", key)
		c.fingerprint = c.r.Method + " " + c.r.URL.Path + "?" + c.r.Form.Encode()
		if prev, ok := c.s.replay(key); ok {
			if prev.fingerprint != c.fingerprint {
				c.fail(&Error{Status: http.StatusBadRequest, Type: "idempotency_error",
					Message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '" + key + "' if you meant to execute a different request."})
				return nil, false
			}
			c.w.Header().Set("Idempotent-Replayed", "true")
			c.w.WriteHeader(prev.status)
			c.w.Write(prev.body) //nolint:errcheck // the client may be gone
			return nil, false
		}
		c.idemKey = key // from here on, answers are written under s.mu and remembered
	}
	return params, true
}

func (c *call) eventRequest() eventRequest {
	return eventRequest{id: c.reqID, idempotencyKey: c.idemKey, version: c.version}
}

func (c *call) create(k *kind) {
	params, ok := c.writeParams()
	if !ok {
		return
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	obj, e := c.s.createLocked(k, params, c.eventRequest())
	if e != nil {
		c.fail(e)
		return
	}
	c.ok(obj)
}

func (c *call) update(k *kind, id string) {
	params, ok := c.writeParams()
	if !ok {
		return
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	obj, e := c.s.updateLocked(k, id, params, c.eventRequest())
	if e != nil {
		c.fail(e)
		return
	}
	c.ok(obj)
}

func (c *call) del(k *kind, id string) {
	if _, ok := c.writeParams(); !ok {
		return
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	obj, e := c.s.deleteLocked(k, id, c.eventRequest())
	if e != nil {
		c.fail(e)
		return
	}
	c.ok(obj)
}

// cachedResponse is a write's answer kept for its Idempotency-Key.
type cachedResponse struct {
	status      int
	body        []byte
	fingerprint string // the request it answered: method, path and parameters
}

func (s *Server) replay(key string) (cachedResponse, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.idem[key]
	return r, ok
}

// remember is called by call.write while the write's lock is held.
func (s *Server) remember(key string, r cachedResponse) {
	if r.status >= http.StatusInternalServerError {
		return
	}
	s.idem[key] = r
}

package fake

import (
	"slices"
	"sort"
	"strings"
)

// Every write emits one event, kept in memory (events grow with writes, not
// with seeding). Lists of events are newest first and, like Stripe's, only
// reach back 30 days on the Server's clock.

// eventRetention is how far back events are listed and retrievable.
const eventRetention = 30 * 86400

// eventRequest is what an event records of the request that caused it; the
// zero value (direct writes) records a null request id, like a dashboard
// change in Stripe.
type eventRequest struct {
	id, idempotencyKey, version string
}

type eventLog struct {
	keys []okey // (created, seq) ascending
	byID map[int64]map[string]any
	next int64
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// emit records an event of type typ for obj (snapshotted) with the previous
// attributes of an update. Callers hold s.mu for writing.
func (s *Server) emit(typ string, obj, prev map[string]any, req eventRequest) {
	l := &s.events
	if l.byID == nil {
		l.byID = map[int64]map[string]any{}
	}
	seq := l.next
	l.next++
	now := s.now().Unix()
	data := map[string]any{"object": deepCopy(obj)}
	if prev != nil {
		data["previous_attributes"] = deepCopy(prev)
	}
	version := req.version
	if version == "" {
		version = DefaultAPIVersion
	}
	l.byID[seq] = map[string]any{
		"id":               s.w.codec("evt_").encode(seq),
		"object":           "event",
		"api_version":      version,
		"created":          now,
		"data":             data,
		"livemode":         false,
		"pending_webhooks": int64(0),
		"request":          map[string]any{"id": nullable(req.id), "idempotency_key": nullable(req.idempotencyKey)},
		"type":             typ,
	}
	k := okey{now, seq}
	at := sort.Search(len(l.keys), func(i int) bool { return k.less(l.keys[i]) })
	l.keys = slices.Insert(l.keys, at, k)
}

func (s *Server) retentionStart() okey { return secondStart(s.now().Unix() - eventRetention) }

func (c *call) getEvent(id string) {
	s := c.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	seq, ok := s.w.codec("evt_").decode(id)
	ev := s.events.byID[seq]
	if !ok || ev == nil || ev["created"].(int64) < s.retentionStart().created {
		c.fail(errResourceMissing("event", id, "id"))
		return
	}
	c.ok(ev)
}

// typeMatches reports whether an event type matches a type filter: exact, or
// with "*" standing for the rest ("customer.*", "customer.subscription.*").
func typeMatches(pattern, typ string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(typ, prefix)
	}
	return pattern == typ
}

// listEvents answers GET /v1/events.
func (c *call) listEvents() {
	params, ok := c.queryParams()
	if !ok {
		return
	}
	s := c.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	codec := s.w.codec("evt_")
	q, e := parseListQuery(params, set("type", "types", "delivery_success"), func(id, param string) (okey, *Error) {
		seq, ok := codec.decode(id)
		ev := s.events.byID[seq]
		if !ok || ev == nil {
			return okey{}, errMissingInParam("event", id, param)
		}
		return okey{ev["created"].(int64), seq}, nil
	})
	if e != nil {
		c.fail(e)
		return
	}
	var patterns []string
	if t, ok := q.params["type"]; ok {
		str, ok := t.(string)
		if !ok {
			c.fail(errInvalid("type", "Invalid string"))
			return
		}
		patterns = append(patterns, str)
	}
	if ts, ok := q.params["types"]; ok {
		if len(patterns) > 0 {
			c.fail(errInvalid("types", "You may only specify one of these parameters: type, types."))
			return
		}
		list, ok := ts.([]any)
		if !ok || len(list) > 20 {
			c.fail(errInvalid("types", "Invalid array"))
			return
		}
		for _, t := range list {
			str, _ := t.(string)
			if strings.Contains(str, "*") {
				c.fail(errInvalid("types", "Wildcards are not supported in types[]; use type instead."))
				return
			}
			patterns = append(patterns, str)
		}
	}
	q.lo = keyMax(q.lo, s.retentionStart())
	o := ordered{keyAt: func(int64) okey { return okey{} }, extra: s.events.keys}
	seqs, more := o.walk(q, func(seq int64) bool {
		if len(patterns) == 0 {
			return false
		}
		typ := s.events.byID[seq]["type"].(string)
		return !slices.ContainsFunc(patterns, func(p string) bool { return typeMatches(p, typ) })
	})
	data := make([]any, len(seqs))
	for i, seq := range seqs {
		data[i] = s.events.byID[seq]
	}
	c.ok(map[string]any{"object": "list", "url": "/v1/events", "has_more": more, "data": data})
}

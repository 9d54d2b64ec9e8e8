package fake

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
)

// Lists are newest first: (created, index) descending, where the index of a
// seeded object grows with its created time and created objects come after
// the seeded ones. A page is found without materialising anything: the
// created bounds and the cursor become bounds on that key, the seeded part of
// the order is an index range found by binary search on the computed keys,
// and the created part a range of a sorted slice. Only the objects on the
// page (and those skipped as deleted or filtered out) are generated.

const (
	defaultLimit = 10
	maxLimit     = 100
)

var (
	minKey = okey{math.MinInt64, math.MinInt64}
	maxKey = okey{math.MaxInt64, math.MaxInt64}
)

// listQuery is a list request after parsing: a half-open key range [lo, hi),
// a page size, and a direction (ending_before pages walk up from lo).
type listQuery struct {
	lo, hi  okey
	limit   int
	reverse bool
	params  map[string]any // the remaining, endpoint-specific parameters
}

func keyMax(a, b okey) okey {
	if a.less(b) {
		return b
	}
	return a
}

func keyMin(a, b okey) okey {
	if a.less(b) {
		return a
	}
	return b
}

// secondStart is the smallest key of second t.
func secondStart(t int64) okey { return okey{t, math.MinInt64} }

func secondEnd(t int64) okey {
	if t == math.MaxInt64 {
		return maxKey
	}
	return secondStart(t + 1)
}

func parseInt(param string, v any) (int64, *Error) {
	s, ok := v.(string)
	if !ok {
		return 0, errInvalid(param, "Invalid integer: "+param)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errInvalid(param, "Invalid integer: "+s)
	}
	return n, nil
}

// parseListQuery reads limit, created and the cursors; lookup turns a cursor
// id into its key. allowed are the endpoint's other parameters.
func parseListQuery(params map[string]any, allowed map[string]bool, lookup func(id, param string) (okey, *Error)) (listQuery, *Error) {
	q := listQuery{lo: minKey, hi: maxKey, limit: defaultLimit, params: map[string]any{}}
	for _, p := range slices.Sorted(maps.Keys(params)) {
		v := params[p]
		switch p {
		case "limit":
			n, err := parseInt("limit", v)
			if err != nil {
				return q, err
			}
			if n < 1 {
				return q, errInvalid("limit", "This value must be greater than or equal to 1.")
			}
			if n > maxLimit {
				return q, errInvalid("limit", "This value must be less than or equal to 100.")
			}
			q.limit = int(n)
		case "created":
			if err := q.parseCreated(v); err != nil {
				return q, err
			}
		case "starting_after", "ending_before", "expand":
		default:
			if !allowed[p] {
				return q, errUnknownParam(p)
			}
			q.params[p] = v
		}
	}
	sa, hasSA := params["starting_after"].(string)
	eb, hasEB := params["ending_before"].(string)
	if hasSA && hasEB && sa != "" && eb != "" {
		return q, errInvalid("starting_after", "You may only specify one of these parameters: ending_before, starting_after.")
	}
	if hasSA && sa != "" {
		k, err := lookup(sa, "starting_after")
		if err != nil {
			return q, err
		}
		q.hi = keyMin(q.hi, k)
	}
	if hasEB && eb != "" {
		k, err := lookup(eb, "ending_before")
		if err != nil {
			return q, err
		}
		q.lo = keyMax(q.lo, okey{k.created, k.idx + 1})
		q.reverse = true
	}
	return q, nil
}

func (q *listQuery) parseCreated(v any) *Error {
	if _, ok := v.(string); ok {
		t, err := parseInt("created", v)
		if err != nil {
			return err
		}
		q.lo, q.hi = keyMax(q.lo, secondStart(t)), keyMin(q.hi, secondEnd(t))
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return errInvalid("created", "Invalid timestamp")
	}
	for _, op := range slices.Sorted(maps.Keys(m)) {
		param := "created[" + op + "]"
		t, err := parseInt(param, m[op])
		if err != nil {
			return err
		}
		switch op {
		case "gt":
			q.lo = keyMax(q.lo, secondEnd(t))
		case "gte":
			q.lo = keyMax(q.lo, secondStart(t))
		case "lt":
			q.hi = keyMin(q.hi, secondStart(t))
		case "lte":
			q.hi = keyMin(q.hi, secondEnd(t))
		default:
			return errUnknownParam(param)
		}
	}
	return nil
}

// ordered is one sorted sequence of objects: n seeded ones whose keys grow
// with their index, then a sorted slice of others.
type ordered struct {
	n     int64
	keyAt func(int64) okey
	extra []okey
}

// walk returns the indexes of the page of q, newest first, skipping those
// skip rejects, and whether more remain beyond the page in its direction.
func (o ordered) walk(q listQuery, skip func(int64) bool) ([]int64, bool) {
	if !q.lo.less(q.hi) {
		return nil, false
	}
	bound := func(k okey) int64 {
		return int64(sort.Search(int(o.n), func(j int) bool { return !o.keyAt(int64(j)).less(k) }))
	}
	ebound := func(k okey) int {
		return sort.Search(len(o.extra), func(j int) bool { return !o.extra[j].less(k) })
	}
	a, b := bound(q.lo), bound(q.hi)
	ea, eb := ebound(q.lo), ebound(q.hi)
	next := func() (int64, bool) {
		if !q.reverse {
			hasS, hasE := b > a, eb > ea
			switch {
			case hasS && (!hasE || o.extra[eb-1].less(o.keyAt(b-1))):
				b--
				return b, true
			case hasE:
				eb--
				return o.extra[eb].idx, true
			}
			return 0, false
		}
		hasS, hasE := a < b, ea < eb
		switch {
		case hasS && (!hasE || o.keyAt(a).less(o.extra[ea])):
			a++
			return a - 1, true
		case hasE:
			ea++
			return o.extra[ea-1].idx, true
		}
		return 0, false
	}
	out := make([]int64, 0, q.limit)
	more := false
	for {
		idx, ok := next()
		if !ok {
			break
		}
		if skip != nil && skip(idx) {
			continue
		}
		if len(out) == q.limit {
			more = true
			break
		}
		out = append(out, idx)
	}
	if q.reverse {
		slices.Reverse(out)
	}
	return out, more
}

func (c *call) queryParams() (map[string]any, bool) {
	params, e := parseForm(c.r.URL.Query())
	if e != nil {
		c.fail(e)
		return nil, false
	}
	return params, true
}

// list answers GET /v1/{object}.
func (c *call) list(k *kind) {
	params, ok := c.queryParams()
	if !ok {
		return
	}
	s := c.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tables[k.name]
	allowed := map[string]bool{}
	for p := range k.filters {
		allowed[p] = true
	}
	q, e := parseListQuery(params, allowed, func(id, param string) (okey, *Error) {
		idx, ok := t.find(id)
		if !ok {
			return okey{}, errMissingInParam(k.object, id, param)
		}
		return s.key(t, idx), nil
	})
	if e != nil {
		c.fail(e)
		return
	}
	idxs, more := s.listLocked(t, q)
	data := make([]any, len(idxs))
	for i, idx := range idxs {
		data[i] = s.current(t, idx)
	}
	c.ok(map[string]any{"object": "list", "url": "/v1/" + k.name, "has_more": more, "data": data})
}

// listLocked pages through t's objects for q, applying its filters.
func (s *Server) listLocked(t *table, q listQuery) ([]int64, bool) {
	withCanceled := false
	filters := map[string]string{}
	for p, v := range q.params {
		str, _ := v.(string)
		if p == "status" && t.k.delete == deleteCancel {
			withCanceled = str == "all" || str == "canceled"
			if str == "all" {
				continue
			}
		}
		filters[t.k.filters[p]] = str
	}
	skip := func(idx int64) bool {
		if t.hidden(idx, withCanceled) {
			return true
		}
		if len(filters) == 0 {
			return false
		}
		var obj map[string]any // built only when a filter needs it
		for field, want := range filters {
			if _, written := t.objs[idx]; !written && idx < t.count {
				if v, ok := s.w.seededField(t.k.name, idx, field); ok {
					if v != want {
						return true
					}
					continue
				}
			}
			if obj == nil {
				obj = s.current(t, idx)
			}
			if !fieldMatches(obj, field, want) {
				return true
			}
		}
		return false
	}
	o := ordered{n: t.count, keyAt: func(i int64) okey { return okey{s.w.seededCreated(i), i} }, extra: t.extra}
	if email, ok := filters["email"]; ok && t.k.name == "customers" {
		o = s.emailCandidates(t, email)
	}
	return o.walk(q, skip)
}

// emailCandidates narrows the customers to those that can have email: the
// seeded customer the address was generated for, and written ones. This
// keeps the email filter O(writes) rather than O(customers).
func (s *Server) emailCandidates(t *table, email string) ordered {
	var keys []okey
	if idx, ok := emailIndex(email); ok && idx < t.count {
		keys = append(keys, s.key(t, idx))
	}
	for idx, obj := range t.objs {
		if obj["email"] == email {
			keys = append(keys, s.key(t, idx))
		}
	}
	slices.SortFunc(keys, func(a, b okey) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	keys = slices.Compact(keys)
	return ordered{keyAt: func(int64) okey { return okey{} }, extra: keys}
}

// fieldMatches compares a top-level field with a filter value as Stripe's
// list filters do. Subscriptions' price filter looks into their items.
func fieldMatches(obj map[string]any, field, want string) bool {
	if field == "price" {
		if items, ok := obj["items"].(map[string]any); ok {
			list, _ := items["data"].([]any)
			for _, it := range list {
				if m, ok := it.(map[string]any); ok {
					if p, ok := m["price"].(map[string]any); ok && p["id"] == want {
						return true
					}
				}
			}
		}
		return false
	}
	switch v := obj[field].(type) {
	case string:
		return v == want
	case bool:
		return strconv.FormatBool(v) == want
	case int64:
		return strconv.FormatInt(v, 10) == want
	case nil:
		return want == ""
	}
	return false
}

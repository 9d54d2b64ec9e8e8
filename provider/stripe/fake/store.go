package fake

import (
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
)

// table holds the writes to one object type. Seeded objects live here only
// once written: objs has every created object and the last snapshot of every
// updated seeded one; deleted and canceled mark what lists skip.
type table struct {
	k        *kind
	count    int64 // seeded objects: indexes [0, count)
	next     int64 // index of the next created object
	objs     map[int64]map[string]any
	extra    []okey // created objects' sort keys, ascending
	deleted  map[int64]bool
	canceled map[int64]bool
}

// okey is the list order of an object: newest first is (created, idx)
// descending. Seeded indexes grow with created; created objects take indexes
// after the seeded ones, so idx breaks created ties deterministically.
type okey struct{ created, idx int64 }

func (a okey) less(b okey) bool {
	return a.created < b.created || a.created == b.created && a.idx < b.idx
}

func newTable(k *kind, count int64) *table {
	return &table{k: k, count: count, next: count, objs: map[int64]map[string]any{},
		deleted: map[int64]bool{}, canceled: map[int64]bool{}}
}

// exists reports whether idx was ever an object of this table.
func (t *table) exists(idx int64) bool {
	if idx >= 0 && idx < t.count {
		return true
	}
	_, ok := t.objs[idx]
	return ok
}

// current returns the object's present snapshot. Callers must not modify it.
func (s *Server) current(t *table, idx int64) map[string]any {
	if o, ok := t.objs[idx]; ok {
		return o
	}
	return t.k.gen(idx, s.w.seededCreated(idx))
}

func (s *Server) key(t *table, idx int64) okey {
	if idx < t.count {
		return okey{s.w.seededCreated(idx), idx}
	}
	c, _ := t.objs[idx]["created"].(int64)
	return okey{c, idx}
}

// find decodes id and returns its index when it names an object of t, live
// or deleted.
func (t *table) find(id string) (int64, bool) {
	idx, ok := t.k.codec.decode(id)
	if !ok || !t.exists(idx) {
		return 0, false
	}
	return idx, true
}

func deletedStub(object, id string) map[string]any {
	return map[string]any{"id": id, "object": object, "deleted": true}
}

// retrieveLocked answers GET /v1/{object}/{id}.
func (s *Server) retrieveLocked(k *kind, id string) (map[string]any, *Error) {
	t := s.tables[k.name]
	idx, ok := t.find(id)
	if !ok {
		return nil, errResourceMissing(k.object, id, "id")
	}
	if t.deleted[idx] {
		if k.delete == deleteStub && k.name == "customers" {
			return deletedStub(k.object, id), nil // Stripe answers deleted customers with the stub
		}
		return nil, errResourceMissing(k.object, id, "id")
	}
	return s.current(t, idx), nil
}

// checkParams rejects parameters the endpoint does not take and, for
// creates, missing required ones.
func checkParams(allowed map[string]bool, required []string, params map[string]any) *Error {
	for _, p := range slices.Sorted(maps.Keys(params)) {
		if !allowed[p] && p != "expand" {
			return errUnknownParam(p)
		}
	}
	for _, p := range required {
		if v, ok := params[p]; !ok || v == "" || v == nil {
			return errMissingParam(p)
		}
	}
	return nil
}

// checkRefs makes sure ids in reference parameters name live objects.
func (s *Server) checkRefs(k *kind, params map[string]any) *Error {
	for _, p := range slices.Sorted(maps.Keys(k.refs)) {
		v, ok := params[p]
		if !ok || v == nil || v == "" {
			continue
		}
		id, _ := v.(string)
		rt := s.tables[k.refs[p]]
		if idx, ok := rt.find(id); !ok || rt.deleted[idx] {
			return errMissingInParam(rt.k.object, id, p)
		}
	}
	return nil
}

// createLocked creates an object from params and emits its event.
func (s *Server) createLocked(k *kind, params map[string]any, req eventRequest) (map[string]any, *Error) {
	if err := checkParams(k.createParams, k.required, params); err != nil {
		return nil, err
	}
	if err := s.checkRefs(k, params); err != nil {
		return nil, err
	}
	t := s.tables[k.name]
	idx := t.next
	now := s.now().Unix()
	obj := k.gen(idx, now)
	for f, v := range k.blank {
		obj[f] = deepCopy(v)
	}
	obj["metadata"] = map[string]any{}
	if _, err := applyFields(obj, params); err != nil {
		return nil, err
	}
	if err := s.finish(k, obj, params, true); err != nil {
		return nil, err
	}
	t.next++
	t.objs[idx] = obj
	key := okey{now, idx}
	at := sort.Search(len(t.extra), func(i int) bool { return key.less(t.extra[i]) })
	t.extra = slices.Insert(t.extra, at, key)
	s.emit(k.event+"."+k.createEvent, obj, nil, req)
	return obj, nil
}

// updateLocked sets params on the object and emits <type>.updated with the
// previous values of what changed.
func (s *Server) updateLocked(k *kind, id string, params map[string]any, req eventRequest) (map[string]any, *Error) {
	t := s.tables[k.name]
	idx, ok := t.find(id)
	if !ok || t.deleted[idx] {
		return nil, errResourceMissing(k.object, id, "id")
	}
	if err := checkParams(k.updateParams, nil, params); err != nil {
		return nil, err
	}
	if err := s.checkRefs(k, params); err != nil {
		return nil, err
	}
	obj := deepCopy(s.current(t, idx)).(map[string]any)
	prev, err := applyFields(obj, params)
	if err != nil {
		return nil, err
	}
	if err := s.finish(k, obj, params, false); err != nil {
		return nil, err
	}
	if len(prev) == 0 {
		return s.current(t, idx), nil // nothing changed: Stripe sends no event
	}
	if _, ok := obj["updated"]; ok {
		obj["updated"] = s.now().Unix()
	}
	t.objs[idx] = obj
	s.emit(k.event+".updated", obj, prev, req)
	return obj, nil
}

// deleteLocked deletes (or, for subscriptions, cancels) an object and emits
// <type>.deleted. It returns what the DELETE endpoint answers.
func (s *Server) deleteLocked(k *kind, id string, req eventRequest) (map[string]any, *Error) {
	t := s.tables[k.name]
	idx, ok := t.find(id)
	if !ok || t.deleted[idx] {
		return nil, errResourceMissing(k.object, id, "id")
	}
	obj := s.current(t, idx)
	switch k.delete {
	case deleteNone:
		return nil, errUnrecognizedURL(http.MethodDelete, "/v1/"+k.name+"/"+id)
	case deleteStub:
		if k.name == "products" && s.productHasPrices(idx, id) {
			return nil, errInvalid("", "This product cannot be deleted because it has one or more user-created prices.")
		}
	case deleteDraftOnly:
		if obj["status"] != "draft" {
			return nil, errInvalid("", "You can only delete draft invoices.")
		}
	case deleteCancel:
		if t.canceled[idx] {
			return nil, errInvalid("", "A canceled subscription can only update its cancellation_details and metadata.")
		}
		now := s.now().Unix()
		obj = deepCopy(obj).(map[string]any)
		obj["status"] = "canceled"
		obj["canceled_at"] = now
		obj["ended_at"] = now
		obj["cancellation_details"] = map[string]any{"comment": nil, "feedback": nil, "reason": "cancellation_requested"}
		t.objs[idx] = obj
		t.canceled[idx] = true
		s.emit(k.event+".deleted", obj, nil, req)
		return obj, nil
	}
	t.deleted[idx] = true
	s.emit(k.event+".deleted", obj, nil, req)
	return deletedStub(k.object, id), nil
}

// finish derives the fields that follow from others after a write.
func (s *Server) finish(k *kind, obj, params map[string]any, create bool) *Error {
	now := s.now().Unix()
	switch k.name {
	case "products":
		if create {
			obj["updated"] = now
		}
	case "prices":
		if create {
			if rec, ok := obj["recurring"].(map[string]any); ok {
				obj["type"] = "recurring"
				r := map[string]any{"interval": rec["interval"], "interval_count": int64(1), "meter": nil,
					"trial_period_days": nil, "usage_type": "licensed"}
				maps.Copy(r, rec)
				if r["interval"] == nil {
					return errMissingParam("recurring[interval]")
				}
				obj["recurring"] = r
			}
			if amt, ok := obj["unit_amount"].(int64); ok {
				obj["unit_amount_decimal"] = strconv.FormatInt(amt, 10)
			}
		}
	case "invoices":
		if create {
			id := obj["id"].(string)
			obj["lines"] = map[string]any{"object": "list", "data": []any{}, "has_more": false,
				"total_count": int64(0), "url": "/v1/invoices/" + id + "/lines"}
			obj["period_start"], obj["period_end"] = now, now
			obj["webhooks_delivered_at"] = nil
			obj["customer_email"], obj["customer_name"] = nil, nil
			if ct := s.tables["customers"]; ct != nil {
				if ci, ok := ct.find(stringOf(obj["customer"])); ok {
					c := s.current(ct, ci)
					obj["customer_email"], obj["customer_name"] = c["email"], c["name"]
					if cur, ok := c["currency"].(string); ok && params["currency"] == nil {
						obj["currency"] = cur
					}
				}
			}
		}
	case "subscriptions":
		if create {
			return s.subscriptionItems(obj, params["items"], now)
		}
	case "charges":
		if create {
			amt, _ := obj["amount"].(int64)
			if amt < 50 {
				return &Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "amount_too_small",
					DocURL: docURL("amount_too_small"), Param: "amount",
					Message: "Amount must be at least $0.50 usd"}
			}
			obj["amount_captured"] = amt
			if c, err := coerce("capture", nil, params["capture"]); err == nil && c == false {
				obj["captured"], obj["amount_captured"] = false, int64(0)
			}
			obj["failure_code"], obj["failure_message"] = nil, nil
			obj["outcome"] = map[string]any{"network_status": "approved_by_network", "reason": nil, "risk_level": "normal",
				"risk_score": int64(20), "seller_message": "Payment complete.", "type": "authorized"}
		}
	}
	return nil
}

// subscriptionItems builds a new subscription's items list from the items
// parameter: [{price: price_..., quantity: n}, ...].
func (s *Server) subscriptionItems(obj map[string]any, items any, now int64) *Error {
	list, ok := items.([]any)
	if !ok || len(list) == 0 {
		return errInvalid("items", "Invalid array")
	}
	id := obj["id"].(string)
	idx, _ := s.w.kinds["subscriptions"].codec.decode(id)
	pt := s.tables["prices"]
	data := make([]any, 0, len(list))
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return errInvalid("items["+strconv.Itoa(i)+"]", "Invalid hash")
		}
		pid := stringOf(m["price"])
		if pid == "" {
			return errMissingParam("items[" + strconv.Itoa(i) + "][price]")
		}
		pidx, ok := pt.find(pid)
		if !ok {
			return errMissingInParam("price", pid, "items["+strconv.Itoa(i)+"][price]")
		}
		price := deepCopy(s.current(pt, pidx)).(map[string]any)
		qty := int64(1)
		if q, err := coerce("quantity", nil, m["quantity"]); err != nil {
			return err
		} else if q != nil {
			qty = q.(int64)
		}
		end := now + 30*86400
		if rec, ok := price["recurring"].(map[string]any); ok && rec["interval"] == "year" {
			end = now + 365*86400
		}
		if i == 0 {
			obj["currency"] = price["currency"]
		}
		data = append(data, map[string]any{
			"id": s.w.codec("si_").encode(idx | int64(i)<<36), "object": "subscription_item", "created": now,
			"current_period_start": now, "current_period_end": end, "discounts": []any{},
			"metadata": map[string]any{}, "price": price, "quantity": qty, "subscription": id, "tax_rates": []any{},
		})
	}
	obj["items"] = map[string]any{"object": "list", "data": data, "has_more": false,
		"total_count": int64(len(data)), "url": "/v1/subscription_items?subscription=" + id}
	obj["billing_cycle_anchor"], obj["start_date"] = now, now
	return nil
}

// productHasPrices reports whether any price (they cannot be deleted)
// references the product, which stops Stripe from deleting it.
func (s *Server) productHasPrices(idx int64, id string) bool {
	pt := s.tables["prices"]
	if idx < s.w.counts["products"] && idx < pt.count {
		return true // seeded price idx references seeded product idx
	}
	for pidx, p := range pt.objs {
		if pidx >= pt.count && p["product"] == id {
			return true
		}
	}
	return false
}

package fake

import (
	"fmt"
	"strconv"
)

// Invoices move through their lifecycle with action endpoints:
// POST /v1/invoices/{id}/finalize, /pay, /void and /mark_uncollectible. Each
// checks the status it starts from, as Stripe does, and emits its event.

type invoiceAction struct {
	from  string // the status the action starts from
	to    string
	event string
}

var invoiceActions = map[string]invoiceAction{
	"finalize":           {from: "draft", to: "open", event: "invoice.finalized"},
	"pay":                {from: "open", to: "paid", event: "invoice.paid"},
	"void":               {from: "open", to: "void", event: "invoice.voided"},
	"mark_uncollectible": {from: "open", to: "uncollectible", event: "invoice.marked_uncollectible"},
}

// InvoiceAction runs one invoice action (finalize, pay, void,
// mark_uncollectible) as its endpoint would, and returns the invoice.
func (s *Server) InvoiceAction(id, action string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, e := s.invoiceActionLocked(id, action, eventRequest{})
	if e != nil {
		return nil, e
	}
	return deepCopy(obj).(map[string]any), nil
}

func (c *call) invoiceAction(id, action string) {
	if _, ok := c.writeParams(); !ok {
		return
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	obj, e := c.s.invoiceActionLocked(id, action, c.eventRequest())
	if e != nil {
		c.fail(e)
		return
	}
	c.ok(obj)
}

func (s *Server) invoiceActionLocked(id, action string, req eventRequest) (map[string]any, *Error) {
	a, ok := invoiceActions[action]
	if !ok {
		return nil, errInvalid("", fmt.Sprintf("Unknown invoice action %q", action))
	}
	t := s.tables["invoices"]
	idx, ok := t.find(id)
	if !ok || t.deleted[idx] {
		return nil, errResourceMissing("invoice", id, "id")
	}
	old := s.current(t, idx)
	if old["status"] != a.from {
		return nil, &Error{Status: 400, Type: "invalid_request_error", Code: "invoice_unexpected_state",
			DocURL:  docURL("invoice_unexpected_state"),
			Message: fmt.Sprintf("This invoice is %v; %s needs an invoice that is %s.", old["status"], action, a.from)}
	}
	now := s.now().Unix()
	obj := deepCopy(old).(map[string]any)
	transitions, _ := obj["status_transitions"].(map[string]any)
	if transitions == nil {
		transitions = map[string]any{}
		obj["status_transitions"] = transitions
	}
	obj["status"] = a.to
	switch action {
	case "finalize":
		obj["number"] = "FERRY-" + strconv.FormatInt(1000+idx, 10)
		obj["hosted_invoice_url"] = "https://invoice.stripe.com/i/acct_ferry/test_" + id[3:]
		obj["invoice_pdf"] = "https://pay.stripe.com/invoice/acct_ferry/test_" + id[3:] + "/pdf"
		obj["ending_balance"] = int64(0)
		obj["amount_remaining"] = obj["amount_due"]
		transitions["finalized_at"] = now
	case "pay":
		obj["amount_paid"], obj["amount_remaining"] = obj["amount_due"], int64(0)
		obj["attempted"], obj["attempt_count"] = true, int64(1)
		obj["auto_advance"] = false
		transitions["paid_at"] = now
	case "void":
		obj["amount_remaining"], obj["auto_advance"] = int64(0), false
		transitions["voided_at"] = now
	case "mark_uncollectible":
		obj["auto_advance"] = false
		transitions["marked_uncollectible_at"] = now
	}
	prev := map[string]any{}
	for k, v := range old {
		if !jsonEqual(v, obj[k]) {
			prev[k] = v
		}
	}
	t.objs[idx] = obj
	s.emit(a.event, obj, nil, req)
	if action == "pay" {
		s.emit("invoice.payment_succeeded", obj, nil, req)
	}
	s.emit("invoice.updated", obj, prev, req)
	return obj, nil
}

func jsonEqual(a, b any) bool {
	x, err1 := appendJSON(nil, a, 0)
	y, err2 := appendJSON(nil, b, 0)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

package fake

import (
	"strconv"
	"strings"
)

// Seeded objects are never stored: each is built on demand from (seed, type,
// index) by the functions in this file, so seeding a million customers costs
// nothing until they are read. Only writes are kept (see store.go).
//
// A seeded object of index i was created at Start + i/PerSecond, so created
// is non-decreasing with the index and PerSecond objects share each second.
// Objects that reference customers, products or prices reference seeded ones
// that are no newer than themselves where the counts allow it.

// rng is a SplitMix64 stream: deterministic, cheap, allocation-free.
type rng uint64

func newRNG(seed int64, salt string, idx int64) rng {
	return rng(splitmix64(uint64(seed) ^ hashString(salt) ^ uint64(idx)*0x2545f4914f6cdd1d))
}

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	return splitmix64(uint64(*r))
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// chance is true with probability p percent.
func (r *rng) chance(p int) bool { return r.intn(100) < p }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

var (
	firstNames = []string{"Jenny", "Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances",
		"Edsger", "Radia", "Donald", "Hedy", "John", "Katherine", "Tim", "Sophie", "Yukihiro", "Anita"}
	lastNames = []string{"Rosen", "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
		"Allen", "Dijkstra", "Perlman", "Knuth", "Lamarr", "McCarthy", "Johnson", "Berners-Lee", "Wilson", "Matsumoto", "Borg"}
	places = []struct{ city, state, country, postal string }{
		{"San Francisco", "CA", "US", "94107"}, {"New York", "NY", "US", "10001"}, {"Austin", "TX", "US", "73301"},
		{"Seattle", "WA", "US", "98101"}, {"Dublin", "", "IE", "D02 X285"}, {"Berlin", "", "DE", "10115"},
		{"Paris", "", "FR", "75001"}, {"Toronto", "ON", "CA", "M5H 2N2"}, {"Sydney", "NSW", "AU", "2000"},
		{"London", "", "GB", "EC1A 1BB"},
	}
	streets      = []string{"Market St", "Main St", "Oak Ave", "Pine St", "Elm St", "Maple Ave", "Cedar Rd", "Lake Dr"}
	productNames = []string{"Starter plan", "Pro plan", "Team plan", "Enterprise plan", "T-shirt", "Hoodie", "Sticker pack",
		"API credits", "Support add-on", "Storage add-on", "Seat", "Onboarding"}
	currencies = []string{"usd", "usd", "usd", "usd", "eur", "gbp"}
	brands     = []string{"visa", "visa", "mastercard", "amex", "discover"}
)

// seededCreated is the created second of seeded index idx.
func (w *world) seededCreated(idx int64) int64 {
	return w.start + idx/int64(w.perSecond)
}

// ref returns the id of a seeded object of type name that an object of index
// idx out of n (of its own type) references: uniformly among the first
// idx*count/n+1 objects, so it is usually no newer than the referrer. It
// returns nil when no object of that type is seeded.
func (w *world) ref(r *rng, name string, idx, n int64) any {
	count := w.counts[name]
	if count == 0 {
		return nil
	}
	lim := count
	if n > 0 && idx < n {
		lim = min(count, idx*count/n+1)
	}
	return w.kinds[name].codec.encode(int64(r.next() % uint64(lim)))
}

func (w *world) refIndex(name, id string) (int64, bool) {
	idx, ok := w.kinds[name].codec.decode(id)
	return idx, ok && idx < w.counts[name]
}

func nullableAddress(city, country, line1, line2, postal, state any) map[string]any {
	return map[string]any{"city": city, "country": country, "line1": line1, "line2": line2, "postal_code": postal, "state": state}
}

func emptyAddress() map[string]any { return nullableAddress(nil, nil, nil, nil, nil, nil) }

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// customerEmail is the generated email of customer idx; the index is readable
// from it, which makes the customers list's email filter O(1) on seeded data.
func customerEmail(first, last string, idx int64) string {
	return strings.ToLower(first) + "." + strings.ToLower(strings.ReplaceAll(last, "-", "")) + "." + strconv.FormatInt(idx, 10) + "@example.com"
}

// emailIndex returns the index a generated email was made for.
func emailIndex(email string) (int64, bool) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return 0, false
	}
	dot := strings.LastIndexByte(email[:at], '.')
	idx, err := strconv.ParseInt(email[dot+1:at], 10, 64)
	return idx, err == nil && idx >= 0
}

// customerContact returns the generated email and name of seeded customer
// idx: the first draws of genCustomer, without building the customer.
func (w *world) customerContact(idx int64) (email, name string) {
	r := newRNG(w.seed, "customers", idx)
	first, last := pick(&r, firstNames), pick(&r, lastNames)
	return customerEmail(first, last, idx), first + " " + last
}

func (w *world) genCustomer(idx, created int64) map[string]any {
	r := newRNG(w.seed, "customers", idx)
	first, last := pick(&r, firstNames), pick(&r, lastNames) // customerContact relies on these being first
	p := pick(&r, places)
	balance := int64(0)
	if r.chance(10) {
		balance = int64(r.intn(20000)) - 10000
	}
	var line2 any
	if r.chance(20) {
		line2 = "Suite " + strconv.Itoa(100+r.intn(900))
	}
	return map[string]any{
		"id":                    w.kinds["customers"].codec.encode(idx),
		"object":                "customer",
		"address":               nullableAddress(p.city, p.country, strconv.Itoa(1+r.intn(999))+" "+pick(&r, streets), line2, p.postal, orNil(p.state)),
		"balance":               balance,
		"created":               created,
		"currency":              pick(&r, currencies),
		"default_source":        nil,
		"delinquent":            r.chance(5),
		"description":           first + " " + last + " (seeded)",
		"discount":              nil,
		"email":                 customerEmail(first, last, idx),
		"invoice_prefix":        strings.ToUpper(strconv.FormatUint(r.next()%0xFFFFFFF+0x1000000, 16)),
		"invoice_settings":      map[string]any{"custom_fields": nil, "default_payment_method": nil, "footer": nil, "rendering_options": nil},
		"livemode":              false,
		"metadata":              map[string]any{},
		"name":                  first + " " + last,
		"next_invoice_sequence": int64(1 + r.intn(20)),
		"phone":                 "+1555" + strconv.Itoa(1000000+r.intn(9000000)),
		"preferred_locales":     []any{},
		"shipping":              nil,
		"tax_exempt":            "none",
		"test_clock":            nil,
	}
}

func (w *world) genProduct(idx, created int64) map[string]any {
	r := newRNG(w.seed, "products", idx)
	name := pick(&r, productNames)
	var defaultPrice any
	if idx < w.counts["prices"] {
		defaultPrice = w.kinds["prices"].codec.encode(idx) // price idx references product idx
	}
	return map[string]any{
		"id":                   w.kinds["products"].codec.encode(idx),
		"object":               "product",
		"active":               !r.chance(5),
		"created":              created,
		"default_price":        defaultPrice,
		"description":          name + " #" + strconv.FormatInt(idx, 10),
		"images":               []any{},
		"livemode":             false,
		"marketing_features":   []any{},
		"metadata":             map[string]any{},
		"name":                 name,
		"package_dimensions":   nil,
		"shippable":            nil,
		"statement_descriptor": nil,
		"tax_code":             nil,
		"unit_label":           nil,
		"updated":              created,
		"url":                  nil,
	}
}

func (w *world) genPrice(idx, created int64) map[string]any {
	r := newRNG(w.seed, "prices", idx)
	var product any
	if n := w.counts["products"]; n > 0 {
		product = w.kinds["products"].codec.encode(idx % n)
	}
	amount := int64(100 * (1 + r.intn(200)))
	var recurring any
	typ := "one_time"
	if r.chance(70) {
		typ = "recurring"
		interval := "month"
		if r.chance(25) {
			interval = "year"
		}
		recurring = map[string]any{"interval": interval, "interval_count": int64(1), "meter": nil, "trial_period_days": nil, "usage_type": "licensed"}
	}
	return map[string]any{
		"id":                  w.kinds["prices"].codec.encode(idx),
		"object":              "price",
		"active":              !r.chance(5),
		"billing_scheme":      "per_unit",
		"created":             created,
		"currency":            pick(&r, currencies),
		"custom_unit_amount":  nil,
		"livemode":            false,
		"lookup_key":          nil,
		"metadata":            map[string]any{},
		"nickname":            nil,
		"product":             product,
		"recurring":           recurring,
		"tax_behavior":        "unspecified",
		"tiers_mode":          nil,
		"transform_quantity":  nil,
		"type":                typ,
		"unit_amount":         amount,
		"unit_amount_decimal": strconv.FormatInt(amount, 10),
	}
}

var invoiceStatuses = []string{"paid", "paid", "paid", "paid", "open", "open", "draft", "void", "uncollectible"}

func (w *world) genInvoice(idx, created int64) map[string]any {
	r := newRNG(w.seed, "invoices", idx)
	id := w.kinds["invoices"].codec.encode(idx)
	customer := w.ref(&r, "customers", idx, w.counts["invoices"])
	status := pick(&r, invoiceStatuses)
	amount := int64(100 * (1 + r.intn(500)))
	paid := int64(0)
	if status == "paid" {
		paid = amount
	}
	remaining := amount - paid
	if status == "void" || status == "draft" {
		remaining = 0
	}
	if status == "draft" {
		remaining = amount
	}
	var number, hosted, pdf, finalized, paidAt, voidedAt, uncollectibleAt any
	if status != "draft" {
		number = "FERRY-" + strconv.FormatInt(1000+idx, 10)
		hosted = "https://invoice.stripe.com/i/acct_ferry/test_" + id[3:]
		pdf = "https://pay.stripe.com/invoice/acct_ferry/test_" + id[3:] + "/pdf"
		finalized = created + 60
	}
	switch status {
	case "paid":
		paidAt = created + 120
	case "void":
		voidedAt = created + 3600
	case "uncollectible":
		uncollectibleAt = created + 86400
	}
	currency := pick(&r, currencies)
	var email, name any
	if ci, ok := w.refIndex("customers", stringOf(customer)); ok {
		email, name = w.customerContact(ci)
	}
	lineID := w.codec("il_").encode(idx)
	return map[string]any{
		"id":                     id,
		"object":                 "invoice",
		"account_country":        "US",
		"account_name":           "Ferry Demo",
		"amount_due":             amount,
		"amount_paid":            paid,
		"amount_remaining":       remaining,
		"amount_shipping":        int64(0),
		"application":            nil,
		"attempt_count":          int64(min(1, paid)),
		"attempted":              status != "draft",
		"auto_advance":           status == "draft" || status == "open",
		"billing_reason":         "manual",
		"collection_method":      "charge_automatically",
		"created":                created,
		"currency":               currency,
		"customer":               customer,
		"customer_email":         email,
		"customer_name":          name,
		"default_payment_method": nil,
		"description":            nil,
		"discounts":              []any{},
		"due_date":               nil,
		"ending_balance":         endingBalance(status),
		"footer":                 nil,
		"hosted_invoice_url":     hosted,
		"invoice_pdf":            pdf,
		"lines": map[string]any{
			"object": "list",
			"data": []any{map[string]any{
				"id": lineID, "object": "line_item", "amount": amount, "currency": currency,
				"description": "Ferry demo line", "discount_amounts": []any{}, "discountable": true, "discounts": []any{},
				"invoice": id, "livemode": false, "metadata": map[string]any{},
				"period": map[string]any{"end": created, "start": created}, "quantity": int64(1),
			}},
			"has_more":    false,
			"total_count": int64(1),
			"url":         "/v1/invoices/" + id + "/lines",
		},
		"livemode":             false,
		"metadata":             map[string]any{},
		"next_payment_attempt": nil,
		"number":               number,
		"on_behalf_of":         nil,
		"period_end":           created,
		"period_start":         created,
		"receipt_number":       nil,
		"starting_balance":     int64(0),
		"statement_descriptor": nil,
		"status":               status,
		"status_transitions": map[string]any{"finalized_at": finalized, "marked_uncollectible_at": uncollectibleAt,
			"paid_at": paidAt, "voided_at": voidedAt},
		"subtotal":               amount,
		"subtotal_excluding_tax": amount,
		"test_clock":             nil,
		"total":                  amount,
		"total_excluding_tax":    amount,
		"webhooks_delivered_at":  created,
	}
}

func endingBalance(status string) any {
	if status == "draft" {
		return nil
	}
	return int64(0)
}

var subscriptionStatuses = []string{"active", "active", "active", "active", "active", "trialing", "past_due"}

func (w *world) genSubscription(idx, created int64) map[string]any {
	r := newRNG(w.seed, "subscriptions", idx)
	id := w.kinds["subscriptions"].codec.encode(idx)
	customer := w.ref(&r, "customers", idx, w.counts["subscriptions"])
	var price any
	if n := w.counts["prices"]; n > 0 {
		pi := int64(r.next() % uint64(n))
		price = w.genPrice(pi, w.seededCreated(pi))
	}
	status := pick(&r, subscriptionStatuses)
	period := int64(30 * 86400)
	start := created
	var trialStart, trialEnd any
	if status == "trialing" {
		trialStart, trialEnd = created, created+14*86400
	}
	currency := "usd"
	if p, ok := price.(map[string]any); ok {
		currency = p["currency"].(string)
	}
	return map[string]any{
		"id":                      id,
		"object":                  "subscription",
		"application":             nil,
		"application_fee_percent": nil,
		"automatic_tax":           map[string]any{"disabled_reason": nil, "enabled": false, "liability": nil},
		"billing_cycle_anchor":    start,
		"cancel_at":               nil,
		"cancel_at_period_end":    false,
		"canceled_at":             nil,
		"cancellation_details":    map[string]any{"comment": nil, "feedback": nil, "reason": nil},
		"collection_method":       "charge_automatically",
		"created":                 created,
		"currency":                currency,
		"customer":                customer,
		"days_until_due":          nil,
		"default_payment_method":  nil,
		"default_source":          nil,
		"default_tax_rates":       []any{},
		"description":             nil,
		"discounts":               []any{},
		"ended_at":                nil,
		"items": map[string]any{
			"object": "list",
			"data": []any{map[string]any{
				"id": w.codec("si_").encode(idx), "object": "subscription_item", "created": created,
				"current_period_start": start, "current_period_end": start + period, "discounts": []any{},
				"metadata": map[string]any{}, "price": price, "quantity": int64(1 + r.intn(5)),
				"subscription": id, "tax_rates": []any{},
			}},
			"has_more":    false,
			"total_count": int64(1),
			"url":         "/v1/subscription_items?subscription=" + id,
		},
		"latest_invoice":       nil,
		"livemode":             false,
		"metadata":             map[string]any{},
		"on_behalf_of":         nil,
		"pause_collection":     nil,
		"pending_setup_intent": nil,
		"pending_update":       nil,
		"schedule":             nil,
		"start_date":           start,
		"status":               status,
		"test_clock":           nil,
		"transfer_data":        nil,
		"trial_end":            trialEnd,
		"trial_start":          trialStart,
	}
}

func (w *world) genCharge(idx, created int64) map[string]any {
	r := newRNG(w.seed, "charges", idx)
	id := w.kinds["charges"].codec.encode(idx)
	customer := w.ref(&r, "customers", idx, w.counts["charges"])
	amount := int64(100 * (1 + r.intn(500)))
	failed := r.chance(8)
	status, paid, captured := "succeeded", true, true
	var failureCode, failureMessage, sellerMessage any = nil, nil, "Payment complete."
	outcomeType, networkStatus := "authorized", "approved_by_network"
	if failed {
		status, paid, captured = "failed", false, false
		failureCode, failureMessage = "card_declined", "Your card was declined."
		sellerMessage, outcomeType, networkStatus = "The bank did not return any further details with this decline.", "issuer_declined", "declined_by_network"
	}
	refunded := int64(0)
	if !failed && r.chance(5) {
		refunded = amount
	}
	captureAmount := amount
	if failed {
		captureAmount = 0
	}
	brand := pick(&r, brands)
	last4 := strconv.Itoa(1000 + r.intn(9000))
	return map[string]any{
		"id":                              id,
		"object":                          "charge",
		"amount":                          amount,
		"amount_captured":                 captureAmount,
		"amount_refunded":                 refunded,
		"application":                     nil,
		"application_fee":                 nil,
		"application_fee_amount":          nil,
		"balance_transaction":             w.codec("txn_").encode(idx),
		"billing_details":                 map[string]any{"address": emptyAddress(), "email": nil, "name": nil, "phone": nil},
		"calculated_statement_descriptor": "FERRY DEMO",
		"captured":                        captured,
		"created":                         created,
		"currency":                        pick(&r, currencies),
		"customer":                        customer,
		"description":                     nil,
		"disputed":                        false,
		"failure_balance_transaction":     nil,
		"failure_code":                    failureCode,
		"failure_message":                 failureMessage,
		"fraud_details":                   map[string]any{},
		"livemode":                        false,
		"metadata":                        map[string]any{},
		"on_behalf_of":                    nil,
		"outcome": map[string]any{"network_status": networkStatus, "reason": nil, "risk_level": "normal",
			"risk_score": int64(r.intn(100)), "seller_message": sellerMessage, "type": outcomeType},
		"paid":           paid,
		"payment_intent": w.codec("pi_").encode(idx),
		"payment_method": w.codec("pm_").encode(idx),
		"payment_method_details": map[string]any{"type": "card", "card": map[string]any{
			"brand": brand, "country": "US", "exp_month": int64(1 + r.intn(12)), "exp_year": int64(2027 + r.intn(6)),
			"fingerprint": w.codec("fp").encode(idx)[2:], "funding": "credit", "last4": last4, "network": brand,
			"checks": map[string]any{"address_line1_check": nil, "address_postal_code_check": nil, "cvc_check": "pass"},
		}},
		"receipt_email":               nil,
		"receipt_number":              nil,
		"receipt_url":                 "https://pay.stripe.com/receipts/payment/" + id,
		"refunded":                    refunded == amount && refunded > 0,
		"review":                      nil,
		"shipping":                    nil,
		"source_transfer":             nil,
		"statement_descriptor":        nil,
		"statement_descriptor_suffix": nil,
		"status":                      status,
		"transfer_data":               nil,
		"transfer_group":              nil,
	}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// seededField returns one field of seeded object idx without building the
// object, for the list filters that scan: the customer of invoices,
// subscriptions and charges (the first draw of their generators) and the
// product of prices. ok is false for other fields.
func (w *world) seededField(name string, idx int64, field string) (string, bool) {
	switch {
	case field == "customer" && (name == "invoices" || name == "subscriptions" || name == "charges"):
		r := newRNG(w.seed, name, idx)
		return stringOf(w.ref(&r, "customers", idx, w.counts[name])), true
	case field == "product" && name == "prices":
		if n := w.counts["products"]; n > 0 {
			return w.kinds["products"].codec.encode(idx % n), true
		}
		return "", true
	}
	return "", false
}

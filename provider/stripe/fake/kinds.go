package fake

// kind describes one object type the fake serves: its names, how its seeded
// objects are generated, which parameters its create and update accept, how it
// can be deleted and which list filters it has.
type kind struct {
	name   string // path segment and Config.Counts key: "customers"
	object string // the object field: "customer"
	event  string // event type prefix: "customer", "customer.subscription"
	codec  idCodec
	gen    func(idx, created int64) map[string]any

	// createEvent is the event a create emits after event+".": Stripe emits
	// charge.succeeded (there is no charge.created), <type>.created otherwise.
	createEvent string
	// blank holds the fields a created object starts with, over a generated
	// one: what the caller did not set is empty, as in Stripe.
	blank        map[string]any
	createParams map[string]bool
	updateParams map[string]bool
	required     []string
	// refs are parameters holding ids of other types, checked to exist.
	refs   map[string]string
	delete deleteMode
	// filters maps list parameters to the top-level field they compare.
	filters map[string]string
}

type deleteMode int

const (
	deleteNone      deleteMode = iota // no DELETE endpoint (prices, charges)
	deleteStub                        // removed, answers the deleted stub (customers, products)
	deleteDraftOnly                   // only drafts can be deleted (invoices)
	deleteCancel                      // DELETE cancels (subscriptions)
)

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// objectNames is the order Objects returns.
var objectNames = []string{"customers", "products", "prices", "invoices", "subscriptions", "charges"}

func (w *world) buildKinds() {
	add := func(k *kind) {
		w.kinds[k.name] = k
	}
	add(&kind{
		name: "customers", object: "customer", event: "customer", codec: newIDCodec(w.seed, "cus_"),
		gen: w.genCustomer, createEvent: "created",
		blank: map[string]any{"address": nil, "balance": int64(0), "currency": nil, "delinquent": false, "description": nil,
			"email": nil, "name": nil, "phone": nil, "next_invoice_sequence": int64(1)},
		createParams: set("address", "balance", "description", "email", "invoice_prefix", "metadata", "name",
			"next_invoice_sequence", "phone", "preferred_locales", "shipping", "tax_exempt"),
		updateParams: set("address", "balance", "description", "email", "invoice_prefix", "metadata", "name",
			"next_invoice_sequence", "phone", "preferred_locales", "shipping", "tax_exempt"),
		delete:  deleteStub,
		filters: map[string]string{"email": "email"},
	})
	add(&kind{
		name: "products", object: "product", event: "product", codec: newIDCodec(w.seed, "prod_"),
		gen: w.genProduct, createEvent: "created",
		blank: map[string]any{"active": true, "default_price": nil, "description": nil},
		createParams: set("active", "description", "images", "metadata", "name", "shippable",
			"statement_descriptor", "tax_code", "unit_label", "url"),
		updateParams: set("active", "default_price", "description", "images", "metadata", "name", "shippable",
			"statement_descriptor", "tax_code", "unit_label", "url"),
		required: []string{"name"},
		refs:     map[string]string{"default_price": "prices"},
		delete:   deleteStub,
		filters:  map[string]string{"active": "active", "shippable": "shippable", "url": "url"},
	})
	add(&kind{
		name: "prices", object: "price", event: "price", codec: newIDCodec(w.seed, "price_"),
		gen: w.genPrice, createEvent: "created",
		blank: map[string]any{"active": true, "recurring": nil, "type": "one_time", "unit_amount": nil, "unit_amount_decimal": nil},
		createParams: set("active", "billing_scheme", "currency", "lookup_key", "metadata", "nickname", "product",
			"recurring", "tax_behavior", "unit_amount"),
		updateParams: set("active", "lookup_key", "metadata", "nickname", "tax_behavior"),
		required:     []string{"currency", "product"},
		refs:         map[string]string{"product": "products"},
		delete:       deleteNone,
		filters:      map[string]string{"active": "active", "currency": "currency", "product": "product", "type": "type"},
	})
	add(&kind{
		name: "invoices", object: "invoice", event: "invoice", codec: newIDCodec(w.seed, "in_"),
		gen: w.genInvoice, createEvent: "created",
		blank: map[string]any{"amount_due": int64(0), "amount_paid": int64(0), "amount_remaining": int64(0),
			"attempt_count": int64(0), "attempted": false, "auto_advance": false, "description": nil, "ending_balance": nil,
			"hosted_invoice_url": nil, "invoice_pdf": nil, "number": nil, "status": "draft", "subtotal": int64(0),
			"subtotal_excluding_tax": int64(0), "total": int64(0), "total_excluding_tax": int64(0),
			"status_transitions": map[string]any{"finalized_at": nil, "marked_uncollectible_at": nil, "paid_at": nil, "voided_at": nil}},
		createParams: set("auto_advance", "collection_method", "currency", "customer", "days_until_due", "description",
			"footer", "metadata", "subscription"),
		updateParams: set("auto_advance", "collection_method", "days_until_due", "description", "due_date", "footer", "metadata"),
		required:     []string{"customer"},
		refs:         map[string]string{"customer": "customers", "subscription": "subscriptions"},
		delete:       deleteDraftOnly,
		filters: map[string]string{"collection_method": "collection_method", "customer": "customer",
			"status": "status", "subscription": "subscription"},
	})
	add(&kind{
		name: "subscriptions", object: "subscription", event: "customer.subscription", codec: newIDCodec(w.seed, "sub_"),
		gen: w.genSubscription, createEvent: "created",
		blank: map[string]any{"status": "active", "trial_end": nil, "trial_start": nil, "description": nil},
		createParams: set("cancel_at_period_end", "collection_method", "customer", "days_until_due",
			"default_payment_method", "description", "items", "metadata", "trial_end"),
		updateParams: set("cancel_at_period_end", "collection_method", "days_until_due", "default_payment_method",
			"description", "metadata", "trial_end"),
		required: []string{"customer", "items"},
		refs:     map[string]string{"customer": "customers"},
		delete:   deleteCancel,
		filters: map[string]string{"collection_method": "collection_method", "customer": "customer",
			"price": "price", "status": "status"},
	})
	add(&kind{
		name: "charges", object: "charge", event: "charge", codec: newIDCodec(w.seed, "ch_"),
		gen: w.genCharge, createEvent: "succeeded",
		blank: map[string]any{"amount_refunded": int64(0), "refunded": false, "status": "succeeded", "paid": true,
			"captured": true, "failure_code": nil, "failure_message": nil, "customer": nil, "description": nil},
		createParams: set("amount", "capture", "currency", "customer", "description", "metadata", "receipt_email",
			"shipping", "source", "statement_descriptor", "statement_descriptor_suffix", "transfer_group"),
		updateParams: set("customer", "description", "fraud_details", "metadata", "receipt_email", "shipping", "transfer_group"),
		required:     []string{"amount", "currency"},
		refs:         map[string]string{"customer": "customers"},
		delete:       deleteNone,
		filters:      map[string]string{"customer": "customer", "payment_intent": "payment_intent", "transfer_group": "transfer_group"},
	})
}

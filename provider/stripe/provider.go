package stripe

import (
	"net/url"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/provider"
)

var _ provider.Provider = (*Provider)(nil)

// Provider is the Stripe provider: its name, its objects and their fields.
type Provider struct{}

// New returns the Stripe provider.
func New() *Provider { return &Provider{} }

// Name returns "stripe".
func (*Provider) Name() string { return "stripe" }

// Objects lists the objects Ferry syncs from Stripe with their top-level
// fields, as of StripeVersion. Expandable references (a customer's
// default_source, an invoice's customer) are listed unexpanded, so they are
// String ids; unix times are Timestamp; nested objects, arrays and metadata
// are JSON. The whole object is kept in Record.Raw either way.
func (*Provider) Objects() []ferry.Object {
	out := make([]ferry.Object, len(objects))
	for i, o := range objects {
		out[i] = ferry.Object{Name: o.Name, Fields: append([]ferry.Field(nil), o.Fields...)}
	}
	return out
}

// Open returns a connection with the provider's defaults. It does no I/O.
func (*Provider) Open(cfg provider.Config) (provider.Conn, error) {
	return NewClient(Config{Config: cfg})
}

// objectInfo is how one object is fetched: its list path, the prefix of its
// event types and the "object" value its snapshots carry in events.
type objectInfo struct {
	path      string // /v1/customers
	eventType string // customer.*
	kind      string // customer
	// listParams are added to every list request of the object.
	listParams map[string]string
	// cancelIsUpdate: a *.deleted event is not a deletion. Stripe's
	// customer.subscription.deleted is a cancellation, and Ferry lists
	// subscriptions with status=all, so a canceled subscription stays in
	// full listings (status canceled) and in the destination.
	cancelIsUpdate bool
}

var objectInfos = map[string]objectInfo{
	"customers": {path: "/v1/customers", eventType: "customer.*", kind: "customer"},
	"products":  {path: "/v1/products", eventType: "product.*", kind: "product"},
	"prices":    {path: "/v1/prices", eventType: "price.*", kind: "price"},
	"invoices":  {path: "/v1/invoices", eventType: "invoice.*", kind: "invoice"},
	"subscriptions": {path: "/v1/subscriptions", eventType: "customer.subscription.*", kind: "subscription",
		listParams: map[string]string{"status": "all"}, cancelIsUpdate: true},
	"charges": {path: "/v1/charges", eventType: "charge.*", kind: "charge"},
}

// query returns the list parameters every request for the object carries.
func (o objectInfo) query() url.Values {
	q := url.Values{}
	for k, v := range o.listParams {
		q.Set(k, v)
	}
	return q
}

// lookup returns how to fetch object, or an EINVALID error naming the valid
// objects.
func lookup(object string) (objectInfo, error) {
	if info, ok := objectInfos[object]; ok {
		return info, nil
	}
	_, err := provider.Object(New(), object)
	return objectInfo{}, err
}

func f(name string, t ferry.FieldType) ferry.Field { return ferry.Field{Name: name, Type: t} }

// objects is generated from the OpenAPI spec of StripeVersion (the schemas
// customer, product, price, invoice, subscription, charge).
var objects = []ferry.Object{
	{Name: "customers", Fields: []ferry.Field{
		f("id", ferry.String), f("object", ferry.String), f("created", ferry.Timestamp), f("address", ferry.JSON),
		f("balance", ferry.Integer), f("business_name", ferry.String), f("cash_balance", ferry.JSON),
		f("currency", ferry.String), f("customer_account", ferry.String), f("default_source", ferry.String),
		f("delinquent", ferry.Boolean), f("description", ferry.String), f("discount", ferry.JSON),
		f("email", ferry.String), f("individual_name", ferry.String), f("invoice_credit_balance", ferry.JSON),
		f("invoice_prefix", ferry.String), f("invoice_settings", ferry.JSON), f("livemode", ferry.Boolean),
		f("metadata", ferry.JSON), f("name", ferry.String), f("next_invoice_sequence", ferry.Integer),
		f("phone", ferry.String), f("preferred_locales", ferry.JSON), f("shipping", ferry.JSON),
		f("sources", ferry.JSON), f("subscriptions", ferry.JSON), f("tax", ferry.JSON), f("tax_exempt", ferry.String),
		f("tax_ids", ferry.JSON), f("test_clock", ferry.String),
	}},
	{Name: "products", Fields: []ferry.Field{
		f("id", ferry.String), f("object", ferry.String), f("created", ferry.Timestamp), f("active", ferry.Boolean),
		f("default_price", ferry.String), f("description", ferry.String), f("images", ferry.JSON),
		f("livemode", ferry.Boolean), f("marketing_features", ferry.JSON), f("metadata", ferry.JSON),
		f("name", ferry.String), f("package_dimensions", ferry.JSON), f("shippable", ferry.Boolean),
		f("statement_descriptor", ferry.String), f("tax_code", ferry.String), f("unit_label", ferry.String),
		f("updated", ferry.Timestamp), f("url", ferry.String),
	}},
	{Name: "prices", Fields: []ferry.Field{
		f("id", ferry.String), f("object", ferry.String), f("created", ferry.Timestamp), f("active", ferry.Boolean),
		f("billing_scheme", ferry.String), f("currency", ferry.String), f("currency_options", ferry.JSON),
		f("custom_unit_amount", ferry.JSON), f("livemode", ferry.Boolean), f("lookup_key", ferry.String),
		f("metadata", ferry.JSON), f("nickname", ferry.String), f("product", ferry.String), f("recurring", ferry.JSON),
		f("tax_behavior", ferry.String), f("tiers", ferry.JSON), f("tiers_mode", ferry.String),
		f("transform_quantity", ferry.JSON), f("type", ferry.String), f("unit_amount", ferry.Integer),
		f("unit_amount_decimal", ferry.String),
	}},
	{Name: "invoices", Fields: []ferry.Field{
		f("id", ferry.String), f("object", ferry.String), f("created", ferry.Timestamp),
		f("account_country", ferry.String), f("account_name", ferry.String), f("account_tax_ids", ferry.JSON),
		f("amount_due", ferry.Integer), f("amount_overpaid", ferry.Integer), f("amount_paid", ferry.Integer),
		f("amount_paid_off_stripe", ferry.Integer), f("amount_remaining", ferry.Integer),
		f("amount_shipping", ferry.Integer), f("application", ferry.String), f("attempt_count", ferry.Integer),
		f("attempted", ferry.Boolean), f("auto_advance", ferry.Boolean), f("automatic_tax", ferry.JSON),
		f("automatically_finalizes_at", ferry.Timestamp), f("billing_reason", ferry.String),
		f("collection_method", ferry.String), f("confirmation_secret", ferry.JSON), f("currency", ferry.String),
		f("custom_fields", ferry.JSON), f("customer", ferry.String), f("customer_account", ferry.String),
		f("customer_address", ferry.JSON), f("customer_email", ferry.String), f("customer_name", ferry.String),
		f("customer_phone", ferry.String), f("customer_shipping", ferry.JSON), f("customer_tax_exempt", ferry.String),
		f("customer_tax_ids", ferry.JSON), f("default_payment_method", ferry.String),
		f("default_source", ferry.String), f("default_tax_rates", ferry.JSON), f("description", ferry.String),
		f("discounts", ferry.JSON), f("due_date", ferry.Timestamp), f("effective_at", ferry.Timestamp),
		f("ending_balance", ferry.Integer), f("footer", ferry.String), f("from_invoice", ferry.JSON),
		f("hosted_invoice_url", ferry.String), f("invoice_pdf", ferry.String), f("issuer", ferry.JSON),
		f("last_finalization_error", ferry.JSON), f("latest_revision", ferry.String), f("lines", ferry.JSON),
		f("livemode", ferry.Boolean), f("metadata", ferry.JSON), f("next_payment_attempt", ferry.Timestamp),
		f("number", ferry.String), f("on_behalf_of", ferry.String), f("parent", ferry.JSON),
		f("payment_settings", ferry.JSON), f("payments", ferry.JSON), f("period_end", ferry.Timestamp),
		f("period_start", ferry.Timestamp), f("post_payment_credit_notes_amount", ferry.Integer),
		f("pre_payment_credit_notes_amount", ferry.Integer), f("receipt_number", ferry.String),
		f("rendering", ferry.JSON), f("shipping_cost", ferry.JSON), f("shipping_details", ferry.JSON),
		f("starting_balance", ferry.Integer), f("statement_descriptor", ferry.String), f("status", ferry.String),
		f("status_transitions", ferry.JSON), f("subtotal", ferry.Integer), f("subtotal_excluding_tax", ferry.Integer),
		f("test_clock", ferry.String), f("threshold_reason", ferry.JSON), f("total", ferry.Integer),
		f("total_discount_amounts", ferry.JSON), f("total_excluding_tax", ferry.Integer),
		f("total_pretax_credit_amounts", ferry.JSON), f("total_taxes", ferry.JSON),
		f("webhooks_delivered_at", ferry.Timestamp),
	}},
	{Name: "subscriptions", Fields: []ferry.Field{
		f("id", ferry.String), f("object", ferry.String), f("created", ferry.Timestamp),
		f("application", ferry.String), f("application_fee_percent", ferry.Number), f("automatic_tax", ferry.JSON),
		f("billing_cycle_anchor", ferry.Timestamp), f("billing_cycle_anchor_config", ferry.JSON),
		f("billing_mode", ferry.JSON), f("billing_schedules", ferry.JSON), f("billing_thresholds", ferry.JSON),
		f("cancel_at", ferry.Timestamp), f("cancel_at_period_end", ferry.Boolean), f("canceled_at", ferry.Timestamp),
		f("cancellation_details", ferry.JSON), f("collection_method", ferry.String), f("currency", ferry.String),
		f("customer", ferry.String), f("customer_account", ferry.String), f("days_until_due", ferry.Integer),
		f("default_payment_method", ferry.String), f("default_source", ferry.String),
		f("default_tax_rates", ferry.JSON), f("description", ferry.String), f("discounts", ferry.JSON),
		f("ended_at", ferry.Timestamp), f("invoice_settings", ferry.JSON), f("items", ferry.JSON),
		f("latest_invoice", ferry.String), f("livemode", ferry.Boolean), f("managed_payments", ferry.JSON),
		f("metadata", ferry.JSON), f("next_pending_invoice_item_invoice", ferry.Timestamp),
		f("on_behalf_of", ferry.String), f("pause_collection", ferry.JSON), f("payment_settings", ferry.JSON),
		f("pending_invoice_item_interval", ferry.JSON), f("pending_setup_intent", ferry.String),
		f("pending_update", ferry.JSON), f("presentment_details", ferry.JSON), f("schedule", ferry.String),
		f("start_date", ferry.Timestamp), f("status", ferry.String), f("test_clock", ferry.String),
		f("transfer_data", ferry.JSON), f("trial_end", ferry.Timestamp), f("trial_settings", ferry.JSON),
		f("trial_start", ferry.Timestamp),
	}},
	{Name: "charges", Fields: []ferry.Field{
		f("id", ferry.String), f("object", ferry.String), f("created", ferry.Timestamp), f("amount", ferry.Integer),
		f("amount_captured", ferry.Integer), f("amount_refunded", ferry.Integer), f("application", ferry.String),
		f("application_fee", ferry.String), f("application_fee_amount", ferry.Integer),
		f("balance_transaction", ferry.String), f("billing_details", ferry.JSON),
		f("calculated_statement_descriptor", ferry.String), f("captured", ferry.Boolean), f("currency", ferry.String),
		f("customer", ferry.String), f("description", ferry.String), f("disputed", ferry.Boolean),
		f("failure_balance_transaction", ferry.String), f("failure_code", ferry.String),
		f("failure_message", ferry.String), f("fraud_details", ferry.JSON), f("livemode", ferry.Boolean),
		f("metadata", ferry.JSON), f("on_behalf_of", ferry.String), f("outcome", ferry.JSON), f("paid", ferry.Boolean),
		f("payment_intent", ferry.String), f("payment_method", ferry.String), f("payment_method_details", ferry.JSON),
		f("presentment_details", ferry.JSON), f("radar_options", ferry.JSON), f("receipt_email", ferry.String),
		f("receipt_number", ferry.String), f("receipt_url", ferry.String), f("refunded", ferry.Boolean),
		f("refunds", ferry.JSON), f("review", ferry.String), f("shipping", ferry.JSON),
		f("source_transfer", ferry.String), f("statement_descriptor", ferry.String),
		f("statement_descriptor_suffix", ferry.String), f("status", ferry.String), f("transfer", ferry.String),
		f("transfer_data", ferry.JSON), f("transfer_group", ferry.String),
	}},
}

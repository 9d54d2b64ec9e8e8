// Package fake is a stateful fake of Stripe's API for Ferry's tests, demo
// and benchmarks: customers, products, prices, invoices, subscriptions and
// charges, their events, and /v1/balance, over the same paths, parameters,
// authentication, headers and error bodies as api.stripe.com.
//
// # Seeding without memory
//
// Config.Counts seeds each object type with any number of objects (a million
// customers is ordinary) at no memory cost: a seeded object is a pure
// function of (Seed, type, index), built when a request reads it
// (generate.go). Its id encodes its index through a keyed permutation
// (ids.go), so a retrieve or a starting_after cursor finds it in O(1). Seeded
// object i was created at Start + i/PerSecond: PerSecond objects share each
// second, which gives clients the created ties they meet in real accounts.
//
// # Writes
//
// Creates, updates and deletes (over HTTP or with Server.Create, Update and
// Delete) are the only state kept (store.go): created objects, the latest
// snapshot of updated seeded ones, and the sets of deleted objects and
// canceled subscriptions. Each write emits the event Stripe emits
// (customer.created, customer.subscription.deleted, charge.succeeded, ...)
// with data.object and, for updates, data.previous_attributes (events.go).
// Events are listed for 30 days on the Server's clock, as in Stripe.
//
// # Order and pagination
//
// Lists are newest first, ordered by (created, index) descending: a total
// order, so pages never skip or repeat objects that share a second. Pages are
// cut from index ranges found by binary search (list.go), so a page deep in a
// million objects costs the same as the first.
//
// # Failure
//
// A token-bucket rate limit (429 rate_limit with Stripe-Should-Retry),
// injected failures (FailNext) and latency (SetLatency) let clients be
// tested against a misbehaving Stripe; Stats counts what was answered. The
// clock is injected (Config.Now), so tests move time instead of sleeping.
package fake

// Package stripe is Ferry's Stripe provider: the objects Ferry syncs from
// Stripe (customers, products, prices, invoices, subscriptions, charges) and
// a connection, *Client, that lists them in created-time ranges and reads
// their changes from Stripe's events.
//
// Every request goes through one path (Client.get): a token bucket per
// connection (Stripe's test-mode budget of 25 requests/s by default), a
// pinned Stripe-Version, a per-attempt timeout, and retries with exponential
// backoff and full jitter on 429, 5xx and network errors. Stripe's
// Stripe-Should-Retry header overrides the status either way, and a
// Retry-After header replaces the backoff. Failures leave the package as
// *ferry.Error with a code the executor can act on (errors.go); the API key
// is sent only in the Authorization header and scrubbed from any message.
//
// Full runs: Ranges splits the created range of an object into disjoint
// slices and List walks one slice page by page with starting_after; slices
// are fetched concurrently because the pages of one Stripe list are
// sequential. Incremental runs: Changes reads /v1/events since a watermark
// (30 days of retention) and reports the newest snapshot of each object.
package stripe

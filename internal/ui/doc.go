// Package ui is Ferry's web dashboard: server-rendered HTML (html/template)
// with htmx, every asset embedded in the binary, no JavaScript build step.
//
// Pages: the overview (projects, connections, configurations and their last
// run), a configuration (its fields, strategy, a chart of its runs, "Sync
// now"), run history with filters, and a run (its counts, batch log, record
// errors and, when it failed, "Retry"). A running run's page updates live
// through server-sent events: the events endpoint re-renders the run when a
// batch commits in this process (a hub fed by the run's progress callback)
// and polls the control state for runs of other processes.
//
// Access: one admin password, set on first start from FERRY_ADMIN_PASSWORD
// or generated and printed once, stored as a PBKDF2-SHA256 hash. A login
// makes a session (cookie HttpOnly, SameSite=Lax, Secure over TLS; only its
// SHA-256 is stored) with a synchronizer CSRF token that every POST carries
// in a form field or, from htmx, in the X-CSRF-Token header. GET never
// changes state. Cross-origin POSTs are refused before that
// (http.CrossOriginProtection).
//
// html/template rather than templ: the pages are few, the standard library's
// contextual escaping is what matters here, and there is no generator whose
// output must be kept in step with the sources. Every page is rendered by
// the package's tests, which catches template errors at test time.
package ui

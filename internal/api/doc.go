// Package api is Ferry's JSON API: projects, connections and sync
// configurations (declared through the same validation as `ferry apply`),
// runs (list, detail, batch log, record errors, sync now, cancel, retry) and
// the records API, described by an OpenAPI 3.1 document generated from the
// Go types (huma) at /openapi.json, plus Prometheus metrics at /metrics.
//
// Access: every /api/v1 request carries `Authorization: Bearer <token>`, a
// token made by `ferry token create --scope read|run|admin`. Scopes are
// ordered read < run < admin; each operation declares the scope it needs
// and an operation that declares none needs admin (fail closed).
//
// Errors: one shape, {"error": {"code": "...", "message": "..."}}, with
// Ferry's stable error codes; Status is the one map from code to HTTP
// status, and the errors huma raises itself are mapped back through it.
//
// Secrets are write-only: a connection's API key and a project's database
// address are accepted and never returned (api_key_set, and the address
// without its password), and a PUT that omits them keeps the stored ones.
package api

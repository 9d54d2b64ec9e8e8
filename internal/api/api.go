package api

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferrysync/ferry/internal/app"
)

// Config configures the API. The zero value is usable.
type Config struct {
	Logger *slog.Logger // nil: discard
	// Version is the API document's version; default "1".
	Version string
	// Metrics, when set, is where /metrics reads provider request counts
	// (app.Metrics). nil: a fresh one, which only counts what runs started
	// through this API record in the control state.
	Metrics *app.Metrics
}

// Server is the HTTP API: JSON under /api/v1 (token authenticated), its
// OpenAPI 3.1 document at /openapi.json, Prometheus metrics at /metrics and
// a liveness probe at /healthz. It is an http.Handler; Close closes what it
// opened. "Sync now" and "retry" queue runs for the executor's workers
// (ferry serve runs them in-process).
type Server struct {
	app     *app.App
	log     *slog.Logger
	api     huma.API
	mux     *http.ServeMux
	records *app.RecordReader
	metrics *app.Metrics
	reg     *prometheus.Registry
	scopes  scopeRuns
}

// New returns the API over a. The app is its only dependency.
func New(a *app.App, cfg Config) *Server {
	useErrorShape()
	s := &Server{
		app:     a,
		log:     cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		mux:     http.NewServeMux(),
		records: app.NewRecordReader(a),
		metrics: cfg.Metrics,
	}
	s.scopes.ctx, s.scopes.stop = context.WithCancel(context.Background())
	if s.metrics == nil {
		s.metrics = app.NewMetrics()
	}
	hc := huma.DefaultConfig("Ferry API", cmp.Or(cfg.Version, "1"))
	hc.Info.Description = "Ferry's JSON API. Every request under /api/v1 needs `Authorization: Bearer <token>` " +
		"(create one with `ferry token create --scope read|run|admin`). Errors always have the shape " +
		"`{\"error\": {\"code\": \"...\", \"message\": \"...\"}}`; clients branch on the code."
	hc.OpenAPIPath = "/openapi"
	hc.DocsPath = ""    // the docs page loads scripts from a CDN: not for a self-hosted tool
	hc.SchemasPath = "" // no $schema links in bodies: responses are plain resources
	hc.Transformers = nil
	hc.CreateHooks = nil
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "An API token from `ferry token create`"},
	}
	s.api = humago.New(s.mux, hc)
	s.api.UseMiddleware(s.authenticate)

	s.registerProjects()
	s.registerConnections()
	s.registerSyncs()
	s.registerRuns()
	s.registerRecords()
	s.registerControl()
	s.registerScopes()

	s.reg = s.newRegistry()
	s.mux.Handle("GET /metrics", s.metricsHandler())
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf("not_found", "no API endpoint %s %s; the endpoints are listed in /openapi.json", r.Method, r.URL.Path))
	})
	return s
}

// Mount registers the API's paths on mux (which may hold the dashboard at
// "/"): /api/, /openapi.json, /openapi.yaml, /metrics, /healthz.
func (s *Server) Mount(mux *http.ServeMux) {
	for _, p := range []string{"/api/", "/openapi.json", "/openapi.yaml", "GET /metrics", "GET /healthz"} {
		mux.Handle(p, s)
	}
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// OpenAPI returns the API's OpenAPI document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// Close stops the scope instances this API started (they are recorded
// interrupted) and closes the destinations the records API opened. Runs
// belong to the executor's workers, not to the API.
func (s *Server) Close() error {
	s.scopes.stop()
	s.scopes.wg.Wait()
	return s.records.Close()
}

// writeError writes e outside huma (unknown paths).
func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(e)
}

// op fills in what every operation shares: the scope it needs, the security
// requirement and the error responses it documents.
func op(o huma.Operation, need scope) huma.Operation {
	if o.Metadata == nil {
		o.Metadata = map[string]any{}
	}
	o.Metadata[scopeKey] = need
	o.Security = []map[string][]string{{"bearer": {}}}
	o.Errors = append([]int{http.StatusUnauthorized, http.StatusForbidden}, o.Errors...)
	o.Description = o.Description + "\n\nNeeds a token of scope `" + string(need) + "` or higher."
	return o
}

// handle adapts an application handler to huma: its errors become API errors.
func handle[I, O any](s *Server, f func(ctx context.Context, in *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		out, err := f(ctx, in)
		if err != nil {
			return nil, apiError(ctx, s.log, err)
		}
		return out, nil
	}
}

package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/store"
)

// scope is what an operation needs of the request's token: read < run < admin.
type scope = store.TokenScope

const (
	scopeRead  = store.ScopeRead
	scopeRun   = store.ScopeRun
	scopeAdmin = store.ScopeAdmin
)

// scopeKey is the operation metadata key holding the scope it needs.
const scopeKey = "ferry-scope"

type tokenKey struct{}

// authenticate checks the bearer token of every operation against the
// scope it needs. An operation without a declared scope needs admin: a
// forgotten declaration fails closed.
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	need, ok := ctx.Operation().Metadata[scopeKey].(scope)
	if !ok {
		need = scopeAdmin
	}
	secret, ok := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="ferry"`)
		_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized,
			"this API needs an Authorization: Bearer <token> header; create a token with: ferry token create --scope read")
		return
	}
	tok, err := s.app.Store().Authenticate(ctx.Context(), strings.TrimSpace(secret))
	if err != nil {
		e := apiError(ctx.Context(), s.log, err)
		if e.Detail.Code == ferry.EUNAUTHORIZED {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="ferry", error="invalid_token"`)
		}
		_ = huma.WriteErr(s.api, ctx, e.status, e.Detail.Message)
		return
	}
	if !tok.Scope.Allows(need) {
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden,
			"token "+tok.ID+" has scope "+string(tok.Scope)+"; "+ctx.Operation().Method+" "+ctx.Operation().Path+
				" needs scope "+string(need)+" (create one with: ferry token create --scope "+string(need)+")")
		return
	}
	next(huma.WithValue(ctx, tokenKey{}, tok))
}

// byToken names the request's token for messages recorded with a change.
func byToken(ctx context.Context) string {
	if t, ok := ctx.Value(tokenKey{}).(store.Token); ok {
		return " (token " + t.ID + ")"
	}
	return ""
}

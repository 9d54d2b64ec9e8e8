package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
)

// Connection is a provider account. Its API key is write-only: responses
// only say whether one is set.
type Connection struct {
	Name      string    `json:"name" example:"stripe"`
	Provider  string    `json:"provider" example:"stripe"`
	APIKeySet bool      `json:"api_key_set" doc:"Whether an API key is stored; the key itself is never returned"`
	BaseURL   string    `json:"base_url,omitempty" doc:"Override of the provider's address, without credentials"`
	RateLimit float64   `json:"rate_limit" doc:"Requests per second; 0: the provider default"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ConnectionInput declares a connection, as a connections: entry of
// ferry.yaml does.
type ConnectionInput struct {
	Provider  string  `json:"provider" example:"stripe"`
	APIKey    string  `json:"api_key,omitempty" writeOnly:"true" doc:"Write-only; omit it to keep the stored one" example:"sk_live_..."`
	BaseURL   string  `json:"base_url,omitempty"`
	RateLimit float64 `json:"rate_limit,omitempty" minimum:"0"`
}

func connectionOut(c ferry.Connection) Connection {
	out := Connection{Name: c.Name, Provider: c.Provider, APIKeySet: !c.APIKey.IsZero(), RateLimit: c.RateLimit,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.BaseURL != "" {
		out.BaseURL = redactAddress(c.BaseURL)
	}
	return out
}

type connectionOutput struct {
	Status int
	Body   struct {
		Connection Connection `json:"connection"`
		Change     *Change    `json:"change,omitempty"`
	}
}

func (s *Server) registerConnections() {
	type connectionList struct {
		Body struct {
			Connections []Connection `json:"connections"`
		}
	}
	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-connections", Method: http.MethodGet, Path: "/api/v1/connections",
		Summary: "List connections", Tags: []string{"Connections"},
	}, scopeRead), handle(s, func(ctx context.Context, _ *struct{}) (*connectionList, error) {
		cs, err := s.app.Store().ListConnections(ctx)
		if err != nil {
			return nil, err
		}
		out := &connectionList{}
		out.Body.Connections = make([]Connection, len(cs))
		for i, c := range cs {
			out.Body.Connections[i] = connectionOut(c)
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "get-connection", Method: http.MethodGet, Path: "/api/v1/connections/{name}",
		Summary: "Get a connection", Tags: []string{"Connections"}, Errors: []int{http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *NameParam) (*connectionOutput, error) {
		c, err := s.app.Store().GetConnection(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		out := &connectionOutput{Status: http.StatusOK}
		out.Body.Connection = connectionOut(c)
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "put-connection", Method: http.MethodPut, Path: "/api/v1/connections/{name}",
		Summary: "Create or update a connection",
		Description: "Declares the connection as `ferry apply` would, with the same checks (the key is verified with one cheap " +
			"call unless skip_checks). Answers 201 when it was created, 200 otherwise.",
		Tags: []string{"Connections"}, Errors: []int{http.StatusBadRequest},
	}, scopeAdmin), handle(s, func(ctx context.Context, in *struct {
		NameParam
		CheckOptions
		Body ConnectionInput
	}) (*connectionOutput, error) {
		spec := app.ConnectionSpec{Name: in.Name, Provider: in.Body.Provider, APIKey: in.Body.APIKey, BaseURL: in.Body.BaseURL, RateLimit: in.Body.RateLimit}
		if spec.APIKey == "" {
			old, err := s.app.Store().GetConnection(ctx, in.Name)
			if ferry.ErrorCode(err) == ferry.ENOTFOUND {
				return nil, ferry.Errorf(ferry.EINVALID, "connection %s has no api_key", in.Name)
			}
			if err != nil {
				return nil, err
			}
			spec.APIKey = old.APIKey.Reveal() // write-only: omitted means unchanged
		}
		changes, err := s.app.Declare(ctx, &app.Document{Connections: []app.ConnectionSpec{spec}}, app.ApplyOptions{SkipChecks: in.SkipChecks})
		if err != nil {
			return nil, err
		}
		c, err := s.app.Store().GetConnection(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		ch := changeOf(changes)
		out := &connectionOutput{Status: putStatus(ch)}
		out.Body.Connection, out.Body.Change = connectionOut(c), &ch
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "delete-connection", Method: http.MethodDelete, Path: "/api/v1/connections/{name}",
		Summary: "Delete a connection", Description: "Refused (409) while sync configurations read from it.",
		Tags: []string{"Connections"}, DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, scopeAdmin), handle(s, func(ctx context.Context, in *NameParam) (*struct{}, error) {
		return nil, s.app.Store().DeleteConnection(ctx, in.Name)
	}))
}

package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/app"
)

// Project is a destination database. Its address is shown without a
// password: the stored DSN is write-only.
type Project struct {
	Name      string    `json:"name" example:"warehouse"`
	Database  string    `json:"database" doc:"The database address with any password and query parameters removed" example:"postgres://ferry@db.internal:5432/warehouse"`
	Active    bool      `json:"active" doc:"false: the project is paused and none of its syncs run"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ProjectInput declares a project, as a projects: entry of ferry.yaml does.
type ProjectInput struct {
	Database string `json:"database,omitempty" writeOnly:"true" doc:"postgres://user:password@host:port/db or sqlite:///path/file.db. Write-only; omit it to keep the stored one." example:"postgres://ferry:secret@db.internal:5432/warehouse"`
	Active   *bool  `json:"active,omitempty" doc:"default true"`
}

// Change says what a PUT did.
type Change struct {
	Action string   `json:"action" enum:"created,updated,unchanged"`
	Fields []string `json:"fields,omitempty" doc:"What an update changed"`
}

func changeOf(changes []app.Change) Change {
	if len(changes) == 0 {
		return Change{Action: "unchanged"}
	}
	return Change{Action: changes[0].Action, Fields: changes[0].Fields}
}

// redactAddress removes the password and the query (which may hold one)
// from a database or provider address.
func redactAddress(addr string) string {
	u, err := url.Parse(addr)
	if err != nil || u.Scheme == "" {
		return "[redacted]"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

func projectOut(p ferry.Project) Project {
	return Project{Name: p.Name, Database: redactAddress(p.DSN.Reveal()), Active: p.Active, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// NameParam is the {name} of a project, connection or sync in a path.
type NameParam struct {
	Name string `path:"name" doc:"The name" example:"warehouse"`
}

// CheckOptions tune a PUT's checks.
type CheckOptions struct {
	SkipChecks bool `query:"skip_checks" doc:"Skip the checks that reach databases and providers (ferry apply --offline)"`
}

type projectOutput struct {
	Status int
	Body   struct {
		Project Project `json:"project"`
		Change  *Change `json:"change,omitempty"`
	}
}

type projectList struct {
	Body struct {
		Projects []Project `json:"projects"`
	}
}

func (s *Server) registerProjects() {
	huma.Register(s.api, op(huma.Operation{
		OperationID: "list-projects", Method: http.MethodGet, Path: "/api/v1/projects",
		Summary: "List projects", Tags: []string{"Projects"},
	}, scopeRead), handle(s, func(ctx context.Context, _ *struct{}) (*projectList, error) {
		ps, err := s.app.Store().ListProjects(ctx)
		if err != nil {
			return nil, err
		}
		out := &projectList{}
		out.Body.Projects = make([]Project, len(ps))
		for i, p := range ps {
			out.Body.Projects[i] = projectOut(p)
		}
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "get-project", Method: http.MethodGet, Path: "/api/v1/projects/{name}",
		Summary: "Get a project", Tags: []string{"Projects"}, Errors: []int{http.StatusNotFound},
	}, scopeRead), handle(s, func(ctx context.Context, in *NameParam) (*projectOutput, error) {
		p, err := s.app.Store().GetProject(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		out := &projectOutput{Status: http.StatusOK}
		out.Body.Project = projectOut(p)
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "put-project", Method: http.MethodPut, Path: "/api/v1/projects/{name}",
		Summary: "Create or update a project",
		Description: "Declares the project as `ferry apply` would, with the same checks (the database is reached unless skip_checks). " +
			"Answers 201 when it was created, 200 otherwise.",
		Tags: []string{"Projects"}, Errors: []int{http.StatusBadRequest},
	}, scopeAdmin), handle(s, func(ctx context.Context, in *struct {
		NameParam
		CheckOptions
		Body ProjectInput
	}) (*projectOutput, error) {
		spec := app.ProjectSpec{Name: in.Name, Database: in.Body.Database, Active: in.Body.Active}
		if strings.TrimSpace(spec.Database) == "" {
			old, err := s.app.Store().GetProject(ctx, in.Name)
			if ferry.ErrorCode(err) == ferry.ENOTFOUND {
				return nil, ferry.Errorf(ferry.EINVALID, "project %s has no database; give a postgres:// DSN or sqlite:///path/file.db", in.Name)
			}
			if err != nil {
				return nil, err
			}
			spec.Database = old.DSN.Reveal() // write-only: omitted means unchanged
		}
		changes, err := s.app.Declare(ctx, &app.Document{Projects: []app.ProjectSpec{spec}}, app.ApplyOptions{SkipChecks: in.SkipChecks})
		if err != nil {
			return nil, err
		}
		p, err := s.app.Store().GetProject(ctx, in.Name)
		if err != nil {
			return nil, err
		}
		c := changeOf(changes)
		out := &projectOutput{Status: putStatus(c)}
		out.Body.Project, out.Body.Change = projectOut(p), &c
		return out, nil
	}))

	huma.Register(s.api, op(huma.Operation{
		OperationID: "delete-project", Method: http.MethodDelete, Path: "/api/v1/projects/{name}",
		Summary: "Delete a project", Description: "Refused (409) while sync configurations write into it.",
		Tags: []string{"Projects"}, DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, scopeAdmin), handle(s, func(ctx context.Context, in *NameParam) (*struct{}, error) {
		return nil, s.app.Store().DeleteProject(ctx, in.Name)
	}))
}

func putStatus(c Change) int {
	if c.Action == "created" {
		return http.StatusCreated
	}
	return http.StatusOK
}

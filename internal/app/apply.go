package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/transform"
	"github.com/ferrysync/ferry/provider"
)

// Change is what Apply did to one declared thing.
type Change struct {
	Kind   string   `json:"kind"` // project, connection, sync
	Name   string   `json:"name"`
	Action string   `json:"action"`           // created, updated, unchanged
	Fields []string `json:"fields,omitempty"` // what an update changed
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// SkipChecks skips the calls that check credentials and reach
	// databases (offline validation only).
	SkipChecks bool
}

// Apply declares the document's projects, connections and syncs. It checks
// everything first (names, references, providers, objects, fields, the API
// keys with one cheap call each, the databases by connecting) and changes
// nothing unless all of it is valid. Re-applying an unchanged document
// changes nothing.
func (a *App) Apply(ctx context.Context, doc *Document, opt ApplyOptions) ([]Change, error) {
	if err := doc.check(); err != nil {
		return nil, err
	}
	projects := map[string]bool{}
	for _, p := range doc.Projects {
		projects[p.Name] = true
		if opt.SkipChecks {
			continue
		}
		if err := a.checkDatabase(ctx, p.Database); err != nil {
			return nil, doc.errorf(p.line, "project %s: %s", p.Name, ferry.ErrorMessage(err))
		}
	}
	providers := map[string]provider.Provider{}
	for _, c := range doc.Connections {
		prov, err := a.providers.Lookup(c.Provider)
		if err != nil {
			return nil, doc.errorf(c.line, "connection %s: %s", c.Name, ferry.ErrorMessage(err))
		}
		providers[c.Name] = prov
		if opt.SkipChecks {
			continue
		}
		if err := a.checkConnection(ctx, prov, c); err != nil {
			return nil, doc.errorf(c.line, "connection %s: %s", c.Name, ferry.ErrorMessage(err))
		}
	}
	syncs := make([]ferry.SyncConfig, len(doc.Syncs))
	for i, s := range doc.Syncs {
		prov, ok := providers[s.Connection]
		if !ok {
			conn, err := a.store.GetConnection(ctx, s.Connection)
			if err != nil {
				return nil, doc.errorf(s.line, "sync %s: connection %q is not declared here or applied before (declared: %s)", s.Name, s.Connection, names(doc.Connections, func(c ConnectionSpec) string { return c.Name }))
			}
			if prov, err = a.providers.Lookup(conn.Provider); err != nil {
				return nil, doc.errorf(s.line, "sync %s: %s", s.Name, ferry.ErrorMessage(err))
			}
		}
		if !projects[s.Project] {
			if _, err := a.store.GetProject(ctx, s.Project); err != nil {
				return nil, doc.errorf(s.line, "sync %s: project %q is not declared here or applied before (declared: %s)", s.Name, s.Project, names(doc.Projects, func(p ProjectSpec) string { return p.Name }))
			}
		}
		obj, err := provider.Object(prov, s.Object)
		if err != nil {
			return nil, doc.errorf(s.line, "sync %s: %s", s.Name, ferry.ErrorMessage(err))
		}
		syncs[i] = s.config()
		if _, err := transform.New(obj, syncs[i]); err != nil {
			return nil, doc.errorf(s.line, "%s", ferry.ErrorMessage(err))
		}
	}

	if err := a.checkTables(ctx, doc, syncs); err != nil {
		return nil, err
	}
	scopeDefs, err := a.checkScopes(ctx, doc)
	if err != nil {
		return nil, err
	}

	// Everything is valid: write.
	var changes []Change
	for _, p := range doc.Projects {
		want := ferry.Project{Name: p.Name, DSN: ferry.NewSecret(p.Database), Active: p.Active == nil || *p.Active}
		old, err := a.store.GetProject(ctx, p.Name)
		c, err := diff("project", p.Name, err, func() []string {
			return changed(map[string]bool{"database": old.DSN.Reveal() != want.DSN.Reveal(), "active": old.Active != want.Active})
		})
		if err != nil {
			return changes, err
		}
		if c.Action != "unchanged" {
			if _, err := a.store.PutProject(ctx, &want); err != nil {
				return changes, err
			}
		}
		changes = append(changes, c)
	}
	for _, spec := range doc.Connections {
		want := ferry.Connection{Name: spec.Name, Provider: spec.Provider, APIKey: ferry.NewSecret(spec.APIKey), BaseURL: spec.BaseURL, RateLimit: spec.RateLimit}
		old, err := a.store.GetConnection(ctx, spec.Name)
		c, err := diff("connection", spec.Name, err, func() []string {
			return changed(map[string]bool{"provider": old.Provider != want.Provider, "api_key": old.APIKey.Reveal() != want.APIKey.Reveal(),
				"base_url": old.BaseURL != want.BaseURL, "rate_limit": old.RateLimit != want.RateLimit})
		})
		if err != nil {
			return changes, err
		}
		if c.Action != "unchanged" {
			if _, err := a.store.PutConnection(ctx, &want); err != nil {
				return changes, err
			}
		}
		changes = append(changes, c)
	}
	for i, want := range syncs {
		old, err := a.store.GetSyncConfig(ctx, want.Name)
		c, err := diff("sync", want.Name, err, func() []string { return syncDiff(old, want) })
		if err != nil {
			return changes, err
		}
		if c.Action != "unchanged" {
			if _, err := a.store.PutSyncConfig(ctx, &want); err != nil {
				return changes, err
			}
		}
		if schedChanged, err := a.applySchedule(ctx, doc.Syncs[i]); err != nil {
			return changes, err
		} else if schedChanged && c.Action == "unchanged" {
			c.Action, c.Fields = "updated", []string{"schedule"}
		} else if schedChanged && c.Action == "updated" {
			c.Fields = append(c.Fields, "schedule")
		}
		changes = append(changes, c)
	}
	return a.applyScopes(ctx, scopeDefs, changes)
}

// diff turns a Get's error and a field comparison into a Change.
func diff(kind, name string, getErr error, fields func() []string) (Change, error) {
	switch {
	case ferry.ErrorCode(getErr) == ferry.ENOTFOUND:
		return Change{Kind: kind, Name: name, Action: "created"}, nil
	case getErr != nil:
		return Change{}, getErr
	}
	if f := fields(); len(f) > 0 {
		return Change{Kind: kind, Name: name, Action: "updated", Fields: f}, nil
	}
	return Change{Kind: kind, Name: name, Action: "unchanged"}, nil
}

func changed(m map[string]bool) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] {
			out = append(out, k)
		}
	}
	return out
}

func syncDiff(old, want ferry.SyncConfig) []string {
	return changed(map[string]bool{
		"connection": old.Connection != want.Connection, "object": old.Object != want.Object,
		"project": old.Project != want.Project, "table": old.Table != want.Table,
		"fields": !slices.Equal(old.Fields, want.Fields), "rename": !maps.Equal(old.Rename, want.Rename),
		"strategy": old.Strategy != want.Strategy, "full_every": old.FullEvery != want.FullEvery,
		"direction": old.Direction != want.Direction, "active": old.Active != want.Active,
	})
}

func (s SyncSpec) config() ferry.SyncConfig {
	c := ferry.SyncConfig{Name: s.Name, Connection: s.Connection, Object: s.Object, Project: s.Project, Table: s.Table,
		Fields: s.Fields, Rename: s.Rename, Strategy: ferry.Strategy(s.Strategy), FullEvery: s.FullEvery,
		Direction: ferry.Direction(s.Direction), Active: s.Active == nil || *s.Active}
	if c.Strategy == "" {
		c.Strategy = ferry.Full
	}
	if c.Direction == "" {
		c.Direction = ferry.OneWay
	}
	if len(c.Rename) == 0 {
		c.Rename = nil
	}
	return c
}

func names[T any](list []T, name func(T) string) string {
	if len(list) == 0 {
		return "none"
	}
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = name(v)
	}
	return fmt.Sprint(out)
}

// checkDatabase connects to a project's database.
func (a *App) checkDatabase(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	d, err := OpenDestination(ctx, dsn)
	if err != nil {
		return err
	}
	return d.Close()
}

// checkConnection checks a connection's credentials with one cheap call.
func (a *App) checkConnection(ctx context.Context, prov provider.Provider, c ConnectionSpec) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := prov.Open(provider.Config{APIKey: ferry.NewSecret(c.APIKey), BaseURL: c.BaseURL, RateLimit: c.RateLimit, Logger: a.log, HTTP: a.cfg.HTTP})
	if err != nil {
		return err
	}
	return conn.Verify(ctx)
}

// checkTables refuses two sync configurations writing one table of one
// project: each full pass soft-deletes the rows it did not see, so they
// would delete each other's rows.
func (a *App) checkTables(ctx context.Context, doc *Document, syncs []ferry.SyncConfig) error {
	stored, err := a.store.ListSyncConfigs(ctx)
	if err != nil {
		return err
	}
	owner := map[[2]string]string{}
	declared := map[string]bool{}
	for _, sc := range syncs {
		declared[sc.Name] = true
	}
	for _, sc := range stored {
		if !declared[sc.Name] {
			owner[[2]string{sc.Project, strings.ToLower(sc.Table)}] = sc.Name
		}
	}
	for i, sc := range syncs {
		key := [2]string{sc.Project, strings.ToLower(sc.Table)}
		if other, ok := owner[key]; ok {
			return doc.errorf(doc.Syncs[i].line, "sync %s: table %s of project %s is already written by sync %s; give each sync its own table", sc.Name, sc.Table, sc.Project, other)
		}
		owner[key] = sc.Name
	}
	return nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/database"
	"github.com/ferrysync/ferry/internal/store"
)

// ScopeOptions tune StartScope.
type ScopeOptions struct {
	// Syncs are the sync configurations of the scope; empty: the syncs the
	// scope was declared with (ferry apply, scopes:).
	Syncs []string
	// Parallel is how many entity syncs run at once; 0: all of them.
	Parallel int
	Full     bool // force full passes
	// Queue waits behind a configuration's active run (a scheduled one,
	// say) instead of failing that sync with the run's id.
	Queue bool
	// Started is called once the instance is recorded, with its id.
	Started func(sc ferry.Scope)
	// Progress is called after every recorded status of an entity (the
	// run id is recorded as a second syncing status), from the entities'
	// goroutines, in the order the control state took them.
	Progress func(sc ferry.Scope, st ferry.SyncStatus)
}

// StartScope starts a scope instance and runs its entity syncs as one unit,
// concurrently, each as an ordinary run of its configuration. Every state
// change is recorded in the control state and written to the status tables
// of each destination involved (database.StatusWriter). It returns the
// final instance; the error says why it failed or was interrupted.
//
// A scope whose previous instance is still syncing is refused (ECONFLICT
// naming that instance). Stopping ctx (Ctrl-C, SIGTERM) lets the runs stop
// cleanly and leaves the instance interrupted.
func (a *App) StartScope(ctx context.Context, name string, opt ScopeOptions) (ferry.Scope, error) {
	if _, err := a.InterruptStaleScopes(ctx); err != nil {
		return ferry.Scope{}, err
	}
	syncs := opt.Syncs
	if len(syncs) == 0 {
		def, err := a.store.GetScopeDef(ctx, name)
		if err != nil {
			return ferry.Scope{}, err
		}
		syncs = def.Syncs
	}
	entities, err := a.scopeEntities(ctx, syncs)
	if err != nil {
		return ferry.Scope{}, err
	}
	sc := ferry.Scope{Name: name, Entities: entities, Host: hostname(), PID: os.Getpid()}
	if err := a.store.CreateScope(ctx, &sc); err != nil {
		return ferry.Scope{}, err
	}
	log := a.log.With("scope_id", sc.ID, "scope", name)
	pub := a.newPublisher(ctx, log, sc)
	defer pub.close()
	pub.publish(ctx, sc, nil)
	if opt.Started != nil {
		opt.Started(sc)
	}
	stop := a.heartbeatScope(ctx, sc.ID, pub)

	parallel := opt.Parallel
	if parallel <= 0 || parallel > len(entities) {
		parallel = len(entities)
	}
	// Entities start in the order given; parallel workers take the next.
	next := make(chan ferry.ScopeEntity, len(entities))
	for _, e := range entities {
		next <- e
	}
	close(next)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for e := range next {
				if ctx.Err() != nil {
					return // the rest never start: counted not_started
				}
				a.runScopeEntity(ctx, log, pub, sc.ID, e, opt)
			}
		})
	}
	wg.Wait()
	stop()

	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	final, err := a.store.GetScope(wctx, sc.ID)
	if err != nil {
		return sc, err
	}
	if final.State == ferry.ScopeSyncing {
		// Stopped by ctx: some entities never finished or never started.
		reason := "stopped before every sync finished"
		if ctx.Err() == nil {
			reason = "some syncs could not record their end"
		}
		var changed []ferry.SyncStatus
		if final, changed, err = a.store.InterruptScope(wctx, sc.ID, reason); err != nil {
			return final, err
		}
		pub.publish(wctx, final, changed)
	}
	log.Info("scope finished", "state", final.State, "synced", final.Counts.Synced, "failed", final.Counts.Failed)
	return final, scopeErr(final)
}

// scopeErr is the error of a scope instance that did not end synced: the
// code of its first failed entity.
func scopeErr(sc ferry.Scope) error {
	switch sc.State {
	case ferry.ScopeSynced, ferry.ScopeSyncing:
		return nil
	case ferry.ScopeInterrupted:
		return ferry.Errorf(ferry.ECANCELED, "scope %s instance %s was interrupted (%s): %d synced, %d failed, %d not started; start it again to finish",
			sc.Name, sc.ID, sc.Error, sc.Counts.Synced, sc.Counts.Failed, sc.Counts.NotStarted)
	}
	code := ferry.EINTERNAL
	for _, e := range sc.Entities {
		if e.State == ferry.StatusFailed {
			code = e.ErrorCode
			if code == "" {
				code = ferry.EINTERNAL
			}
			break
		}
	}
	return ferry.Errorf(code, "scope %s instance %s failed: %d of %d syncs failed (see ferry scope show %s)",
		sc.Name, sc.ID, sc.Counts.Failed, len(sc.Entities), sc.ID)
}

// runScopeEntity runs one entity sync of a scope and records its status.
func (a *App) runScopeEntity(ctx context.Context, log *slog.Logger, pub *publisher, scopeID string, e ferry.ScopeEntity, opt ScopeOptions) {
	put := func(pctx context.Context, st ferry.SyncStatus) bool {
		st.Scope, st.Config = scopeID, e.Config
		// Record and publish under one lock: the destinations get the
		// scope's states in the order the control state took them.
		pub.order.Lock()
		sc, err := a.store.PutSyncStatus(pctx, &st)
		if err != nil {
			pub.order.Unlock()
			log.Warn("record sync status", "sync", e.Config, "error", err)
			return false
		}
		pub.publish(pctx, sc, []ferry.SyncStatus{st})
		if opt.Progress != nil {
			opt.Progress(sc, st)
		}
		pub.order.Unlock()
		return true
	}
	if !put(ctx, ferry.SyncStatus{State: ferry.StatusSyncing}) {
		return
	}
	var once sync.Once
	progress := func(run ferry.Run, _ float64) {
		once.Do(func() { put(ctx, ferry.SyncStatus{State: ferry.StatusSyncing, RunID: run.ID}) })
	}
	// Until the executor lands for foreground use, each entity is a run
	// through the app's one run path, in this process.
	run, err := a.Sync(ctx, e.Config, SyncOptions{Full: opt.Full, Queue: opt.Queue, Progress: progress})
	if ctx.Err() != nil {
		return // stopped: StartScope marks the instance interrupted
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	st := ferry.SyncStatus{State: ferry.StatusSynced, RunID: run.ID}
	if err != nil {
		st.State, st.ErrorCode, st.Error = ferry.StatusFailed, ferry.ErrorCode(err), ferry.ErrorMessage(err)
	}
	put(wctx, st)
}

// scopeEntities resolves sync configuration names into scope entities.
func (a *App) scopeEntities(ctx context.Context, syncs []string) ([]ferry.ScopeEntity, error) {
	var out []ferry.ScopeEntity
	for _, name := range syncs {
		if slices.ContainsFunc(out, func(e ferry.ScopeEntity) bool { return e.Config == name }) {
			return nil, ferry.Errorf(ferry.EINVALID, "sync %s is listed twice", name)
		}
		sc, err := a.store.GetSyncConfig(ctx, name)
		if err != nil {
			return nil, err
		}
		conn, err := a.store.GetConnection(ctx, sc.Connection)
		if err != nil {
			return nil, err
		}
		out = append(out, ferry.ScopeEntity{Config: name, Provider: conn.Provider, Entity: sc.Object, Project: sc.Project})
	}
	if len(out) == 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "a scope needs at least one sync")
	}
	return out, nil
}

// heartbeatScope keeps the scope instance's lease fresh until stop is
// called, and rewrites its row in the destinations with each heartbeat, so
// an application sees updated_at move while a long sync makes no state
// change (and stop moving when the process dies).
func (a *App) heartbeatScope(ctx context.Context, id string, pub *publisher) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(a.cfg.Lease / 4)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := a.store.HeartbeatScope(ctx, id); err != nil {
					a.log.Warn("scope heartbeat failed", "scope_id", id, "error", err)
					continue
				}
				pub.order.Lock()
				if sc, err := a.store.GetScope(ctx, id); err == nil && sc.State == ferry.ScopeSyncing {
					sc.UpdatedAt = sc.HeartbeatAt
					pub.publish(ctx, sc, nil)
				}
				pub.order.Unlock()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// InterruptStaleScopes marks scope instances whose process died, or whose
// heartbeat is older than the lease, interrupted, writes that to their
// destinations, and returns them.
func (a *App) InterruptStaleScopes(ctx context.Context) ([]ferry.Scope, error) {
	host := hostname()
	alive := func(h string, pid int) bool {
		if h != host || pid <= 0 {
			return true // another machine: only the lease can tell
		}
		return processAlive(pid)
	}
	scopes, changed, err := a.store.InterruptStaleScopes(ctx, alive, a.now().Add(-a.cfg.Lease))
	if err != nil {
		return nil, err
	}
	for i, sc := range scopes {
		pub := a.newPublisher(ctx, a.log.With("scope_id", sc.ID), sc)
		pub.publish(ctx, sc, changed[i])
		pub.close()
	}
	return scopes, nil
}

// DeleteScope deletes a finished scope instance, from the control state and
// from the status tables of its destinations.
func (a *App) DeleteScope(ctx context.Context, id string) (ferry.Scope, error) {
	if _, err := a.InterruptStaleScopes(ctx); err != nil {
		return ferry.Scope{}, err
	}
	sc, _, err := a.store.DeleteScope(ctx, id)
	if err != nil {
		return sc, err
	}
	pub := a.newPublisher(ctx, a.log.With("scope_id", sc.ID), sc)
	defer pub.close()
	return sc, pub.remove(ctx, func(w database.StatusWriter) error { return w.DeleteStatus(ctx, sc.ID, nil) })
}

// DeleteSyncStatus deletes one status row, from the control state and from
// the status table of its destination. The scope instance keeps its counts.
func (a *App) DeleteSyncStatus(ctx context.Context, id string) (ferry.SyncStatus, error) {
	if _, err := a.InterruptStaleScopes(ctx); err != nil {
		return ferry.SyncStatus{}, err
	}
	st, err := a.store.DeleteSyncStatus(ctx, id)
	if err != nil {
		return st, err
	}
	sc, err := a.store.GetScope(ctx, st.Scope)
	if err != nil {
		return st, err
	}
	pub := a.newPublisher(ctx, a.log.With("scope_id", sc.ID), sc)
	defer pub.close()
	pub.publish(ctx, sc, nil) // the details forgot the status id
	return st, pub.remove(ctx, func(w database.StatusWriter) error {
		return w.DeleteStatus(ctx, "", []string{id})
	})
}

// publisher writes a scope instance's status to the destinations of its
// entities that keep status tables. Writes are serialised, so the last
// write to a destination is the newest state. A destination that cannot be
// reached is logged and skipped: status tables are a view, the control
// state is the record.
type publisher struct {
	log     *slog.Logger
	order   sync.Mutex // held from a control-state change until it is published
	mu      sync.Mutex
	writers map[string]database.StatusWriter // project -> writer
	closers []func() error
}

func (a *App) newPublisher(ctx context.Context, log *slog.Logger, sc ferry.Scope) *publisher {
	p := &publisher{log: log, writers: map[string]database.StatusWriter{}}
	for _, e := range sc.Entities {
		if _, done := p.writers[e.Project]; done || e.Project == "" {
			continue
		}
		p.writers[e.Project] = nil
		proj, err := a.store.GetProject(ctx, e.Project)
		if err != nil {
			log.Warn("status tables: project", "project", e.Project, "error", err)
			continue
		}
		d, err := OpenDestination(ctx, proj.DSN.Reveal())
		if err != nil {
			log.Warn("status tables: open destination", "project", e.Project, "error", err)
			continue
		}
		p.closers = append(p.closers, d.Close)
		if w, ok := d.(database.StatusWriter); ok {
			p.writers[e.Project] = w
		}
	}
	return p
}

// publish writes the scope row to every destination and each status row
// to its entity's destination.
func (p *publisher) publish(ctx context.Context, sc ferry.Scope, statuses []ferry.SyncStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for project, w := range p.writers {
		if w == nil {
			continue
		}
		var mine []ferry.SyncStatus
		for _, st := range statuses {
			if st.Project == project {
				mine = append(mine, st)
			}
		}
		if err := w.WriteStatus(ctx, &sc, mine); err != nil {
			p.log.Warn("status tables: write", "project", project, "error", err)
		}
	}
}

// remove runs a deletion on every destination and joins the errors.
func (p *publisher) remove(ctx context.Context, fn func(w database.StatusWriter) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for project, w := range p.writers {
		if w == nil {
			continue
		}
		if err := fn(w); err != nil {
			errs = append(errs, fmt.Errorf("project %s: %w", project, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return ferry.Wrap(ferry.EUNAVAILABLE, err, "deleted from the control state, but not from every destination's status tables")
	}
	return nil
}

func (p *publisher) close() {
	for _, c := range p.closers {
		_ = c()
	}
}

// checkScopes validates the document's scopes: names, no duplicates, and
// syncs that are declared in the document or applied before.
func (a *App) checkScopes(ctx context.Context, doc *Document) ([]store.ScopeDef, error) {
	declared := map[string]bool{}
	for _, s := range doc.Syncs {
		declared[s.Name] = true
	}
	seen := map[string]int{}
	var defs []store.ScopeDef
	for _, sp := range doc.Scopes {
		if sp.Name == "" {
			return nil, doc.errorf(sp.line, "scope has no name")
		}
		if !namePattern.MatchString(sp.Name) {
			return nil, doc.errorf(sp.line, "scope name %q: use lowercase letters, digits, '-' and '_' (at most 63)", sp.Name)
		}
		if prev, ok := seen[sp.Name]; ok {
			return nil, doc.errorf(sp.line, "scope %q is declared twice (first at line %d)", sp.Name, prev)
		}
		seen[sp.Name] = sp.line
		if len(sp.Syncs) == 0 {
			return nil, doc.errorf(sp.line, "scope %s has no syncs; list the sync configurations it starts", sp.Name)
		}
		inScope := map[string]bool{}
		for _, name := range sp.Syncs {
			if inScope[name] {
				return nil, doc.errorf(sp.line, "scope %s lists sync %s twice", sp.Name, name)
			}
			inScope[name] = true
			if declared[name] {
				continue
			}
			if _, err := a.store.GetSyncConfig(ctx, name); err != nil {
				return nil, doc.errorf(sp.line, "scope %s: sync %q is not declared here or applied before (declared: %s)",
					sp.Name, name, names(doc.Syncs, func(s SyncSpec) string { return s.Name }))
			}
		}
		defs = append(defs, store.ScopeDef{Name: sp.Name, Syncs: sp.Syncs})
	}
	return defs, nil
}

// applyScopes writes the checked scope definitions.
func (a *App) applyScopes(ctx context.Context, defs []store.ScopeDef, changes []Change) ([]Change, error) {
	for _, want := range defs {
		old, err := a.store.GetScopeDef(ctx, want.Name)
		c, err := diff("scope", want.Name, err, func() []string {
			return changed(map[string]bool{"syncs": !slices.Equal(old.Syncs, want.Syncs)})
		})
		if err != nil {
			return changes, err
		}
		if c.Action != "unchanged" {
			if err := a.store.PutScopeDef(ctx, &want); err != nil {
				return changes, err
			}
		}
		changes = append(changes, c)
	}
	return changes, nil
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// Scope instances and their entity statuses. A scope instance's row holds
// its entities (the details) and the aggregate (state, counts); every status
// change rewrites both in one transaction, so they never disagree.

const (
	scopeIDPrefix  = "scope_"
	statusIDPrefix = "sst_"
	// StatusInterrupted is the error code of an entity whose scope was
	// interrupted while it was syncing.
	StatusInterrupted = "interrupted"
)

var scopeNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

const scopeCols = `id, name, state, not_started, syncing, failed, synced, last_started_at, last_failed_at, last_synced_at,
	entities, error, host, pid, heartbeat_at, finished_at, updated_at`

func scanScope(sc interface{ Scan(...any) error }) (ferry.Scope, error) {
	var c ferry.Scope
	var state string
	var entities []byte
	err := sc.Scan(&c.ID, &c.Name, &state, &c.Counts.NotStarted, &c.Counts.Syncing, &c.Counts.Failed, &c.Counts.Synced,
		timeCol{&c.LastStartedAt}, timeCol{&c.LastFailedAt}, timeCol{&c.LastSyncedAt},
		&entities, &c.Error, &c.Host, &c.PID, timeCol{&c.HeartbeatAt}, timeCol{&c.FinishedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return c, err
	}
	c.State = ferry.ScopeState(state)
	if err := json.Unmarshal(entities, &c.Entities); err != nil {
		return c, fmt.Errorf("scope %s: entities: %w", c.ID, err)
	}
	return c, nil
}

const statusCols = `id, scope_id, provider, entity, config, project, run_id, state, at, error_code, error`

func scanStatus(sc interface{ Scan(...any) error }) (ferry.SyncStatus, error) {
	var st ferry.SyncStatus
	var state string
	err := sc.Scan(&st.ID, &st.Scope, &st.Provider, &st.Entity, &st.Config, &st.Project, &st.RunID, &state,
		timeCol{&st.At}, &st.ErrorCode, &st.Error)
	st.State = ferry.StatusState(state)
	return st, err
}

// CreateScope records a new scope instance of sc.Name, syncing, made of
// sc.Entities (Config, Provider, Entity and Project set; nothing started).
// It assigns sc.ID, sets the aggregate, LastStartedAt, HeartbeatAt, and
// carries LastFailedAt and LastSyncedAt over from the name's previous
// instance; sc is updated to what was stored.
//
// At most one instance of a name is syncing, across every process sharing
// the database: starting another is ECONFLICT naming the running instance.
func (s *Store) CreateScope(ctx context.Context, sc *ferry.Scope) error {
	if !scopeNamePattern.MatchString(sc.Name) {
		return ferry.Errorf(ferry.EINVALID, "scope name %q: use lowercase letters, digits, '-' and '_' (at most 63)", sc.Name)
	}
	if len(sc.Entities) == 0 {
		return ferry.Errorf(ferry.EINVALID, "scope %s has no syncs", sc.Name)
	}
	seen := map[string]bool{}
	for i, e := range sc.Entities {
		if e.Config == "" {
			return ferry.Errorf(ferry.EINVALID, "scope %s: entity %d has no sync config", sc.Name, i+1)
		}
		if seen[e.Config] {
			return ferry.Errorf(ferry.EINVALID, "scope %s lists sync %s twice", sc.Name, e.Config)
		}
		seen[e.Config] = true
		sc.Entities[i] = ferry.ScopeEntity{Config: e.Config, Provider: e.Provider, Entity: e.Entity, Project: e.Project}
	}
	now := s.stampNow()
	sc.State, sc.Counts = ferry.Aggregate(sc.Entities)
	sc.LastStartedAt, sc.HeartbeatAt, sc.UpdatedAt, sc.FinishedAt, sc.Error = now, now, now, time.Time{}, ""
	entities, err := json.Marshal(sc.Entities)
	if err != nil {
		return fmt.Errorf("scope %s: %w", sc.Name, err)
	}
	for attempt := 0; ; attempt++ {
		sc.ID = scopeIDPrefix + strings.TrimPrefix(NewRunID(now), runIDPrefix)
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			err := s.queryRow(ctx, tx, "SELECT last_failed_at, last_synced_at FROM scopes WHERE name = ? ORDER BY id DESC LIMIT 1", sc.Name).
				Scan(timeCol{&sc.LastFailedAt}, timeCol{&sc.LastSyncedAt})
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			_, err = s.exec(ctx, tx, "INSERT INTO scopes ("+scopeCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				sc.ID, sc.Name, string(sc.State), sc.Counts.NotStarted, sc.Counts.Syncing, sc.Counts.Failed, sc.Counts.Synced,
				s.tv(sc.LastStartedAt), s.tv(sc.LastFailedAt), s.tv(sc.LastSyncedAt), string(entities), "",
				sc.Host, sc.PID, s.tv(sc.HeartbeatAt), nil, s.tv(sc.UpdatedAt))
			return err
		})
		if err == nil {
			return nil
		}
		if !isUnique(err) {
			return s.dbErr(err, "create scope")
		}
		// The unique partial index scopes_one_syncing refused a second
		// syncing instance: say which one holds the name.
		running, err := scanScope(s.queryRow(ctx, s.db, "SELECT "+scopeCols+" FROM scopes WHERE name = ? AND state = ?", sc.Name, string(ferry.ScopeSyncing)))
		if err == nil {
			return ferry.Errorf(ferry.ECONFLICT, "scope %s is already running as instance %s (host %s, pid %d, started %s, %d of %d syncs done): wait for it to finish",
				sc.Name, running.ID, running.Host, running.PID, running.LastStartedAt.Format(time.RFC3339),
				running.Counts.Synced+running.Counts.Failed, len(running.Entities))
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return s.dbErr(err, "create scope")
		}
		if attempt == 2 {
			return ferry.Errorf(ferry.ECONFLICT, "scope %s is starting or finishing right now: try again", sc.Name)
		}
	}
}

// getScope reads a scope in q, locking it in Postgres when lock is set.
func (s *Store) getScope(ctx context.Context, q querier, id string, lock bool) (ferry.Scope, error) {
	query := "SELECT " + scopeCols + " FROM scopes WHERE id = ?"
	if lock {
		query += s.forUpdate()
	}
	c, err := scanScope(s.queryRow(ctx, q, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ferry.Errorf(ferry.ENOTFOUND, "scope instance %s does not exist (see ferry scope list)", id)
	}
	return c, err
}

// GetScope returns the scope instance, or ENOTFOUND.
func (s *Store) GetScope(ctx context.Context, id string) (ferry.Scope, error) {
	c, err := s.getScope(ctx, s.db, id, false)
	return c, s.dbErr(err, "get scope")
}

// saveScope rewrites a scope's aggregate and entities.
func (s *Store) saveScope(ctx context.Context, tx *sql.Tx, c *ferry.Scope) error {
	entities, err := json.Marshal(c.Entities)
	if err != nil {
		return err
	}
	c.UpdatedAt = s.stampNow()
	_, err = s.exec(ctx, tx, `UPDATE scopes SET state = ?, not_started = ?, syncing = ?, failed = ?, synced = ?,
		last_failed_at = ?, last_synced_at = ?, entities = ?, error = ?, heartbeat_at = ?, finished_at = ?, updated_at = ? WHERE id = ?`,
		string(c.State), c.Counts.NotStarted, c.Counts.Syncing, c.Counts.Failed, c.Counts.Synced,
		s.tv(c.LastFailedAt), s.tv(c.LastSyncedAt), string(entities), c.Error, s.tv(c.HeartbeatAt), s.tv(c.FinishedAt), s.tv(c.UpdatedAt), c.ID)
	return err
}

// PutSyncStatus records where one entity of a syncing scope instance
// stands: st.Scope and st.Config name it, st.State is syncing, synced or
// failed. The status row is created on first use (st.ID assigned) and
// updated after; At defaults to now. In the same transaction the scope's
// entities, counts and state are recomputed (ferry.Aggregate), LastFailedAt
// moves on a failure, LastSyncedAt when the instance completes
// successfully. It returns the scope as stored.
//
// A scope instance that is no longer syncing cannot change: ECONFLICT (it
// was interrupted; stop working on it).
func (s *Store) PutSyncStatus(ctx context.Context, st *ferry.SyncStatus) (ferry.Scope, error) {
	switch st.State {
	case ferry.StatusSyncing, ferry.StatusSynced, ferry.StatusFailed:
	default:
		return ferry.Scope{}, ferry.Errorf(ferry.EINVALID, "sync status state %q is not valid (syncing, synced, failed)", st.State)
	}
	now := s.stampNow()
	st.At = stamp(cmpTime(st.At, now))
	var out ferry.Scope
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		c, err := s.getScope(ctx, tx, st.Scope, true)
		if err != nil {
			return err
		}
		if c.State != ferry.ScopeSyncing {
			return ferry.Errorf(ferry.ECONFLICT, "scope instance %s is already %s and can no longer change", c.ID, c.State)
		}
		i := indexOfConfig(c.Entities, st.Config)
		if i < 0 {
			return ferry.Errorf(ferry.EINVALID, "scope instance %s has no sync %s", c.ID, st.Config)
		}
		e := &c.Entities[i]
		if e.StatusID != "" {
			st.ID = e.StatusID
		} else if st.ID == "" {
			st.ID = statusIDPrefix + strings.TrimPrefix(NewRunID(now), runIDPrefix)
		}
		st.Provider, st.Entity, st.Project = cmpStr(st.Provider, e.Provider), cmpStr(st.Entity, e.Entity), cmpStr(st.Project, e.Project)
		st.RunID = cmpStr(st.RunID, e.RunID)
		if _, err := s.exec(ctx, tx, "DELETE FROM sync_statuses WHERE id = ?", st.ID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "INSERT INTO sync_statuses ("+statusCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			st.ID, c.ID, st.Provider, st.Entity, st.Config, st.Project, st.RunID, string(st.State), s.tv(st.At), st.ErrorCode, st.Error); err != nil {
			return err
		}
		at := st.At
		e.StatusID, e.RunID, e.State, e.ErrorCode, e.Error = st.ID, st.RunID, st.State, st.ErrorCode, st.Error
		e.Provider, e.Entity, e.Project = st.Provider, st.Entity, st.Project
		if e.StartedAt == nil {
			e.StartedAt = &at
		}
		if st.State.Done() {
			e.FinishedAt = &at
		} else {
			e.FinishedAt = nil
		}
		c.State, c.Counts = ferry.Aggregate(c.Entities)
		if st.State == ferry.StatusFailed {
			c.LastFailedAt = at
		}
		if c.State == ferry.ScopeSynced {
			c.LastSyncedAt = now
		}
		if c.State.Done() {
			c.FinishedAt = now
		}
		c.HeartbeatAt = now
		if err := s.saveScope(ctx, tx, &c); err != nil {
			return err
		}
		out = c
		return nil
	})
	return out, s.dbErr(err, "record sync status")
}

func indexOfConfig(es []ferry.ScopeEntity, config string) int {
	for i, e := range es {
		if e.Config == config {
			return i
		}
	}
	return -1
}

func cmpStr(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// InterruptScope marks a syncing scope instance interrupted with reason,
// and its entities that were syncing failed (error code "interrupted"). It
// returns the scope and the statuses it changed. A scope that is already
// final is returned unchanged with no statuses.
func (s *Store) InterruptScope(ctx context.Context, id, reason string) (ferry.Scope, []ferry.SyncStatus, error) {
	var out ferry.Scope
	var changed []ferry.SyncStatus
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		changed = nil
		c, err := s.getScope(ctx, tx, id, true)
		if err != nil {
			return err
		}
		out = c
		if c.State != ferry.ScopeSyncing {
			return nil
		}
		c, changed, err = s.interrupt(ctx, tx, c, reason)
		out = c
		return err
	})
	return out, changed, s.dbErr(err, "interrupt scope "+id)
}

func (s *Store) interrupt(ctx context.Context, tx *sql.Tx, c ferry.Scope, reason string) (ferry.Scope, []ferry.SyncStatus, error) {
	now := s.stampNow()
	var changed []ferry.SyncStatus
	for i := range c.Entities {
		e := &c.Entities[i]
		if e.State != ferry.StatusSyncing {
			continue
		}
		e.State, e.ErrorCode, e.Error, e.FinishedAt = ferry.StatusFailed, StatusInterrupted, reason, &now
		if _, err := s.exec(ctx, tx, "UPDATE sync_statuses SET state = ?, at = ?, error_code = ?, error = ? WHERE id = ?",
			string(ferry.StatusFailed), s.tv(now), StatusInterrupted, reason, e.StatusID); err != nil {
			return c, nil, err
		}
		changed = append(changed, ferry.SyncStatus{ID: e.StatusID, Scope: c.ID, Provider: e.Provider, Entity: e.Entity,
			Config: e.Config, Project: e.Project, RunID: e.RunID, State: ferry.StatusFailed, At: now, ErrorCode: StatusInterrupted, Error: reason})
	}
	_, c.Counts = ferry.Aggregate(c.Entities)
	c.State, c.Error, c.FinishedAt = ferry.ScopeInterrupted, reason, now
	if len(changed) > 0 {
		c.LastFailedAt = now
	}
	return c, changed, s.saveScope(ctx, tx, &c)
}

// HeartbeatScope records that the scope's process is alive. ECONFLICT when
// the instance is no longer syncing (it was interrupted: stop).
func (s *Store) HeartbeatScope(ctx context.Context, id string) error {
	res, err := s.exec(ctx, s.db, "UPDATE scopes SET heartbeat_at = ? WHERE id = ? AND state = ?", s.tv(s.now()), id, string(ferry.ScopeSyncing))
	if err != nil {
		return s.dbErr(err, "heartbeat scope "+id)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return s.dbErr(err, "heartbeat scope "+id)
	}
	c, err := s.GetScope(ctx, id)
	if err != nil {
		return err
	}
	return ferry.Errorf(ferry.ECONFLICT, "scope instance %s is already %s", id, c.State)
}

// InterruptStaleScopes marks syncing scope instances interrupted when their
// process is known to be dead or they stopped heartbeating, with the rules
// of InterruptStale, and returns them (sorted by id) with the statuses each
// changed.
func (s *Store) InterruptStaleScopes(ctx context.Context, alive func(host string, pid int) bool, staleBefore time.Time) ([]ferry.Scope, [][]ferry.SyncStatus, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, host, pid, heartbeat_at FROM scopes WHERE state = ? ORDER BY id", string(ferry.ScopeSyncing))
	if err != nil {
		return nil, nil, s.dbErr(err, "find stale scopes")
	}
	type cand struct {
		id, host  string
		pid       int
		heartbeat time.Time
	}
	var cands []cand
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.id, &c.host, &c.pid, timeCol{&c.heartbeat}); err != nil {
			rows.Close()
			return nil, nil, s.dbErr(err, "find stale scopes")
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, s.dbErr(err, "find stale scopes")
	}
	staleBefore = stamp(staleBefore)
	var scopes []ferry.Scope
	var statuses [][]ferry.SyncStatus
	for _, cd := range cands {
		var reason string
		switch {
		case alive != nil && cd.host != "" && cd.host == s.host && cd.pid > 0 && !alive(cd.host, cd.pid):
			reason = fmt.Sprintf("the process running it (pid %d on %s) is gone", cd.pid, cd.host)
		case !staleBefore.IsZero() && cd.heartbeat.Before(staleBefore):
			reason = fmt.Sprintf("no heartbeat since %s from pid %d on %s", cd.heartbeat.Format(time.RFC3339), cd.pid, cd.host)
		default:
			continue
		}
		var out ferry.Scope
		var changed []ferry.SyncStatus
		var done bool
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			c, err := s.getScope(ctx, tx, cd.id, true)
			if err != nil {
				return err
			}
			// Checked again under the lock: it may have finished or
			// heartbeated meanwhile.
			if c.State != ferry.ScopeSyncing || (!c.HeartbeatAt.Equal(cd.heartbeat) && c.HeartbeatAt.After(staleBefore)) {
				return nil
			}
			out, changed, err = s.interrupt(ctx, tx, c, reason)
			done = err == nil
			return err
		})
		if err != nil {
			return scopes, statuses, s.dbErr(err, "interrupt scope "+cd.id)
		}
		if done {
			scopes, statuses = append(scopes, out), append(statuses, changed)
		}
	}
	return scopes, statuses, nil
}

// ScopeFilter selects scope instances for ListScopes.
type ScopeFilter struct {
	Name  string
	State ferry.ScopeState
	Limit int // 0 means 100
}

// ListScopes returns scope instances newest first.
func (s *Store) ListScopes(ctx context.Context, f ScopeFilter) ([]ferry.Scope, error) {
	var where []string
	var args []any
	if f.Name != "" {
		where, args = append(where, "name = ?"), append(args, f.Name)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	q := "SELECT " + scopeCols + " FROM scopes"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, cmpInt(f.Limit, 100))
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, s.dbErr(err, "list scopes")
	}
	defer rows.Close()
	var out []ferry.Scope
	for rows.Next() {
		c, err := scanScope(rows)
		if err != nil {
			return nil, s.dbErr(err, "list scopes")
		}
		out = append(out, c)
	}
	return out, s.dbErr(rows.Err(), "list scopes")
}

func cmpInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// ListSyncStatuses returns a scope instance's status rows in the order of
// its entities.
func (s *Store) ListSyncStatuses(ctx context.Context, scopeID string) ([]ferry.SyncStatus, error) {
	c, err := s.GetScope(ctx, scopeID)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, s.db, "SELECT "+statusCols+" FROM sync_statuses WHERE scope_id = ?", scopeID)
	if err != nil {
		return nil, s.dbErr(err, "list sync statuses")
	}
	defer rows.Close()
	var out []ferry.SyncStatus
	for rows.Next() {
		st, err := scanStatus(rows)
		if err != nil {
			return nil, s.dbErr(err, "list sync statuses")
		}
		out = append(out, st)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return indexOfConfig(c.Entities, out[i].Config) < indexOfConfig(c.Entities, out[j].Config)
	})
	return out, s.dbErr(rows.Err(), "list sync statuses")
}

// GetSyncStatus returns a status row, or ENOTFOUND.
func (s *Store) GetSyncStatus(ctx context.Context, id string) (ferry.SyncStatus, error) {
	st, err := scanStatus(s.queryRow(ctx, s.db, "SELECT "+statusCols+" FROM sync_statuses WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return st, ferry.Errorf(ferry.ENOTFOUND, "sync status %s does not exist (see ferry scope show ID)", id)
	}
	return st, s.dbErr(err, "get sync status")
}

// DeleteScope deletes a scope instance and its status rows and returns what
// it deleted. A syncing instance cannot be deleted: ECONFLICT.
func (s *Store) DeleteScope(ctx context.Context, id string) (ferry.Scope, []ferry.SyncStatus, error) {
	var c ferry.Scope
	var sts []ferry.SyncStatus
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = s.getScope(ctx, tx, id, true); err != nil {
			return err
		}
		if c.State == ferry.ScopeSyncing {
			return ferry.Errorf(ferry.ECONFLICT, "scope instance %s (%s) is still syncing (host %s, pid %d): wait for it to finish", c.ID, c.Name, c.Host, c.PID)
		}
		rows, err := s.query(ctx, tx, "SELECT "+statusCols+" FROM sync_statuses WHERE scope_id = ?", id)
		if err != nil {
			return err
		}
		for rows.Next() {
			st, err := scanStatus(rows)
			if err != nil {
				rows.Close()
				return err
			}
			sts = append(sts, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM sync_statuses WHERE scope_id = ?", id); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, "DELETE FROM scopes WHERE id = ?", id)
		return err
	})
	return c, sts, s.dbErr(err, "delete scope "+id)
}

// DeleteSyncStatus deletes one status row and returns it. The scope keeps
// its counts and state (they record what happened); its details forget the
// status id. A status that is syncing cannot be deleted: ECONFLICT.
func (s *Store) DeleteSyncStatus(ctx context.Context, id string) (ferry.SyncStatus, error) {
	var st ferry.SyncStatus
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = scanStatus(s.queryRow(ctx, tx, "SELECT "+statusCols+" FROM sync_statuses WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return ferry.Errorf(ferry.ENOTFOUND, "sync status %s does not exist (see ferry scope show ID)", id)
		}
		if err != nil {
			return err
		}
		c, err := s.getScope(ctx, tx, st.Scope, true)
		if err != nil {
			return err
		}
		if st.State == ferry.StatusSyncing && c.State == ferry.ScopeSyncing {
			return ferry.Errorf(ferry.ECONFLICT, "sync status %s (%s in scope instance %s) is still syncing: wait for it to finish", id, st.Config, st.Scope)
		}
		if i := indexOfConfig(c.Entities, st.Config); i >= 0 && c.Entities[i].StatusID == id {
			c.Entities[i].StatusID = ""
			if err := s.saveScope(ctx, tx, &c); err != nil {
				return err
			}
		}
		_, err = s.exec(ctx, tx, "DELETE FROM sync_statuses WHERE id = ?", id)
		return err
	})
	return st, s.dbErr(err, "delete sync status "+id)
}

// ScopeDef is a declared scope: a name for a list of sync configurations.
type ScopeDef struct {
	Name      string
	Syncs     []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PutScopeDef creates or replaces a declared scope.
func (s *Store) PutScopeDef(ctx context.Context, d *ScopeDef) error {
	if !scopeNamePattern.MatchString(d.Name) {
		return ferry.Errorf(ferry.EINVALID, "scope name %q: use lowercase letters, digits, '-' and '_' (at most 63)", d.Name)
	}
	if len(d.Syncs) == 0 {
		return ferry.Errorf(ferry.EINVALID, "scope %s has no syncs", d.Name)
	}
	syncs, err := json.Marshal(d.Syncs)
	if err != nil {
		return err
	}
	now := s.stampNow()
	d.UpdatedAt = now
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := s.queryRow(ctx, tx, "SELECT created_at FROM scope_defs WHERE name = ?"+s.forUpdate(), d.Name).Scan(timeCol{&d.CreatedAt})
		switch {
		case errors.Is(err, sql.ErrNoRows):
			d.CreatedAt = now
			_, err = s.exec(ctx, tx, "INSERT INTO scope_defs (name, syncs, created_at, updated_at) VALUES (?, ?, ?, ?)",
				d.Name, string(syncs), s.tv(now), s.tv(now))
			return err
		case err != nil:
			return err
		}
		_, err = s.exec(ctx, tx, "UPDATE scope_defs SET syncs = ?, updated_at = ? WHERE name = ?", string(syncs), s.tv(now), d.Name)
		return err
	})
	return s.dbErr(err, "put scope "+d.Name)
}

// GetScopeDef returns a declared scope, or ENOTFOUND.
func (s *Store) GetScopeDef(ctx context.Context, name string) (ScopeDef, error) {
	d := ScopeDef{Name: name}
	var syncs []byte
	err := s.queryRow(ctx, s.db, "SELECT syncs, created_at, updated_at FROM scope_defs WHERE name = ?", name).
		Scan(&syncs, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return d, ferry.Errorf(ferry.ENOTFOUND, "scope %s is not declared: declare it under scopes: in ferry.yaml, or give its syncs with --syncs", name)
	}
	if err != nil {
		return d, s.dbErr(err, "get scope "+name)
	}
	if err := json.Unmarshal(syncs, &d.Syncs); err != nil {
		return d, fmt.Errorf("scope %s: syncs: %w", name, err)
	}
	return d, nil
}

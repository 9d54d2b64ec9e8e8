-- Sync scopes: several sync configurations started as one unit. One row per
-- scope instance; entities is the JSON array of its ferry.ScopeEntity
-- (details), kept in step with sync_statuses in the same transaction.
CREATE TABLE scopes (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    state           TEXT NOT NULL,
    not_started     INTEGER NOT NULL,
    syncing         INTEGER NOT NULL,
    failed          INTEGER NOT NULL,
    synced          INTEGER NOT NULL,
    last_started_at TEXT NOT NULL,
    last_failed_at  TEXT,
    last_synced_at  TEXT,
    entities        TEXT NOT NULL, -- JSON array
    error           TEXT NOT NULL,
    host            TEXT NOT NULL,
    pid             INTEGER NOT NULL,
    heartbeat_at    TEXT NOT NULL,
    finished_at     TEXT,
    updated_at      TEXT NOT NULL
);
-- A scope cannot be started again while an instance of it is syncing.
CREATE UNIQUE INDEX scopes_one_syncing ON scopes (name) WHERE state = 'syncing';
CREATE INDEX scopes_name_id ON scopes (name, id);

CREATE TABLE sync_statuses (
    id         TEXT PRIMARY KEY,
    scope_id   TEXT NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    entity     TEXT NOT NULL,
    config     TEXT NOT NULL,
    project    TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    state      TEXT NOT NULL,
    at         TEXT NOT NULL,
    error_code TEXT NOT NULL,
    error      TEXT NOT NULL,
    UNIQUE (scope_id, config)
);

-- Declared scopes (ferry apply: scopes:), started by name.
CREATE TABLE scope_defs (
    name       TEXT PRIMARY KEY,
    syncs      TEXT NOT NULL, -- JSON array of sync config names
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Sync scopes (Postgres): several sync configurations started as one unit.
-- One row per scope instance; entities is the JSON array of its
-- ferry.ScopeEntity (details), kept in step with sync_statuses in the same
-- transaction.
CREATE TABLE scopes (
    id              TEXT COLLATE "C" PRIMARY KEY,
    name            TEXT COLLATE "C" NOT NULL,
    state           TEXT NOT NULL,
    not_started     INTEGER NOT NULL,
    syncing         INTEGER NOT NULL,
    failed          INTEGER NOT NULL,
    synced          INTEGER NOT NULL,
    last_started_at TIMESTAMPTZ NOT NULL,
    last_failed_at  TIMESTAMPTZ,
    last_synced_at  TIMESTAMPTZ,
    entities        JSONB NOT NULL,
    error           TEXT NOT NULL,
    host            TEXT NOT NULL,
    pid             INTEGER NOT NULL,
    heartbeat_at    TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
-- A scope cannot be started again while an instance of it is syncing.
CREATE UNIQUE INDEX scopes_one_syncing ON scopes (name) WHERE state = 'syncing';
CREATE INDEX scopes_name_id ON scopes (name, id);

CREATE TABLE sync_statuses (
    id         TEXT COLLATE "C" PRIMARY KEY,
    scope_id   TEXT COLLATE "C" NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    provider   TEXT NOT NULL,
    entity     TEXT NOT NULL,
    config     TEXT COLLATE "C" NOT NULL,
    project    TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    state      TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    error_code TEXT NOT NULL,
    error      TEXT NOT NULL,
    UNIQUE (scope_id, config)
);

-- Declared scopes (ferry apply: scopes:), started by name.
CREATE TABLE scope_defs (
    name       TEXT COLLATE "C" PRIMARY KEY,
    syncs      JSONB NOT NULL, -- array of sync config names
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

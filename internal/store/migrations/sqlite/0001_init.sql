-- Ferry control state, SQLite. Times are fixed-width UTC text
-- (2006-01-02T15:04:05.000000Z), booleans 0/1, JSON as text.

CREATE TABLE projects (
    name       TEXT PRIMARY KEY,
    dsn        TEXT NOT NULL, -- sealed
    active     INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE connections (
    name       TEXT PRIMARY KEY,
    provider   TEXT NOT NULL,
    api_key    TEXT NOT NULL, -- sealed
    base_url   TEXT NOT NULL,
    rate_limit REAL NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE sync_configs (
    name        TEXT PRIMARY KEY,
    connection  TEXT NOT NULL REFERENCES connections (name) ON DELETE RESTRICT,
    object      TEXT NOT NULL,
    project     TEXT NOT NULL REFERENCES projects (name) ON DELETE RESTRICT,
    table_name  TEXT NOT NULL,
    fields      TEXT NOT NULL, -- JSON array
    rename      TEXT NOT NULL, -- JSON object
    strategy    TEXT NOT NULL,
    full_every  INTEGER NOT NULL,
    direction   TEXT NOT NULL,
    active      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX sync_configs_connection ON sync_configs (connection);
CREATE INDEX sync_configs_project ON sync_configs (project);

-- Runs outlive their configuration (history), so config is not a foreign key.
CREATE TABLE runs (
    id           TEXT PRIMARY KEY,
    config       TEXT NOT NULL,
    status       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    fetched      INTEGER NOT NULL,
    inserted     INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    batches      INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    attempt      INTEGER NOT NULL,
    error_code   TEXT NOT NULL,
    error        TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    heartbeat_at TEXT NOT NULL
);
-- Invariant 4: no overlapping runs of one configuration.
CREATE UNIQUE INDEX runs_one_active ON runs (config) WHERE status IN ('queued', 'running');
CREATE INDEX runs_config_id ON runs (config, id);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE batches (
    run_id       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    records      INTEGER NOT NULL,
    fetched      INTEGER NOT NULL,
    inserted     INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    unchanged    INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    failed       INTEGER NOT NULL,
    duration_us  INTEGER NOT NULL,
    cursor_from  TEXT NOT NULL,
    cursor_to    TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE record_errors (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    code      TEXT NOT NULL,
    message   TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX record_errors_run ON record_errors (run_id, id);

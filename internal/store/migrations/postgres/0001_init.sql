-- Ferry control state, PostgreSQL. Identifiers that are sorted or compared
-- (names, run ids) use the "C" collation so that order is byte order, as in
-- SQLite.

CREATE TABLE projects (
    name       TEXT COLLATE "C" PRIMARY KEY,
    dsn        TEXT NOT NULL, -- sealed
    active     BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE connections (
    name       TEXT COLLATE "C" PRIMARY KEY,
    provider   TEXT NOT NULL,
    api_key    TEXT NOT NULL, -- sealed
    base_url   TEXT NOT NULL,
    rate_limit DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sync_configs (
    name        TEXT COLLATE "C" PRIMARY KEY,
    connection  TEXT COLLATE "C" NOT NULL REFERENCES connections (name) ON DELETE RESTRICT,
    object      TEXT NOT NULL,
    project     TEXT COLLATE "C" NOT NULL REFERENCES projects (name) ON DELETE RESTRICT,
    table_name  TEXT NOT NULL,
    fields      TEXT NOT NULL, -- JSON array
    rename      TEXT NOT NULL, -- JSON object
    strategy    TEXT NOT NULL,
    full_every  INTEGER NOT NULL,
    direction   TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sync_configs_connection ON sync_configs (connection);
CREATE INDEX sync_configs_project ON sync_configs (project);

-- Runs outlive their configuration (history), so config is not a foreign key.
CREATE TABLE runs (
    id           TEXT COLLATE "C" PRIMARY KEY,
    config       TEXT COLLATE "C" NOT NULL,
    status       TEXT NOT NULL,
    mode         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    fetched      BIGINT NOT NULL,
    inserted     BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL,
    deleted      BIGINT NOT NULL,
    failed       BIGINT NOT NULL,
    batches      BIGINT NOT NULL,
    total        BIGINT NOT NULL,
    attempt      INTEGER NOT NULL,
    error_code   TEXT NOT NULL,
    error        TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    heartbeat_at TIMESTAMPTZ NOT NULL
);
-- Invariant 4: no overlapping runs of one configuration.
CREATE UNIQUE INDEX runs_one_active ON runs (config) WHERE status IN ('queued', 'running');
CREATE INDEX runs_config_id ON runs (config, id);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE batches (
    run_id       TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    records      BIGINT NOT NULL,
    fetched      BIGINT NOT NULL,
    inserted     BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    unchanged    BIGINT NOT NULL,
    deleted      BIGINT NOT NULL,
    failed       BIGINT NOT NULL,
    duration_us  BIGINT NOT NULL,
    cursor_from  TEXT NOT NULL,
    cursor_to    TEXT NOT NULL,
    committed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE record_errors (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id    TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    code      TEXT NOT NULL,
    message   TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX record_errors_run ON record_errors (run_id, id);

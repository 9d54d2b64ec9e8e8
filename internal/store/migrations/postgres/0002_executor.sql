-- Executor: queued runs wait until not_before (retry backoff), carry what
-- they were asked to do, and schedules and quota pauses live here.

-- A queued run is claimable once not_before is set and has passed; NULL
-- means "being created" (the enqueue sets it right after the insert).
ALTER TABLE runs ADD COLUMN not_before TIMESTAMPTZ;
ALTER TABLE runs ADD COLUMN force_full BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE runs ADD COLUMN run_trigger TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_queued ON runs (not_before) WHERE status = 'queued';

-- One schedule per configuration; its active flag is the third pause tier.
CREATE TABLE schedules (
    config     TEXT PRIMARY KEY REFERENCES sync_configs (name) ON DELETE CASCADE,
    spec       TEXT NOT NULL,  -- "every 15m" or a 5-field cron expression
    timezone   TEXT NOT NULL,  -- IANA name; '' is UTC
    active     BOOLEAN NOT NULL,
    next_at    TIMESTAMPTZ,    -- the next fire time; NULL until computed
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX schedules_next ON schedules (next_at);

-- A provider quota that is exhausted pauses the connection's runs until then.
CREATE TABLE connection_pauses (
    connection TEXT PRIMARY KEY REFERENCES connections (name) ON DELETE CASCADE,
    until      TIMESTAMPTZ NOT NULL,
    reason     TEXT NOT NULL
);

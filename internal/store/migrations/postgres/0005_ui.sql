-- Dashboard login: the one admin password (PBKDF2 hash) and sessions.
-- Session ids are stored as SHA-256 hashes of the cookie value, so a copy of
-- the database does not hand out logged-in sessions.

CREATE TABLE ui_admin (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE ui_sessions (
    id_hash      TEXT COLLATE "C" PRIMARY KEY,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);

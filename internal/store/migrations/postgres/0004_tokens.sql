-- API access tokens. Only the SHA-256 of a token is kept; the token itself
-- is shown once, when it is created.
CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL, -- read, run, admin
    hash         TEXT NOT NULL UNIQUE, -- hex SHA-256 of the token
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

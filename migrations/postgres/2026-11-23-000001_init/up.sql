-- Portcullis initial schema (PostgreSQL). Times are BIGINT unix seconds;
-- list columns are TEXT holding JSON arrays. Keep in step with migrations/sqlite.

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    username            TEXT NOT NULL,
    email               TEXT,
    email_verified      BOOLEAN NOT NULL DEFAULT FALSE,
    name                TEXT,
    password_hash       TEXT NOT NULL,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at BIGINT NOT NULL DEFAULT 0,
    sessions_revoked_at BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_idx ON users (username);

CREATE TABLE clients (
    client_id                    TEXT PRIMARY KEY,
    name                         TEXT NOT NULL,
    secret_hash                  TEXT,
    redirect_uris                TEXT NOT NULL DEFAULT '[]',
    post_logout_redirect_uris    TEXT NOT NULL DEFAULT '[]',
    grant_types                  TEXT NOT NULL DEFAULT '[]',
    scopes                       TEXT NOT NULL DEFAULT '[]',
    first_party                  BOOLEAN NOT NULL DEFAULT FALSE,
    id_token_signed_response_alg TEXT NOT NULL DEFAULT 'RS256',
    created_at                   BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid                TEXT PRIMARY KEY,
    alg                TEXT NOT NULL,
    private_jwk_sealed TEXT NOT NULL,
    public_jwk         TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    activates_at       BIGINT NOT NULL,
    retired_at         BIGINT,
    expires_at         BIGINT
);

CREATE TABLE token_families (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT REFERENCES users (id) ON DELETE CASCADE,
    client_id           TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope               TEXT NOT NULL,
    sid                 TEXT,
    auth_time           BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    last_used_at        BIGINT NOT NULL,
    absolute_expires_at BIGINT NOT NULL,
    revoked_at          BIGINT,
    device_name         TEXT,
    user_agent          TEXT,
    ip                  TEXT
);
CREATE INDEX token_families_user_id_idx ON token_families (user_id);
CREATE INDEX token_families_client_id_idx ON token_families (client_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    user_id    TEXT,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_client_id_idx ON consents (client_id);

CREATE TABLE audit_events (
    id        BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    ip        TEXT,
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at_idx ON audit_events (at);

CREATE TABLE ephemeral (
    kind       TEXT NOT NULL,
    "key"      TEXT NOT NULL,
    value      TEXT NOT NULL,
    consumed   BOOLEAN NOT NULL DEFAULT FALSE,
    counter    BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, "key")
);
CREATE INDEX ephemeral_expires_at_idx ON ephemeral (expires_at);

-- Clients that register themselves (docs/clients.md; docs/security.md K): per client, a JSON object
-- with its private_key_jwt keys (`jwks` or `jwks_uri`), `application_type`, how it was registered
-- (admin, dynamic, metadata_document), the SHA-256 digest of its RFC 7592 registration access token
-- and, for a Client ID Metadata Document, when it must be fetched again.
ALTER TABLE clients ADD COLUMN registration TEXT NOT NULL DEFAULT '{}';

-- RFC 7591 §3: initial access tokens made by `portcullis registration token` (SHA-256 digests).
-- `uses` is counted by one conditional UPDATE, so `max_uses` holds across nodes.
CREATE TABLE registration_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    max_uses BIGINT,
    uses BIGINT NOT NULL DEFAULT 0
);

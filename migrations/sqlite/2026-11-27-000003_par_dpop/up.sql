-- RFC 9126 §6: a client may be required to push its authorization requests (docs/security.md F.1).
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT 0;
-- RFC 9449 §5: the JWK thumbprint a public client's refresh tokens are bound to (docs/security.md F.2).
ALTER TABLE token_families ADD COLUMN dpop_jkt TEXT;

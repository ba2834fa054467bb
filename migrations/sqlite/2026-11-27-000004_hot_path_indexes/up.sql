-- Indexes for the upkeep purge (docs/architecture.md, "Storage"): without them each purge scans every
-- family and every refresh token. Keep in step with migrations/postgres.

CREATE INDEX token_families_revoked_at_idx ON token_families (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX token_families_absolute_expires_at_idx ON token_families (absolute_expires_at);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

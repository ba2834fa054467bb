DROP INDEX IF EXISTS refresh_tokens_expires_at_idx;
DROP INDEX IF EXISTS token_families_absolute_expires_at_idx;
DROP INDEX IF EXISTS token_families_revoked_at_idx;

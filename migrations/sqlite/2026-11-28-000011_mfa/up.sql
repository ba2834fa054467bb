-- docs/guides/mfa.md: second factors. A user's confirmed TOTP secret (RFC 6238), sealed with the
-- master key; `last_used_step` refuses a code whose time step was already used (or an older one).
CREATE TABLE mfa_totp (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    last_used_step BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One-time recovery codes: SHA-256 digests only; `used_at` set by the one use.
CREATE TABLE mfa_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- WebAuthn credentials (passkeys): the credential id (base64url) and webauthn-rs's Passkey as
-- JSON (public key, signature counter); no secret.
CREATE TABLE mfa_passkeys (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX mfa_passkeys_user_idx ON mfa_passkeys (user_id);

-- A client may require a second factor for every login to it.
ALTER TABLE clients ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT 0;

-- Revoked access-token ids (docs/security.md C.18, E.30): the durable record of every revocation, which
-- each node's cache follows. `seq` numbers the rows in commit order (each insert takes the next number
-- while it holds the write lock), so a node that has read up to `seq = n` finds every later revocation
-- with `seq > n`. Keep in step with migrations/postgres.

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL,
    seq        BIGINT NOT NULL
);
CREATE UNIQUE INDEX revoked_tokens_seq_idx ON revoked_tokens (seq);
CREATE INDEX revoked_tokens_expires_at_idx ON revoked_tokens (expires_at);

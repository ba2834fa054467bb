-- Identity brokering (docs/guides/federation.md): a local user's identities at upstream OpenID
-- providers, one row per (upstream, subject) (docs/security.md I.4).
CREATE TABLE identity_links (
    upstream_id TEXT NOT NULL,
    subject     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at   BIGINT NOT NULL,
    PRIMARY KEY (upstream_id, subject)
);
CREATE INDEX identity_links_user_idx ON identity_links (user_id);
-- Linking by email (link_by = "email") finds users by their email, ignoring case.
CREATE INDEX users_email_lower_idx ON users (lower(email));
-- Per client: which upstreams it offers (JSON array; empty: every one), and whether the password
-- form is offered at all (docs/security.md I.6).
ALTER TABLE clients ADD COLUMN upstreams TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN password_login BOOLEAN NOT NULL DEFAULT 1;

-- Groups (docs/clients.md, "Groups"): local ones made with `portcullis group add`, and ones an
-- upstream identity provider puts on a user at federated login (`source` names the upstream;
-- local memberships have source 'local').
CREATE TABLE groups (
    name TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE user_groups (
    user_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    source TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_name, source)
);
CREATE INDEX user_groups_group_idx ON user_groups (group_name);

-- Per client: the groups that may appear in its tokens (empty: all), and the groups whose members
-- alone may use it (empty: everyone). JSON arrays of names.
ALTER TABLE clients ADD COLUMN groups_claim_filter TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN require_groups TEXT NOT NULL DEFAULT '[]';

-- OpenID Back-Channel Logout 1.0 §2.2: where the client receives logout tokens.
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT 0;

-- Which clients received tokens in which login session (sid '' for tokens outside one, the password
-- grant): the clients a logout must reach. Recorded only for clients with a back-channel logout URI.
CREATE TABLE backchannel_sessions (
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    sid TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, user_id, sid)
);
CREATE INDEX backchannel_sessions_user_idx ON backchannel_sessions (user_id);
CREATE INDEX backchannel_sessions_sid_idx ON backchannel_sessions (sid);
CREATE INDEX backchannel_sessions_expires_idx ON backchannel_sessions (expires_at);

-- The durable delivery queue: one logout token to send, retried with backoff. The token is signed
-- at each attempt (its exp is short), from `sub` and `sid`.
CREATE TABLE backchannel_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    sub TEXT NOT NULL,
    sid TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX backchannel_deliveries_due_idx ON backchannel_deliveries (next_attempt_at);

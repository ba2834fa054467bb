-- OpenID Core §11: a token family without offline_access is bound to the login session it was
-- born in and ends with it. Families that exist already keep working as before (not bound).
ALTER TABLE token_families ADD COLUMN session_bound BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX token_families_sid_idx ON token_families (sid);

-- RFC 7662 §4: clients that are resource servers may introspect access tokens meant for them.
ALTER TABLE clients ADD COLUMN resource_server BOOLEAN NOT NULL DEFAULT 0;

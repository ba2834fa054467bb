-- APIs (resource servers, RFC 8707): the identifier is the `aud` of access tokens for the API
-- (docs/guides/apis.md, docs/security.md J). `alg` NULL: keys.default_alg; TTL NULL:
-- tokens.access_token_ttl_secs; `introspect_client` may introspect its access tokens (RFC 7662 §4).
CREATE TABLE apis (
    identifier TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    access_token_ttl_secs BIGINT,
    alg TEXT,
    introspect_client TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX apis_introspect_client_idx ON apis (introspect_client);

-- The scopes an API defines, with the words the consent page shows.
CREATE TABLE api_scopes (
    api TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (api, name)
);

-- What a client may do with APIs: relation 'default' (its tokens are for this API when a request
-- names no resource; at most one) or 'exchange' (RFC 8693: it may exchange tokens into this API).
CREATE TABLE client_apis (
    client_id TEXT NOT NULL,
    api TEXT NOT NULL,
    relation TEXT NOT NULL,
    PRIMARY KEY (client_id, relation, api)
);
CREATE INDEX client_apis_api_idx ON client_apis (api);

-- RFC 8707 §2.2: the APIs a token family's grant is for (a JSON array; empty: the configured
-- audience).
ALTER TABLE token_families ADD COLUMN resources TEXT NOT NULL DEFAULT '[]';

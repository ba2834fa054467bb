-- docs/security.md C.15: the algorithm of one client's access tokens (`client add --access-token-alg`);
-- NULL: `tokens.access_token_alg`. An API's own algorithm still wins for tokens meant for it.
ALTER TABLE clients ADD COLUMN access_token_alg TEXT;

ALTER TABLE token_families DROP COLUMN resources;
DROP TABLE client_apis;
DROP TABLE api_scopes;
DROP TABLE apis;

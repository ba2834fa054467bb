ALTER TABLE clients DROP COLUMN resource_server;
DROP INDEX token_families_sid_idx;
ALTER TABLE token_families DROP COLUMN session_bound;

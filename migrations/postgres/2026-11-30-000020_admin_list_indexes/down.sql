CREATE INDEX token_families_user_id_idx ON token_families (user_id);
CREATE INDEX token_families_client_id_idx ON token_families (client_id);
DROP INDEX token_families_user_id_id_idx;
DROP INDEX token_families_client_id_id_idx;

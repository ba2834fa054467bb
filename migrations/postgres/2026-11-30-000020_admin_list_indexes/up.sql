-- docs/admin-api.md, "Pagination": the sessions list of a user or of a client reads its page
-- (`WHERE user_id = ? AND id > ? ORDER BY id LIMIT n`) straight from an index in id order. The
-- two-column indexes serve every lookup the one-column ones served, so those go.
CREATE INDEX token_families_user_id_id_idx ON token_families (user_id, id);
CREATE INDEX token_families_client_id_id_idx ON token_families (client_id, id);
DROP INDEX token_families_user_id_idx;
DROP INDEX token_families_client_id_idx;

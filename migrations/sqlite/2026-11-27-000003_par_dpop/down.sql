ALTER TABLE token_families DROP COLUMN dpop_jkt;
ALTER TABLE clients DROP COLUMN require_pushed_authorization_requests;

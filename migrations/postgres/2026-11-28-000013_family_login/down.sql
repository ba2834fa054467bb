ALTER TABLE token_families DROP COLUMN idp;
ALTER TABLE token_families DROP COLUMN amr;

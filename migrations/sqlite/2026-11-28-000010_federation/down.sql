ALTER TABLE clients DROP COLUMN password_login;
ALTER TABLE clients DROP COLUMN upstreams;
DROP INDEX users_email_lower_idx;
DROP TABLE identity_links;

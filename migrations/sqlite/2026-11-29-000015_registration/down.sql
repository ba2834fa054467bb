DROP TABLE registration_tokens;
ALTER TABLE clients DROP COLUMN registration;

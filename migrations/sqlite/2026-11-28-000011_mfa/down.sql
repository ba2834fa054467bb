ALTER TABLE clients DROP COLUMN require_mfa;
DROP TABLE mfa_passkeys;
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_totp;

-- OpenID Core §2: an ID token renewed by a refresh token says how the user signed in (amr, and the
-- upstream provider of a federated login, idp), as the first one did: the family keeps them.
ALTER TABLE token_families ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';
ALTER TABLE token_families ADD COLUMN idp TEXT;

-- Self-service sign-up (docs/guides/email.md): the clients whose login page offers
-- "Create an account" (`portcullis client add --allow-signup`), when `[signup] enabled`.
CREATE TABLE client_signup (
    client_id TEXT PRIMARY KEY NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE
);

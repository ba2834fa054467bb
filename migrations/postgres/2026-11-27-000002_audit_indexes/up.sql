-- `portcullis audit` filters by user, client or kind and reads newest first (docs/operations.md,
-- "Audit trail"): one index per filter, ordered like the listing, and one for the unfiltered
-- listing (the initial index on `at` alone leaves the tie-break on `id` to a sort).
CREATE INDEX audit_events_user_idx ON audit_events (user_id, at, id);
CREATE INDEX audit_events_client_idx ON audit_events (client_id, at, id);
CREATE INDEX audit_events_kind_idx ON audit_events (kind, at, id);
CREATE INDEX audit_events_at_id_idx ON audit_events (at, id);

DROP INDEX IF EXISTS audit_events_at_id_idx;
DROP INDEX IF EXISTS audit_events_kind_idx;
DROP INDEX IF EXISTS audit_events_client_idx;
DROP INDEX IF EXISTS audit_events_user_idx;

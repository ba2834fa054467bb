DROP TABLE backchannel_deliveries;
DROP TABLE backchannel_sessions;
ALTER TABLE clients DROP COLUMN backchannel_logout_session_required;
ALTER TABLE clients DROP COLUMN backchannel_logout_uri;
ALTER TABLE clients DROP COLUMN require_groups;
ALTER TABLE clients DROP COLUMN groups_claim_filter;
DROP TABLE user_groups;
DROP TABLE groups;

//! Diesel table definitions, hand-written to match `migrations/{sqlite,postgres}/*/up.sql`.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        email -> Nullable<Text>,
        email_verified -> Bool,
        name -> Nullable<Text>,
        password_hash -> Text,
        disabled -> Bool,
        password_changed_at -> BigInt,
        sessions_revoked_at -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    clients (client_id) {
        client_id -> Text,
        name -> Text,
        secret_hash -> Nullable<Text>,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        grant_types -> Text,
        scopes -> Text,
        first_party -> Bool,
        id_token_signed_response_alg -> Text,
        created_at -> BigInt,
        resource_server -> Bool,
        require_pushed_authorization_requests -> Bool,
        upstreams -> Text,
        password_login -> Bool,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        private_jwk_sealed -> Text,
        public_jwk -> Text,
        created_at -> BigInt,
        activates_at -> BigInt,
        retired_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    token_families (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        client_id -> Text,
        scope -> Text,
        sid -> Nullable<Text>,
        auth_time -> BigInt,
        created_at -> BigInt,
        last_used_at -> BigInt,
        absolute_expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        device_name -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        session_bound -> Bool,
        dpop_jkt -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        client_id -> Text,
        user_id -> Nullable<Text>,
        scope -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scope -> Text,
        granted_at -> BigInt,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> BigInt,
        kind -> Text,
        user_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    ephemeral (kind, key) {
        kind -> Text,
        key -> Text,
        value -> Text,
        consumed -> Bool,
        counter -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    identity_links (upstream_id, subject) {
        upstream_id -> Text,
        subject -> Text,
        user_id -> Text,
        linked_at -> BigInt,
    }
}

diesel::joinable!(refresh_tokens -> token_families (family_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    clients,
    signing_keys,
    token_families,
    refresh_tokens,
    consents,
    audit_events,
    ephemeral,
    revoked_tokens,
    identity_links,
);

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
        require_mfa -> Bool,
        groups_claim_filter -> Text,
        require_groups -> Text,
        backchannel_logout_uri -> Nullable<Text>,
        backchannel_logout_session_required -> Bool,
        upstreams -> Text,
        password_login -> Bool,
        registration -> Text,
        access_token_alg -> Nullable<Text>,
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
        amr -> Text,
        idp -> Nullable<Text>,
        resources -> Text,
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
    mfa_totp (user_id) {
        user_id -> Text,
        secret_sealed -> Text,
        last_used_step -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    mfa_recovery_codes (user_id, code_hash) {
        user_id -> Text,
        code_hash -> Text,
        used_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    mfa_passkeys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        passkey -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    groups (name) {
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    user_groups (user_id, group_name, source) {
        user_id -> Text,
        group_name -> Text,
        source -> Text,
        added_at -> BigInt,
    }
}

diesel::table! {
    backchannel_sessions (client_id, user_id, sid) {
        client_id -> Text,
        user_id -> Text,
        sid -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    backchannel_deliveries (id) {
        id -> Text,
        client_id -> Text,
        uri -> Text,
        sub -> Text,
        sid -> Nullable<Text>,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        created_at -> BigInt,
        last_error -> Nullable<Text>,
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

diesel::table! {
    registration_tokens (token_hash) {
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
    }
}

diesel::joinable!(refresh_tokens -> token_families (family_id));

diesel::table! {
    apis (identifier) {
        identifier -> Text,
        name -> Text,
        access_token_ttl_secs -> Nullable<BigInt>,
        alg -> Nullable<Text>,
        introspect_client -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    api_scopes (api, name) {
        api -> Text,
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    client_apis (client_id, relation, api) {
        client_id -> Text,
        api -> Text,
        relation -> Text,
    }
}

diesel::table! {
    client_signup (client_id) {
        client_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    apis,
    api_scopes,
    client_apis,
    users,
    clients,
    signing_keys,
    token_families,
    refresh_tokens,
    consents,
    audit_events,
    ephemeral,
    revoked_tokens,
    mfa_totp,
    mfa_recovery_codes,
    mfa_passkeys,
    groups,
    user_groups,
    backchannel_sessions,
    backchannel_deliveries,
    identity_links,
    registration_tokens,
    client_signup,
);

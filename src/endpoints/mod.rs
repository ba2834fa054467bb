//! HTTP handlers, thin, one file per endpoint: each extracts, calls the flow layer and returns
//! `Result` (errors render themselves, `http/errors.rs`). This file holds the single route table.

pub mod account;
pub mod admin;
pub mod assets;
pub mod authorize;
pub mod consent;
pub mod dev;
pub mod device;
pub mod device_authorization;
pub mod discovery;
pub mod health;
pub mod home;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod mfa;
pub mod mfa_account;
pub mod par;
pub mod prometheus;
pub mod register;
pub mod reset;
pub mod revoke;
pub mod signup;
pub mod token;
pub mod upstream;
pub mod userinfo;
pub mod verify;

use actix_web::web;

use crate::http::cors;

/// Every route Portcullis serves.
pub fn routes(cfg: &mut web::ServiceConfig, dev_mode: bool) {
    protocol_routes(cfg);
    page_routes(cfg);
    admin::routes(cfg);
    cfg.route("/", web::get().to(home::root));
    if dev_mode {
        cfg.route("/dev/callback", web::get().to(dev::callback));
    }
}

/// The discovery documents, the JWKS and the back-channel endpoints; those browsers call directly
/// send CORS headers and answer preflights (docs/security.md A.4).
fn protocol_routes(cfg: &mut web::ServiceConfig) {
    let options = || web::method(actix_web::http::Method::OPTIONS).to(cors::preflight);
    cfg.service(
        web::resource("/.well-known/openid-configuration")
            .route(web::get().to(discovery::openid_configuration))
            .route(options()),
    )
    .service(
        web::resource("/.well-known/oauth-authorization-server")
            .route(web::get().to(discovery::oauth_authorization_server))
            .route(options()),
    )
    .service(
        web::resource("/jwks")
            .route(web::get().to(discovery::jwks))
            .route(options()),
    )
    .service(
        web::resource("/token")
            .wrap(cors::allow_any_origin())
            .route(web::post().to(token::post))
            .route(options()),
    )
    .service(
        web::resource("/par")
            .wrap(cors::allow_any_origin())
            .route(web::post().to(par::post))
            .route(options()),
    )
    .service(
        web::resource("/userinfo")
            .wrap(cors::allow_any_origin())
            .route(web::get().to(userinfo::handle))
            .route(web::post().to(userinfo::handle))
            .route(options()),
    )
    .service(
        web::resource("/revoke")
            .wrap(cors::allow_any_origin())
            .route(web::post().to(revoke::post))
            .route(options()),
    )
    .route(
        "/device_authorization",
        web::post().to(device_authorization::post),
    )
    .service(
        web::resource("/register")
            .wrap(cors::allow_any_origin())
            .route(web::post().to(register::post))
            .route(options()),
    )
    .service(
        web::resource("/register/{client_id}")
            .route(web::get().to(register::get))
            .route(web::put().to(register::put))
            .route(web::delete().to(register::delete)),
    )
    .route("/introspect", web::post().to(introspect::post))
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/metrics", web::get().to(prometheus::get));
}

/// The browser's pages and forms, and the static files they load.
fn page_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/authorize", web::get().to(authorize::handle))
        .route("/authorize", web::post().to(authorize::handle))
        .route("/login", web::post().to(login::post))
        .route("/consent", web::post().to(consent::post))
        .route("/consent/switch", web::post().to(consent::switch_account))
        .route("/logout", web::get().to(logout::handle))
        .route("/logout", web::post().to(logout::handle))
        .route("/logout/confirm", web::post().to(logout::confirm))
        .route("/logout/done", web::get().to(logout::done))
        .route("/static/{path:.*}", web::get().to(assets::asset))
        .route("/account", web::get().to(account::get))
        .route(
            "/account/sessions/revoke",
            web::post().to(account::revoke_session),
        )
        .route(
            "/account/consents/revoke",
            web::post().to(account::revoke_consent),
        )
        .route(
            "/account/logout-everywhere",
            web::post().to(account::logout_everywhere),
        )
        .route("/account/signout", web::post().to(account::signout))
        .route("/account/password", web::post().to(account::change_password))
        .route("/account/profile", web::post().to(account::change_profile))
        .route("/upstream/{id}/start", web::get().to(upstream::start))
        .route("/upstream/{id}/callback", web::get().to(upstream::callback));
    mfa_routes(cfg);
    device_routes(cfg);
    email_routes(cfg);
}

/// docs/guides/email.md: password reset, email verification and sign-up.
fn email_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/password/forgot", web::get().to(reset::forgot_page))
        .route("/password/forgot", web::post().to(reset::forgot))
        .route("/password/forgot/sent", web::get().to(reset::forgot_sent))
        .route("/reset", web::get().to(reset::reset_page))
        .route("/reset", web::post().to(reset::reset))
        .route("/reset/done", web::get().to(reset::reset_done))
        .route("/email/verify", web::get().to(verify::follow))
        .route("/email/verified", web::get().to(verify::verified))
        .route("/account/email/verify", web::post().to(verify::request))
        .route("/signup", web::get().to(signup::get))
        .route("/signup", web::post().to(signup::post));
}

/// RFC 8628 §3.3: where the user enters a device's code (docs/guides/device.md).
fn device_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/device", web::get().to(device::get))
        .route("/device", web::post().to(device::post))
        .route("/device/confirm", web::get().to(device::confirm_page))
        .route("/device/confirm", web::post().to(device::confirm))
        .route("/device/done", web::get().to(device::done));
}

/// docs/guides/mfa.md: the second factor at sign-in, and two-step verification on the account page.
fn mfa_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/mfa", web::get().to(mfa::get))
        .route("/login/mfa", web::post().to(mfa::post))
        .route("/login/mfa/passkey/begin", web::post().to(mfa::passkey_begin))
        .route("/login/mfa/passkey/finish", web::post().to(mfa::passkey_finish))
        .route("/login/passkey/begin", web::post().to(mfa::sign_in_begin))
        .route("/login/passkey/finish", web::post().to(mfa::sign_in_finish))
        .route("/login/continue", web::get().to(mfa::resume))
        .route("/account/mfa", web::get().to(mfa_account::get))
        .route("/account/mfa/totp", web::get().to(mfa_account::totp_get))
        .route("/account/mfa/totp", web::post().to(mfa_account::totp_post))
        .route("/account/mfa/totp/qr.svg", web::get().to(mfa_account::totp_qr))
        .route(
            "/account/mfa/recovery-codes",
            web::get().to(mfa_account::recovery_codes),
        )
        .route(
            "/account/mfa/totp/remove",
            web::post().to(mfa_account::totp_remove),
        )
        .route(
            "/account/mfa/passkey/remove",
            web::post().to(mfa_account::passkey_remove),
        )
        .route(
            "/account/mfa/passkey/begin",
            web::post().to(mfa_account::passkey_begin),
        )
        .route(
            "/account/mfa/passkey/finish",
            web::post().to(mfa_account::passkey_finish),
        );
}

//! HTTP handlers, thin, one file per endpoint; this file holds the single route table.

pub mod assets;
pub mod authorize;
pub mod common;
pub mod consent;
pub mod dev;
pub mod discovery;
pub mod health;
pub mod interaction;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod revoke;
pub mod token;
pub mod userinfo;

use actix_web::web;

/// Every route Portcullis serves.
pub fn routes(cfg: &mut web::ServiceConfig, dev_mode: bool) {
    cfg.route(
        "/.well-known/openid-configuration",
        web::get().to(discovery::openid_configuration),
    )
    .route(
        "/.well-known/oauth-authorization-server",
        web::get().to(discovery::oauth_authorization_server),
    )
    .route("/jwks", web::get().to(discovery::jwks))
    .route("/authorize", web::get().to(authorize::handle))
    .route("/authorize", web::post().to(authorize::handle))
    .route("/login", web::post().to(login::post))
    .route("/consent", web::post().to(consent::post))
    .route("/token", web::post().to(token::post))
    .route("/userinfo", web::get().to(userinfo::handle))
    .route("/userinfo", web::post().to(userinfo::handle))
    .route("/introspect", web::post().to(introspect::post))
    .route("/revoke", web::post().to(revoke::post))
    .route("/logout", web::get().to(logout::handle))
    .route("/logout", web::post().to(logout::handle))
    .route("/logout/confirm", web::post().to(logout::confirm))
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/static/{path:.*}", web::get().to(assets::asset));
    if dev_mode {
        cfg.route("/dev/callback", web::get().to(dev::callback));
    }
}

//! The authorization request's state machine (OpenID Core §3.1.2.3-§3.1.2.6): once the request is
//! validated (`oauth/authorization_request.rs`), does the user need to sign in, to consent, or can
//! the code be issued? Requests waiting for the user are parked in the short-lived store, bound to
//! the browser ([`pending`]); the code is issued here too ([`code`]).

pub mod code;
pub mod consent;
pub mod pending;
pub mod response;

use crate::accounts::session::LoginSession;
use crate::context::{Context, RequestMeta};
use crate::oauth::{ErrorCode, OAuthError};
use crate::oidc::id_token;
use crate::storage::{Client, User};

pub use consent::{deny, grant_consent};
pub use pending::Pending;
pub use response::AuthResponse;

/// What the browser sees next.
#[derive(Debug)]
pub enum Step {
    /// Show the login page for this pending request.
    Login { pending: Pending, client_name: String },
    /// Show the consent page.
    Consent {
        pending: Pending,
        client_name: String,
        username: String,
    },
    /// Send the browser back to the client (a code or an error).
    Respond(AuthResponse),
}

/// A signed-in browser: its session and user (already checked with `LoginSession::is_valid_for`).
#[derive(Clone, Copy)]
pub struct SignedIn<'a> {
    pub session: &'a LoginSession,
    pub user: &'a User,
}

/// OpenID Core §3.1.2.3-§3.1.2.5: decides the next step for a pending request, and issues the
/// code when neither login nor consent is needed.
pub async fn evaluate(
    ctx: &Context,
    pending: Pending,
    client: &Client,
    signed_in: Option<SignedIn<'_>>,
    meta: &RequestMeta,
) -> Result<Step, OAuthError> {
    let request = &pending.request;
    let hint_sub = match &request.id_token_hint {
        Some(h) => match id_token::verify_hint(ctx, h) {
            Ok(hint) => Some(hint.sub),
            Err(e) => return Ok(Step::Respond(AuthResponse::error(&ctx.issuer, request, e))),
        },
        None => None,
    };
    let Some(signed_in) = signed_in.filter(|s| !needs_login(ctx, &pending, s, hint_sub.as_deref())) else {
        if request.prompt.none {
            let e = OAuthError::new(ErrorCode::LoginRequired, "the user must sign in");
            return Ok(Step::Respond(AuthResponse::error(&ctx.issuer, request, e)));
        }
        pending.save(ctx).await?;
        let client_name = client.name.clone();
        return Ok(Step::Login { pending, client_name });
    };
    if consent::needed(ctx, &pending, client, signed_in.user).await? {
        if request.prompt.none {
            let e = OAuthError::new(ErrorCode::ConsentRequired, "the user must consent");
            return Ok(Step::Respond(AuthResponse::error(&ctx.issuer, request, e)));
        }
        pending.save(ctx).await?;
        return Ok(Step::Consent {
            pending,
            client_name: client.name.clone(),
            username: signed_in.user.username.clone(),
        });
    }
    let code = code::issue(ctx, request, &signed_in, meta).await?;
    pending.discard(ctx).await?;
    Ok(Step::Respond(AuthResponse::code(&ctx.issuer, request, &code)))
}

/// OpenID Core §3.1.2.1 and §3.1.2.3: the browser's session does not serve this request when it is
/// another user's (`id_token_hint`), or when `prompt=login`, `prompt=select_account` or an exceeded
/// `max_age` asks for a new login that did not happen for this very request.
fn needs_login(ctx: &Context, pending: &Pending, s: &SignedIn<'_>, hint_sub: Option<&str>) -> bool {
    let request = &pending.request;
    let fresh = pending.login_sid.as_deref() == Some(s.session.sid.as_str());
    // `select_account` shows the login page too: it is where the user picks another account.
    let stale = request.prompt.login
        || request.prompt.select_account
        || request
            .max_age
            .is_some_and(|max| ctx.now() - s.session.auth_time > max);
    (stale && !fresh) || hint_sub.is_some_and(|sub| sub != s.user.id)
}

/// The next step right after the user signed in for `pending` (POST /login): that login satisfies
/// `prompt=login` and `max_age`, here and after consent.
pub async fn after_login(
    ctx: &Context,
    mut pending: Pending,
    client: &Client,
    signed_in: SignedIn<'_>,
    meta: &RequestMeta,
) -> Result<Step, OAuthError> {
    pending.login_sid = Some(signed_in.session.sid.clone());
    evaluate(ctx, pending, client, Some(signed_in), meta).await
}

//! The authorization request's state machine (OpenID Core §3.1.2.3-§3.1.2.6): once the request is
//! validated (`oauth/authorization_request.rs`), does the user need to sign in, to consent, or can
//! the code be issued? Requests waiting for the user are parked in the short-lived store, bound to
//! the browser ([`pending`]); the code is issued here too ([`code`]).

pub mod code;
pub mod consent;
pub mod par;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::testing::{self, FIRST_PARTY, THIRD_PARTY, World};

    const BROWSER: &str = "a-browser-binding-cookie-value-of-43-chars!";

    async fn step(w: &World, client_id: &str, extra: &str, session: Option<&LoginSession>) -> Step {
        let request = w.request(client_id, extra).await;
        let client = w.client(client_id).await;
        let pending = Pending::new(&w.ctx, request, BROWSER);
        let signed_in = session.map(|session| SignedIn {
            session,
            user: &w.user,
        });
        evaluate(&w.ctx, pending, &client, signed_in, &testing::meta())
            .await
            .unwrap()
    }

    fn param<'a>(r: &'a AuthResponse, name: &str) -> Option<&'a str> {
        r.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[tokio::test]
    async fn without_a_session_the_user_signs_in_and_the_request_waits_for_this_browser() {
        let w = testing::world().await;
        let Step::Login { pending, .. } = step(&w, FIRST_PARTY, "", None).await else {
            panic!("expected the login page");
        };
        assert!(
            Pending::load(&w.ctx, &pending.id, BROWSER)
                .await
                .unwrap()
                .is_some()
        );
        let other_browser = "another-browser-binding-cookie-value-43-chr";
        assert!(
            Pending::load(&w.ctx, &pending.id, other_browser)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn signed_in_user_of_a_first_party_client_gets_a_code_with_state_and_iss() {
        let w = testing::world().await;
        let session = w.sign_in().await;
        let Step::Respond(r) = step(&w, FIRST_PARTY, "", Some(&session)).await else {
            panic!("expected the authorization response");
        };
        assert!(param(&r, "code").is_some());
        assert_eq!(param(&r, "state"), Some("st"));
        assert_eq!(param(&r, "iss"), Some(testing::ISSUER));
    }

    #[tokio::test]
    async fn third_party_client_needs_consent_once_then_it_is_remembered() {
        let w = testing::world().await;
        let session = w.sign_in().await;
        let Step::Consent { mut pending, .. } = step(&w, THIRD_PARTY, "", Some(&session)).await else {
            panic!("expected the consent page");
        };
        grant_consent(&w.ctx, &mut pending, &w.user).await.unwrap();
        let client = w.client(THIRD_PARTY).await;
        let signed_in = SignedIn {
            session: &session,
            user: &w.user,
        };
        let next = evaluate(&w.ctx, pending, &client, Some(signed_in), &testing::meta()).await;
        assert!(matches!(next.unwrap(), Step::Respond(_)));
        assert!(matches!(
            step(&w, THIRD_PARTY, "", Some(&session)).await,
            Step::Respond(_)
        ));
        let again = step(&w, THIRD_PARTY, "&prompt=consent", Some(&session)).await;
        assert!(matches!(again, Step::Consent { .. }), "prompt=consent asks again");
    }

    #[tokio::test]
    async fn prompt_none_never_shows_a_page() {
        let w = testing::world().await;
        let Step::Respond(r) = step(&w, FIRST_PARTY, "&prompt=none", None).await else {
            panic!("expected a redirect");
        };
        assert_eq!(param(&r, "error"), Some("login_required"));
        let session = w.sign_in().await;
        let Step::Respond(r) = step(&w, THIRD_PARTY, "&prompt=none", Some(&session)).await else {
            panic!("expected a redirect");
        };
        assert_eq!(param(&r, "error"), Some("consent_required"));
    }

    #[tokio::test]
    async fn max_age_exceeded_or_prompt_login_asks_for_a_new_login_that_then_counts() {
        let w = testing::world().await;
        let session = w.sign_in().await;
        w.advance(61);
        let within = step(&w, FIRST_PARTY, "&max_age=3600", Some(&session)).await;
        assert!(matches!(within, Step::Respond(_)));
        let Step::Login { pending, .. } = step(&w, FIRST_PARTY, "&max_age=60", Some(&session)).await else {
            panic!("max_age exceeded: the login page");
        };
        let fresh = w.sign_in().await;
        let client = w.client(FIRST_PARTY).await;
        let signed_in = SignedIn {
            session: &fresh,
            user: &w.user,
        };
        let next = after_login(&w.ctx, pending, &client, signed_in, &testing::meta()).await;
        assert!(
            matches!(next.unwrap(), Step::Respond(_)),
            "the new login satisfies max_age"
        );
        let forced = step(&w, FIRST_PARTY, "&prompt=login", Some(&fresh)).await;
        assert!(
            matches!(forced, Step::Login { .. }),
            "prompt=login: a session found is not enough"
        );
    }
}

//! The authorization endpoint's decisions (DESIGN.md §5, OpenID Core §3.1.2.3-3.1.2.6): after
//! the request is validated, does the user need to log in, to consent, or can a code be issued?
//! Requests waiting for the user are kept in the ephemeral store, bound to the browser.

pub mod pending;
pub mod response;

use crate::accounts::session::LoginSession;
use crate::grants::code::{self, Browser};
use crate::oauth::authorization::AuthorizationRequest;
use crate::oauth::scope::Scope;
use crate::oauth::{ErrorCode, OAuthError};
use crate::oidc::id_token;
use crate::state::AppState;
use crate::storage::{Client, User};
use crate::util::now;

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
pub struct SignedIn<'a> {
    pub session: &'a LoginSession,
    pub user: &'a User,
}

/// OpenID Core §3.1.2.3-§3.1.2.5: decides the next step for a pending request.
pub async fn evaluate(
    state: &AppState,
    pending: Pending,
    client: &Client,
    signed_in: Option<SignedIn<'_>>,
    browser: Browser,
) -> Result<Step, OAuthError> {
    let request = &pending.request;
    let hint_sub = match &request.id_token_hint {
        Some(h) => match id_token::verify_hint(state, h) {
            Ok(claims) => claims.get("sub").and_then(|s| s.as_str()).map(str::to_string),
            Err(e) => return Ok(Step::Respond(AuthResponse::error(state, request, e))),
        },
        None => None,
    };
    let t = now();
    let needs_login = match &signed_in {
        None => true,
        Some(s) => {
            let fresh = pending.login_sid.as_deref() == Some(s.session.sid.as_str());
            // `select_account` shows the login page too: it is where the user picks another account.
            let stale = request.prompt.login
                || request.prompt.select_account
                || request.max_age.is_some_and(|max| t - s.session.auth_time > max);
            (stale && !fresh) || hint_sub.as_deref().is_some_and(|sub| sub != s.user.id)
        }
    };
    let Some(signed_in) = signed_in.filter(|_| !needs_login) else {
        if request.prompt.none {
            return Ok(Step::Respond(AuthResponse::error(
                state,
                request,
                OAuthError::new(ErrorCode::LoginRequired, "the user must sign in"),
            )));
        }
        pending.save(state).await?;
        return Ok(Step::Login {
            pending,
            client_name: client.name.clone(),
        });
    };

    if !client.first_party && !pending.consent_given {
        let remembered = state.store.consent(&signed_in.user.id, &client.client_id).await?;
        let covered = remembered.is_some_and(|c| {
            request
                .scope
                .is_subset_of(&Scope::from_tokens(c.scope.split(' ')))
        });
        if request.prompt.consent || !covered {
            if request.prompt.none {
                return Ok(Step::Respond(AuthResponse::error(
                    state,
                    request,
                    OAuthError::new(ErrorCode::ConsentRequired, "the user must consent"),
                )));
            }
            pending.save(state).await?;
            return Ok(Step::Consent {
                pending,
                client_name: client.name.clone(),
                username: signed_in.user.username.clone(),
            });
        }
    }

    let code = code::issue(state, request, &signed_in.user.id, signed_in.session, browser).await?;
    pending.discard(state).await?;
    Ok(Step::Respond(AuthResponse::code(state, request, &code)))
}

/// The next step right after the user logged in for `pending` (POST /login): that login satisfies
/// `prompt=login` and `max_age`, here and after consent.
pub async fn after_login(
    state: &AppState,
    mut pending: Pending,
    client: &Client,
    signed_in: SignedIn<'_>,
    browser: Browser,
) -> Result<Step, OAuthError> {
    pending.login_sid = Some(signed_in.session.sid.clone());
    evaluate(state, pending, client, Some(signed_in), browser).await
}

/// Records the user's consent for the pending request's scopes (merged with earlier consent).
pub async fn grant_consent(state: &AppState, pending: &mut Pending, user: &User) -> Result<(), OAuthError> {
    let client_id = &pending.request.client_id;
    let old = state
        .store
        .consent(&user.id, client_id)
        .await?
        .map(|c| c.scope)
        .unwrap_or_default();
    let scope = Scope::from_tokens(
        pending
            .request
            .scope
            .iter()
            .chain(old.split(' ').filter(|s| !s.is_empty())),
    );
    state
        .store
        .save_consent(crate::storage::Consent {
            user_id: user.id.clone(),
            client_id: client_id.clone(),
            scope: scope.to_string(),
            granted_at: now(),
        })
        .await?;
    pending.consent_given = true;
    Ok(())
}

/// The request as an error response to the client (`access_denied` when the user said no).
pub fn deny(state: &AppState, request: &AuthorizationRequest) -> AuthResponse {
    AuthResponse::error(
        state,
        request,
        OAuthError::access_denied("the user denied the request"),
    )
}

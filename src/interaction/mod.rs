//! The authorization request's state machine (OpenID Core §3.1.2.3-§3.1.2.6): once the request is
//! validated (`oauth/authorization_request.rs`), does the user need to sign in, to consent, or can
//! the code be issued? Requests waiting for the user are parked in the short-lived store, bound to
//! the browser ([`pending`]); the code is issued here too ([`code`]).

pub mod code;
pub mod consent;
pub mod device;
pub mod device_approval;
pub mod logout_outcome;
pub mod par;
pub mod pending;
pub mod response;
pub mod throttle;

use crate::accounts::csrf::Holder;
use crate::accounts::session::LoginSession;
use crate::context::{Context, RequestMeta};
use crate::oauth::authorization_request::AuthorizationRequest;
use crate::oauth::{ErrorCode, OAuthError};
use crate::oidc::id_token;
use crate::storage::{Client, User};

pub use consent::{awaiting_consent, deny, grant_consent};
pub use pending::{Pending, ShownTo};
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
    /// docs/security.md G.1: the login needs a second factor the user has (step-up); the request
    /// waits under `request_id`.
    SecondFactor {
        request_id: String,
        user_id: String,
        amr: Vec<crate::storage::AuthMethod>,
    },
    /// docs/security.md G.1: the login needs a second factor and the user has none: enrolment
    /// first; the request waits under `request_id`.
    EnrolMfa { request_id: String },
    /// The user may not use the client (its `require_groups`): the access-denied page, whose
    /// button sends `response` (`error=access_denied`) back to the client. No code is issued.
    Denied {
        client_name: String,
        username: String,
        response: AuthResponse,
    },
}

/// A signed-in browser: its session and user (already checked with `LoginSession::is_valid_for`).
#[derive(Clone, Copy)]
pub struct SignedIn<'a> {
    pub session: &'a LoginSession,
    pub user: &'a User,
}

/// OpenID Core §3.1.2: a validated authorization request from the browser `holder` becomes a
/// pending request, and its first step is decided ([`evaluate`]).
pub async fn begin(
    ctx: &Context,
    request: AuthorizationRequest,
    client: &Client,
    holder: Holder<'_>,
    signed_in: Option<SignedIn<'_>>,
    meta: &RequestMeta,
) -> Result<Step, OAuthError> {
    let pending = Pending::new(ctx, request, holder);
    evaluate(ctx, pending, client, signed_in, meta).await
}

/// OpenID Core §3.1.2.3-§3.1.2.5: decides the next step for a pending request, and issues the
/// code when neither login nor consent is needed.
pub async fn evaluate(
    ctx: &Context,
    mut pending: Pending,
    client: &Client,
    signed_in: Option<SignedIn<'_>>,
    meta: &RequestMeta,
) -> Result<Step, OAuthError> {
    // docs/security.md E.32: parked in the browser's current login session, if any.
    pending.park_in(signed_in.map(|s| s.session.login()));
    let request = &pending.request;
    let hint_sub = match &request.id_token_hint {
        Some(h) => match id_token::verify_hint(ctx, h).await {
            Ok(hint) => Some(hint.sub),
            Err(e) => return Ok(Step::Respond(AuthResponse::error(&ctx.issuer, request, e))),
        },
        None => None,
    };
    let Some(signed_in) = signed_in.filter(|s| {
        !needs_login(ctx, &pending, s, hint_sub.as_deref())
            && crate::federation::accepts_login(client, s.session)
    }) else {
        if request.prompt.none {
            let e = OAuthError::new(ErrorCode::LoginRequired, "the user must sign in");
            return Ok(Step::Respond(AuthResponse::error(&ctx.issuer, request, e)));
        }
        pending.save(ctx).await?;
        let client_name = client.name.clone();
        return Ok(Step::Login { pending, client_name });
    };
    if !crate::groups::admits(ctx, client, signed_in.user).await? {
        let e = crate::groups::denied(ctx, client, signed_in.user, Some(&meta.ip)).await;
        let response = AuthResponse::error(&ctx.issuer, request, e);
        pending.discard(ctx).await?;
        if pending.request.prompt.none {
            return Ok(Step::Respond(response));
        }
        return Ok(Step::Denied {
            client_name: client.name.clone(),
            username: signed_in.user.username.clone(),
            response,
        });
    }
    if let Some(step) = crate::mfa::gate(ctx, &mut pending, client, signed_in).await? {
        return Ok(step);
    }
    let request = &pending.request;
    if consent_needed(ctx, &pending, client, signed_in.user).await? {
        if request.prompt.none {
            let e = OAuthError::new(ErrorCode::ConsentRequired, "the user must consent");
            return Ok(Step::Respond(AuthResponse::error(&ctx.issuer, request, e)));
        }
        pending.consent_shown_to = Some(ShownTo {
            user_id: signed_in.user.id.clone(),
            login: signed_in.session.login().to_string(),
        });
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
/// `max_age` asks for a new login that did not happen for this very request. `max_age=0` is
/// `prompt=login` (OpenID Core §3.1.2.1, errata set 2): even a login of this very second is too old.
fn needs_login(ctx: &Context, pending: &Pending, s: &SignedIn<'_>, hint_sub: Option<&str>) -> bool {
    let request = &pending.request;
    let fresh = pending.login_for_request.as_deref() == Some(s.session.login());
    // `select_account` shows the login page too: it is where the user picks another account.
    let stale = request.prompt.login
        || request.prompt.select_account
        || request
            .max_age
            .is_some_and(|max| max == 0 || ctx.now() - s.session.auth_time > max);
    (stale && !fresh) || hint_sub.is_some_and(|sub| sub != s.user.id)
}

/// Whether the user must see the consent page: a third-party client, no consent given for this
/// request, and either `prompt=consent`, remembered consent that does not cover the scope, or a
/// client known only by its metadata document (always asked).
async fn consent_needed(
    ctx: &Context,
    pending: &Pending,
    client: &Client,
    user: &User,
) -> Result<bool, OAuthError> {
    if client.first_party || pending.consent_given {
        return Ok(false);
    }
    // docs/security.md K.3: a client known only by its metadata document asks every time.
    if client.registration.source == crate::storage::ClientSource::MetadataDocument {
        return Ok(true);
    }
    let request = &pending.request;
    if request.prompt.consent {
        return Ok(true);
    }
    let remembered = ctx.store.consent(&user.id, &client.client_id).await?;
    Ok(!remembered.is_some_and(|c| request.scope.is_subset_of(&c.scope)))
}

/// docs/security.md O.4: the browser left the login `pending` was shown in ("Use another
/// account"): the request no longer belongs to that login, nor to its consent page; it waits for
/// the next login of the same browser.
pub async fn forget_login(ctx: &Context, pending: &mut Pending) -> Result<(), OAuthError> {
    pending.consent_shown_to = None;
    pending.login_for_request = None;
    pending.park_in(None);
    pending.save(ctx).await
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
    pending.login_for_request = Some(signed_in.session.login().to_string());
    evaluate(ctx, pending, client, Some(signed_in), meta).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::accounts::csrf::Holder;
    use crate::testing::{self, FIRST_PARTY, THIRD_PARTY, World};

    const BROWSER: &str = "a-browser-binding-cookie-value-of-43-chars!";
    const SIGNED_OUT: Holder<'static> = Holder {
        binding: BROWSER,
        login: None,
    };

    async fn step(w: &World, client_id: &str, extra: &str, session: Option<&LoginSession>) -> Step {
        let request = w.request(client_id, extra).await;
        let client = w.client(client_id).await;
        let holder = Holder {
            binding: BROWSER,
            login: session.map(|s| s.login()),
        };
        let pending = Pending::new(&w.ctx, request, holder);
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
            Pending::load(&w.ctx, &pending.id, SIGNED_OUT)
                .await
                .unwrap()
                .is_some()
        );
        let other_browser = Holder {
            binding: "another-browser-binding-cookie-value-43-chr",
            login: None,
        };
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

    /// D.21, OpenID Core §3.1.2.1 (errata set 2): `max_age=0` is `prompt=login`: a login of this
    /// very second does not serve it; the login made for the request does.
    #[tokio::test]
    async fn max_age_zero_forces_a_new_login_even_within_the_same_second() {
        let w = testing::world().await;
        let session = w.sign_in().await;
        let Step::Login { pending, .. } = step(&w, FIRST_PARTY, "&max_age=0", Some(&session)).await else {
            panic!("max_age=0: the login page, even for a login of this second");
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
            "the login for this request satisfies max_age=0"
        );
    }

    /// E.32: the consent form answers only for the browser and the login session (user and `sid`)
    /// its page was shown to; a request whose consent page was never shown cannot be consented.
    #[tokio::test]
    async fn consent_is_answered_only_by_the_session_it_was_shown_to() {
        let w = testing::world().await;
        let session = w.sign_in().await;
        let Step::Consent { pending, .. } = step(&w, THIRD_PARTY, "", Some(&session)).await else {
            panic!("expected the consent page");
        };
        let as_ = |session| SignedIn {
            session,
            user: &w.user,
        };
        let other_session = w.sign_in().await;
        let id = pending.id.as_str();
        let found = |binding, s| awaiting_consent(&w.ctx, id, binding, s);
        assert!(found(BROWSER, as_(&other_session)).await.unwrap().is_none());
        let other_browser = "another-browser-binding-cookie-value-43-chr";
        assert!(found(other_browser, as_(&session)).await.unwrap().is_none());
        let mut bob = w.user.clone();
        bob.id = "bob".into();
        let as_bob = SignedIn {
            session: &session,
            user: &bob,
        };
        assert!(found(BROWSER, as_bob).await.unwrap().is_none(), "another user");
        assert!(found(BROWSER, as_(&session)).await.unwrap().is_some());

        let Step::Login { pending, .. } = step(&w, THIRD_PARTY, "&prompt=login", Some(&session)).await else {
            panic!("expected the login page");
        };
        let never_shown = awaiting_consent(&w.ctx, &pending.id, BROWSER, as_(&session)).await;
        assert!(never_shown.unwrap().is_none(), "no consent page was shown for it");
    }

    /// E.32: a request parked in a login session is not handed back while another session is
    /// current; one parked signed out goes to its browser, signed in or not.
    #[tokio::test]
    async fn pending_request_is_bound_to_the_login_session_it_was_parked_in() {
        let w = testing::world().await;
        let session = w.sign_in().await;
        let Step::Login { pending, .. } = step(&w, FIRST_PARTY, "&prompt=login", Some(&session)).await else {
            panic!("expected the login page");
        };
        let in_session = |sid| Holder {
            binding: BROWSER,
            login: Some(sid),
        };
        let load = |holder| Pending::load(&w.ctx, &pending.id, holder);
        assert!(load(in_session(session.login())).await.unwrap().is_some());
        assert!(load(in_session("another-sid")).await.unwrap().is_none());
        assert!(load(SIGNED_OUT).await.unwrap().is_some(), "its session ended");

        let Step::Login { pending, .. } = step(&w, FIRST_PARTY, "", None).await else {
            panic!("expected the login page");
        };
        let loaded = Pending::load(&w.ctx, &pending.id, in_session("any-sid")).await;
        assert!(loaded.unwrap().is_some(), "signed in since, in another tab");
    }

    /// A.7: a new pending request lives `tokens.auth_request_first_ttl_secs`; once a login form
    /// is submitted for it, `tokens.auth_request_ttl_secs`.
    #[tokio::test]
    async fn pending_request_is_short_lived_until_its_login_form_is_submitted() {
        let w = testing::world().await;
        let first = w.ctx.tokens.auth_request_first_ttl_secs;
        let full = w.ctx.tokens.auth_request_ttl_secs;
        assert!(first < full);
        let Step::Login { pending, .. } = step(&w, FIRST_PARTY, "", None).await else {
            panic!("expected the login page");
        };
        w.advance(first + 1);
        let gone = Pending::load(&w.ctx, &pending.id, SIGNED_OUT).await.unwrap();
        assert!(gone.is_none(), "unanswered past the first lifetime");

        let Step::Login { mut pending, .. } = step(&w, FIRST_PARTY, "", None).await else {
            panic!("expected the login page");
        };
        w.advance(first - 10);
        pending.login_submitted(&w.ctx).await.unwrap();
        w.advance(full - 10);
        let kept = Pending::load(&w.ctx, &pending.id, SIGNED_OUT).await.unwrap();
        assert!(kept.is_some(), "extended once the login form was submitted");
        w.advance(20);
        let gone = Pending::load(&w.ctx, &pending.id, SIGNED_OUT).await.unwrap();
        assert!(gone.is_none(), "until auth_request_ttl_secs after the submission");
    }
}

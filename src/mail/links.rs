//! docs/security.md N.2-N.4: the links sent by mail. A link's token names its purpose, the user,
//! when it expires, a digest of the account state it was made for and a random nonce, under an
//! HMAC-SHA256 of a key derived from the master key. It works only while:
//! - its MAC verifies (nobody can make or change one);
//! - it has not expired (`email.link_ttl_secs`);
//! - the account is in the state it was made for: a reset link dies when the password changes,
//!   a verification link when the address changes or is verified;
//! - its nonce has not been used: the first use consumes it, on every node (the shared store).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::digest::{ct_eq, sha256_hex};
use crate::mail::templates::LinkText;
use crate::random::secret_256;
use crate::storage::{Kind, StorageError, User};

const KEY_PURPOSE: &str = "email-link";

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Choosing a new password (`/reset?token=`).
    Reset,
    /// Confirming an email address (`/email/verify?token=`).
    Verify,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    p: Purpose,
    u: String,
    exp: i64,
    s: String,
    n: String,
}

/// Why a link does not work (one page for all: "this link is not valid").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a token we made, or for another purpose, or its user is gone or disabled.
    Invalid,
    Expired,
    /// The account changed since (the password, the address), or the link was used.
    Used,
}

impl LinkProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkProblem::Invalid => "invalid",
            LinkProblem::Expired => "expired",
            LinkProblem::Used => "used",
        }
    }
}

/// The digest of the account state a link of `purpose` is bound to.
fn state_of(purpose: Purpose, user: &User) -> String {
    let state = match purpose {
        Purpose::Reset => format!("{}|{}", user.password_hash, user.password_changed_at),
        Purpose::Verify => format!(
            "{}|{}",
            user.email.as_deref().unwrap_or_default().to_lowercase(),
            user.email_verified
        ),
    };
    sha256_hex(&state)[..32].to_string()
}

fn mac(ctx: &Context, payload: &str) -> String {
    URL_SAFE_NO_PAD.encode(ctx.keys.derive(KEY_PURPOSE).mac(payload.as_bytes()))
}

/// Makes a link token of `purpose` for `user`, valid `email.link_ttl_secs`.
pub async fn issue(ctx: &Context, purpose: Purpose, user: &User) -> Result<String, StorageError> {
    let ttl = ctx.email.link_ttl_secs;
    let nonce = secret_256();
    let claims = Claims {
        p: purpose,
        u: user.id.clone(),
        exp: ctx.now().saturating_add(ttl as i64),
        s: state_of(purpose, user),
        n: nonce.clone(),
    };
    let json = serde_json::to_vec(&claims).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let payload = URL_SAFE_NO_PAD.encode(json);
    let tag = mac(ctx, &payload);
    // The nonce lives a little past the link, so a use at the last second is still counted once.
    let keep = Duration::from_secs(ttl + 60);
    ctx.ephemeral
        .put(Kind::EmailLink, &sha256_hex(&nonce), &user.id, keep)
        .await?;
    Ok(format!("{payload}.{tag}"))
}

/// The user a link of `purpose` is for, if it works now; nothing is consumed (a page that
/// shows the reset form may be loaded again).
pub async fn check(
    ctx: &Context,
    purpose: Purpose,
    token: &str,
) -> Result<Result<User, LinkProblem>, StorageError> {
    Ok(match open(ctx, purpose, token).await? {
        Ok((user, nonce)) => match ctx.ephemeral.get(Kind::EmailLink, &sha256_hex(&nonce)).await? {
            Some(id) if id == user.id => Ok(user),
            Some(_) => Err(LinkProblem::Invalid),
            None => Err(LinkProblem::Used),
        },
        Err(p) => Err(p),
    })
}

/// Uses the link: the user, exactly once across all nodes; a second use is `Used`.
pub async fn redeem(
    ctx: &Context,
    purpose: Purpose,
    token: &str,
) -> Result<Result<User, LinkProblem>, StorageError> {
    let (user, nonce) = match open(ctx, purpose, token).await? {
        Ok(found) => found,
        Err(p) => return Ok(Err(p)),
    };
    Ok(
        match ctx.ephemeral.take(Kind::EmailLink, &sha256_hex(&nonce)).await? {
            Some(id) if id == user.id => Ok(user),
            Some(_) => Err(LinkProblem::Invalid),
            None => Err(LinkProblem::Used),
        },
    )
}

/// Verifies the MAC, purpose, expiry and account state; returns the user and the nonce.
async fn open(
    ctx: &Context,
    purpose: Purpose,
    token: &str,
) -> Result<Result<(User, String), LinkProblem>, StorageError> {
    let Some((payload, tag)) = token.split_once('.') else {
        return Ok(Err(LinkProblem::Invalid));
    };
    if payload.len() > 1024 || !ct_eq(tag, &mac(ctx, payload)) {
        return Ok(Err(LinkProblem::Invalid));
    }
    let Some(claims) = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice::<Claims>(&b).ok())
    else {
        return Ok(Err(LinkProblem::Invalid));
    };
    if claims.p != purpose {
        return Ok(Err(LinkProblem::Invalid));
    }
    if ctx.now() >= claims.exp {
        return Ok(Err(LinkProblem::Expired));
    }
    let user = match ctx.store.user_by_id(&claims.u).await? {
        Some(u) if !u.disabled => u,
        _ => return Ok(Err(LinkProblem::Invalid)),
    };
    if !ct_eq(&claims.s, &state_of(purpose, &user)) {
        return Ok(Err(LinkProblem::Used));
    }
    Ok(Ok((user, claims.n)))
}

/// Issues a `purpose` link for `user` to `path` on this issuer and posts the mail `render` writes
/// around it to `address` (`what` names it in logs). The one way reset and verification mails go out.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    ctx: &Context,
    purpose: Purpose,
    user: &User,
    address: String,
    path: &str,
    subject: &str,
    what: &'static str,
    render: impl FnOnce(&LinkText<'_>) -> askama::Result<String>,
) -> Result<(), crate::oauth::OAuthError> {
    let token = issue(ctx, purpose, user).await?;
    let link = format!("{}{path}?token={token}", ctx.issuer);
    let valid_for = crate::accounts::ratelimit::for_people(Duration::from_secs(ctx.email.link_ttl_secs));
    let text = render(&LinkText {
        username: &user.username,
        link: &link,
        valid_for: &valid_for,
        issuer: &ctx.issuer,
    })
    .map_err(crate::oauth::OAuthError::server_error)?;
    let mail = super::Mail {
        to: address,
        subject: subject.into(),
        text,
    };
    ctx.mail.post(mail, what);
    Ok(())
}

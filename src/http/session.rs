//! The signed-in browser: its session cookie, the login session behind it, and the user
//! (docs/security.md D.21).

use actix_web::HttpRequest;

use crate::accounts::session::{self, LoginSession};
use crate::config::Settings;
use crate::context::Context;
use crate::http::cookies;
use crate::interaction::SignedIn;
use crate::oauth::OAuthError;
use crate::storage::User;

/// The browser's login session and user, when it has a valid one.
pub struct Current {
    pub cookie: String,
    pub session: LoginSession,
    pub user: User,
}

impl Current {
    pub fn signed_in(&self) -> SignedIn<'_> {
        SignedIn {
            session: &self.session,
            user: &self.user,
        }
    }
}

/// The current login, if the session cookie names a live session of an enabled user whose
/// credentials did not change since.
pub async fn current(
    ctx: &Context,
    settings: &Settings,
    req: &HttpRequest,
) -> Result<Option<Current>, OAuthError> {
    let Some(cookie) = cookies::session_value(req, settings) else {
        return Ok(None);
    };
    let Some(session) = session::load(ctx, &cookie).await? else {
        return Ok(None);
    };
    let user = ctx.store.user_by_id(&session.user_id).await?;
    Ok(user.filter(|u| session.is_valid_for(u)).map(|user| Current {
        cookie,
        session,
        user,
    }))
}

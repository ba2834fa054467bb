//! docs/security.md O.3: how a logout confirmation ended ("Sign out" or "Stay signed in"), parked
//! for the browser that answered, so the page that says so is a `GET /logout/done?id=...` that can
//! be reloaded, never the answer to the form POST itself.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::accounts::csrf::Holder;
use crate::context::Context;
use crate::interaction::pending::Parking;
use crate::oauth::OAuthError;
use crate::random::secret_256;
use crate::storage::Kind;

const PARKING: Parking = Parking {
    kind: Kind::LogoutRequest,
    ttl: Duration::from_secs(10 * 60),
};

/// What the page after a logout confirmation shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// True: the browser signed out; false: the user chose to stay signed in.
    pub signed_out: bool,
    /// The client the user came from, when known.
    pub client_name: Option<String>,
    /// The way back to that client: its registered `client_uri`, else the origin of its
    /// registered `post_logout_redirect_uri` (never a URI the request brought unchecked).
    pub back: Option<String>,
}

/// Parks `outcome` for `holder`; returns its id.
pub async fn park(ctx: &Context, outcome: &Outcome, holder: Holder<'_>) -> Result<String, OAuthError> {
    let id = secret_256();
    PARKING.put(ctx, &id, holder, outcome).await?;
    Ok(id)
}

/// The outcome parked under `id`, only for the browser (and login) that parked it; it stays for
/// reloads until it expires.
pub async fn load(ctx: &Context, id: &str, holder: Holder<'_>) -> Result<Option<Outcome>, OAuthError> {
    PARKING.get(ctx, id, holder).await
}

/// The way back to a client: `client_uri` when registered, else the origin of the registered
/// post-logout redirect URI of this request.
pub fn way_back(client_uri: Option<&str>, post_logout_redirect_uri: Option<&str>) -> Option<String> {
    if let Some(uri) = client_uri {
        return Some(uri.to_string());
    }
    let url = url::Url::parse(post_logout_redirect_uri?).ok()?;
    matches!(url.scheme(), "https" | "http").then(|| url.origin().ascii_serialization() + "/")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn way_back_prefers_client_uri_then_the_origin_of_the_registered_uri() {
        assert_eq!(
            way_back(Some("https://app.example/"), Some("https://rp.example/bye?x=1")).as_deref(),
            Some("https://app.example/")
        );
        assert_eq!(
            way_back(None, Some("https://rp.example/bye?x=1")).as_deref(),
            Some("https://rp.example/")
        );
        assert_eq!(way_back(None, Some("com.example.app:/bye")), None);
        assert_eq!(way_back(None, None), None);
    }
}

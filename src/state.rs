//! Everything a request handler needs, built once at start-up and shared: the flows' [`Context`]
//! plus what only HTTP uses (cookie and security settings, the rendered discovery document).

use std::sync::Arc;

use crate::config::Settings;
use crate::context::Context;
use crate::oidc::metadata::DiscoveryCache;

/// Shared application state, one per server (handlers get it as `web::Data<AppState>`).
#[derive(Clone)]
pub struct AppState {
    /// What the flow layer sees.
    pub ctx: Context,
    pub settings: Arc<Settings>,
    /// The discovery document, rendered once (it changes only with the key ring's algorithms).
    pub discovery: Arc<DiscoveryCache>,
}

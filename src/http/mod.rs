//! HTTP plumbing shared by the handlers: extractors, errors that render themselves, responses and
//! pages, cookies, the signed-in browser, client authentication, security headers.

pub mod account_page;
pub mod branding;
pub mod client;
pub mod consent_page;
pub mod cookies;
pub mod cors;
pub mod denied;
pub mod device_pages;
pub mod dpop;
pub mod email_pages;
pub mod errors;
pub mod extract;
pub mod forwarded;
pub mod head;
pub mod headers;
pub mod locale;
pub mod mfa_pages;
pub mod observe;
pub mod overrides;
pub mod pages;
pub mod parked;
pub mod response;
pub mod session;
pub mod templates;

//! HTTP plumbing shared by the handlers: extractors, responses, cookies, security headers, pages.

pub mod cookies;
pub mod cors;
pub mod extract;
pub mod headers;
pub mod response;
pub mod templates;

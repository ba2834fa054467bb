//! Users and their browser sessions: password hashing, login sessions, CSRF, rate limits
//! (DESIGN.md §1 accounts/, SECURITY.md D).

pub mod csrf;
pub mod devices;
pub mod login;
pub mod overview;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod users;

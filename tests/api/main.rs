//! The one integration-test binary (STYLE.md §7): one module per spec area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;
mod relying_party;

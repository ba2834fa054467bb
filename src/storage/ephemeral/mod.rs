//! Implementations of [`crate::storage::Ephemeral`], the short-lived shared state (docs/architecture.md, "State").

pub mod redis;
pub mod sql;

//! Implementations of [`crate::storage::Ephemeral`], the short-lived shared state (DESIGN.md §3).

pub mod redis;
pub mod sql;

//! (being written)
pub struct Application;

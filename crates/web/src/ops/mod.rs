//! Operations shared by the HTTP handlers and the CLI: the domain decides,
//! the store persists, in one place so the two edges cannot drift apart.

pub mod appeals;
pub mod intake_queue;
pub mod mediation;
pub mod sms;
pub mod territory;
pub mod warning;

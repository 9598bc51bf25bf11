//! Operations shared by the HTTP handlers and the CLI: the domain decides,
//! the store persists, in one place so the two edges cannot drift apart.

pub mod appeals;
pub mod audit;
pub mod intake_queue;
pub mod mediation;
pub mod open311_clients;
pub mod questions;
pub mod rules;
pub mod sms;
pub mod territory;
pub mod users;
pub mod warning;

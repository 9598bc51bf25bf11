//! The Grassroots domain: plain Rust, no I/O.
//!
//! Every rule (who may do what, how the audit chain is hashed, how a point
//! resolves to a unit, how the demo city is generated) lives here once; the
//! store and the web layer call into it and never re-implement it.

pub mod accounts;
pub mod appeals;
pub mod audit;
pub mod authz;
pub mod clock;
pub mod demo;
pub mod error;
pub mod mediation;
pub mod portal;
pub mod questions;
pub mod territory;
pub mod warning;

pub use error::ErrorCode;

//! Early warning, the engine: find where and when appeals rise unusually.
//!
//! Plain Rust with no I/O, like `grassroots-core`: callers hand in counts and get clusters and
//! alarms back. Two families of method live here:
//!
//! - [`mod@scan`] — the prospective space-time permutation scan statistic (Kulldorff et al. 2005),
//!   computed the way SaTScan computes it so results can be compared line by line;
//! - [`baselines`] — per-series detectors (EARS C1/C2/C3, Poisson CUSUM, EWMA).
//!
//! [`satscan_format`] reads SaTScan's case and coordinate files from text. [`evaluate`] compares
//! the methods on synthetic outbreaks injected into real history, at matched false-alert rates.

pub mod baselines;
pub mod evaluate;
pub mod satscan_format;
pub mod scan;
pub mod sphere;
pub mod study;

pub use scan::{Cluster, ScanError, ScanParams, ScanReport, scan};
pub use study::{CaseCount, Location, Study, StudyError};
pub mod synthetic;

//! Early warning, the rules: what an alert is, how it moves from raised to closed, who it
//! goes to, and the thresholds admins set. The detection methods themselves are in the
//! `grassroots-warn` crate; this module holds no statistics.

mod alert;
mod routing;
mod rules;
mod watch;

pub use alert::{AlertCommand, AlertError, AlertStatus};
pub use routing::{containing_at, level_above, smallest_common_unit};
pub use rules::{BASELINE_METHODS, BaselineRule, RulesError, SeriesLevel, WarnRules};
pub use watch::{
    Finding, WatchKind, Watched, collective_objects, collective_requesters, object_key, repeats,
};

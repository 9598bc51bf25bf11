//! Appeals: the case record, its timeline, staff notifications, the outbox
//! and return-visit tasks. The workflow is decided in
//! `grassroots_core::appeals`; this module saves each accepted step with
//! its timeline entry, audit event and messages in one transaction.

mod bulk;
mod measures;
mod outbox;
mod photos;
mod read;
pub(crate) mod row;
mod write;

use grassroots_core::appeals::{Appeal, CaseClocks, Channel, Handler, Rating, TimeLimit, Urgency};

pub use measures::{MeasureFilter, MeasureGroup, MeasureScope};
pub use outbox::{OutboxCounts, OutboxMessage};
pub use photos::{MAX_PHOTOS_PER_APPEAL, NewPhoto, PhotoMeta};
pub use read::{AppealFilter, AppealSummary, Nearby, NotificationRow, TaskRow};
pub use write::{Intake, SubmitOutcome};

/// The location's unit and the units above it, by level (for jurisdiction
/// and for measures by unit without walking the tree).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitLevels {
    pub unit: Option<String>,
    pub district: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
}

/// One appeal as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredAppeal {
    pub id: i64,
    pub tracking_code: String,
    pub category: String,
    pub category_group: String,
    pub description: String,
    /// (lon, lat), degrees.
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    pub units: UnitLevels,
    pub contact_name: Option<String>,
    /// Personal data: views mask it; an unmasked read is audited.
    pub contact_phone: Option<String>,
    pub publish: bool,
    pub urgency: Urgency,
    pub channel: Channel,
    pub requester_id: Option<i64>,
    pub entered_by: Option<i64>,
    pub time_limit: TimeLimit,
    pub route_rule: Option<String>,
    pub state: Appeal,
    /// The level of the current handler (`grid` … `city`, or `department`).
    pub handler_level: Option<String>,
    pub requesters: i64,
    pub clocks: CaseClocks,
    pub reply_text: Option<String>,
    pub rating: Option<Rating>,
}

/// One timeline entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: i64,
    pub action: String,
    pub public: bool,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub role: String,
    pub unit: Option<String>,
    pub handler: Option<Handler>,
    pub note: Option<String>,
}

/// An in-app notification for the staff of a unit or department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub to: Handler,
    /// `new`, `returned`, `escalated`, `overdue`, `reopened`, `merged`.
    pub kind: &'static str,
}

/// A message to the outside world, queued in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutMessage {
    /// Unique per cause and destination, so a step never queues it twice.
    pub dedupe_key: String,
    pub channel: &'static str,
    pub destination: String,
    pub template: &'static str,
    pub params: serde_json::Value,
}

/// A return visit (回访) or other follow-up for a unit's staff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTask {
    pub kind: &'static str,
    pub unit: String,
    pub note: Option<String>,
}

/// Everything one accepted step writes besides the new state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepEffects {
    pub notices: Vec<Notice>,
    pub messages: Vec<OutMessage>,
    pub task: Option<NewTask>,
    /// A merge: the surviving appeal gains this appeal's requesters.
    pub merge_into: Option<i64>,
}

pub(crate) fn handler_parts(h: Option<&Handler>) -> (Option<&'static str>, Option<&str>) {
    match h {
        Some(Handler::Unit(c)) => (Some("unit"), Some(c.as_str())),
        Some(Handler::Department(c)) => (Some("department"), Some(c.as_str())),
        None => (None, None),
    }
}

pub(crate) fn handler_from(kind: Option<String>, code: Option<String>) -> Option<Handler> {
    match (kind.as_deref(), code) {
        (Some("unit"), Some(c)) => Some(Handler::Unit(c)),
        (Some("department"), Some(c)) => Some(Handler::Department(c)),
        _ => None,
    }
}

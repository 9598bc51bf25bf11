//! Schemas of the API's answers, for the OpenAPI document only.
//!
//! Most handlers build their answer with `json!` (the same `Value` the
//! pages render), so the shape is written down here, field by field. Each
//! type names the function that builds the answer; `scripts/api-fuzz` checks
//! every answer it sees against these schemas, so a drift fails there.
//! Closed vocabularies are read from the domain's own lists (`ALL`), never
//! copied.

// Documentation types: described, never built.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};

/// A string schema whose values are `values`.
fn one_of_strings<I: IntoIterator<Item = &'static str>>(
    values: I,
    description: &str,
) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .into()
}

/// A closed vocabulary of the domain as a string enum schema.
macro_rules! vocabulary {
    ($name:ident, $description:literal, $values:expr) => {
        #[doc = $description]
        #[derive(Debug, Serialize)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                one_of_strings($values, $description)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

use grassroots_core::accounts::Role;
use grassroots_core::appeals::{Channel, Status as AppealStatusCore, Urgency};
use grassroots_core::mediation;
use grassroots_core::territory::Level;
use grassroots_core::warning::AlertStatus as AlertStatusCore;

vocabulary!(
    ErrorCode,
    "A stable machine code of an error (`grassroots_core::ErrorCode`): never renamed or reused.",
    grassroots_core::ErrorCode::ALL.iter().map(|c| c.as_str())
);
vocabulary!(
    RoleName,
    "An account's role.",
    Role::ALL.iter().map(|r| r.as_str())
);
vocabulary!(
    LevelName,
    "A level of the territory.",
    Level::ALL.iter().map(|l| l.as_str())
);
vocabulary!(
    AppealStatus,
    "Where an appeal is in its workflow.",
    AppealStatusCore::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    UrgencyName,
    "How urgent an appeal is (urgency tightens the time limit).",
    Urgency::ALL.iter().map(|u| u.as_str())
);
vocabulary!(
    ChannelName,
    "How an appeal reached the platform.",
    Channel::ALL.iter().map(|c| c.as_str())
);
vocabulary!(
    SatisfactionName,
    "A resident's satisfaction with the reply.",
    ["satisfied", "basically_satisfied", "unsatisfied"]
);
vocabulary!(
    AlertStatusName,
    "Where an early-warning alert is in its life.",
    AlertStatusCore::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    DisputeStatus,
    "Where a dispute is in its workflow.",
    mediation::Status::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    DisputeTypeName,
    "What a dispute is about.",
    mediation::DisputeType::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    DisputeSourceName,
    "How a dispute reached mediation.",
    mediation::Source::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    OrgKindName,
    "The kind of a mediation organisation.",
    mediation::OrgKind::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    ReferralChannelName,
    "Where an unsettled dispute is referred.",
    mediation::Channel::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    RiskReasonName,
    "Why a dispute may escalate (about the dispute, never a person).",
    mediation::RiskReason::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    SideName,
    "Which side of a dispute a party is on.",
    mediation::Side::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    PerformanceName,
    "What a follow-up visit found.",
    mediation::Performance::ALL.iter().map(|s| s.as_str())
);
vocabulary!(
    PartyKindName,
    "A party is a person or an organisation.",
    ["person", "organisation"]
);
vocabulary!(
    RulingName,
    "A court's ruling on the judicial confirmation of an agreement.",
    ["confirmed", "rejected"]
);

/// An RFC 3339 time in China time (`2026-11-22T09:30:00+08:00`).
#[derive(Debug, Serialize)]
pub struct LocalTime;

impl PartialSchema for LocalTime {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some("RFC 3339, China time (+08:00)"))
            .into()
    }
}

impl ToSchema for LocalTime {}

// ---------------------------------------------------------------- errors

/// Every error: a status, and this body with a stable `code`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// Rendered by `ApiError::body`, in the request's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A sentence for a person, in the request's language (`?lang=`, the
    /// `gr_lang` cookie or `Accept-Language`; zh-CN by default).
    pub message: String,
    /// The input field at fault (`invalid_input`).
    pub field: Option<String>,
    /// A detail safe to show.
    pub detail: Option<String>,
    /// Structured help, e.g. `{"nearest": unit}` for `outside_territory`,
    /// `{"fields": [...]}` for every field's problem at once.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// The request id to quote to an administrator.
    pub request_id: Option<String>,
}

// ---------------------------------------------------------------- health

/// `health::healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// `health::readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Units in the territory.
    pub units: u64,
}

// ---------------------------------------------------------------- accounts

/// Where a staff member acts: `{"kind": "unit", "code": …}`,
/// `{"kind": "department", "code": …}`, or `{"kind": "none"}` (residents).
#[derive(Debug, Serialize, ToSchema)]
pub struct ScopeView {
    #[schema(value_type = String, pattern = "^(none|unit|department)$")]
    pub kind: String,
    #[schema(required = false)]
    pub code: String,
}

/// `users::user_view`: an account, the phone masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: RoleName,
    /// The role's Chinese name.
    pub role_name: String,
    pub scope: ScopeView,
    /// Masked (`138****5678`) unless revealed.
    pub phone: Option<String>,
    pub disabled: bool,
    pub has_password: bool,
}

/// `auth::start_session`: the signed-in user; the session cookie is set.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub user: User,
    /// µs since the epoch.
    pub expires_at_micros: i64,
}

/// `auth::me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: User,
}

/// `auth::create_token`: the secret is shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: i64,
    pub name: String,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// `sms_login::request_code`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeSent {
    pub sent: bool,
    pub expires_in_seconds: i64,
}

/// `users::list`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub count: u64,
    pub users: Vec<User>,
}

/// An unmasked phone; the read is audited.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneRevealed {
    pub id: i64,
    pub phone: Option<String>,
}

/// `core::accounts::Department`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// One of the 12 department kinds.
    pub kind: String,
    /// The unit whose government it belongs to.
    pub unit: String,
}

/// `users::departments`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentList {
    pub count: u64,
    pub departments: Vec<Department>,
}

// ---------------------------------------------------------------- audit

/// `core::audit::ChainedEvent`: field names only, never values.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub seq: i64,
    pub at_micros: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub role: String,
    pub unit: Option<String>,
    /// Dotted verb, e.g. `user.create`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub fields: Vec<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// `audit::events`: newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub count: u64,
    pub events: Vec<AuditEvent>,
    /// `before` for the next (older) page, when this one is full.
    pub next_before: Option<i64>,
}

/// `ops::audit::verify`: `intact` with the number of events, or the first
/// broken one.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerify {
    pub intact: bool,
    #[schema(required = false)]
    pub events: i64,
    #[schema(required = false)]
    pub first_bad_seq: i64,
    #[schema(required = false)]
    pub problem: String,
}

// ---------------------------------------------------------------- territory

/// `territory::brief`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitBrief {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: LevelName,
}

/// `territory::summary`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitSummary {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: LevelName,
    pub parent: Option<String>,
    pub households: Option<u32>,
    pub retired: bool,
    /// `[lon, lat]` of the label point.
    pub label: Option<[f64; 2]>,
}

/// `territory::list_units`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitList {
    pub count: u64,
    pub units: Vec<UnitSummary>,
}

/// `territory::unit_detail`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub summary: UnitSummary,
    /// Nearest first.
    pub ancestors: Vec<UnitBrief>,
    /// Codes of the units directly below.
    pub children: Vec<String>,
    /// A GeoJSON Feature with the unit's MultiPolygon.
    #[schema(value_type = Option<Object>)]
    pub boundary: Option<Value>,
}

/// `territory::subtree`: `children` down to the depth asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct TreeNode {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: LevelName,
    #[schema(no_recursion, required = false)]
    pub children: Vec<TreeNode>,
}

/// `territory::tree`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tree {
    pub roots: Vec<TreeNode>,
}

/// `territory::lookup`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Located {
    pub unit: UnitBrief,
    /// Nearest first.
    pub ancestors: Vec<UnitBrief>,
}

/// `territory::retire_unit`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retired {
    pub code: String,
    pub retired: bool,
}

/// `ops::territory::ImportReport`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub imported: u64,
    pub codes: Vec<String>,
}

/// A GeoJSON FeatureCollection of units (properties `code`, `name`,
/// `name_en`, `level`, `parent_code`, `households`, `label`, or others
/// named with `map.FIELD=PROPERTY`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    #[schema(pattern = "^FeatureCollection$")]
    pub kind: String,
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<Value>,
}

// ---------------------------------------------------------------- appeals

/// `appeals::views::handler_json`: who handles an appeal.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandlerView {
    #[schema(pattern = "^(unit|department)$")]
    pub kind: String,
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// A handler as sent: a unit or a department by code.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandlerIn {
    #[schema(pattern = "^(unit|department)$")]
    pub kind: String,
    pub code: String,
}

/// `appeals::views::category_json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryBrief {
    pub code: String,
    #[schema(required = false)]
    pub name: String,
    #[schema(required = false)]
    pub name_en: String,
    #[schema(required = false)]
    pub group: String,
}

/// The deadlines fixed at intake.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealDue {
    pub sign_by: LocalTime,
    pub reply_by: LocalTime,
}

/// How a closed appeal ended (`core::appeals::Outcome`, tagged by `kind`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealOutcome {
    /// `rated`, `not_rated`, `resolved_on_site`, `withdrawn`,
    /// `out_of_remit`, `invalid` or `merged`.
    pub kind: String,
    #[schema(required = false)]
    pub resolved: bool,
    #[schema(required = false)]
    pub satisfaction: SatisfactionName,
    #[schema(required = false)]
    pub reason: String,
    #[schema(required = false)]
    pub redirect: String,
    #[schema(required = false)]
    pub into: i64,
}

/// A possible duplicate: an open appeal of the same category nearby.
#[derive(Debug, Serialize, ToSchema)]
pub struct Duplicate {
    pub id: i64,
    pub distance_m: f64,
}

/// `intake::duplicate_check`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateList {
    pub items: Vec<Duplicate>,
}

/// A resident's rating of the reply.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    pub resolved: bool,
    pub satisfaction: SatisfactionName,
    pub comment: Option<String>,
}

/// Who acted, as a resident sees it: a role, never a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicActor {
    pub role: String,
    #[schema(required = false)]
    pub role_name: String,
}

/// One step of an appeal's timeline. Residents see `by` (a role); staff
/// see `public`, `actor`, `role` and `unit`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: LocalTime,
    /// Dotted verb, e.g. `appeal.sign`.
    pub action: String,
    pub handler: Option<HandlerView>,
    pub note: Option<String>,
    #[schema(required = false)]
    pub by: PublicActor,
    #[schema(required = false)]
    pub public: bool,
    #[schema(required = false)]
    pub actor: String,
    #[schema(required = false)]
    pub role: String,
    #[schema(required = false, nullable)]
    pub unit: Option<String>,
}

/// `photos::photo_list`: a photo of the appeal, served at `url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Photo {
    pub id: i64,
    /// `intake`, `on_site` or `reply`.
    pub purpose: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
    pub appeal_id: i64,
}

/// `photos::save`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoIds {
    pub ids: Vec<i64>,
}

/// Where the appeal is (staff view).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealLocation {
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub address: Option<String>,
    pub unit: Option<String>,
    pub district: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
}

/// The requester's contact, phone masked (staff view).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealContact {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// A unit or department called in to help.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssistView {
    pub handler: Option<HandlerView>,
    pub sign_by: LocalTime,
    pub signed: bool,
    pub overdue: bool,
}

/// A pending request for more time.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExtensionView {
    pub days: u32,
    pub reason: String,
    pub state: String,
}

/// The case clocks (staff view).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealClocks {
    pub act_by: Option<LocalTime>,
    pub signed_at: Option<LocalTime>,
    pub replied_at: Option<LocalTime>,
    pub closed_at: Option<LocalTime>,
}

/// `appeals::views::receipt`: the answer to a submission, and each item of
/// a resident's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub id: i64,
    /// The resident's credential for `/api/v1/track/{code}`.
    pub tracking_code: String,
    pub status: AppealStatus,
    pub handler: Option<HandlerView>,
    /// Which routing rule chose the handler.
    pub route_rule: Option<String>,
    pub category: CategoryBrief,
    pub urgency: UrgencyName,
    pub received_at: LocalTime,
    pub due: AppealDue,
    pub outcome: Option<AppealOutcome>,
    /// Send it back with a step: a step on a changed appeal is a conflict.
    pub version: i64,
}

/// A submission's answer: the receipt, and for staff the open appeals of
/// the same category nearby.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    #[serde(flatten)]
    pub receipt: Receipt,
    #[schema(required = false)]
    pub possible_duplicates: Vec<Duplicate>,
}

/// An appeal as its reader may see it: the resident's view
/// (`views::public`: description, reply, rating, the public timeline) or
/// the staff view (`views::staff`: the whole record, contact masked).
/// Fields marked *staff* are in the staff view only.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealView {
    #[serde(flatten)]
    pub receipt: Receipt,
    pub description: String,
    pub reply: Option<String>,
    pub rating: Option<RatingView>,
    /// In a single appeal's view (not in lists).
    #[schema(required = false)]
    pub timeline: Vec<TimelineEntry>,
    /// In a single appeal's view (not in lists).
    #[schema(required = false)]
    pub photos: Vec<Photo>,
    /// *staff*
    #[schema(required = false)]
    pub location: AppealLocation,
    /// *staff*
    #[schema(required = false)]
    pub contact: AppealContact,
    /// *staff*: published on the portal.
    #[schema(required = false)]
    pub publish: bool,
    /// *staff*
    #[schema(required = false)]
    pub channel: ChannelName,
    /// *staff*
    #[schema(required = false, nullable)]
    pub first_handler: Option<HandlerView>,
    /// *staff*: how many times it was returned.
    #[schema(required = false)]
    pub returns: u64,
    /// *staff*
    #[schema(required = false)]
    pub passed_around: bool,
    /// *staff*
    #[schema(required = false)]
    pub reopened: bool,
    /// *staff*
    #[schema(required = false)]
    pub escalations: u32,
    /// *staff*
    #[schema(required = false)]
    pub supervised: bool,
    /// *staff*: residents who filed the same matter.
    #[schema(required = false)]
    pub requesters: i64,
    /// *staff*
    #[schema(required = false)]
    pub assists: Vec<AssistView>,
    /// *staff*
    #[schema(required = false, nullable)]
    pub extension: Option<ExtensionView>,
    /// *staff*
    #[schema(required = false)]
    pub extension_days: u32,
    /// *staff*
    #[schema(required = false)]
    pub clocks: AppealClocks,
}

/// `appeals::list`: the staff view of each appeal, no timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealPage {
    pub items: Vec<AppealView>,
    pub limit: i64,
    pub offset: i64,
}

/// `appeals::my_appeals`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptPage {
    pub items: Vec<Receipt>,
    pub limit: i64,
    pub offset: i64,
}

/// `appeals::reveal_contact`: the unmasked phone; the read is audited.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactRevealed {
    pub id: i64,
    pub phone: Option<String>,
}

/// `appeals::categories`: one category of the taxonomy.
#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub group: String,
    pub group_name: Option<String>,
    pub group_name_en: Option<String>,
    /// Department kinds that handle it.
    pub departments: Vec<String>,
    pub default_level: String,
    pub limit_class: String,
    /// The time limit of its class: minutes to sign for it, the reply limit.
    #[schema(value_type = Object)]
    pub time_limit: Value,
    pub needs_location: bool,
}

/// `rules::get_taxonomy`: the taxonomy in force, in its file format.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxonomyDoc {
    #[schema(pattern = "^(builtin|custom)$")]
    pub source: String,
    /// `data/categories.json`'s format.
    #[schema(value_type = Object)]
    pub taxonomy: Value,
}

/// `rules::put_taxonomy`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxonomySaved {
    pub source: String,
    pub categories: u64,
    pub groups: u64,
}

/// `rules::get_calendar`: each year's holidays and adjusted workdays.
#[derive(Debug, Serialize, ToSchema)]
pub struct Calendar {
    #[schema(value_type = Vec<Object>)]
    pub years: Vec<Value>,
}

/// `rules::put_calendar_year`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarSaved {
    pub year: i64,
    pub holidays: u64,
    pub workdays: u64,
}

/// One rate with what it is made of.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateView {
    pub numerator: u64,
    pub denominator: u64,
    /// `null` when there is nothing to measure.
    pub value: Option<f64>,
}

/// The five rates.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rates {
    pub response: RateView,
    pub resolution: RateView,
    pub satisfaction: RateView,
    pub on_time: RateView,
    pub local_resolution: RateView,
}

/// What the measures are of: the city, a unit or a department.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureSubject {
    #[schema(pattern = "^(city|unit|department)$")]
    pub kind: String,
    #[schema(required = false)]
    pub code: String,
    #[schema(required = false)]
    pub name: String,
    #[schema(required = false)]
    pub name_en: String,
    #[schema(required = false)]
    pub level: LevelName,
}

/// `measures::measures`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Measures {
    pub subject: MeasureSubject,
    pub category: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub to: String,
    pub count: u64,
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub local_resolution_rate: Option<f64>,
    pub average_handling_hours: Option<f64>,
    pub returns: u64,
    pub escalations: u64,
    pub rates: Rates,
}

/// A notification to the caller's unit or department.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub appeal_id: Option<i64>,
    pub kind: String,
    pub created_at: LocalTime,
    pub read: bool,
}

/// `appeals::notifications`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<Notification>,
}

/// An open task (a return visit) of the caller's unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct Task {
    pub id: i64,
    pub kind: String,
    pub unit: String,
    pub appeal_id: Option<i64>,
    pub created_at: LocalTime,
}

/// `appeals::tasks`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<Task>,
}

// ---------------------------------------------------------------- warning

/// The unit an alert is routed to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertUnit {
    pub code: String,
    pub name: Option<String>,
    pub name_en: Option<String>,
}

/// `warning::view`: an alert about places and categories, never people.
#[derive(Debug, Serialize, ToSchema)]
pub struct Alert {
    pub id: i64,
    /// The method that raised it (`scan`, `ears_c2`, `collective`, …).
    pub method: String,
    pub category_group: String,
    /// `YYYY-MM-DD`.
    pub analysis_day: String,
    pub unit: AlertUnit,
    pub status: AlertStatusName,
    /// The method's figures (grids, counts, p-value, …).
    #[schema(value_type = Object)]
    pub evidence: Value,
    pub appeal_count: u64,
    pub note: Option<String>,
    /// µs since the epoch.
    pub raised_at: i64,
    pub updated_at: i64,
}

/// `warning::list`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    pub items: Vec<Alert>,
}

/// A grid of an alert's cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertGrid {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub label: Option<[f64; 2]>,
}

/// An appeal behind an alert, without contact data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertAppeal {
    pub id: i64,
    pub tracking_code: String,
    pub category: String,
    pub status: AppealStatus,
    /// µs since the epoch.
    pub received_at: i64,
    pub grid: Option<String>,
}

/// `warning::detail`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: Alert,
    pub grids: Vec<AlertGrid>,
    pub appeals: Vec<AlertAppeal>,
}

/// What a person does with an alert (`core::warning::AlertCommand`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AlertAction {
    Acknowledge,
    /// `note` says what was done.
    Act {
        note: String,
    },
    /// `reason` says why it is not a real problem.
    Dismiss {
        reason: String,
    },
}

/// `warning::get_rules`: the rules in force (`core::warning::WarnRules`).
#[derive(Debug, Serialize, ToSchema)]
pub struct WarnRulesView {
    #[schema(value_type = Object)]
    pub rules: Value,
    pub false_alerts_per_year_per_group: f64,
}

/// `ops::warning::RunReport`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunReport {
    pub analysis_day: String,
    pub scans: u64,
    pub clusters: u64,
    pub series: u64,
    pub alerts_raised: u64,
    pub raised_by_method: BTreeMap<String, u64>,
}

// ---------------------------------------------------------------- mediation

/// `mediation::views::org`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Org {
    pub code: String,
    pub name: String,
    pub kind: OrgKindName,
    pub kind_name: String,
    pub kind_name_en: String,
    pub unit: String,
    pub level: Option<LevelName>,
}

/// `mediation::list_orgs`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgList {
    pub orgs: Vec<Org>,
}

/// One group of the mediation measures.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediationGroup {
    pub key: String,
    /// `core::mediation::measures::MediationMeasures`.
    #[schema(value_type = Object)]
    pub measures: Value,
}

/// `mediation::measures`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediationMeasures {
    pub unit: String,
    /// `core::mediation::measures::MediationMeasures`: received, mediated,
    /// agreements, the rates, referrals by channel, days to settle.
    #[schema(value_type = Object)]
    pub overall: Value,
    #[schema(required = false)]
    pub group_by: String,
    #[schema(required = false)]
    pub groups: Vec<MediationGroup>,
}

/// A party as shown: masked, except a party's own entry in their view.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartyView {
    pub index: u64,
    pub side: SideName,
    pub kind: PartyKindName,
    pub name: String,
    pub phone: Option<String>,
    #[schema(required = false)]
    pub has_account: bool,
    #[schema(required = false, nullable)]
    pub consent: Option<bool>,
}

/// The parties: a count in a summary, the list in the record and a party's view.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Parties {
    Count(u64),
    List(Vec<PartyView>),
}

/// The outcome: its kind in a summary, the whole outcome in the record.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum DisputeOutcome {
    Kind(String),
    Full(OutcomeObject),
}

/// `core::mediation::Outcome`, tagged by `kind`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeObject {
    /// `performed`, `referred`, `withdrawn` or `ended`.
    pub kind: String,
    #[schema(required = false)]
    pub channel: ReferralChannelName,
    #[schema(required = false)]
    pub resolved: bool,
    #[schema(required = false)]
    pub reason: String,
}

/// `mediation::views::summary`: type, stage, holder, dates and risk — no
/// parties, no facts. Times are µs since the epoch.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeSummary {
    pub id: i64,
    pub dispute_type: DisputeTypeName,
    pub type_name: String,
    pub type_name_en: String,
    pub source: DisputeSourceName,
    pub status: DisputeStatus,
    /// The organisation holding the case.
    pub org: Option<Org>,
    pub org_level: String,
    pub unit: Option<String>,
    pub parties: Parties,
    /// Not in a party's view.
    #[schema(required = false)]
    pub risk: Vec<RiskReasonName>,
    #[schema(required = false)]
    pub supervised: bool,
    #[schema(required = false)]
    pub escalations: u32,
    pub received_at: i64,
    pub accepted_at: Option<i64>,
    pub agreed_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// When the current stage must be done.
    pub due: Option<i64>,
    pub follow_up_due: Option<i64>,
    pub outcome: Option<DisputeOutcome>,
    /// Not in an area summary.
    #[schema(required = false, nullable)]
    pub amount_fen: Option<i64>,
    /// Not in an area summary: user ids.
    #[schema(required = false)]
    pub mediators: Vec<i64>,
}

/// `mediation::list`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeList {
    pub disputes: Vec<DisputeSummary>,
}

/// A point (record view).
#[derive(Debug, Serialize, ToSchema)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// One entry of a dispute's timeline; parties see the role, never the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeEntry {
    pub at: i64,
    pub action: String,
    pub public: bool,
    pub actor: Option<String>,
    pub role: String,
    pub note: Option<String>,
}

/// A case as its reader may see it (`mediation::view_for`): the area's
/// summary, a party's progress (`you`, their own data, the others masked),
/// or the holder's record (everything, parties masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeView {
    #[serde(flatten)]
    pub summary: DisputeSummary,
    /// A party's view: your index among the parties.
    #[schema(required = false)]
    pub you: u64,
    #[schema(required = false)]
    pub facts: String,
    #[schema(required = false)]
    pub claims: String,
    #[schema(required = false, nullable)]
    pub address: Option<String>,
    #[schema(required = false, nullable)]
    pub point: Option<LonLat>,
    #[schema(required = false, nullable)]
    pub appeal_id: Option<i64>,
    #[schema(required = false, nullable)]
    pub court: Option<String>,
    #[schema(required = false)]
    pub first_org: String,
    #[schema(required = false, value_type = Vec<Object>)]
    pub recusals: Vec<Value>,
    #[schema(required = false, value_type = Vec<Object>)]
    pub sessions: Vec<Value>,
    #[schema(required = false)]
    pub extension_days: u32,
    /// `core::mediation::Agreement`.
    #[schema(required = false, nullable, value_type = Option<Object>)]
    pub agreement: Option<Value>,
    #[schema(required = false, nullable, value_type = Option<Object>)]
    pub confirmation: Option<Value>,
    #[schema(required = false, value_type = Vec<Object>)]
    pub follow_ups: Vec<Value>,
    #[schema(required = false, value_type = Vec<Object>)]
    pub referrals: Vec<Value>,
    #[schema(required = false)]
    pub failed_rounds: u32,
    #[schema(required = false)]
    pub breaches: u32,
    #[schema(required = false)]
    pub version: i64,
    #[schema(required = false)]
    pub timeline: Vec<DisputeEntry>,
}

/// `mediation::steps::run_step`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepDone {
    pub id: i64,
    pub status: DisputeStatus,
    pub version: i64,
    /// `null` for a party.
    pub risk: Option<Vec<RiskReasonName>>,
    pub due: Option<i64>,
}

/// An unmasked party (the read is audited).
#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedParty {
    pub index: u64,
    pub side: SideName,
    pub kind: PartyKindName,
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// `mediation::reveal`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevealedParties {
    pub parties: Vec<RevealedParty>,
}

/// One obliged party's duty under the agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObligationIn {
    /// Index of the obliged party.
    pub party: u64,
    pub duty: String,
    pub how: String,
    pub place: String,
    /// By when, µs since the epoch.
    pub by: i64,
}

/// The written agreement (`core::mediation::Agreement`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementIn {
    pub facts: String,
    pub matters: String,
    pub responsibilities: String,
    pub obligations: Vec<ObligationIn>,
    /// Every party signs.
    pub signed_by: Vec<u64>,
}

// ---------------------------------------------------------------- Open311 keys

/// An Open311 client application.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311Client {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// `open311::clients::list`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311ClientList {
    pub clients: Vec<Open311Client>,
}

/// `open311::clients::issue`: the key is shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311KeyIssued {
    pub id: i64,
    pub name: String,
    pub api_key: String,
}

/// A name for a new key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311KeyRequest {
    pub name: String,
}

/// `open311::clients::revoke`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Open311KeyRevoked {
    pub id: i64,
    pub revoked: bool,
}

// ---------------------------------------------------------------- request bodies of `ops`

/// A new account (`ops::users::CreateUser`).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: RoleName,
    /// The unit of a unit-scoped role.
    #[schema(required = false, nullable)]
    pub unit: Option<String>,
    /// The department of department staff.
    #[schema(required = false, nullable)]
    pub department: Option<String>,
    #[schema(required = false, nullable)]
    pub phone: Option<String>,
    /// Without one the account cannot sign in by password.
    #[schema(required = false, nullable)]
    pub password: Option<String>,
}

/// A new role and scope (`ops::users::RoleChange`).
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleChangeIn {
    pub role: RoleName,
    #[schema(required = false, nullable)]
    pub unit: Option<String>,
    #[schema(required = false, nullable)]
    pub department: Option<String>,
    /// Why (written to the audit trail).
    #[schema(required = false, nullable)]
    pub reason: Option<String>,
}

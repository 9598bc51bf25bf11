//! Reading an appeal row back into the domain types.

use grassroots_core::appeals::{
    Appeal, CaseClocks, Channel, Outcome, Rating, Satisfaction, Status, TimeLimit, Urgency,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{StoredAppeal, UnitLevels, handler_from};
use crate::territory::from_e7;
use crate::{Result, StoreError};

pub(crate) const APPEAL_COLUMNS: &str = "id, tracking_code, category, category_group, \
    description, lon_e7, lat_e7, address, unit_code, district_code, street_code, community_code, \
    grid_code, contact_name, contact_phone, publish, urgency, channel, requester_id, entered_by, \
    time_limit, route_rule, status, handler_kind, handler_code, handler_level, first_handler_kind, \
    first_handler_code, returns, passed_around, reopened, escalations, supervised, outcome, \
    requesters, version, received_at, sign_due, reply_due, status_at, clock_from, act_by, \
    signed_at, replied_at, reply_text, closed_at, rated_resolved, rated_satisfaction, \
    rating_comment, assists, extension, extension_days";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("appeal {what}: {e}"))
}

pub(crate) fn satisfaction_str(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::BasicallySatisfied => "basically_satisfied",
        Satisfaction::Unsatisfied => "unsatisfied",
    }
}

fn parse_satisfaction(s: &str) -> Option<Satisfaction> {
    [
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Unsatisfied,
    ]
    .into_iter()
    .find(|x| satisfaction_str(*x) == s)
}

pub(crate) fn outcome_kind(o: &Outcome) -> &'static str {
    match o {
        Outcome::Rated { .. } => "rated",
        Outcome::NotRated => "not_rated",
        Outcome::ResolvedOnSite => "resolved_on_site",
        Outcome::Withdrawn { .. } => "withdrawn",
        Outcome::OutOfRemit { .. } => "out_of_remit",
        Outcome::Invalid { .. } => "invalid",
        Outcome::Merged { .. } => "merged",
    }
}

pub(crate) fn appeal_from_row(row: &AnyRow) -> Result<StoredAppeal> {
    let id: i64 = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let status = Status::parse(&status).ok_or_else(|| corrupt("status", &status))?;
    let returns: String = row.try_get("returns")?;
    let returns = serde_json::from_str(&returns).map_err(|e| corrupt("returns", e))?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let outcome = outcome
        .map(|o| serde_json::from_str::<Outcome>(&o))
        .transpose()
        .map_err(|e| corrupt("outcome", e))?;
    let escalations: i64 = row.try_get("escalations")?;
    let flag = |name: &str| -> Result<bool> { Ok(row.try_get::<i64, _>(name)? != 0) };
    let state = Appeal {
        id,
        status,
        handler: handler_from(row.try_get("handler_kind")?, row.try_get("handler_code")?),
        first_handler: handler_from(
            row.try_get("first_handler_kind")?,
            row.try_get("first_handler_code")?,
        ),
        returns,
        passed_around: flag("passed_around")?,
        reopened: flag("reopened")?,
        escalations: u32::try_from(escalations).map_err(|e| corrupt("escalations", e))?,
        supervised: flag("supervised")?,
        outcome,
        version: row.try_get("version")?,
        assists: serde_json::from_str(&row.try_get::<String, _>("assists")?)
            .map_err(|e| corrupt("assists", e))?,
        extension: row
            .try_get::<Option<String>, _>("extension")?
            .map(|e| serde_json::from_str(&e))
            .transpose()
            .map_err(|e| corrupt("extension", e))?,
        extension_days: u32::try_from(row.try_get::<i64, _>("extension_days")?)
            .map_err(|e| corrupt("extension_days", e))?,
    };
    let time_limit: String = row.try_get("time_limit")?;
    let time_limit: TimeLimit =
        serde_json::from_str(&time_limit).map_err(|e| corrupt("time_limit", e))?;
    let urgency: String = row.try_get("urgency")?;
    let channel: String = row.try_get("channel")?;
    let lon: Option<i64> = row.try_get("lon_e7")?;
    let lat: Option<i64> = row.try_get("lat_e7")?;
    let satisfaction: Option<String> = row.try_get("rated_satisfaction")?;
    let resolved: Option<i64> = row.try_get("rated_resolved")?;
    let rating = match (resolved, satisfaction) {
        (Some(r), Some(s)) => Some(Rating {
            resolved: r != 0,
            satisfaction: parse_satisfaction(&s).ok_or_else(|| corrupt("satisfaction", &s))?,
            comment: row.try_get("rating_comment")?,
        }),
        _ => None,
    };
    Ok(StoredAppeal {
        id,
        tracking_code: row.try_get("tracking_code")?,
        category: row.try_get("category")?,
        category_group: row.try_get("category_group")?,
        description: row.try_get("description")?,
        point: lon.zip(lat).map(|(x, y)| (from_e7(x), from_e7(y))),
        address: row.try_get("address")?,
        units: UnitLevels {
            unit: row.try_get("unit_code")?,
            district: row.try_get("district_code")?,
            street: row.try_get("street_code")?,
            community: row.try_get("community_code")?,
            grid: row.try_get("grid_code")?,
        },
        contact_name: row.try_get("contact_name")?,
        contact_phone: row.try_get("contact_phone")?,
        publish: flag("publish")?,
        urgency: Urgency::parse(&urgency).ok_or_else(|| corrupt("urgency", &urgency))?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("channel", &channel))?,
        requester_id: row.try_get("requester_id")?,
        entered_by: row.try_get("entered_by")?,
        time_limit,
        route_rule: row.try_get("route_rule")?,
        state,
        handler_level: row.try_get("handler_level")?,
        requesters: row.try_get("requesters")?,
        clocks: CaseClocks {
            received_at: row.try_get("received_at")?,
            sign_due: row.try_get("sign_due")?,
            reply_due: row.try_get("reply_due")?,
            status_at: row.try_get("status_at")?,
            clock_from: row.try_get("clock_from")?,
            act_by: row.try_get("act_by")?,
            signed_at: row.try_get("signed_at")?,
            replied_at: row.try_get("replied_at")?,
            closed_at: row.try_get("closed_at")?,
        },
        reply_text: row.try_get("reply_text")?,
        rating,
    })
}

//! How an appeal is shown: to the resident who filed it (public steps, the
//! actor as a role), and to staff (everything, contact masked).

use grassroots_core::accounts::{Department, Role, mask_phone};
use grassroots_core::appeals::{Handler, Outcome};
use grassroots_store::{StoredAppeal, TimelineEntry};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::ops::appeals::handler_names;
use crate::state::AppState;

/// RFC 3339 in China time, as residents and staff read it.
pub fn time(micros: i64) -> Value {
    match Timestamp::from_microsecond(micros) {
        Ok(t) => {
            let offset = jiff::tz::Offset::constant(8);
            json!(
                t.to_zoned(jiff::tz::TimeZone::fixed(offset))
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            )
        }
        Err(_) => Value::Null,
    }
}

fn opt_time(micros: Option<i64>) -> Value {
    micros.map(time).unwrap_or(Value::Null)
}

fn handler_json(state: &AppState, departments: &[Department], h: Option<&Handler>) -> Value {
    let Some(h) = h else { return Value::Null };
    let atlas = state.atlas();
    let (name, name_en) = handler_names(atlas.territory(), departments, h);
    let (kind, code) = match h {
        Handler::Unit(c) => ("unit", c),
        Handler::Department(c) => ("department", c),
    };
    json!({"kind": kind, "code": code, "name": name, "name_en": name_en})
}

fn outcome_json(o: Option<&Outcome>) -> Value {
    o.map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
        .unwrap_or(Value::Null)
}

fn category_json(state: &AppState, code: &str) -> Value {
    match state.taxonomy().get(code) {
        Some(c) => json!({"code": c.code, "name": c.name, "name_en": c.name_en, "group": c.group}),
        None => json!({"code": code}),
    }
}

/// The answer to a submission.
pub fn receipt(state: &AppState, a: &StoredAppeal, departments: &[Department]) -> Value {
    json!({
        "id": a.id,
        "tracking_code": a.tracking_code,
        "status": a.state.status.as_str(),
        "handler": handler_json(state, departments, a.state.handler.as_ref()),
        "route_rule": a.route_rule,
        "category": category_json(state, &a.category),
        "urgency": a.urgency,
        "received_at": time(a.clocks.received_at),
        "due": {"sign_by": time(a.clocks.sign_due), "reply_by": time(a.clocks.reply_due)},
        "outcome": outcome_json(a.state.outcome.as_ref()),
        "version": a.state.version,
    })
}

/// What the resident sees (by tracking code or as the signed-in filer).
pub fn public(
    state: &AppState,
    a: &StoredAppeal,
    departments: &[Department],
    timeline: &[TimelineEntry],
) -> Value {
    let steps: Vec<Value> = timeline
        .iter()
        .filter(|e| e.public)
        .map(|e| {
            json!({
                "at": time(e.at),
                "action": e.action,
                // The actor is masked to a role: residents see who did what
                // in kind, not by name.
                "by": public_actor(&e.role),
                "handler": handler_json(state, departments, e.handler.as_ref()),
                "note": e.note,
            })
        })
        .collect();
    let mut v = receipt(state, a, departments);
    v["description"] = json!(a.description);
    v["reply"] = json!(a.reply_text);
    v["rating"] = json!(a.rating.as_ref().map(|r| json!({
        "resolved": r.resolved, "satisfaction": r.satisfaction, "comment": r.comment
    })));
    v["timeline"] = json!(steps);
    v
}

fn public_actor(role: &str) -> Value {
    match Role::parse(role) {
        Some(r) => json!({"role": r.as_str(), "role_name": r.name_zh()}),
        None => json!({"role": role}),
    }
}

/// What staff see: the whole record, contact masked.
pub fn staff(
    state: &AppState,
    a: &StoredAppeal,
    departments: &[Department],
    timeline: Option<&[TimelineEntry]>,
) -> Value {
    let mut v = receipt(state, a, departments);
    let extra = json!({
        "description": a.description,
        "location": {
            "lon": a.point.map(|p| p.0), "lat": a.point.map(|p| p.1),
            "address": a.address, "unit": a.units.unit,
            "district": a.units.district, "street": a.units.street,
            "community": a.units.community, "grid": a.units.grid,
        },
        "contact": {
            "name": a.contact_name,
            "phone": a.contact_phone.as_deref().map(mask_phone),
        },
        "publish": a.publish,
        "channel": a.channel,
        "first_handler": handler_json(state, departments, a.state.first_handler.as_ref()),
        "returns": a.state.returns.len(),
        "passed_around": a.state.passed_around,
        "reopened": a.state.reopened,
        "escalations": a.state.escalations,
        "supervised": a.state.supervised,
        "requesters": a.requesters,
        "reply": a.reply_text,
        "rating": a.rating.as_ref().map(|r| json!({
            "resolved": r.resolved, "satisfaction": r.satisfaction, "comment": r.comment
        })),
        "assists": a.state.assists.iter().map(|x| json!({
            "handler": handler_json(state, departments, Some(&x.handler)),
            "sign_by": time(x.due), "signed": x.signed, "overdue": x.overdue,
        })).collect::<Vec<_>>(),
        "extension": a.state.extension.as_ref().map(|e| json!({
            "days": e.days, "reason": e.reason, "state": "pending",
        })),
        "extension_days": a.state.extension_days,
        "clocks": {
            "act_by": opt_time(a.clocks.act_by),
            "signed_at": opt_time(a.clocks.signed_at),
            "replied_at": opt_time(a.clocks.replied_at),
            "closed_at": opt_time(a.clocks.closed_at),
        },
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    if let Some(tl) = timeline {
        v["timeline"] = json!(
            tl.iter()
                .map(|e| json!({
                    "at": time(e.at),
                    "action": e.action,
                    "public": e.public,
                    "actor": e.actor,
                    "role": e.role,
                    "unit": e.unit,
                    "handler": handler_json(state, departments, e.handler.as_ref()),
                    "note": e.note,
                }))
                .collect::<Vec<_>>()
        );
    }
    v
}

//! What each kind of reader is shown of a case. Personal data is masked
//! in every view; the unmasked parties come only from the audited reveal.

use grassroots_core::accounts::mask_phone;
use grassroots_core::mediation::{Organisation, PartyInfo, mask_name, org};
use grassroots_core::territory::Territory;
use grassroots_store::{DisputeEntry, StoredDispute};
use serde_json::{Value, json};

use crate::ops::mediation::Placement;

pub fn org(o: &Organisation, t: &Territory) -> Value {
    json!({
        "code": o.code,
        "name": o.name,
        "kind": o.kind,
        "kind_name": o.kind.name_zh(),
        "kind_name_en": o.kind.name_en(),
        "unit": o.unit,
        "level": org::level_of(&o.unit, t).map(|l| l.as_str()),
    })
}

fn holder(place: &Placement, t: &Territory) -> Value {
    place
        .holder
        .as_ref()
        .map(|o| org(o, t))
        .unwrap_or(Value::Null)
}

/// Type, stage, holder, dates and risk: no parties, no facts.
pub fn summary(d: &StoredDispute, place: &Placement, t: &Territory, area_only: bool) -> Value {
    let s = &d.state;
    let mut v = json!({
        "id": d.id,
        "dispute_type": d.dispute_type,
        "type_name": d.dispute_type.name_zh(),
        "type_name_en": d.dispute_type.name_en(),
        "source": d.source,
        "status": s.status,
        "org": holder(place, t),
        "org_level": d.org_level,
        "unit": d.units.unit,
        "parties": s.parties.len(),
        "risk": s.risk,
        "supervised": s.supervised,
        "escalations": s.escalations,
        "received_at": s.received_at,
        "accepted_at": s.accepted_at,
        "agreed_at": s.agreed_at,
        "closed_at": s.closed_at,
        "due": d.act_by(),
        "follow_up_due": s.follow_up_due(),
        "outcome": s.outcome.as_ref().map(|o| o.kind()),
    });
    if !area_only {
        v["amount_fen"] = json!(d.amount_fen);
        v["mediators"] = json!(s.mediators);
    }
    v
}

fn masked_party(i: usize, p: &PartyInfo) -> Value {
    json!({
        "index": i,
        "side": p.side,
        "kind": p.kind,
        "name": mask_name(&p.name, p.kind),
        "phone": p.phone.as_deref().map(mask_phone),
        "has_account": p.user_id.is_some(),
    })
}

fn entry(e: &DisputeEntry, with_actor: bool) -> Value {
    json!({
        "at": e.at,
        "action": e.action,
        "public": e.public,
        // Parties see the role that acted, never the person.
        "actor": if with_actor { Value::from(e.actor.clone()) } else { Value::Null },
        "role": e.role,
        "note": e.note,
    })
}

/// The holder's record: everything, parties masked.
pub fn record(
    d: &StoredDispute,
    place: &Placement,
    t: &Territory,
    parties: &[PartyInfo],
    timeline: &[DisputeEntry],
) -> Value {
    let s = &d.state;
    let mut v = summary(d, place, t, false);
    v["facts"] = json!(d.facts);
    v["claims"] = json!(d.claims);
    v["address"] = json!(d.address);
    v["point"] = json!(d.point.map(|(lon, lat)| json!({"lon": lon, "lat": lat})));
    v["appeal_id"] = json!(d.appeal_id);
    v["court"] = json!(d.court);
    v["first_org"] = json!(s.first_org);
    v["parties"] = json!(
        parties
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut m = masked_party(i, p);
                m["consent"] = json!(s.parties.get(i).and_then(|x| x.consent));
                m
            })
            .collect::<Vec<_>>()
    );
    v["recusals"] = json!(s.recusals);
    v["sessions"] = json!(s.sessions);
    v["extension_days"] = json!(s.extension_days);
    v["agreement"] = json!(s.agreement);
    v["confirmation"] = json!(s.confirmation);
    v["follow_ups"] = json!(s.follow_ups);
    v["referrals"] = json!(s.referrals);
    v["failed_rounds"] = json!(s.failed_rounds);
    v["breaches"] = json!(s.breaches);
    v["outcome"] = json!(s.outcome);
    v["version"] = json!(s.version);
    v["timeline"] = json!(timeline.iter().map(|e| entry(e, true)).collect::<Vec<_>>());
    v
}

/// A party's view: their case's progress, their own data, the others masked.
pub fn for_party(
    d: &StoredDispute,
    place: &Placement,
    t: &Territory,
    parties: &[PartyInfo],
    me: usize,
    timeline: &[DisputeEntry],
) -> Value {
    let s = &d.state;
    let mut v = summary(d, place, t, true);
    // Risk flags and supervision are the platform's internal judgement of the dispute.
    if let Some(o) = v.as_object_mut() {
        o.remove("risk");
        o.remove("supervised");
        o.remove("escalations");
    }
    v["you"] = json!(me);
    v["facts"] = json!(d.facts);
    v["claims"] = json!(d.claims);
    v["parties"] = json!(parties
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i == me {
                json!({"index": i, "side": p.side, "kind": p.kind, "name": p.name, "phone": p.phone,
                       "consent": s.parties.get(i).and_then(|x| x.consent)})
            } else {
                masked_party(i, p)
            }
        })
        .collect::<Vec<_>>());
    v["sessions"] = json!(
        s.sessions
            .iter()
            .map(|x| json!({"at": x.at, "place": x.place, "online": x.online}))
            .collect::<Vec<_>>()
    );
    v["agreement"] = json!(s.agreement);
    v["confirmation"] = json!(s.confirmation);
    v["referrals"] =
        json!(s
        .referrals
        .iter()
        .map(|r| json!({"channel": r.channel, "to": r.to, "at": r.at, "resolved": r.resolved}))
        .collect::<Vec<_>>());
    v["timeline"] = json!(
        timeline
            .iter()
            .filter(|e| e.public)
            .map(|e| entry(e, false))
            .collect::<Vec<_>>()
    );
    v
}

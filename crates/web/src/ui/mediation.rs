//! Mediation in the browser: the case list (a mediator's organisation, a
//! party's own cases, the area's summaries), the case page in the sight
//! the API decides (record, party's progress, summary) with the steps the
//! workflow allows this person now, an audited reveal of the parties, the
//! agreement document, and a walk-in registration form.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Role;
use grassroots_core::authz::Action;
use grassroots_core::mediation::available::available_steps;
use grassroots_core::mediation::{Channel, DisputeType, Performance, RiskReason};
use grassroots_core::territory::Level;
use grassroots_store::UserFilter;
use serde_json::{Value, json};

use super::page::{CsrfForm, Ui, UiResult};
use crate::api::extract::{Params, parse_id};
use crate::api::mediation::{Sight, list_for, load, view_for};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::ops::mediation::{case_actor, may};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/disputes", get(list))
        .route("/disputes/new", get(new_page).post(open))
        .route("/disputes/{id}", get(case))
        .route("/disputes/{id}/step", post(step))
        .route("/disputes/{id}/reveal", post(reveal))
}

fn vocab<T: Copy>(
    all: &[T],
    key: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
    en: fn(T) -> &'static str,
    lang: Lang,
) -> Value {
    json!(
        all.iter()
            .map(|x| json!({"value": key(*x), "name": if lang == Lang::En { en(*x) } else { zh(*x) }}))
            .collect::<Vec<_>>()
    )
}

fn vocabularies(lang: Lang) -> Value {
    json!({
        "types": vocab(DisputeType::ALL, DisputeType::as_str, DisputeType::name_zh, DisputeType::name_en, lang),
        "channels": vocab(Channel::ALL, Channel::as_str, Channel::name_zh, Channel::name_en, lang),
        "performance": vocab(Performance::ALL, Performance::as_str, Performance::name_zh, Performance::name_en, lang),
        "risk_reasons": vocab(RiskReason::ALL, RiskReason::as_str, RiskReason::name_zh, RiskReason::name_en, lang),
    })
}

async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<HashMap<String, String>>,
) -> UiResult {
    ui.require()?;
    let params = Params(
        q.clone()
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .collect(),
    );
    let items = list_for(&state, &ui.caller, &params).await?;
    let may_open = ui.actor().is_some_and(|a| a.role != Role::Resident);
    ui.render(
        "disputes.html",
        json!({"items": items, "q": q, "may_open": may_open, "vocab": vocabularies(ui.lang())}),
    )
}

async fn case(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> UiResult {
    case_page(&state, &ui, &id, StatusCode::OK, json!({}), json!({}), None).await
}

async fn case_page(
    state: &AppState,
    ui: &Ui,
    id: &str,
    status: StatusCode,
    errors: Value,
    form: Value,
    revealed: Option<Value>,
) -> UiResult {
    let actor = ui.require()?.clone();
    let id = parse_id(id)?;
    let view = view_for(state, &ui.caller, id).await?;
    let (d, place, orgs, sight) = load(state, &ui.caller, id).await?;
    let now = state.now_micros();
    let party = match sight {
        Sight::Party(p) => Some(p),
        _ => None,
    };
    let record = matches!(sight, Sight::Record);
    let steps = match sight {
        Sight::Summary => Vec::new(),
        Sight::Record if may(Some(&actor), Action::HandleDispute, &place, None).is_err() => {
            Vec::new()
        }
        _ => match case_actor(&actor, &d, &place, party) {
            Some(by) => available_steps(&d.state, &by, now),
            None => Vec::new(),
        },
    };
    let may_reveal = record && may(Some(&actor), Action::RevealDisputeParty, &place, None).is_ok();
    // Mediators who may take the case: those of the holding organisation's line.
    let mediators = if steps.contains(&"assign_mediators") || steps.contains(&"recusal") {
        let users = state
            .store
            .users(&UserFilter {
                within_units: Some(place.holder_chain.clone()),
                role: Some(Role::Mediator),
                limit: 200,
                ..UserFilter::default()
            })
            .await?;
        json!(
            users
                .iter()
                .map(|u| json!({"id": u.id, "name": u.display_name}))
                .collect::<Vec<_>>()
        )
    } else {
        json!([])
    };
    let atlas = state.atlas();
    let t = atlas.territory();
    let transfer_to: Vec<Value> = orgs
        .iter()
        .filter(|o| place.area_chain.contains(&o.unit) && Some(&o.code) != place.holder.as_ref().map(|h| &h.code))
        .map(|o| json!({"code": o.code, "name": o.name, "unit": t.get(&o.unit).map(|u| if ui.lang() == Lang::En { u.name_en.clone() } else { u.name.clone() })}))
        .collect();
    ui.render_status(
        status,
        "dispute.html",
        json!({
            "d": view,
            "record": record,
            "party": party,
            "steps": steps,
            "may_reveal": may_reveal,
            "revealed": revealed,
            "mediators": mediators,
            "transfer_to": transfer_to,
            "vocab": vocabularies(ui.lang()),
            "errors": errors,
            "form": form,
        }),
    )
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn numbers(pairs: &[(String, String)], key: &str) -> Vec<i64> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
}

/// A date typed as YYYY-MM-DD: the last instant of that day, China time
/// (µs); `end_of_day` is the exclusive end, which would print as the next day.
fn date_end(s: &str) -> Option<i64> {
    let d = s.parse::<jiff::civil::Date>().ok()?;
    Some(grassroots_core::appeals::calendar::end_of_day(d).as_microsecond() - 1)
}

/// The API's step body from a form: the same `action` names and fields.
fn step_body(pairs: &[(String, String)]) -> Result<Value, (String, &'static str)> {
    let text = |k: &str| first(pairs, k).unwrap_or("").to_owned();
    let num = |k: &str| -> Result<i64, (String, &'static str)> {
        first(pairs, k)
            .and_then(|v| v.parse().ok())
            .ok_or((k.to_owned(), "form-required"))
    };
    let yes = |k: &str| first(pairs, k) == Some("yes");
    let action = first(pairs, "action").unwrap_or("");
    let mut body = match action {
        "consent" => json!({"party": num("party")?, "consent": yes("consent")}),
        "assign_mediators" => json!({"mediators": numbers(pairs, "mediators")}),
        "recusal" => {
            json!({"party": num("party")?, "mediator": num("mediator")?, "reason": text("reason")})
        }
        "session" => json!({
            "place": text("place"), "online": yes("online"),
            "parties_present": numbers(pairs, "present"), "minutes": text("minutes"),
        }),
        "extend" => {
            json!({"days": num("days")?, "reason": text("reason"), "parties_agree": yes("parties_agree")})
        }
        "agreement" => {
            let by = first(pairs, "by")
                .map(|s| date_end(s).ok_or(("by".to_owned(), "form-invalid")))
                .transpose()?;
            json!({"agreement": {
                "facts": text("facts"), "matters": text("matters"), "responsibilities": text("responsibilities"),
                "obligations": if text("duty").is_empty() { json!([]) } else { json!([{
                    "party": num("obliged")?, "duty": text("duty"), "how": text("how"),
                    "place": text("place"), "by": by.ok_or(("by".to_owned(), "form-required"))?,
                }]) },
                "signed_by": numbers(pairs, "signed"),
            }})
        }
        "no_agreement" | "reopen" | "withdraw" | "close" => json!({"reason": text("reason")}),
        "apply_confirmation" => json!({"court": text("court")}),
        "court_accepted" | "escalate" => json!({}),
        "court_ruling" => {
            json!({"ruling": if yes("confirmed") { "confirmed" } else { "rejected" }, "note": first(pairs, "note")})
        }
        "follow_up" => json!({"performance": text("performance"), "note": text("note")}),
        "refer" => json!({"channel": text("channel"), "to": text("to"), "reason": text("reason")}),
        "referral_result" => json!({"resolved": yes("resolved"), "result": text("result")}),
        "transfer" => json!({"to_org": text("to_org"), "reason": text("reason")}),
        "flag_risk" => {
            json!({"reasons": pairs.iter().filter(|(k, _)| k == "reasons").map(|(_, v)| v.clone()).collect::<Vec<_>>(), "note": text("note")})
        }
        "clear_risk" => json!({"note": text("note")}),
        _ => return Err(("action".to_owned(), "form-unknown")),
    };
    body["action"] = json!(action);
    if let Some(v) = first(pairs, "version").and_then(|v| v.parse::<i64>().ok()) {
        body["version"] = json!(v);
    }
    Ok(body)
}

async fn step(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> UiResult {
    ui.check(first(&pairs, "csrf").unwrap_or(""))?;
    ui.require()?;
    let case_id = parse_id(&id)?;
    let form = json!({
        "action": first(&pairs, "action"),
        "fields": pairs.iter().filter(|(k, _)| k != "csrf").map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
    });
    let again = |errors: Value, status: StatusCode| {
        case_page(&state, &ui, &id, status, errors, form.clone(), None)
    };
    let body = match step_body(&pairs) {
        Ok(b) => b,
        Err((field, key)) => {
            return again(
                json!({ field: ui.t(key) }),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let req = match serde_json::from_value(body) {
        Ok(r) => r,
        Err(e) => {
            let err = ApiError::with_detail(ErrorCode::MalformedRequest, e.to_string());
            return again(
                super::resident::field_messages(&ui, &err),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match crate::api::mediation::steps::run_step(&state, &ui.caller, case_id, req).await {
        Ok(_) => ui.redirect(&format!("/disputes/{case_id}")),
        Err(e) if e.status().is_client_error() && e.code != ErrorCode::NotFound => {
            let errors = super::resident::field_messages(&ui, &e);
            again(errors, super::page::form_status(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn reveal(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> UiResult {
    ui.check(&f.csrf)?;
    let actor = ui.require()?.clone();
    let case_id = parse_id(&id)?;
    let (_d, place, _orgs, sight) = load(&state, &ui.caller, case_id).await?;
    if !matches!(sight, Sight::Record) {
        return Err(ApiError::new(ErrorCode::Forbidden).into());
    }
    may(Some(&actor), Action::RevealDisputeParty, &place, None)?;
    let parties = state
        .store
        .reveal_dispute_parties(&ui.caller.ctx(&state), case_id)
        .await?;
    let shown =
        json!(parties.iter().enumerate().map(|(i, p)| json!({
        "index": i, "side": p.side, "name": p.name, "phone": p.phone, "address": p.address,
    })).collect::<Vec<_>>());
    case_page(
        &state,
        &ui,
        &id,
        StatusCode::OK,
        json!({}),
        json!({}),
        Some(shown),
    )
    .await
}

/// Communities of the city, by street, for a walk-in's place.
fn communities(state: &AppState, lang: Lang) -> Value {
    let atlas = state.atlas();
    let t = atlas.territory();
    let name = |u: &grassroots_core::territory::Unit| {
        if lang == Lang::En {
            u.name_en.clone()
        } else {
            u.name.clone()
        }
    };
    json!(t
        .units()
        .iter()
        .filter(|u| u.level == Level::Street && !u.retired)
        .map(|s| json!({"name": name(s), "items": t.children(&s.code).filter(|c| c.level == Level::Community && !c.retired).map(|c| json!({"code": c.code, "name": name(c)})).collect::<Vec<_>>()}))
        .collect::<Vec<_>>())
}

async fn new_page(State(state): State<AppState>, ui: Ui) -> UiResult {
    ui.require()?;
    ui.render(
        "dispute_new.html",
        json!({"vocab": vocabularies(ui.lang()), "communities": communities(&state, ui.lang()), "form": {}, "errors": {}}),
    )
}

/// Register a case (a walk-in at a mediation room, or a resident's own request).
async fn open(
    State(state): State<AppState>,
    ui: Ui,
    Form(pairs): Form<Vec<(String, String)>>,
) -> UiResult {
    ui.check(first(&pairs, "csrf").unwrap_or(""))?;
    ui.require()?;
    let text = |k: &str| first(&pairs, k).map(str::to_owned);
    let amount_fen = first(&pairs, "amount_yuan")
        .and_then(|v| v.parse::<f64>().ok())
        .map(|y| (y * 100.0).round() as i64);
    let party = |side: &str, prefix: &str| json!({"side": side, "name": text(&format!("{prefix}_name")).unwrap_or_default(), "phone": text(&format!("{prefix}_phone"))});
    let body = json!({
        "dispute_type": text("dispute_type").unwrap_or_default(),
        "facts": text("facts").unwrap_or_default(),
        "claims": text("claims").unwrap_or_default(),
        "amount_fen": amount_fen,
        "unit": text("unit"),
        "address": text("address"),
        "parties": [party("applicant", "applicant"), party("respondent", "respondent")],
    });
    let form: serde_json::Map<String, Value> = pairs
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let again = |errors: Value| {
        ui.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "dispute_new.html",
            json!({"vocab": vocabularies(ui.lang()), "communities": communities(&state, ui.lang()), "form": form, "errors": errors}),
        )
    };
    let b = match serde_json::from_value(body) {
        Ok(b) => b,
        Err(e) => {
            return again(super::resident::field_messages(
                &ui,
                &ApiError::with_detail(ErrorCode::MalformedRequest, e.to_string()),
            ));
        }
    };
    match crate::api::mediation::open::open_case(&state, &ui.caller, b).await {
        Ok(v) => ui.redirect(&format!("/disputes/{}", v["id"].as_i64().unwrap_or(0))),
        Err(e) if e.status().is_client_error() => again(super::resident::field_messages(&ui, &e)),
        Err(e) => Err(e.into()),
    }
}

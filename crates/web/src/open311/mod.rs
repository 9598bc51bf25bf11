//! Open311 GeoReport v2 under `/open311/v2/`: discovery, services and their
//! definitions from the category taxonomy, and published appeals as service
//! requests — in JSON and XML, with the spec's errors. Nothing personal
//! leaves: descriptions and replies are masked (`core::portal::anonymise`)
//! and locations are coarsened to a grid's label point (its community's
//! where the grid has few published appeals).

mod clients;
mod format;
mod post;
pub(crate) mod requests;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use grassroots_core::portal::services::attributes;
use serde_json::{Value, json};

use crate::api::extract::Params;
use crate::auth::Caller;
use crate::i18n::Lang;
use crate::state::AppState;
use format::{Format, error, respond};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post::create))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(requests::one))
        .route("/open311/v2/tokens/{file}", get(token))
        .merge(clients::routes())
}

/// The jurisdiction check: when one is configured, a given `jurisdiction_id`
/// must match it. `Some` is the error to answer with.
fn jurisdiction(state: &AppState, q: &Params, f: Format) -> Option<Response> {
    match (
        state.config.open311_jurisdiction.as_deref(),
        q.text("jurisdiction_id"),
    ) {
        (Some(ours), Some(asked)) if ours != asked => {
            Some(error(StatusCode::NOT_FOUND, f, "jurisdiction_id not found"))
        }
        _ => None,
    }
}

async fn top(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(file): Path<String>,
    q: Params,
) -> Response {
    let Some((name, f)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown resource or format (use .json or .xml)",
        );
    };
    if let Some(e) = jurisdiction(&state, &q, f) {
        return e;
    }
    match name {
        "discovery" => discovery(&state, &headers, f),
        "services" => services(&state, caller.lang, f),
        "requests" => requests::list(&state, caller.lang, &q, f).await,
        _ => error(StatusCode::NOT_FOUND, f, "unknown resource"),
    }
}

fn discovery(state: &AppState, headers: &HeaderMap, f: Format) -> Response {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    // Behind a TLS proxy (secure cookies, or the proxy says so) the endpoint is https.
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let scheme = if state.config.secure_cookies || forwarded_https {
        "https"
    } else {
        "http"
    };
    let v = json!({
        "changeset": CHANGESET,
        "contact": "12345 政务服务便民热线 / 12345 government service hotline",
        "key_service": "API keys are issued per client application by the platform's administrator.",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{scheme}://{host}/open311/v2"),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    });
    respond(StatusCode::OK, f, "discovery", &v)
}

/// When this interface last changed.
const CHANGESET: &str = "2026-11-22T00:00:00+08:00";

fn services(state: &AppState, lang: Lang, f: Format) -> Response {
    let taxonomy = state.taxonomy();
    let list: Vec<Value> = taxonomy
        .categories()
        .iter()
        .map(|c| {
            let group = taxonomy.groups().iter().find(|g| g.code == c.group);
            let (name, group_name) = match lang {
                Lang::En => (&c.name_en, group.map(|g| g.name_en.as_str())),
                Lang::ZhCn => (&c.name, group.map(|g| g.name.as_str())),
            };
            json!({
                "service_code": c.code,
                "service_name": name,
                "description": format!("{} / {}", c.name, c.name_en),
                "metadata": !attributes(&c.code).is_empty(),
                "type": "realtime",
                "keywords": c.keywords.join(","),
                "group": group_name.unwrap_or(&c.group),
            })
        })
        .collect();
    respond(StatusCode::OK, f, "services", &Value::Array(list))
}

async fn definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Params,
) -> Response {
    let Some((code, f)) = Format::split(&file) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown format (use .json or .xml)",
        );
    };
    if let Some(e) = jurisdiction(&state, &q, f) {
        return e;
    }
    if state.taxonomy().get(code).is_none() {
        return error(StatusCode::NOT_FOUND, f, "service_code not found");
    }
    let attrs: Vec<Value> = attributes(code)
        .iter()
        .map(|a| {
            json!({
                "variable": true,
                "code": a.code,
                "datatype": a.datatype.as_str(),
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": a.values.iter().map(|(k, n)| json!({"key": k, "name": n})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = json!({ "service_code": code, "attributes": attrs });
    respond(StatusCode::OK, f, "service_definition", &v)
}

/// Requests are created at once, never deferred: no token is ever issued.
async fn token(State(state): State<AppState>, Path(file): Path<String>, q: Params) -> Response {
    let f = Format::split(&file).map(|(_, f)| f).unwrap_or(Format::Json);
    if let Some(e) = jurisdiction(&state, &q, f) {
        return e;
    }
    error(StatusCode::NOT_FOUND, f, "token not found")
}

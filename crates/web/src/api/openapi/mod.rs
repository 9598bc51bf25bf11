//! The OpenAPI 3.1 document of the JSON API, generated from the handlers'
//! `#[utoipa::path]` attributes and served at `GET /api/openapi.json`; the
//! reference page (`ui::api_docs`) renders the same document.
//!
//! To document an endpoint:
//! 1. put `#[utoipa::path(...)]` on its handler: method, `path`, `tag` (one
//!    of [`TAGS`]), `params`, `request_body`, the success `responses`, and
//!    `extensions(("x-error-codes" = json!([...])))` naming every
//!    `ErrorCode` the handler itself can answer with (list `unauthenticated`
//!    when it needs a signed-in caller: that also makes its security
//!    required);
//! 2. add the handler to `paths(...)` of [`ApiDoc`] below.
//!
//! [`finish`] then adds what is true of every operation: one error response
//! per status with the codes it may carry (the body is the `Error`
//! component), `unauthenticated` (a presented token that is dead),
//! `internal` and `unavailable`, `malformed_request` and `payload_too_large`
//! for a request body, `malformed_request` for a path parameter (a segment
//! that is not UTF-8), the security requirement and the `lang` parameter.
//! `tests/openapi.rs` fails when a route under `/api/v1` is missing here.

pub(crate) mod schema;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, routing::get};
use grassroots_core::ErrorCode;
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::error::ApiError;
use crate::state::AppState;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

/// The tags operations are grouped by, in the order the reference page shows them.
pub const TAGS: &[(&str, &str)] = &[
    ("health", "Liveness and readiness."),
    (
        "auth",
        "Sign-in by password or SMS code, sessions and API tokens.",
    ),
    ("users", "Accounts, roles and departments."),
    ("territory", "Units of the territory, lookup and import."),
    (
        "appeals",
        "Resident appeals: intake, views, workflow steps, photos, tracking.",
    ),
    (
        "rules",
        "The category taxonomy, the working-day calendar and the measures.",
    ),
    ("warning", "Early-warning alerts and their rules."),
    ("mediation", "Dispute mediation cases and organisations."),
    (
        "questions",
        "Ask the government: public questions to departments, public answers within a time limit, following.",
    ),
    ("audit", "The audit trail and its verification."),
    (
        "open311-keys",
        "Open311 client keys (the GeoReport API has its own specification).",
    ),
    ("meta", "This document."),
];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Grassroots API",
        description = "The native JSON API of Grassroots. Every error is a JSON body `{\"error\": {\"code\": …}}` with a stable `code`; messages follow `?lang=`, the `gr_lang` cookie or `Accept-Language` (zh-CN by default). Authenticate with `Authorization: Bearer <API token>` (from `POST /api/v1/auth/tokens`) or the `gr_session` cookie set by `POST /api/v1/auth/login`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        crate::api::health::healthz,
        crate::api::health::readyz,
        document,
        crate::api::auth::login,
        crate::api::sms_login::request_code,
        crate::api::sms_login::login_with_code,
        crate::api::auth::logout,
        crate::api::auth::me,
        crate::api::auth::create_token,
        crate::api::auth::revoke_token,
        crate::api::users::list,
        crate::api::users::create,
        crate::api::users::detail,
        crate::api::users::reveal_phone,
        crate::api::users::set_role,
        crate::api::users::disable,
        crate::api::users::enable,
        crate::api::users::departments,
        crate::api::territory::list_units,
        crate::api::territory::unit_detail,
        crate::api::territory::retire_unit,
        crate::api::territory::tree,
        crate::api::territory::lookup,
        crate::api::territory::import,
        crate::api::appeals::list,
        crate::api::appeals::intake::submit,
        crate::api::appeals::intake::duplicate_check,
        crate::api::appeals::detail,
        crate::api::appeals::step,
        crate::api::appeals::reveal_contact,
        crate::api::appeals::note,
        crate::api::appeals::photos::add_by_staff,
        crate::api::appeals::photos::get_by_staff,
        crate::api::appeals::my_appeals,
        crate::api::appeals::track,
        crate::api::appeals::track_step,
        crate::api::appeals::photos::add_by_code,
        crate::api::appeals::photos::get_by_code,
        crate::api::appeals::notifications,
        crate::api::appeals::tasks,
        crate::api::appeals::categories,
        crate::api::appeals::rules::get_taxonomy,
        crate::api::appeals::rules::put_taxonomy,
        crate::api::appeals::rules::get_calendar,
        crate::api::appeals::rules::put_calendar_year,
        crate::api::appeals::measures::measures,
        crate::api::warning::list,
        crate::api::warning::detail,
        crate::api::warning::respond,
        crate::api::warning::get_rules,
        crate::api::warning::put_rules,
        crate::api::warning::run_now,
        crate::api::mediation::list_orgs,
        crate::api::mediation::put_org,
        crate::api::mediation::measures,
        crate::api::mediation::open::open,
        crate::api::mediation::list,
        crate::api::mediation::detail,
        crate::api::mediation::steps::step,
        crate::api::mediation::reveal,
        crate::api::mediation::document::agreement,
        crate::api::questions::list,
        crate::api::questions::ask,
        crate::api::questions::similar,
        crate::api::questions::detail,
        crate::api::questions::step,
        crate::api::questions::follow,
        crate::api::questions::unfollow,
        crate::api::questions::mine,
        crate::api::audit::events,
        crate::api::audit::verify,
        open311_clients_list,
        open311_clients_issue,
        open311_clients_revoke,
    ),
    components(schemas(schema::ErrorBody))
)]
struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new().route(DOCUMENT_PATH, get(document))
}

/// The OpenAPI document of this API (OpenAPI 3.1)
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)),
    extensions(("x-error-codes" = json!([])))
)]
async fn document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT_TEXT.as_str(),
    )
        .into_response()
}

static DOCUMENT: LazyLock<Value> = LazyLock::new(build);
static DOCUMENT_TEXT: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string_pretty(&*DOCUMENT).unwrap_or_default());

/// The document, built once.
pub fn openapi() -> &'static Value {
    &DOCUMENT
}

fn build() -> Value {
    let mut doc = match serde_json::to_value(ApiDoc::openapi()) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "the OpenAPI document does not serialise");
            return json!({});
        }
    };
    finish(&mut doc);
    doc
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// The codes of `op`'s `x-error-codes`, in order; unknown names are skipped
/// (the test names them).
pub fn declared_codes(op: &Value) -> Vec<ErrorCode> {
    op["x-error-codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|name| ErrorCode::ALL.into_iter().find(|c| c.as_str() == name))
        .collect()
}

/// What every operation shares: error responses by status, security, `lang`.
fn finish(doc: &mut Value) {
    doc["tags"] = json!(
        TAGS.iter()
            .map(|(name, description)| json!({"name": name, "description": description}))
            .collect::<Vec<_>>()
    );
    let components = &mut doc["components"];
    components["securitySchemes"] = json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `POST /api/v1/auth/tokens`: `Authorization: Bearer <token>`. A presented token that is not valid is refused (`unauthenticated`) on every endpoint, public ones included.",
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": crate::auth::SESSION_COOKIE,
            "description": "The session cookie set by `POST /api/v1/auth/login` or `POST /api/v1/auth/sms-login`.",
        },
    });
    components["parameters"] = json!({
        "lang": {
            "name": "lang",
            "in": "query",
            "required": false,
            "description": "The language of messages (else the `gr_lang` cookie, `Accept-Language`, zh-CN).",
            "schema": {"type": "string", "enum": ["zh-CN", "en"]},
        }
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            let op = &mut item[method];
            if op.is_object() {
                finish_operation(op);
            } else if let Some(item) = item.as_object_mut() {
                // `item[method]` above inserted a null; take it out again.
                item.remove(method);
            }
        }
    }
}

fn finish_operation(op: &mut Value) {
    // Handlers of different modules share names (`list`, `detail`): the
    // tag makes the id unique (`appeals_list`, `users_list`).
    if let (Some(tag), Some(name)) = (op["tags"][0].as_str(), op["operationId"].as_str()) {
        op["operationId"] = json!(format!("{}_{name}", tag.replace('-', "_")));
    }
    let mut codes = declared_codes(op);
    let signed_in = codes.contains(&ErrorCode::Unauthenticated);
    let has_body = op["requestBody"]["content"].is_object();
    // A path segment that is not UTF-8 cannot name anything (`malformed_request`).
    let path_params = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
    let mut common = vec![
        ErrorCode::Unauthenticated,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];
    if has_body {
        // Unparsable or of the wrong type, or over the body limit.
        common.extend([ErrorCode::MalformedRequest, ErrorCode::PayloadTooLarge]);
    }
    if path_params {
        common.push(ErrorCode::MalformedRequest);
    }
    for c in common {
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    op["x-error-codes"] = json!(codes.iter().map(|c| c.as_str()).collect::<Vec<_>>());
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for c in codes {
        by_status
            .entry(ApiError::new(c).status().as_u16())
            .or_default()
            .push(c);
    }
    for (status, codes) in by_status {
        let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
        let description = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        op["responses"][status.to_string()] = json!({
            "description": description,
            "content": {"application/json": {"schema": {"allOf": [
                {"$ref": "#/components/schemas/Error"},
                {"type": "object", "properties": {"error": {
                    "type": "object",
                    "properties": {"code": {"type": "string", "enum": names}},
                }}},
            ]}}},
        });
    }
    let mut security = vec![json!({"bearer": []}), json!({"session": []})];
    if !signed_in {
        // Optional: anonymous callers are served too.
        security.insert(0, json!({}));
    }
    op["security"] = json!(security);
    let lang = json!({"$ref": "#/components/parameters/lang"});
    match op["parameters"].as_array_mut() {
        Some(params) => params.push(lang),
        None => op["parameters"] = json!([lang]),
    }
}

// Open311 client keys live in `open311::clients` (a JSON API under
// `/api/v1`); they are described here.

/// Open311 client applications and when their keys were revoked (admins)
#[utoipa::path(
    get,
    path = "/api/v1/admin/open311/clients",
    tag = "open311-keys",
    responses((status = 200, body = schema::Open311ClientList)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden"])))
)]
#[allow(dead_code)]
fn open311_clients_list() {}

/// Issue an Open311 client its API key (shown once; audited)
#[utoipa::path(
    post,
    path = "/api/v1/admin/open311/clients",
    tag = "open311-keys",
    request_body = schema::Open311KeyRequest,
    responses((status = 201, body = schema::Open311KeyIssued)),
    extensions(("x-error-codes" = json!(["invalid_input", "unauthenticated", "forbidden"])))
)]
#[allow(dead_code)]
fn open311_clients_issue() {}

/// Revoke an Open311 client's key (audited)
#[utoipa::path(
    post,
    path = "/api/v1/admin/open311/clients/{id}/revoke",
    tag = "open311-keys",
    params(("id" = i64, Path, description = "The client's id")),
    responses((status = 200, body = schema::Open311KeyRevoked)),
    extensions(("x-error-codes" = json!(["unauthenticated", "forbidden", "not_found", "conflict"])))
)]
#[allow(dead_code)]
fn open311_clients_revoke() {}

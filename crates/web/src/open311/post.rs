//! `POST /open311/v2/requests.{json,xml}`: a client application files a
//! service request with its API key, form-encoded as the spec says. It
//! becomes an appeal through the same intake path as every other channel
//! (checks, routing, deadlines, audit), on the `open311` channel.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use grassroots_core::portal::services::{Datatype, attributes};
use serde_json::json;

use super::format::{Format, error, respond};
use crate::api::appeals::intake::{ContactIn, LocationIn, Submission, file};
use crate::auth::{Caller, secret_hash};
use crate::error::ApiError;
use crate::state::AppState;

/// The spec's error for an internal `ApiError` (status kept, detail as description).
fn from_api(e: &ApiError, f: Format) -> Response {
    let what = match (&e.field, &e.detail) {
        (Some(field), Some(d)) => format!("{field}: {d}"),
        (None, Some(d)) => d.clone(),
        (Some(field), None) => field.clone(),
        (None, None) => e.code.to_string(),
    };
    error(e.status(), f, &what)
}

/// `attribute[code]` and `attribute[code][]` values, by code.
fn attribute_values(args: &[(String, String)], code: &str) -> Vec<String> {
    let one = format!("attribute[{code}]");
    let many = format!("attribute[{code}][]");
    args.iter()
        .filter(|(k, _)| *k == one || *k == many)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The service's attributes checked and written out as lines of the description.
fn attribute_lines(service: &str, args: &[(String, String)]) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    for a in attributes(service) {
        let values = attribute_values(args, a.code);
        if values.is_empty() {
            if a.required {
                return Err(format!("attribute[{}] is required", a.code));
            }
            continue;
        }
        let shown: Vec<String> = match a.datatype {
            Datatype::Number => {
                let v = &values[0];
                if v.parse::<f64>().ok().filter(|x| x.is_finite()).is_none() {
                    return Err(format!("attribute[{}] must be a number", a.code));
                }
                vec![v.clone()]
            }
            Datatype::Datetime => {
                let v = &values[0];
                if v.parse::<jiff::Timestamp>().is_err() {
                    return Err(format!("attribute[{}] must be a w3c datetime", a.code));
                }
                vec![v.clone()]
            }
            Datatype::Singlevaluelist | Datatype::Multivaluelist => {
                if a.datatype == Datatype::Singlevaluelist && values.len() > 1 {
                    return Err(format!("attribute[{}] takes one value", a.code));
                }
                let mut names = Vec::new();
                for v in &values {
                    match a.values.iter().find(|(k, _)| k == v) {
                        Some((_, name)) => names.push((*name).to_owned()),
                        None => return Err(format!("attribute[{}]: unknown value {v}", a.code)),
                    }
                }
                names
            }
            Datatype::String | Datatype::Text => vec![values[0].chars().take(500).collect()],
        };
        lines.push(format!("{}：{}", a.description, shown.join("、")));
    }
    Ok(lines)
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(file_name): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Some(("requests", f)) = super::format::Format::split(&file_name) else {
        return error(
            StatusCode::NOT_FOUND,
            Format::Json,
            "unknown resource or format",
        );
    };
    let Ok(Form(args)) = form else {
        return error(
            StatusCode::BAD_REQUEST,
            f,
            "the body must be application/x-www-form-urlencoded",
        );
    };
    // An empty argument is the same as a missing one.
    let arg = |k: &str| {
        args.iter()
            .find(|(key, v)| key == k && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    };
    let client = match arg("api_key") {
        None => return error(StatusCode::FORBIDDEN, f, "api_key is required"),
        Some(key) => match state.store.open311_client_by_key(&secret_hash(&key)).await {
            Ok(Some(c)) => c,
            Ok(None) => return error(StatusCode::FORBIDDEN, f, "invalid api_key"),
            Err(e) => return from_api(&ApiError::from(e), f),
        },
    };
    if let Err(e) = crate::api::count_submission(&state, Some(format!("open311:{}", client.id))) {
        return from_api(&e, f);
    }
    if let Some(ours) = state.config.open311_jurisdiction.as_deref()
        && arg("jurisdiction_id").is_some_and(|j| j != ours)
    {
        return error(StatusCode::NOT_FOUND, f, "jurisdiction_id not found");
    }
    let Some(service) = arg("service_code") else {
        return error(StatusCode::BAD_REQUEST, f, "service_code is required");
    };
    if state.taxonomy().get(&service).is_none() {
        return error(StatusCode::NOT_FOUND, f, "service_code not found");
    }
    let number = |k: &str| arg(k).map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()));
    let location = match (
        number("lat"),
        number("long"),
        arg("address_string"),
        arg("address_id"),
    ) {
        (Some(Some(lat)), Some(Some(lon)), _, _) => LocationIn {
            lon: Some(lon),
            lat: Some(lat),
            ..LocationIn::default()
        },
        (Some(None), _, _, _) | (_, Some(None), _, _) => {
            return error(StatusCode::BAD_REQUEST, f, "lat and long must be numbers");
        }
        (Some(_), None, _, _) | (None, Some(_), _, _) => {
            return error(StatusCode::BAD_REQUEST, f, "give both lat and long");
        }
        // No geocoder on an intranet: an address goes to the city's dispatchers to place.
        (None, None, Some(text), _) | (None, None, None, Some(text)) => LocationIn {
            address: Some(text),
            unit: state
                .atlas()
                .territory()
                .roots()
                .next()
                .map(|r| r.code.clone()),
            ..LocationIn::default()
        },
        (None, None, None, None) => {
            return error(
                StatusCode::BAD_REQUEST,
                f,
                "a location is required: lat and long, address_string or address_id",
            );
        }
    };
    let mut description = arg("description").unwrap_or_default();
    match attribute_lines(&service, &args) {
        Ok(lines) => {
            for l in lines {
                description.push('\n');
                description.push_str(&l);
            }
        }
        Err(why) => return error(StatusCode::BAD_REQUEST, f, &why),
    }
    if let Some(url) = arg("media_url") {
        description.push_str(&format!("\n图片链接：{url}"));
    }
    let name = match (arg("last_name"), arg("first_name")) {
        (Some(l), Some(fi)) => Some(format!("{l}{fi}")),
        (l, fi) => l.or(fi),
    };
    let submission = Submission {
        category: Some(service),
        description: Some(description.trim().to_owned()),
        location,
        contact: ContactIn {
            name,
            phone: arg("phone"),
        },
        // Open311 requests are listed publicly only when the client says the
        // resident agreed (`publish=true`, an extension of the spec).
        publish: arg("publish").as_deref() == Some("true"),
        channel: Some("open311".into()),
        ..Submission::default()
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("open311:{}:{k}", client.id));
    tracing::info!(client = client.id, name = %client.name, "open311 request");
    match file(&state, &caller, key, submission, true).await {
        Ok((_, receipt)) => {
            let id = receipt["id"].as_i64().unwrap_or_default();
            let v = json!([{
                "service_request_id": id.to_string(),
                "service_notice": format!("受理编号 {}", receipt["tracking_code"].as_str().unwrap_or_default()),
                "account_id": serde_json::Value::Null,
            }]);
            respond(StatusCode::CREATED, f, "service_requests", &v)
        }
        Err(e) => from_api(&e, f),
    }
}

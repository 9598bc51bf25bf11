//! `GET /api/docs`: the API reference, rendered on the server from the same
//! OpenAPI document that `GET /api/openapi.json` serves — operations grouped
//! by tag with their parameters, bodies, responses and error codes. No
//! script, no style of its own, nothing fetched: it works air-gapped.

use axum::Router;
use axum::routing::get;
use grassroots_core::ErrorCode;
use serde_json::{Value, json};

use super::page::{Ui, UiResult};
use crate::api::openapi::{self, DOCUMENT_PATH, TAGS};
use crate::error::ApiError;
use crate::state::AppState;

/// Where the page is served.
pub const PAGE_PATH: &str = "/api/docs";

/// This module's templates (name, source), registered with the others.
pub(super) const TEMPLATES: &[(&str, &str)] = &[(
    "api_docs.html",
    include_str!("../../templates/api_docs.html"),
)];

pub fn routes() -> Router<AppState> {
    Router::new().route(PAGE_PATH, get(page))
}

async fn page(ui: Ui) -> UiResult {
    ui.render("api_docs.html", view(openapi::openapi()))
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The page's model: tags in order, each with its operations.
pub fn view(doc: &Value) -> Value {
    let mut ops: Vec<(String, Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let op = &item[method];
            if op.is_object() {
                let tag = op["tags"][0].as_str().unwrap_or("").to_owned();
                ops.push((tag, operation(path, method, op)));
            }
        }
    }
    let tags: Vec<Value> = TAGS
        .iter()
        .map(|(name, _)| {
            let items: Vec<&Value> = ops
                .iter()
                .filter(|(t, _)| t == name)
                .map(|(_, o)| o)
                .collect();
            json!({"name": name, "operations": items})
        })
        .filter(|t| t["operations"].as_array().is_some_and(|a| !a.is_empty()))
        .collect();
    let errors: Vec<Value> = ErrorCode::ALL
        .iter()
        .map(|c| json!({"code": c.as_str(), "status": ApiError::new(*c).status().as_u16()}))
        .collect();
    json!({
        "title": doc["info"]["title"],
        "version": doc["info"]["version"],
        "openapi": doc["openapi"],
        "document": DOCUMENT_PATH,
        "tags": tags,
        "errors": errors,
        "operation_count": ops.len(),
    })
}

fn operation(path: &str, method: &str, op: &Value) -> Value {
    let params: Vec<Value> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p.get("$ref").is_none())
        .map(|p| {
            json!({
                "name": p["name"],
                "in": p["in"],
                "required": p["required"].as_bool().unwrap_or(false),
                "type": schema_name(&p["schema"]),
                "description": p["description"],
            })
        })
        .collect();
    let body = op["requestBody"]["content"].as_object().map(|content| {
        content
            .iter()
            .map(|(ct, media)| json!({"content_type": ct, "schema": schema_name(&media["schema"])}))
            .collect::<Vec<_>>()
    });
    let mut responses: Vec<Value> = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, r)| {
            let content: Vec<Value> = r["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(ct, media)| json!({"content_type": ct, "schema": schema_name(&media["schema"])}))
                .collect();
            // An error response's stable codes (see `api::openapi::finish`).
            let codes = &r["content"]["application/json"]["schema"]["allOf"][1]["properties"]
                ["error"]["properties"]["code"]["enum"];
            json!({
                "status": status,
                "error": status.starts_with('4') || status.starts_with('5'),
                "description": r["description"],
                "codes": codes.as_array().cloned().unwrap_or_default(),
                "content": content,
            })
        })
        .collect();
    responses.sort_by(|a, b| a["status"].as_str().cmp(&b["status"].as_str()));
    let sign_in = op["security"].as_array().is_some_and(|s| {
        !s.iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
    });
    json!({
        "id": op["operationId"],
        "method": method.to_uppercase(),
        "path": path,
        "summary": op["summary"],
        "description": op["description"],
        "sign_in": sign_in,
        "params": params,
        "body": body,
        "responses": responses,
    })
}

/// A short name for a schema: its component's name, `[Item]` for an array,
/// the type otherwise.
fn schema_name(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = s[key].as_array() {
            let names: Vec<String> = list
                .iter()
                .map(schema_name)
                .filter(|n| !n.is_empty() && n != "object" && n != "null")
                .collect();
            let joined = names.join(if key == "allOf" { " & " } else { " | " });
            if !joined.is_empty() {
                return joined;
            }
        }
    }
    let kind = match &s["type"] {
        Value::String(t) => t.clone(),
        // OpenAPI 3.1: `["string", "null"]`.
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    };
    match kind.as_str() {
        "array" => format!("[{}]", schema_name(&s["items"])),
        "string" => match s["format"].as_str() {
            Some(f) => format!("string ({f})"),
            None if s["enum"].is_array() => "enum".to_owned(),
            None => kind,
        },
        "" if s.as_object().is_some_and(|o| o.is_empty()) => "any".to_owned(),
        _ => kind,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn schema_names_are_short() {
        assert_eq!(
            schema_name(&json!({"$ref": "#/components/schemas/User"})),
            "User"
        );
        assert_eq!(
            schema_name(
                &json!({"type": "array", "items": {"$ref": "#/components/schemas/Category"}})
            ),
            "[Category]"
        );
        assert_eq!(
            schema_name(&json!({"type": ["integer", "null"], "format": "int64"})),
            "integer"
        );
        assert_eq!(
            schema_name(
                &json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/LevelName"}]})
            ),
            "LevelName"
        );
        assert_eq!(schema_name(&json!({})), "any");
    }

    #[test]
    fn every_tag_has_a_name_on_the_page_and_every_operation_a_tag() {
        let page = view(openapi::openapi());
        let listed: usize = page["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["operations"].as_array().unwrap().len())
            .sum();
        assert_eq!(listed, page["operation_count"].as_u64().unwrap() as usize);
        let i18n = crate::i18n::catalogue();
        for (tag, _) in TAGS {
            for lang in [crate::i18n::Lang::ZhCn, crate::i18n::Lang::En] {
                assert!(i18n.has(lang, &format!("api-docs-tag-{tag}")), "{tag}");
            }
        }
    }
}

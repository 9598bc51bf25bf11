//! The OpenAPI document and the API reference page: the document parses as
//! OpenAPI 3, every reference resolves, every route under `/api/v1` (read
//! from the routers' source, so a new endpoint without `#[utoipa::path]`
//! fails here) is documented and nothing else is, and the page renders in
//! both languages under the pages' CSP. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use grassroots_core::ErrorCode;
use grassroots_core::clock::ManualClock;
use grassroots_store::{OpenOptions, Store};
use grassroots_web::{AppState, WebConfig, app, load_atlas};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

grassroots_store::on_both_backends!(
    document_is_openapi_3_and_self_contained,
    docs_page_renders_in_both_languages,
    axums_own_rejections_are_json_errors,
);

async fn setup(url: String) -> Router {
    let store = Store::open(&url, &OpenOptions::default()).await.unwrap();
    let atlas = load_atlas(&store).await.unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-21T08:00:00Z".parse().unwrap()));
    app(AppState::new(store, clock, WebConfig::default(), atlas))
}

async fn get(app: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every operation of the document as `METHOD path`.
fn documented(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    out
}

/// Every `$ref` in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

async fn document_is_openapi_3_and_self_contained(url: String) {
    let app = setup(url).await;
    let (status, headers, text) = get(&app, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    // It parses as an OpenAPI 3 document.
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let parsed: utoipa::openapi::OpenApi = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("not an OpenAPI document: {e}"));
    assert_eq!(parsed.info.title, "Grassroots API");

    // Every reference resolves inside the document.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external reference {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }

    // Security schemes: the bearer token and the session cookie.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "gr_session");

    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let name = format!("{} {path}", m.to_uppercase());
            assert!(
                ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "{name}: duplicate operationId"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: no summary"
            );
            let tag = op["tags"][0]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no tag"));
            assert!(
                grassroots_web::api::openapi::TAGS
                    .iter()
                    .any(|(t, _)| *t == tag),
                "{name}: unknown tag {tag}"
            );
            // Each declared code is a real one, answered with its own status.
            let declared = op["x-error-codes"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: no x-error-codes"));
            for c in declared {
                let c = c.as_str().unwrap();
                assert!(codes.contains(&c), "{name}: unknown error code {c}");
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{name}: no success response"
            );
            for code in ErrorCode::ALL {
                if !declared.iter().any(|c| c == code.as_str()) {
                    continue;
                }
                let status = grassroots_web::ApiError::new(code)
                    .status()
                    .as_u16()
                    .to_string();
                let r = &responses[&status];
                let allowed = &r["content"]["application/json"]["schema"]["allOf"][1]["properties"]
                    ["error"]["properties"]["code"]["enum"];
                assert!(
                    allowed
                        .as_array()
                        .is_some_and(|a| a.iter().any(|c| c == code.as_str())),
                    "{name}: {code} is not listed under {status}"
                );
                assert_eq!(
                    r["content"]["application/json"]["schema"]["allOf"][0]["$ref"],
                    "#/components/schemas/Error"
                );
            }
            // A path parameter for every `{name}` in the path.
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let p = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    op["parameters"]
                        .as_array()
                        .is_some_and(|ps| ps.iter().any(|x| x["name"] == p && x["in"] == "path")),
                    "{name}: path parameter {p} undocumented"
                );
            }
        }
    }
    // The one error body, with every stable code.
    let error = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    assert_eq!(error.as_array().unwrap().len(), ErrorCode::ALL.len());
}

/// `(METHOD, path)` of every `.route("PATH", get(…).post(…))` in `src`.
fn routes_in(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, _) in src.match_indices(".route(") {
        let rest = &src[i + ".route(".len()..];
        // Only literal paths (the document's own route uses a constant).
        if !rest.trim_start().starts_with('"') {
            continue;
        }
        let Some(open) = rest.find('"') else { continue };
        let Some(len) = rest[open + 1..].find('"') else {
            continue;
        };
        let path = rest[open + 1..open + 1 + len].to_owned();
        if !path.starts_with('/') {
            continue;
        }
        // The route's arguments: up to the parenthesis closing `.route(`.
        let mut depth = 1;
        let mut end = rest.len();
        for (j, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let args = &rest[open + 1 + len..end];
        for m in METHODS {
            let call = format!("{m}(");
            for (k, _) in args.match_indices(&call) {
                let before = args[..k].chars().next_back();
                if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                    out.push((m.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_route_reader_reads_chains_and_wrapped_routes() {
    let src = r#"
        .route("/api/v1/a", get(list).post(create).layer(DefaultBodyLimit::max(1)))
        .route(
            "/api/v1/b/{id}",
            axum::routing::put(rules::put_x),
        )
        .route("/api/v1/c", post(super::sms::request_code))
        .route("/x", get(forget))
    "#;
    let found = routes_in(src);
    assert_eq!(
        found,
        [
            ("GET".into(), "/api/v1/a".into()),
            ("POST".into(), "/api/v1/a".into()),
            ("PUT".into(), "/api/v1/b/{id}".into()),
            ("POST".into(), "/api/v1/c".into()),
            ("GET".into(), "/x".into()),
        ]
    );
}

/// Every JSON route registered under `/api/v1` (and the health checks) is in
/// the document, and the document names no route the routers do not have.
#[test]
fn every_api_route_is_documented() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut registered = BTreeSet::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (m, path) in routes_in(&text) {
            if path.starts_with("/api/v1/") || path == "/healthz" || path == "/readyz" {
                registered.insert(format!("{m} {path}"));
            }
        }
    }
    assert!(
        registered.len() > 50,
        "the route reader found {registered:?}"
    );
    let doc = grassroots_web::api::openapi::openapi();
    let documented: BTreeSet<String> = documented(doc)
        .into_iter()
        .filter(|o| o.contains(" /api/v1/") || o.ends_with("/healthz") || o.ends_with("/readyz"))
        .collect();
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes without #[utoipa::path] in api::openapi::ApiDoc: {missing:#?}"
    );
    let stale: Vec<_> = documented.difference(&registered).collect();
    assert!(stale.is_empty(), "documented but not routed: {stale:#?}");
}

async fn docs_page_renders_in_both_languages(url: String) {
    let app = setup(url).await;
    let doc = grassroots_web::api::openapi::openapi();
    let operations = documented(doc).len();
    for (lang, title, tag) in [
        ("zh-CN", "API 参考", "诉求"),
        ("en", "API reference", "Appeals"),
    ] {
        let (status, headers, html) = get(&app, &format!("/api/docs?lang={lang}")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{csp}"
        );
        assert!(html.contains(&format!("<html lang=\"{lang}\">")));
        assert!(html.contains(title) && html.contains(tag), "{lang}");
        // Every operation is on the page, with its path.
        assert_eq!(
            html.matches("data-testid=\"operation\"").count(),
            operations
        );
        let i = html
            .find("appeals&#x2f;{id}&#x2f;actions")
            .or_else(|| html.find("appeals/{id}/actions"));
        assert!(
            i.is_some(),
            "{}",
            &html[html.len() / 2..html.len() / 2 + 2000]
        );
        assert!(
            html.contains("href=\"/api/openapi.json\"")
                || html.contains("href=\"&#x2f;api&#x2f;openapi.json\"")
        );
        // Error codes with their statuses.
        assert!(html.contains("<code>outside_territory</code>"));
        // Nothing inline that the CSP would block; nothing off the origin.
        assert!(!html.contains("style=\""), "inline style");
        for (i, _) in html.match_indices("<script") {
            assert!(
                html[i..].split('>').next().unwrap().contains("src=\"/"),
                "inline script"
            );
        }
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "a reference off the origin"
        );
    }
}

/// What axum's extractors refuse by themselves (a path segment that is not
/// UTF-8, a raw body that is too large or not UTF-8) is the API's JSON error.
async fn axums_own_rejections_are_json_errors(url: String) {
    let app = setup(url).await;
    let send = |method: &str, uri: &str, body: Vec<u8>| {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body))
            .unwrap();
        let app = app.clone();
        async move {
            let res = app.oneshot(req).await.unwrap();
            let status = res.status();
            let ct = res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .to_owned();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            assert!(
                ct.starts_with("application/json"),
                "{status} {ct}: {bytes:?}"
            );
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            (status, v["error"]["code"].as_str().unwrap().to_owned())
        }
    };
    assert_eq!(
        send("GET", "/api/v1/users/%FF", Vec::new()).await,
        (StatusCode::BAD_REQUEST, "malformed_request".into())
    );
    assert_eq!(
        send("GET", "/api/v1/track/%C0%AF", Vec::new()).await,
        (StatusCode::BAD_REQUEST, "malformed_request".into())
    );
    assert_eq!(
        send(
            "POST",
            "/api/v1/territory/import?dry_run=true",
            vec![0xff, 0xfe]
        )
        .await,
        (StatusCode::BAD_REQUEST, "malformed_request".into())
    );
    let too_big = vec![0u8; grassroots_core::appeals::photo::MAX_PHOTO_BYTES + 1024 + 1];
    assert_eq!(
        send("POST", "/api/v1/track/GR-AAAAA-AAAAA/photos", too_big).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );
    // A handler's own error is left as it is.
    assert_eq!(
        send("GET", "/api/v1/territory/units/NOPE", Vec::new()).await,
        (StatusCode::NOT_FOUND, "not_found".into())
    );
}

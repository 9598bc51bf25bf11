//! The JSON API through `tower::ServiceExt::oneshot`, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use geo::{MultiPolygon, polygon};
use grassroots_core::accounts::{NewUser, Role, Scope};
use grassroots_core::clock::ManualClock;
use grassroots_core::territory::{Level, Unit};
use grassroots_store::{Ctx, OpenOptions, Store};
use grassroots_web::{AppState, WebConfig, app, load_atlas};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

grassroots_store::on_both_backends!(
    health_and_unknown_routes,
    lookup_inside_outside_and_bad_input,
    errors_speak_the_callers_language,
    login_sessions_and_throttling,
    directory_is_masked_and_limited_to_jurisdiction,
    revealing_a_phone_is_audited,
    only_admins_create_users_and_input_is_validated,
    disabling_or_changing_role_ends_sessions,
    api_tokens_authenticate_machine_clients,
    import_is_all_or_nothing_and_updates_lookup,
    audit_trail_is_for_auditors,
    territory_listing_and_detail,
);

const PASSWORD: &str = "password-123";

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)],
    ])
}

fn unit(code: &str, level: Level, parent: Option<&str>, b: Option<MultiPolygon<f64>>) -> Unit {
    Unit {
        code: code.into(),
        name: format!("{code}区域"),
        name_en: format!("Area {code}"),
        level,
        parent: parent.map(Into::into),
        label: None,
        boundary: b,
        households: None,
        retired: false,
    }
}

/// C → D1 (S1 → K1 → G1, G2; S2) and D2 (S3).
fn territory() -> Vec<Unit> {
    vec![
        unit("C", Level::City, None, None),
        unit(
            "D1",
            Level::District,
            Some("C"),
            Some(rect(125.0, 46.5, 125.1, 46.6)),
        ),
        unit(
            "D2",
            Level::District,
            Some("C"),
            Some(rect(125.1, 46.5, 125.2, 46.6)),
        ),
        unit(
            "S1",
            Level::Street,
            Some("D1"),
            Some(rect(125.0, 46.5, 125.05, 46.6)),
        ),
        unit(
            "S2",
            Level::Street,
            Some("D1"),
            Some(rect(125.05, 46.5, 125.1, 46.6)),
        ),
        unit(
            "S3",
            Level::Street,
            Some("D2"),
            Some(rect(125.1, 46.5, 125.2, 46.6)),
        ),
        unit(
            "K1",
            Level::Community,
            Some("S1"),
            Some(rect(125.0, 46.5, 125.05, 46.6)),
        ),
        unit(
            "G1",
            Level::Grid,
            Some("K1"),
            Some(rect(125.0, 46.5, 125.05, 46.55)),
        ),
        unit(
            "G2",
            Level::Grid,
            Some("K1"),
            Some(rect(125.0, 46.55, 125.05, 46.6)),
        ),
    ]
}

struct Env {
    app: Router,
    store: Store,
}

async fn setup(url: String) -> Env {
    let store = Store::open(&url, &OpenOptions::default()).await.unwrap();
    let ctx = Ctx::system(1_790_000_000_000_000);
    store.insert_units(&ctx, &territory()).await.unwrap();
    let hash = grassroots_web::auth::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let mut tx = store.write().await.unwrap();
    for (name, role, scope) in [
        ("admin", Role::Admin, Scope::Unit("C".into())),
        ("auditor", Role::Auditor, Scope::Unit("C".into())),
        ("street1", Role::StreetStaff, Scope::Unit("S1".into())),
        ("district2", Role::DistrictStaff, Scope::Unit("D2".into())),
        ("grid1", Role::GridWorker, Scope::Unit("G1".into())),
        ("grid2", Role::GridWorker, Scope::Unit("G2".into())),
        ("resident", Role::Resident, Scope::None),
    ] {
        let user = NewUser {
            username: name.into(),
            display_name: "张伟".into(),
            role,
            scope,
            phone: Some("13912345678".into()),
        };
        tx.create_user(&ctx, &user, Some(&hash)).await.unwrap();
    }
    tx.commit().await.unwrap();
    let atlas = load_atlas(&store).await.unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-21T08:00:00Z".parse().unwrap()));
    let config = WebConfig {
        login_attempts: 3,
        ..WebConfig::default()
    };
    let state = AppState::new(store.clone(), clock, config, atlas);
    Env {
        app: app(state),
        store,
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Env {
    async fn send(
        &self,
        method: Method,
        uri: &str,
        auth: Option<&str>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(a) = auth {
            req = if a.starts_with("gr_session=") {
                req.header(header::COOKIE, a)
            } else {
                req.header(header::AUTHORIZATION, format!("Bearer {a}"))
            };
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str, auth: Option<&str>) -> Reply {
        self.send(Method::GET, uri, auth, None, &[]).await
    }

    async fn post(&self, uri: &str, auth: Option<&str>, body: Value) -> Reply {
        self.send(Method::POST, uri, auth, Some(body), &[]).await
    }

    /// Log in and return the cookie header value.
    async fn login(&self, username: &str) -> String {
        self.login_with(username, PASSWORD).await
    }

    async fn login_with(&self, username: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let cookie = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        cookie.split(';').next().unwrap().to_owned()
    }

    async fn user_id(&self, username: &str) -> i64 {
        self.store
            .user_for_login(username)
            .await
            .unwrap()
            .unwrap()
            .user
            .id
    }
}

fn code(r: &Reply) -> &str {
    r.body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {}", r.body))
}

async fn health_and_unknown_routes(url: String) {
    let env = setup(url).await;
    let r = env.get("/healthz", None).await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let r = env.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["units"], 9);
    assert!(r.headers.contains_key("x-request-id"));
    assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
    let r = env.get("/no/such/thing", None).await;
    assert_eq!((r.status, code(&r)), (StatusCode::NOT_FOUND, "not_found"));
    let r = env.send(Method::DELETE, "/healthz", None, None, &[]).await;
    assert_eq!(code(&r), "malformed_request");
}

async fn lookup_inside_outside_and_bad_input(url: String) {
    let env = setup(url).await;
    let r = env
        .get("/api/v1/territory/lookup?lon=125.01&lat=46.51", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["unit"],
        json!({"code": "G1", "name": "G1区域", "name_en": "Area G1", "level": "grid"})
    );
    let chain: Vec<&str> = r.body["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(chain, ["K1", "S1", "D1", "C"]);
    // A street without grids is the smallest unit there.
    let r = env
        .get("/api/v1/territory/lookup?lon=125.07&lat=46.52", None)
        .await;
    assert_eq!(r.body["unit"]["code"], "S2");

    let r = env
        .get("/api/v1/territory/lookup?lon=125.3&lat=46.55", None)
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::NOT_FOUND, "outside_territory")
    );
    assert_eq!(r.body["error"]["data"]["nearest"]["code"], "S3");

    for (q, field) in [
        ("lon=abc&lat=46.5", "lon"),
        ("lat=46.5", "lon"),
        ("lon=125&lat=95", "lat"),
        ("lon=200&lat=46", "lon"),
        ("lon=125&lat=", "lat"),
    ] {
        let r = env
            .get(&format!("/api/v1/territory/lookup?{q}"), None)
            .await;
        assert_eq!(
            (r.status, code(&r)),
            (StatusCode::BAD_REQUEST, "invalid_input"),
            "{q}"
        );
        assert_eq!(r.body["error"]["field"], field, "{q}");
    }
}

async fn errors_speak_the_callers_language(url: String) {
    let env = setup(url).await;
    let zh = env.get("/api/v1/users", None).await;
    let en = env
        .send(
            Method::GET,
            "/api/v1/users",
            None,
            None,
            &[("accept-language", "en-US,en;q=0.9")],
        )
        .await;
    let en2 = env.get("/api/v1/users?lang=en", None).await;
    assert_eq!(code(&zh), "unauthenticated");
    assert_eq!(code(&en), "unauthenticated");
    assert_eq!(zh.body["error"]["message"], "请先登录。");
    assert_eq!(en.body["error"]["message"], "Please sign in first.");
    assert_eq!(en2.body["error"]["message"], "Please sign in first.");
    assert_eq!(en.headers.get("content-language").unwrap(), "en");
    assert!(zh.body["error"]["request_id"].is_string());
    let r = env
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(code(&r), "malformed_request");
}

async fn login_sessions_and_throttling(url: String) {
    let env = setup(url).await;
    let bad = env
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "admin", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(
        (bad.status, code(&bad)),
        (StatusCode::UNAUTHORIZED, "login_failed")
    );
    let unknown = env
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "ghost", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(
        code(&unknown),
        "login_failed",
        "no hint whether the user exists"
    );
    let empty = env
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "", "password": "x"}),
        )
        .await;
    assert_eq!(empty.body["error"]["field"], "username");

    let cookie = env.login("admin").await;
    let me = env.get("/api/v1/auth/me", Some(&cookie)).await;
    assert_eq!(me.body["user"]["username"], "admin");
    assert_eq!(me.body["user"]["phone"], "139****5678");
    let out = env
        .post("/api/v1/auth/logout", Some(&cookie), json!({}))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        code(&env.get("/api/v1/auth/me", Some(&cookie)).await),
        "unauthenticated"
    );

    // Three failures (the configured limit) lock the username out for the window.
    for _ in 0..3 {
        env.post(
            "/api/v1/auth/login",
            None,
            json!({"username": "grid1", "password": "wrong-pass"}),
        )
        .await;
    }
    let locked = env
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "grid1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (locked.status, code(&locked)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // Others are unaffected.
    env.login("grid2").await;
}

async fn directory_is_masked_and_limited_to_jurisdiction(url: String) {
    let env = setup(url).await;
    let street = env.login("street1").await;
    let r = env.get("/api/v1/users", Some(&street)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut names: Vec<&str> = r.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["grid1", "grid2", "street1"]);
    assert!(
        r.body["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["phone"] == "139****5678")
    );
    assert!(!r.body.to_string().contains("13912345678"));

    let d2 = env.user_id("district2").await;
    let r = env.get(&format!("/api/v1/users/{d2}"), Some(&street)).await;
    assert_eq!((r.status, code(&r)), (StatusCode::FORBIDDEN, "forbidden"));
    let r = env.get("/api/v1/users?unit=D2", Some(&street)).await;
    assert_eq!(code(&r), "forbidden");

    let grid = env.login("grid1").await;
    let g2 = env.user_id("grid2").await;
    assert_eq!(
        code(&env.get(&format!("/api/v1/users/{g2}"), Some(&grid)).await),
        "forbidden"
    );
    let resident = env.login("resident").await;
    assert_eq!(
        code(&env.get("/api/v1/users", Some(&resident)).await),
        "forbidden"
    );
    assert_eq!(
        code(&env.get("/api/v1/users/abc", Some(&street)).await),
        "not_found"
    );
    assert_eq!(
        code(&env.get("/api/v1/users?limit=0", Some(&street)).await),
        "invalid_input"
    );
}

async fn revealing_a_phone_is_audited(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let g1 = env.user_id("grid1").await;
    let no_reason = env
        .post(
            &format!("/api/v1/users/{g1}/reveal-phone"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(no_reason.body["error"]["field"], "reason");
    let r = env
        .post(
            &format!("/api/v1/users/{g1}/reveal-phone"),
            Some(&admin),
            json!({"reason": "核实身份"}),
        )
        .await;
    assert_eq!(r.body["phone"], "13912345678");
    let street = env.login("street1").await;
    let r = env
        .post(
            &format!("/api/v1/users/{g1}/reveal-phone"),
            Some(&street),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(code(&r), "forbidden");
    // Everyone may see their own.
    let grid = env.login("grid1").await;
    let r = env
        .post(
            &format!("/api/v1/users/{g1}/reveal-phone"),
            Some(&grid),
            json!({}),
        )
        .await;
    assert_eq!(r.body["phone"], "13912345678");

    let auditor = env.login("auditor").await;
    let r = env
        .get(
            "/api/v1/audit/events?action=user.reveal_phone",
            Some(&auditor),
        )
        .await;
    let events = r.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["reason"], "核实身份");
    assert_eq!(events[1]["actor"], "admin");
    assert!(events[1]["request_id"].is_string());
}

async fn only_admins_create_users_and_input_is_validated(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let ok = json!({"username": "new.grid", "display_name": "李娜", "role": "grid_worker", "unit": "G2", "phone": "13700001111", "password": "long-enough"});
    assert_eq!(
        code(&env.post("/api/v1/users", None, ok.clone()).await),
        "unauthenticated"
    );
    let street = env.login("street1").await;
    assert_eq!(
        code(&env.post("/api/v1/users", Some(&street), ok.clone()).await),
        "forbidden"
    );
    for (patch, field) in [
        (json!({"username": "x"}), "username"),
        (json!({"role": "king"}), "role"),
        (json!({"unit": "S1"}), "unit"),
        (json!({"unit": "NOPE"}), "unit"),
        (json!({"phone": "12345"}), "phone"),
        (json!({"password": "short"}), "password"),
        (json!({"display_name": " "}), "display_name"),
    ] {
        let mut body = ok.clone();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = env.post("/api/v1/users", Some(&admin), body).await;
        assert_eq!(
            (r.status, code(&r)),
            (StatusCode::BAD_REQUEST, "invalid_input"),
            "{patch}"
        );
        assert_eq!(r.body["error"]["field"], field, "{patch}");
    }
    let r = env.post("/api/v1/users", Some(&admin), ok.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["phone"], "137****1111");
    let again = env.post("/api/v1/users", Some(&admin), ok).await;
    assert_eq!(
        (again.status, code(&again)),
        (StatusCode::CONFLICT, "conflict")
    );
    env.login_with("new.grid", "long-enough").await;
}

async fn disabling_or_changing_role_ends_sessions(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let grid = env.login("grid1").await;
    let g1 = env.user_id("grid1").await;
    let r = env
        .post(
            &format!("/api/v1/users/{g1}/disable"),
            Some(&admin),
            json!({"reason": "调离"}),
        )
        .await;
    assert_eq!(r.body["disabled"], true, "{}", r.body);
    assert_eq!(
        code(&env.get("/api/v1/auth/me", Some(&grid)).await),
        "unauthenticated"
    );
    let r = env
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "grid1", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::FORBIDDEN, "account_disabled")
    );
    env.post(
        &format!("/api/v1/users/{g1}/enable"),
        Some(&admin),
        json!({"reason": "回岗"}),
    )
    .await;

    let grid = env.login("grid1").await;
    let r = env
        .post(
            &format!("/api/v1/users/{g1}/role"),
            Some(&admin),
            json!({"role": "community_staff", "unit": "K1", "reason": "晋升"}),
        )
        .await;
    assert_eq!(r.body["role"], "community_staff", "{}", r.body);
    assert_eq!(
        code(&env.get("/api/v1/auth/me", Some(&grid)).await),
        "unauthenticated"
    );
    let admin_id = env.user_id("admin").await;
    let r = env
        .post(
            &format!("/api/v1/users/{admin_id}/disable"),
            Some(&admin),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(code(&r), "conflict");
}

async fn api_tokens_authenticate_machine_clients(url: String) {
    let env = setup(url).await;
    let street = env.login("street1").await;
    let r = env
        .post(
            "/api/v1/auth/tokens",
            Some(&street),
            json!({"name": "dispatch-bot"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let id = r.body["id"].as_i64().unwrap();
    let me = env.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(me.body["user"]["username"], "street1");
    let bad = env
        .get("/api/v1/territory/units", Some("not-a-token"))
        .await;
    assert_eq!(
        (bad.status, code(&bad)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let grid = env.login("grid1").await;
    let r = env
        .post(
            &format!("/api/v1/auth/tokens/{id}/revoke"),
            Some(&grid),
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "forbidden");
    let r = env
        .post(
            &format!("/api/v1/auth/tokens/{id}/revoke"),
            Some(&street),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        code(&env.get("/api/v1/auth/me", Some(&token)).await),
        "unauthenticated"
    );
}

fn feature(code: &str, parent: &str, level: &str, ring: &[[f64; 2]]) -> Value {
    json!({
        "type": "Feature",
        "properties": {"code": code, "name": format!("{code}网格"), "name_en": code, "level": level, "parent_code": parent},
        "geometry": {"type": "Polygon", "coordinates": [ring]}
    })
}

async fn import_is_all_or_nothing_and_updates_lookup(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let ring = [
        [125.05, 46.5],
        [125.1, 46.5],
        [125.1, 46.55],
        [125.05, 46.55],
        [125.05, 46.5],
    ];
    let good = feature("G3", "S2", "grid", &ring);
    let bad_parent = feature("G4", "NOPE", "grid", &ring);
    let fc = |fs: Vec<Value>| json!({"type": "FeatureCollection", "features": fs});
    let send = |body: Value, auth: Option<String>| {
        let env = &env;
        async move {
            let mut req = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/territory/import");
            if let Some(a) = auth {
                req = req.header(header::COOKIE, a);
            }
            let res = env
                .app
                .clone()
                .oneshot(req.body(Body::from(body.to_string())).unwrap())
                .await
                .unwrap();
            let status = res.status();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (status, body) = send(fc(vec![good.clone(), bad_parent]), Some(admin.clone())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "import_rejected");
    assert!(
        body["error"]["detail"].as_str().unwrap().contains("#1"),
        "{body}"
    );
    let r = env
        .get("/api/v1/territory/lookup?lon=125.07&lat=46.52", None)
        .await;
    assert_eq!(r.body["unit"]["code"], "S2", "nothing imported");

    let street = env.login("street1").await;
    let (status, _) = send(fc(vec![good.clone()]), Some(street)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = send(json!({"type": "nonsense"}), Some(admin.clone())).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("import_rejected"))
    );

    // Real boundary files run to megabytes: 3 MB goes through (axum's default is 2 MB).
    let mut big = good;
    big["properties"]["note"] = json!("界".repeat(1024 * 1024));
    let (status, body) = send(fc(vec![big]), Some(admin)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["imported"], 1);
    let r = env
        .get("/api/v1/territory/lookup?lon=125.07&lat=46.52", None)
        .await;
    assert_eq!(r.body["unit"]["code"], "G3", "lookup index rebuilt");
}

async fn audit_trail_is_for_auditors(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let auditor = env.login("auditor").await;
    assert_eq!(
        code(&env.get("/api/v1/audit/events", Some(&admin)).await),
        "forbidden"
    );
    let r = env
        .get("/api/v1/audit/events?limit=5", Some(&auditor))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["count"], 5);
    assert!(r.body["next_before"].is_i64());
    let first = &r.body["events"][0];
    assert_eq!(first["action"], "auth.login");
    assert_eq!(first["actor"], "auditor");
    let r = env
        .get("/api/v1/audit/events?since=yesterday", Some(&auditor))
        .await;
    assert_eq!(r.body["error"]["field"], "since");
    let v = env.get("/api/v1/audit/verify", Some(&admin)).await;
    assert_eq!(v.body["intact"], true, "{}", v.body);
    assert!(v.body["events"].as_i64().unwrap() > 10);
    let street = env.login("street1").await;
    assert_eq!(
        code(&env.get("/api/v1/audit/verify", Some(&street)).await),
        "forbidden"
    );
}

async fn territory_listing_and_detail(url: String) {
    let env = setup(url).await;
    let r = env.get("/api/v1/territory/units?parent=D1", None).await;
    let codes: Vec<&str> = r.body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["S1", "S2"]);
    assert_eq!(
        env.get("/api/v1/territory/units?level=grid", None)
            .await
            .body["count"],
        2
    );
    assert_eq!(
        code(&env.get("/api/v1/territory/units?level=planet", None).await),
        "invalid_input"
    );
    let r = env.get("/api/v1/territory/units/G1", None).await;
    assert_eq!(r.body["boundary"]["type"], "Feature");
    assert_eq!(r.body["boundary"]["geometry"]["type"], "MultiPolygon");
    assert_eq!(r.body["ancestors"][0]["code"], "K1");
    assert_eq!(
        code(&env.get("/api/v1/territory/units/ZZ", None).await),
        "not_found"
    );
    let t = env.get("/api/v1/territory/tree?depth=1", None).await;
    assert_eq!(t.body["roots"][0]["code"], "C");
    assert_eq!(t.body["roots"][0]["children"].as_array().unwrap().len(), 2);
    let admin = env.login("admin").await;
    let r = env
        .post(
            "/api/v1/territory/units/G2/retire",
            Some(&admin),
            json!({"reason": "并入G1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        env.get("/api/v1/territory/units?level=grid", None)
            .await
            .body["count"],
        1
    );
    assert_eq!(
        env.get(
            "/api/v1/territory/units?level=grid&include_retired=true",
            None
        )
        .await
        .body["count"],
        2
    );
    let d = env.get("/api/v1/departments", None).await;
    assert_eq!(d.body["count"], 0);
}

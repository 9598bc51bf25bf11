//! Appeals end to end through the router, on SQLite and PostgreSQL: intake,
//! steps, the resident's tracking page, deadlines and the background job,
//! concurrency, jurisdiction, the outbox and the measures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use geo::{MultiPolygon, polygon};
use grassroots_core::accounts::{Department, NewUser, Role, Scope};
use grassroots_core::appeals::measure;
use grassroots_core::clock::ManualClock;
use grassroots_core::territory::{Level, Unit};
use grassroots_store::{
    AuditFilter, Ctx, MeasureFilter, MeasureGroup, MeasureScope, OpenOptions, Store,
};
use grassroots_web::{AppState, WebConfig, app, load_atlas};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

#[path = "appeals/extras.rs"]
mod extras;
#[path = "appeals/warning.rs"]
mod warning;

grassroots_store::on_both_backends!(
    anonymous_submission_is_routed_and_idempotent,
    bad_submissions_are_explained_field_by_field,
    a_case_runs_from_sign_to_rating_with_a_public_timeline,
    concurrent_steps_one_wins_the_other_conflicts,
    jurisdiction_masks_and_audited_reveal,
    overdue_work_escalates_and_unrated_replies_close,
    two_jobs_at_once_escalate_each_case_once,
    returns_merges_and_endings,
    measures_match_the_domain_definition,
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

/// C → D1 (S1 → K1 → G1, G2) and D2 (S3 → K3 → G3).
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
            Some(rect(125.0, 46.5, 125.1, 46.6)),
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
            Some(rect(125.0, 46.5, 125.1, 46.6)),
        ),
        unit(
            "K3",
            Level::Community,
            Some("S3"),
            Some(rect(125.1, 46.5, 125.2, 46.6)),
        ),
        unit(
            "G1",
            Level::Grid,
            Some("K1"),
            Some(rect(125.0, 46.5, 125.05, 46.6)),
        ),
        unit(
            "G2",
            Level::Grid,
            Some("K1"),
            Some(rect(125.05, 46.5, 125.1, 46.6)),
        ),
        unit(
            "G3",
            Level::Grid,
            Some("K3"),
            Some(rect(125.1, 46.5, 125.2, 46.6)),
        ),
    ]
}

/// In grid G1, and in grid G3 (the other district).
const IN_G1: (f64, f64) = (125.02, 46.52);
const IN_G3: (f64, f64) = (125.15, 46.55);

struct Env {
    app: Router,
    state: AppState,
    store: Store,
    clock: Arc<ManualClock>,
}

struct Reply {
    status: StatusCode,
    body: Value,
    cookie: Option<String>,
}

async fn setup(url: String) -> Env {
    let store = Store::open(&url, &OpenOptions::default()).await.unwrap();
    let ctx = Ctx::system(1_790_000_000_000_000);
    store.insert_units(&ctx, &territory()).await.unwrap();
    let hash = grassroots_web::auth::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let mut tx = store.write().await.unwrap();
    tx.insert_departments(
        &ctx,
        &[Department {
            code: "D1-HEAT".into(),
            name: "D1供热办".into(),
            name_en: "D1 Heating".into(),
            kind: "heating".into(),
            unit: "D1".into(),
        }],
    )
    .await
    .unwrap();
    for (name, role, scope) in [
        ("hotline", Role::HotlineOperator, Scope::Unit("C".into())),
        ("supervisor", Role::CitySupervisor, Scope::Unit("C".into())),
        ("district1", Role::DistrictStaff, Scope::Unit("D1".into())),
        ("district2", Role::DistrictStaff, Scope::Unit("D2".into())),
        ("street1", Role::StreetStaff, Scope::Unit("S1".into())),
        ("community1", Role::CommunityStaff, Scope::Unit("K1".into())),
        ("grid1", Role::GridWorker, Scope::Unit("G1".into())),
        ("grid1b", Role::GridWorker, Scope::Unit("G1".into())),
        ("grid3", Role::GridWorker, Scope::Unit("G3".into())),
        (
            "heat",
            Role::DepartmentStaff,
            Scope::Department("D1-HEAT".into()),
        ),
        ("auditor", Role::Auditor, Scope::Unit("C".into())),
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
    // Monday 2026-11-23 09:00 in Daqing.
    let clock = Arc::new(ManualClock::new("2026-11-23T01:00:00Z".parse().unwrap()));
    let config = WebConfig {
        job_interval: None,
        ..WebConfig::default()
    };
    let state = AppState::new(store.clone(), clock.clone(), config, atlas);
    Env {
        app: app(state.clone()),
        state,
        store,
        clock,
    }
}

impl Env {
    async fn send(
        &self,
        method: Method,
        uri: &str,
        auth: Option<&str>,
        body: Option<Value>,
        lang: &str,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT_LANGUAGE, lang);
        if let Some(a) = auth {
            req = req.header(header::COOKIE, a);
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
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .map(str::to_owned);
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            body,
            cookie,
        }
    }

    async fn get(&self, uri: &str, auth: Option<&str>) -> Reply {
        self.send(Method::GET, uri, auth, None, "zh-CN").await
    }

    async fn post(&self, uri: &str, auth: Option<&str>, body: Value) -> Reply {
        self.send(Method::POST, uri, auth, Some(body), "zh-CN")
            .await
    }

    async fn login(&self, username: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.cookie.unwrap()
    }

    /// File an appeal; returns the 201 body.
    async fn file(&self, category: &str, at: (f64, f64), auth: Option<&str>) -> Value {
        let r = self
            .post(
                "/api/v1/appeals",
                auth,
                json!({
                    "category": category,
                    "description": "楼下垃圾三天没人清运",
                    "location": {"lon": at.0, "lat": at.1},
                    "contact": {"name": "李娜", "phone": "13800138000"},
                    "publish": false,
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    async fn step(&self, id: i64, auth: &str, body: Value) -> Reply {
        self.post(&format!("/api/v1/appeals/{id}/actions"), Some(auth), body)
            .await
    }

    async fn audit_count(&self, id: i64) -> usize {
        self.store
            .audit_events(&AuditFilter {
                object_type: Some("appeal".into()),
                object_id: Some(id.to_string()),
                limit: 1000,
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .len()
    }

    fn advance_hours(&self, h: i64) {
        self.clock.advance_secs(h * 3600);
    }
}

fn code(r: &Reply) -> &str {
    r.body["error"]["code"].as_str().unwrap_or("")
}

async fn anonymous_submission_is_routed_and_idempotent(url: String) {
    let env = setup(url).await;
    let cats = env.get("/api/v1/categories", None).await;
    assert_eq!(cats.status, StatusCode::OK);
    let list = cats.body.as_array().unwrap();
    assert!(list.len() >= 40, "{} categories", list.len());
    let sanitation = list
        .iter()
        .find(|c| c["code"] == "urban.sanitation")
        .unwrap();
    assert_eq!(sanitation["name_en"], "Sanitation and garbage collection");
    assert!(
        sanitation["name"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c > '\u{4e00}')
    );
    assert_eq!(sanitation["group"], "urban");

    let body = json!({
        "category": "urban.sanitation",
        "description": "楼下垃圾三天没人清运",
        "location": {"lon": IN_G1.0, "lat": IN_G1.1},
        "contact": {"name": "李娜", "phone": "13800138000"},
        "publish": true,
        "channel": "web",
        "idempotency_key": "client-0001-abcdef",
    });
    let r = env.post("/api/v1/appeals", None, body.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert!(r.body["tracking_code"].as_str().unwrap().starts_with("GR-"));
    assert_eq!(r.body["status"], "dispatched");
    assert_eq!(
        (
            &r.body["handler"]["kind"],
            &r.body["handler"]["code"],
            &r.body["handler"]["name"]
        ),
        (&json!("unit"), &json!("G1"), &json!("G1区域"))
    );
    // Sign within 2 hours; reply within 7 working days.
    assert_eq!(r.body["due"]["sign_by"], "2026-11-23T11:00:00+08:00");
    assert_eq!(r.body["due"]["reply_by"], "2026-12-03T00:00:00+08:00");
    // The retry finds the first one; a second key makes a second appeal.
    let again = env.post("/api/v1/appeals", None, body.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["id"].as_i64(), Some(id));
    assert_eq!(again.body["tracking_code"], r.body["tracking_code"]);
    // The same key for a different submission is refused.
    let mut other = body.clone();
    other["description"] = json!("另一件事");
    let clash = env.post("/api/v1/appeals", None, other).await;
    assert_eq!(
        (clash.status, code(&clash)),
        (StatusCode::CONFLICT, "conflict")
    );
    // A department's matter goes to the district's department.
    let heat = env.file("heating.no_heat", IN_G1, None).await;
    assert_eq!(heat["handler"]["kind"], "department");
    assert_eq!(heat["handler"]["code"], "D1-HEAT");
    // Exactly one appeal was created per distinct submission, each audited
    // once at creation, and one SMS with the tracking code queued each.
    assert_eq!(env.audit_count(id).await, 1);
    let counts = env.store.outbox_counts().await.unwrap();
    assert_eq!(counts.pending, 2);
    // The notice reached the grid.
    let grid = env.login("grid1").await;
    let n = env.get("/api/v1/notifications", Some(&grid)).await;
    assert_eq!(n.body["items"][0]["appeal_id"].as_i64(), Some(id));
    assert_eq!(n.body["items"][0]["kind"], "new");
}

async fn bad_submissions_are_explained_field_by_field(url: String) {
    let env = setup(url).await;
    let r = env
        .post(
            "/api/v1/appeals",
            None,
            json!({"category": "no.such", "description": "", "contact": {"phone": "12345"}}),
        )
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::BAD_REQUEST, "invalid_input")
    );
    let fields: Vec<&str> = r.body["error"]["data"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["category", "description", "contact_phone"]);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c > '\u{4e00}'),
        "{}",
        r.body
    );
    let en = env
        .send(Method::POST, "/api/v1/appeals", None, Some(json!({})), "en")
        .await;
    let message = en.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("Invalid input"), "{message}");

    // Outside the territory: the nearest unit is named.
    let r = env
        .post(
            "/api/v1/appeals",
            None,
            json!({"category": "urban.sanitation", "description": "x",
                   "location": {"lon": 125.25, "lat": 46.55}}),
        )
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::NOT_FOUND, "outside_territory")
    );
    assert_eq!(r.body["error"]["data"]["nearest"]["code"], "G3");
    // A location-bound category needs a location; malformed JSON is explained.
    let r = env
        .post(
            "/api/v1/appeals",
            None,
            json!({"category": "urban.sanitation", "description": "x"}),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "location");
    let r = env
        .send(
            Method::POST,
            "/api/v1/appeals",
            None,
            Some(json!([1, 2])),
            "en",
        )
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (StatusCode::BAD_REQUEST, "malformed_request")
    );
    // Hotline filing needs an operator.
    let r = env
        .post(
            "/api/v1/appeals",
            None,
            json!({"category": "labour.wage_arrears", "description": "欠薪", "channel": "hotline"}),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "channel");
    let hotline = env.login("hotline").await;
    let r = env
        .post(
            "/api/v1/appeals",
            Some(&hotline),
            json!({"category": "labour.wage_arrears", "description": "欠薪三个月",
                   "location": {"address": "铁人大道1号", "unit": "K1"}, "channel": "hotline"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // No human-resources department exists here: the district takes it.
    assert_eq!(r.body["handler"]["code"], "D1");
}

async fn a_case_runs_from_sign_to_rating_with_a_public_timeline(url: String) {
    let env = setup(url).await;
    let filed = env.file("urban.sanitation", IN_G1, None).await;
    let id = filed["id"].as_i64().unwrap();
    let tracking = filed["tracking_code"].as_str().unwrap().to_owned();
    let grid = env.login("grid1").await;

    // Replying before signing is out of order.
    let r = env
        .step(id, &grid, json!({"action": "reply", "text": "已清运"}))
        .await;
    assert_eq!((r.status, code(&r)), (StatusCode::CONFLICT, "conflict"));
    let r = env.step(id, &grid, json!({"action": "sign"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "in_progress");
    let r = env
        .step(
            id,
            &grid,
            json!({"action": "reply", "text": "已联系环卫清运完毕"}),
        )
        .await;
    assert_eq!(r.body["status"], "replied");

    // The resident follows it by tracking code, typed loosely.
    let loose = tracking.to_lowercase().replace('-', "");
    let t = env.get(&format!("/api/v1/track/{loose}"), None).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.body["reply"], "已联系环卫清运完毕");
    let steps: Vec<&str> = t.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "appeal.submit",
            "appeal.dispatch",
            "appeal.sign",
            "appeal.reply"
        ]
    );
    // Actors are shown as roles, never by name; no contact data at all.
    assert_eq!(t.body["timeline"][2]["by"]["role"], "grid_worker");
    // Routing at intake is the platform's doing, not the resident's.
    assert_eq!(t.body["timeline"][1]["by"]["role"], "system");
    assert!(!t.body.to_string().contains("grid1"));
    assert!(!t.body.to_string().contains("13800138000"));

    // Rating by tracking code closes it; staff cannot rate.
    let r = env
        .step(
            id,
            &grid,
            json!({"action": "rate", "resolved": true, "satisfaction": "satisfied"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = env
        .post(
            &format!("/api/v1/track/{tracking}/actions"),
            None,
            json!({"action": "rate", "resolved": true, "satisfaction": "basically_satisfied",
                   "comment": "很及时"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "closed");
    assert_eq!(r.body["outcome"]["kind"], "rated");
    // A tracking code cannot do staff work.
    let r = env
        .post(
            &format!("/api/v1/track/{tracking}/actions"),
            None,
            json!({"action": "sign"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // One audit event per accepted step: create, sign, reply, rate.
    assert_eq!(env.audit_count(id).await, 4);
    // Messages: received, replied (rated-and-closed sends none).
    let c = env.store.outbox_counts().await.unwrap();
    assert_eq!(c.pending, 2);
    let report = grassroots_web::ops::appeals::tick(&env.state, env.state.now_micros())
        .await
        .unwrap();
    assert_eq!(report.messages_sent, 2);
    assert_eq!(env.store.outbox_counts().await.unwrap().sent, 2);
}

async fn concurrent_steps_one_wins_the_other_conflicts(url: String) {
    let env = setup(url).await;
    let id = env.file("urban.sanitation", IN_G1, None).await["id"]
        .as_i64()
        .unwrap();
    let a = env.login("grid1").await;
    let b = env.login("grid1b").await;
    for round in 0..3 {
        let body = if round == 0 {
            json!({"action": "sign"})
        } else {
            json!({"action": "reply", "text": format!("第{round}次答复")})
        };
        let (ra, rb) = tokio::join!(env.step(id, &a, body.clone()), env.step(id, &b, body));
        let mut statuses = [ra.status, rb.status];
        statuses.sort();
        if round < 2 {
            assert_eq!(
                statuses,
                [StatusCode::OK, StatusCode::CONFLICT],
                "round {round}"
            );
        } else {
            // Both late: the appeal is already replied.
            assert_eq!(statuses, [StatusCode::CONFLICT, StatusCode::CONFLICT]);
        }
    }
    // A stale version is a conflict even when the step would fit.
    let detail = env.get(&format!("/api/v1/appeals/{id}"), Some(&a)).await;
    let version = detail.body["version"].as_i64().unwrap();
    let r = env
        .step(
            id,
            &a,
            json!({"action": "out_of_remit", "redirect": "法院", "version": version - 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(env.audit_count(id).await, 3, "create, sign, reply");
}

async fn jurisdiction_masks_and_audited_reveal(url: String) {
    let env = setup(url).await;
    let id = env.file("urban.sanitation", IN_G1, None).await["id"]
        .as_i64()
        .unwrap();
    let other = env.login("district2").await;
    let r = env
        .get(&format!("/api/v1/appeals/{id}"), Some(&other))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "other district sees nothing"
    );
    let r = env.step(id, &other, json!({"action": "sign"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let auditor = env.login("auditor").await;
    let r = env
        .get(&format!("/api/v1/appeals/{id}"), Some(&auditor))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "auditors read the trail, not cases"
    );
    let r = env.get(&format!("/api/v1/appeals/{id}"), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let street = env.login("street1").await;
    let r = env
        .get(&format!("/api/v1/appeals/{id}"), Some(&street))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["contact"]["phone"], "138****8000");
    assert_eq!(r.body["contact"]["name"], "李娜");
    // The street above the grid may re-route but not sign.
    let r = env.step(id, &street, json!({"action": "sign"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let list = env.get("/api/v1/appeals", Some(&street)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let list = env.get("/api/v1/appeals", Some(&other)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);

    let before = env.audit_count(id).await;
    let r = env
        .post(
            &format!("/api/v1/appeals/{id}/reveal-contact"),
            Some(&street),
            json!({}),
        )
        .await;
    assert_eq!(r.body["phone"], "13800138000");
    assert_eq!(env.audit_count(id).await, before + 1);

    // A signed-in resident sees their own appeal, as the public sees it.
    let me = env.login("resident").await;
    let mine = env.file("urban.sanitation", IN_G1, Some(&me)).await["id"]
        .as_i64()
        .unwrap();
    let r = env.get(&format!("/api/v1/appeals/{mine}"), Some(&me)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("contact").is_none());
    let r = env.get(&format!("/api/v1/appeals/{id}"), Some(&me)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn overdue_work_escalates_and_unrated_replies_close(url: String) {
    let env = setup(url).await;
    let tick = || async {
        grassroots_web::ops::appeals::tick(&env.state, env.state.now_micros())
            .await
            .unwrap()
    };
    let unsigned = env.file("urban.sanitation", IN_G1, None).await["id"]
        .as_i64()
        .unwrap();
    let replied = env.file("urban.sanitation", IN_G1, None).await["id"]
        .as_i64()
        .unwrap();
    let grid = env.login("grid1").await;
    env.step(replied, &grid, json!({"action": "sign"})).await;
    env.step(replied, &grid, json!({"action": "reply", "text": "已处理"}))
        .await;

    // Nothing is due yet.
    assert_eq!(tick().await.escalated, 0);
    // Two hours later the grid has not signed: up to the community.
    env.advance_hours(3);
    let r = tick().await;
    assert_eq!(r.escalated, 1);
    let community = env.login("community1").await;
    let a = env
        .get(&format!("/api/v1/appeals/{unsigned}"), Some(&community))
        .await;
    assert_eq!(a.body["handler"]["code"], "K1");
    assert_eq!(a.body["supervised"], true);
    assert_eq!(a.body["escalations"], 1);
    let n = env.get("/api/v1/notifications", Some(&community)).await;
    assert_eq!(n.body["items"][0]["kind"], "escalated");
    // Running again at the same time does nothing more.
    assert_eq!(tick().await, Default::default());
    // Still unsigned: K1 → S1 → D1 → C, then it stays at the top, supervised.
    for expected in ["S1", "D1", "C"] {
        env.advance_hours(3);
        assert_eq!(tick().await.escalated, 1);
        let sup = env.login("supervisor").await;
        let a = env
            .get(&format!("/api/v1/appeals/{unsigned}"), Some(&sup))
            .await;
        assert_eq!(a.body["handler"]["code"], expected);
    }
    env.advance_hours(3);
    let r = tick().await;
    assert_eq!((r.escalated, r.at_top), (0, 1));
    // The replied one: not rated within 7 days → closed, return visit for G1.
    env.advance_hours(7 * 24);
    let r = tick().await;
    assert_eq!(r.closed_not_rated, 1);
    // (Sessions last 12 hours: sign in again.)
    let grid = env.login("grid1").await;
    let t = env.get("/api/v1/tasks", Some(&grid)).await;
    assert_eq!(t.body["items"][0]["appeal_id"].as_i64(), Some(replied));
    assert_eq!(t.body["items"][0]["kind"], "return_visit");
    let a = env
        .get(&format!("/api/v1/appeals/{replied}"), Some(&grid))
        .await;
    assert_eq!(a.body["outcome"]["kind"], "not_rated");
}

async fn two_jobs_at_once_escalate_each_case_once(url: String) {
    let env = setup(url.clone()).await;
    let mut ids = Vec::new();
    for _ in 0..40 {
        ids.push(
            env.file("urban.sanitation", IN_G1, None).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    // A second server on the same database.
    let store2 = Store::open(&url, &OpenOptions::default()).await.unwrap();
    let atlas2 = load_atlas(&store2).await.unwrap();
    let state2 = AppState::new(store2, env.clock.clone(), WebConfig::default(), atlas2);
    env.advance_hours(3);
    let now = env.state.now_micros();
    let (a, b) = tokio::join!(
        grassroots_web::ops::appeals::tick(&env.state, now),
        grassroots_web::ops::appeals::tick(&state2, now)
    );
    assert_eq!(a.unwrap().escalated + b.unwrap().escalated, 40);
    for id in ids {
        let a = env.store.appeal(id).await.unwrap();
        assert_eq!(a.state.escalations, 1, "appeal {id}");
        assert_eq!(env.audit_count(id).await, 2, "create + one escalation");
    }
}

async fn returns_merges_and_endings(url: String) {
    let env = setup(url).await;
    let grid = env.login("grid1").await;
    let hotline = env.login("hotline").await;
    let id = env.file("urban.sanitation", IN_G1, None).await["id"]
        .as_i64()
        .unwrap();
    // A return needs a reason; then it waits for a dispatcher.
    let r = env
        .step(id, &grid, json!({"action": "return", "reason": " "}))
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason"))
    );
    let r = env
        .step(
            id,
            &grid,
            json!({"action": "return", "reason": "不属于本网格"}),
        )
        .await;
    assert_eq!(r.body["status"], "submitted");
    let r = env
        .step(
            id,
            &hotline,
            json!({"action": "dispatch", "to": {"kind": "unit", "code": "G1"}}),
        )
        .await;
    assert_eq!(r.body["status"], "dispatched", "{}", r.body);
    let r = env
        .step(
            id,
            &grid,
            json!({"action": "return", "reason": "还是不归我们"}),
        )
        .await;
    assert_eq!(
        r.body["passed_around"], true,
        "the same grid returned it twice"
    );
    let r = env
        .step(
            id,
            &hotline,
            json!({"action": "dispatch", "to": {"kind": "unit", "code": "NOPE"}}),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "to");
    // The first receiver stays on record.
    let r = env
        .step(
            id,
            &hotline,
            json!({"action": "dispatch", "to": {"kind": "unit", "code": "K1"}}),
        )
        .await;
    assert_eq!(r.body["first_handler"]["code"], "G1");

    // Merge a second report into the first: the survivor counts two requesters.
    let dup = env.file("urban.sanitation", IN_G1, Some(&hotline)).await;
    assert_eq!(dup["possible_duplicates"][0]["id"].as_i64(), Some(id));
    let dup = dup["id"].as_i64().unwrap();
    let r = env
        .step(dup, &hotline, json!({"action": "merge", "target": dup}))
        .await;
    assert_eq!(r.body["error"]["field"], "target");
    let r = env
        .step(dup, &hotline, json!({"action": "merge", "target": id}))
        .await;
    assert_eq!(r.body["outcome"]["kind"], "merged", "{}", r.body);
    let survivor = env.store.appeal(id).await.unwrap();
    assert_eq!(survivor.requesters, 2);

    // Endings with reasons the resident sees.
    let other = env.file("urban.sanitation", IN_G1, None).await;
    let tracking = other["tracking_code"].as_str().unwrap();
    let r = env
        .post(
            &format!("/api/v1/track/{tracking}/actions"),
            None,
            json!({"action": "withdraw", "reason": "已自行解决"}),
        )
        .await;
    assert_eq!(r.body["outcome"]["kind"], "withdrawn");
    assert_eq!(r.body["outcome"]["reason"], "已自行解决");
    let r = env.get("/api/v1/track/GR-00000-00000", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn measures_match_the_domain_definition(url: String) {
    let env = setup(url).await;
    let grid = env.login("grid1").await;
    let grid3 = env.login("grid3").await;
    let mut trackings = Vec::new();
    for i in 0..6 {
        let f = env.file("urban.sanitation", IN_G1, None).await;
        let id = f["id"].as_i64().unwrap();
        trackings.push(f["tracking_code"].as_str().unwrap().to_owned());
        if i < 4 {
            env.step(id, &grid, json!({"action": "sign"})).await;
            env.step(id, &grid, json!({"action": "reply", "text": "好了"}))
                .await;
        }
        if i < 3 {
            let satisfaction = if i == 0 { "unsatisfied" } else { "satisfied" };
            let r = env
                .post(
                    &format!("/api/v1/track/{}/actions", trackings[i]),
                    None,
                    json!({"action": "rate", "resolved": i != 0, "satisfaction": satisfaction}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
    }
    let f = env.file("urban.sanitation", IN_G3, None).await;
    env.step(f["id"].as_i64().unwrap(), &grid3, json!({"action": "sign"}))
        .await;
    env.advance_hours(5);

    let r = env
        .get(
            "/api/v1/measures?unit=D1&from=2026-11-01&to=2026-11-30",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["count"], 6);
    // Signed 4 of 6 within 2 h; the other 2 are now past due.
    assert_eq!(r.body["rates"]["response"]["numerator"], 4);
    assert_eq!(r.body["rates"]["response"]["denominator"], 6);
    // Rated and closed: 2 (the unsatisfied one was reopened).
    assert_eq!(r.body["rates"]["satisfaction"]["denominator"], 2);
    assert_eq!(r.body["satisfaction_rate"], 1.0);
    let city = env.get("/api/v1/measures?unit=C", None).await;
    assert_eq!(city.body["count"], 7);
    let r = env.get("/api/v1/measures?unit=NOPE", None).await;
    assert_eq!(r.body["error"]["field"], "unit");
    let r = env.get("/api/v1/measures?from=2026-13-01", None).await;
    assert_eq!(r.body["error"]["field"], "from");

    // The aggregate query and the domain's definition agree.
    let now = env.state.now_micros();
    for scope in [
        MeasureScope::City,
        MeasureScope::Unit(Level::District, "D1".into()),
        MeasureScope::Unit(Level::Grid, "G3".into()),
    ] {
        let filter = MeasureFilter {
            scope,
            category: None,
            from: 0,
            to: i64::MAX,
        };
        let sql = env.store.measures(&filter, now).await.unwrap();
        let facts = env.store.measure_facts(&filter).await.unwrap();
        assert_eq!(sql, measure(&facts, now), "{filter:?}");
    }

    // Grouped, each group's measures are those of the group on its own.
    let all = MeasureFilter {
        scope: MeasureScope::City,
        category: None,
        from: 0,
        to: i64::MAX,
    };
    let by_grid = env
        .store
        .measures_grouped(&all, &MeasureGroup::Unit(Level::Grid), now)
        .await
        .unwrap();
    assert!(by_grid.len() >= 2, "{by_grid:?}");
    for (grid, m) in &by_grid {
        let alone = MeasureFilter {
            scope: MeasureScope::Unit(Level::Grid, grid.clone()),
            ..all.clone()
        };
        assert_eq!(*m, env.store.measures(&alone, now).await.unwrap(), "{grid}");
    }
    // Periods split the count without losing or double-counting any.
    let starts = vec![0, now - 3_600_000_000, now];
    let by_period = env
        .store
        .measures_grouped(&all, &MeasureGroup::Periods(starts), now)
        .await
        .unwrap();
    let total: u64 = by_period.iter().map(|(_, m)| m.count).sum();
    assert_eq!(total, city.body["count"].as_u64().unwrap());
    assert!(
        by_period
            .iter()
            .all(|(k, _)| ["0", "1", "2"].contains(&k.as_str()))
    );
}

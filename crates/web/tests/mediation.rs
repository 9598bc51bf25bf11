//! Mediation end to end through the router, on SQLite and PostgreSQL: a case
//! from a resident's request to a performed agreement, what each reader sees,
//! refusals explained in both languages, time limits and escalation, risk
//! flags reaching early warning, and the measures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use geo::{MultiPolygon, polygon};
use grassroots_core::accounts::{NewUser, Role, Scope};
use grassroots_core::clock::ManualClock;
use grassroots_core::territory::{Level, Unit};
use grassroots_store::{AuditFilter, Ctx, OpenOptions, Store};
use grassroots_web::{AppState, WebConfig, app, load_atlas};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

grassroots_store::on_both_backends!(
    a_case_runs_from_request_to_a_performed_agreement,
    each_reader_sees_only_what_their_part_needs,
    bad_input_and_refused_steps_are_explained_in_both_languages,
    overdue_cases_escalate_and_risks_reach_early_warning,
    referrals_are_tracked_and_measures_count_the_fengqiao_share,
    an_appeal_that_is_a_dispute_is_converted_keeping_its_link,
    two_jobs_at_once_escalate_each_case_once,
);

const PASSWORD: &str = "password-123";
const DAY: i64 = 86_400;

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

/// C → D1 (S1 → K1 → G1) and D2 (S3 → K3 → G3).
fn territory() -> Vec<Unit> {
    let d1 = rect(125.0, 46.5, 125.1, 46.6);
    let d2 = rect(125.1, 46.5, 125.2, 46.6);
    vec![
        unit("C", Level::City, None, None),
        unit("D1", Level::District, Some("C"), Some(d1.clone())),
        unit("D2", Level::District, Some("C"), Some(d2.clone())),
        unit("S1", Level::Street, Some("D1"), Some(d1.clone())),
        unit("S3", Level::Street, Some("D2"), Some(d2.clone())),
        unit("K1", Level::Community, Some("S1"), Some(d1.clone())),
        unit("K3", Level::Community, Some("S3"), Some(d2.clone())),
        unit("G1", Level::Grid, Some("K1"), Some(d1)),
        unit("G3", Level::Grid, Some("K3"), Some(d2)),
    ]
}

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
    text: String,
    content_type: String,
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
        ("medK1", Role::Mediator, Scope::Unit("K1".into())),
        ("medK1b", Role::Mediator, Scope::Unit("K1".into())),
        ("medS1", Role::Mediator, Scope::Unit("S1".into())),
        ("medD1", Role::Mediator, Scope::Unit("D1".into())),
        ("medD2", Role::Mediator, Scope::Unit("D2".into())),
        ("street1", Role::StreetStaff, Scope::Unit("S1".into())),
        ("street3", Role::StreetStaff, Scope::Unit("S3".into())),
        ("district1", Role::DistrictStaff, Scope::Unit("D1".into())),
        ("grid1", Role::GridWorker, Scope::Unit("G1".into())),
        ("hotline", Role::HotlineOperator, Scope::Unit("C".into())),
        ("resident", Role::Resident, Scope::None),
        ("neighbour", Role::Resident, Scope::None),
        ("stranger", Role::Resident, Scope::None),
    ] {
        let user = NewUser {
            username: name.into(),
            display_name: "王芳".into(),
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
    let env = Env {
        app: app(state.clone()),
        state,
        store,
        clock,
    };
    let admin = env.login("admin").await;
    for (code, kind, unit) in [
        ("pmc-K1", "people", "K1"),
        ("pmc-S1", "people", "S1"),
        ("pmc-D1", "people", "D1"),
        ("lab-D1", "labour", "D1"),
        ("pmc-K3", "people", "K3"),
    ] {
        let r = env
            .send(
                Method::PUT,
                &format!("/api/v1/admin/mediation/orgs/{code}"),
                Some(&admin),
                Some(json!({"name": format!("{unit}人民调解委员会"), "kind": kind, "unit": unit})),
                "zh-CN",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    env
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
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .map(str::to_owned);
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            body: if let Some(c) = cookie {
                json!({"cookie": c, "body": body})
            } else {
                body
            },
            text,
            content_type,
        }
    }

    async fn get(&self, uri: &str, auth: &str) -> Reply {
        self.send(Method::GET, uri, Some(auth), None, "zh-CN").await
    }

    async fn post(&self, uri: &str, auth: &str, body: Value) -> Reply {
        self.send(Method::POST, uri, Some(auth), Some(body), "zh-CN")
            .await
    }

    async fn login(&self, username: &str) -> String {
        let r = self
            .send(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": PASSWORD})),
                "zh-CN",
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["cookie"].as_str().unwrap().to_owned()
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

    /// A neighbours' dispute in G1 opened by `auth`; returns its id.
    async fn open(&self, auth: &str, extra: Value) -> i64 {
        let mut body = json!({
            "dispute_type": "neighbours",
            "facts": "楼上卫生间漏水，楼下天花板受损",
            "claims": "赔偿维修费 3000 元",
            "amount_fen": 300_000,
            "lon": IN_G1.0, "lat": IN_G1.1,
            "parties": [
                {"side": "applicant", "name": "张三", "phone": "13800001111"},
                {"side": "respondent", "name": "李四", "phone": "13800002222"}
            ]
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self.post("/api/v1/disputes", auth, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["id"].as_i64().unwrap()
    }

    async fn step(&self, id: i64, auth: &str, body: Value) -> Reply {
        self.post(&format!("/api/v1/disputes/{id}/steps"), auth, body)
            .await
    }

    async fn ok(&self, id: i64, auth: &str, body: Value) -> Value {
        let r = self.step(id, auth, body.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{body} → {}", r.body);
        r.body
    }

    async fn audit(&self, object_type: &str, id: i64) -> Vec<String> {
        self.store
            .audit_events(&AuditFilter {
                object_type: Some(object_type.into()),
                object_id: Some(id.to_string()),
                limit: 1000,
                ..AuditFilter::default()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.record.action)
            .collect()
    }

    fn now_micros(&self) -> i64 {
        self.state.now_micros()
    }
}

fn code(r: &Reply) -> &str {
    r.body["error"]["code"].as_str().unwrap_or("")
}

fn agreement(env: &Env) -> Value {
    json!({
        "facts": "楼上卫生间防水层老化漏水",
        "matters": "维修费用的承担",
        "responsibilities": "李四负主要责任",
        "obligations": [{"party": 1, "duty": "赔偿维修费 2000 元", "how": "银行转账", "place": "K1社区调解室",
                          "by": env.now_micros() + 10 * DAY * 1_000_000}],
        "signed_by": [0, 1]
    })
}

/// Assign, consent both, one session: the case is being mediated.
async fn to_mediating(env: &Env, id: i64, med: &str, resident: &str) {
    let med_id = env.user_id("medK1").await;
    env.ok(
        id,
        med,
        json!({"action": "assign_mediators", "mediators": [med_id]}),
    )
    .await;
    env.ok(
        id,
        resident,
        json!({"action": "consent", "party": 0, "consent": true}),
    )
    .await;
    let r = env
        .ok(
            id,
            med,
            json!({"action": "consent", "party": 1, "consent": true}),
        )
        .await;
    assert_eq!(r["status"], "mediating");
    env.ok(
        id,
        med,
        json!({"action": "session", "place": "K1社区调解室", "parties_present": [0, 1],
                           "minutes": "双方陈述事实，调解员释法说理"}),
    )
    .await;
}

async fn a_case_runs_from_request_to_a_performed_agreement(url: String) {
    let env = setup(url).await;
    let resident = env.login("resident").await;
    let med = env.login("medK1").await;
    let id = env.open(&resident, json!({})).await;

    // The lowest capable level: the community's committee.
    let r = env.get(&format!("/api/v1/disputes/{id}"), &med).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["org"]["code"], "pmc-K1");
    assert_eq!(r.body["status"], "awaiting_consent");
    assert_eq!(r.body["source"], "resident_request");
    assert_eq!(r.body["parties"][0]["name"], "张*");
    assert_eq!(r.body["parties"][1]["phone"], "138****2222");
    assert!(!r.text.contains("13800002222") && !r.text.contains("李四"));

    to_mediating(&env, id, &med, &resident).await;
    env.ok(
        id,
        &med,
        json!({"action": "agreement", "agreement": agreement(&env)}),
    )
    .await;

    // The printable agreement: names the parties (an audited read), in either language.
    let doc = env
        .get(&format!("/api/v1/disputes/{id}/agreement"), &med)
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.content_type.starts_with("text/html"));
    for must in [
        "人民调解协议书",
        "张三",
        "李四",
        "纠纷主要事实",
        "赔偿维修费 2000 元",
        "银行转账",
        "三十日内",
    ] {
        assert!(doc.text.contains(must), "{must} missing");
    }
    assert!(!doc.text.contains("<script"));
    let en = env
        .send(
            Method::GET,
            &format!("/api/v1/disputes/{id}/agreement"),
            Some(&med),
            None,
            "en",
        )
        .await;
    assert!(
        en.text.contains("Mediation Agreement") && en.text.contains("Perform by"),
        "{}",
        en.text
    );
    // …and as a PDF (text in UCS-2 hex under the standard Chinese font).
    let pdf = env
        .get(&format!("/api/v1/disputes/{id}/agreement?format=pdf"), &med)
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.text.starts_with("%PDF-1.4") && pdf.text.contains("/STSong-Light"));
    let ucs2 = |s: &str| {
        s.encode_utf16()
            .map(|u| format!("{u:04X}"))
            .collect::<String>()
    };
    for must in ["人民调解协议书", "张三", "李四", "银行转账"] {
        assert!(
            pdf.text.contains(&ucs2(must)),
            "{must} missing from the PDF"
        );
    }

    // Judicial confirmation within 30 days, accepted and ruled.
    env.clock.advance_secs(3 * DAY);
    let (resident, med) = (env.login("resident").await, env.login("medK1").await);
    env.ok(
        id,
        &resident,
        json!({"action": "apply_confirmation", "court": "D1区人民法院"}),
    )
    .await;
    env.ok(id, &med, json!({"action": "court_accepted"})).await;
    env.ok(
        id,
        &med,
        json!({"action": "court_ruling", "ruling": "confirmed"}),
    )
    .await;
    // The follow-up visit finds it performed: closed.
    env.clock.advance_secs(10 * DAY);
    let med = env.login("medK1").await;
    let r = env
        .ok(
            id,
            &med,
            json!({"action": "follow_up", "performance": "performed", "note": "已全部履行"}),
        )
        .await;
    assert_eq!(r["status"], "closed");

    let rec = env.get(&format!("/api/v1/disputes/{id}"), &med).await;
    assert_eq!(rec.body["outcome"]["kind"], "performed");
    assert_eq!(rec.body["confirmation"]["ruling"], "confirmed");
    // One timeline entry and one audit event per accepted step (plus the reads of names).
    let timeline = rec.body["timeline"].as_array().unwrap().len();
    let audit = env.audit("dispute", id).await;
    let changes = audit
        .iter()
        .filter(|a| !a.ends_with("reveal_parties"))
        .count();
    assert_eq!(timeline, changes, "{audit:?}");
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.ends_with("reveal_parties"))
            .count(),
        3,
        "the page, the English page and the PDF each read the names"
    );
    assert!(matches!(
        env.store.verify_audit(|_| {}).await.unwrap(),
        grassroots_store::VerifyOutcome::Intact { .. }
    ));
    // Closed is final.
    let r = env
        .step(id, &med, json!({"action": "close", "reason": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

async fn each_reader_sees_only_what_their_part_needs(url: String) {
    let env = setup(url).await;
    let resident = env.login("resident").await;
    let id = env.open(&resident, json!({})).await;

    // A party follows progress: their own data whole, the other party masked, no risk flags.
    let r = env.get(&format!("/api/v1/disputes/{id}"), &resident).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["parties"][0]["name"], "张三");
    assert_eq!(r.body["parties"][1]["name"], "李*");
    assert!(r.body.get("risk").is_none());
    assert!(
        r.body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"].is_null())
    );
    // …and cannot work the case or unmask anyone.
    let r = env
        .step(
            id,
            &resident,
            json!({"action": "assign_mediators", "mediators": [1]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = env
        .post(
            &format!("/api/v1/disputes/{id}/reveal"),
            &resident,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Another resident does not learn the case exists.
    let stranger = env.login("stranger").await;
    assert_eq!(
        env.get(&format!("/api/v1/disputes/{id}"), &stranger)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mine = env.get("/api/v1/disputes", &stranger).await;
    assert_eq!(mine.body["disputes"].as_array().unwrap().len(), 0);

    // The street's staff see a summary: no facts, no names.
    let street = env.login("street1").await;
    let r = env.get(&format!("/api/v1/disputes/{id}"), &street).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.get("facts").is_none() && !r.text.contains("张") && !r.text.contains("1380000"));
    assert_eq!(r.body["parties"], 2);
    let r = env
        .step(id, &street, json!({"action": "close", "reason": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Another district's staff and mediators: nothing.
    let street3 = env.login("street3").await;
    assert_eq!(
        env.get(&format!("/api/v1/disputes/{id}"), &street3)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let med2 = env.login("medD2").await;
    assert_eq!(
        env.get(&format!("/api/v1/disputes/{id}"), &med2)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.get("/api/v1/disputes", &med2).await.body["disputes"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // The district's mediators are above the community committee: they supervise it.
    let medd1 = env.login("medD1").await;
    assert_eq!(
        env.get(&format!("/api/v1/disputes/{id}"), &medd1)
            .await
            .status,
        StatusCode::OK
    );

    // The holder's mediator reveals the parties: audited.
    let med = env.login("medK1").await;
    let r = env
        .post(&format!("/api/v1/disputes/{id}/reveal"), &med, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["parties"][1]["phone"], "13800002222");
    assert!(
        env.audit("dispute", id)
            .await
            .contains(&"dispute.reveal_parties".to_owned())
    );
    // A mediator of another organisation cannot be put on the case.
    let other = env.user_id("medD2").await;
    let r = env
        .step(
            id,
            &med,
            json!({"action": "assign_mediators", "mediators": [other]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A grid worker brings a case in their grid; not in another.
    let grid = env.login("grid1").await;
    env.open(&grid, json!({"source": "grid_report"})).await;
    let r = env
        .post("/api/v1/disputes", &grid, json!({"dispute_type": "neighbours", "facts": "x", "claims": "y",
            "lon": IN_G3.0, "lat": IN_G3.1,
            "parties": [{"side": "applicant", "name": "甲"}, {"side": "respondent", "name": "乙"}]}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn bad_input_and_refused_steps_are_explained_in_both_languages(url: String) {
    let env = setup(url).await;
    let resident = env.login("resident").await;
    let r = env
        .post(
            "/api/v1/disputes",
            &resident,
            json!({"dispute_type": "neighbours", "facts": " ", "claims": "y",
            "lon": IN_G1.0, "lat": IN_G1.1, "amount_fen": -5,
            "parties": [{"side": "applicant", "name": "甲", "phone": "123"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&r), "invalid_input");
    let fields: Vec<&str> = r.body["error"]["data"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["facts", "amount_fen", "parties", "parties[0].phone"] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    let r = env
        .post(
            "/api/v1/disputes",
            &resident,
            json!({"dispute_type": "duel"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = env
        .post("/api/v1/disputes", &resident, json!({"dispute_type": "neighbours", "facts": "x", "claims": "y",
            "lon": 10.0, "lat": 10.0,
            "parties": [{"side": "applicant", "name": "甲"}, {"side": "respondent", "name": "乙"}]}))
        .await;
    assert_eq!(code(&r), "outside_territory");

    let med = env.login("medK1").await;
    let id = env.open(&resident, json!({})).await;
    let med_id = env.user_id("medK1").await;
    env.ok(
        id,
        &med,
        json!({"action": "assign_mediators", "mediators": [med_id]}),
    )
    .await;
    // An agreement before consent: the stage is wrong (a conflict), said in each language.
    let body = json!({"action": "agreement", "agreement": agreement(&env)});
    let zh = env
        .send(
            Method::POST,
            &format!("/api/v1/disputes/{id}/steps"),
            Some(&med),
            Some(body.clone()),
            "zh-CN",
        )
        .await;
    assert_eq!(zh.status, StatusCode::CONFLICT);
    assert!(
        zh.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("案件当前阶段"),
        "{}",
        zh.body
    );
    let en = env
        .send(
            Method::POST,
            &format!("/api/v1/disputes/{id}/steps"),
            Some(&med),
            Some(body),
            "en",
        )
        .await;
    assert!(
        en.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("current stage"),
        "{}",
        en.body
    );
    // An incomplete agreement names the part at fault.
    env.ok(
        id,
        &resident,
        json!({"action": "consent", "party": 0, "consent": true}),
    )
    .await;
    env.ok(
        id,
        &med,
        json!({"action": "consent", "party": 1, "consent": true}),
    )
    .await;
    env.ok(
        id,
        &med,
        json!({"action": "session", "place": "调解室", "minutes": "陈述"}),
    )
    .await;
    let mut a = agreement(&env);
    a["signed_by"] = json!([0]);
    let r = env
        .step(id, &med, json!({"action": "agreement", "agreement": a}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["field"], "agreement.signed_by");
    // An extension without every party's consent.
    let r = env
        .step(
            id,
            &med,
            json!({"action": "extend", "days": 10, "reason": "待鉴定", "parties_agree": false}),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "parties_agree");
    // An unknown action is a malformed request, not a server error.
    let r = env.step(id, &med, json!({"action": "teleport"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A stale version loses.
    let r = env
        .step(
            id,
            &med,
            json!({"action": "no_agreement", "reason": "分歧大", "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // A transfer goes to an organisation covering the place; the case then
    // belongs to that organisation's line, not the one that gave it away.
    let t = env.open(&resident, json!({})).await;
    let r = env
        .step(
            t,
            &med,
            json!({"action": "transfer", "to_org": "pmc-K3", "reason": "误登记"}),
        )
        .await;
    assert_eq!(r.body["error"]["field"], "to_org");
    env.ok(
        t,
        &med,
        json!({"action": "transfer", "to_org": "pmc-S1", "reason": "涉及多个社区"}),
    )
    .await;
    // The community's mediator now sees only the summary the area's people see.
    let r = env.get(&format!("/api/v1/disputes/{t}"), &med).await;
    assert!(r.body.get("facts").is_none(), "{}", r.body);
    let r = env
        .step(t, &med, json!({"action": "close", "reason": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let meds1 = env.login("medS1").await;
    let r = env.get(&format!("/api/v1/disputes/{t}"), &meds1).await;
    assert_eq!(r.body["org"]["code"], "pmc-S1");
}

async fn overdue_cases_escalate_and_risks_reach_early_warning(url: String) {
    let env = setup(url).await;
    let resident = env.login("resident").await;
    let id = env.open(&resident, json!({})).await;
    // Nobody asks for consent within 7 days: the job escalates to the street's committee.
    env.clock.advance_secs(8 * DAY);
    let report = grassroots_web::ops::appeals::tick(&env.state, env.now_micros())
        .await
        .unwrap();
    assert_eq!(report.disputes_escalated, 1);
    let again = grassroots_web::ops::appeals::tick(&env.state, env.now_micros())
        .await
        .unwrap();
    assert_eq!(again.disputes_escalated, 0);
    let meds1 = env.login("medS1").await;
    let r = env.get(&format!("/api/v1/disputes/{id}"), &meds1).await;
    assert_eq!(r.body["org"]["code"], "pmc-S1");
    assert_eq!(r.body["supervised"], true);
    // Escalated cases arrive with nobody on them: the committee above sees them to assign.
    let waiting = env.get("/api/v1/disputes?unassigned=true", &meds1).await;
    let waiting: Vec<i64> = waiting.body["disputes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(waiting, vec![id]);
    assert!(
        env.audit("dispute", id)
            .await
            .contains(&"dispute.escalate".to_owned())
    );

    // A wage-arrears case with many applicants is flagged by the rules and raised above its committee.
    let hotline = env.login("hotline").await;
    let mut parties: Vec<Value> = (0..12)
        .map(|i| json!({"side": "applicant", "name": format!("工人{i}")}))
        .collect();
    parties.push(json!({"side": "respondent", "kind": "organisation", "name": "某建筑劳务公司"}));
    let r = env
        .post("/api/v1/disputes", &hotline, json!({"dispute_type": "labour_wage", "source": "walk_in",
            "facts": "工程完工后拖欠 12 名工人工资", "claims": "支付拖欠工资 36 万元", "amount_fen": 36_000_000,
            "lon": IN_G1.0, "lat": IN_G1.1, "parties": parties}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let labour = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["org"]["code"], "lab-D1");
    let risk: Vec<&str> = r.body["risk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(risk.contains(&"many_parties"), "{risk:?}");
    // Early warning shows it to the level above the district committee: the city.
    let alerts = env
        .store
        .alerts(&grassroots_store::AlertFilter {
            status: None,
            limit: 100,
        })
        .await
        .unwrap();
    let raised = alerts
        .iter()
        .find(|a| a.method == "dispute_risk" && a.evidence["dispute_id"] == labour)
        .unwrap();
    assert_eq!(raised.unit_code, "C");
    // A mediator's own judgement (threats) raises another.
    let med = env.login("medD1").await;
    env.ok(
        labour,
        &med,
        json!({"action": "flag_risk", "reasons": ["threats"], "note": "有工人扬言堵路"}),
    )
    .await;
    let alerts = env
        .store
        .alerts(&grassroots_store::AlertFilter {
            status: None,
            limit: 100,
        })
        .await
        .unwrap();
    let n = alerts
        .iter()
        .filter(|a| a.method == "dispute_risk" && a.evidence["dispute_id"] == labour)
        .count();
    assert!(n >= 1);
    assert!(
        alerts
            .iter()
            .any(|a| a.evidence["reasons"] == json!(["threats"]))
    );
}

async fn referrals_are_tracked_and_measures_count_the_fengqiao_share(url: String) {
    let env = setup(url).await;
    let resident = env.login("resident").await;
    let med = env.login("medK1").await;
    // One settled in the community…
    let a = env.open(&resident, json!({})).await;
    to_mediating(&env, a, &med, &resident).await;
    env.ok(
        a,
        &med,
        json!({"action": "agreement", "agreement": agreement(&env)}),
    )
    .await;
    // …one that fails and goes to arbitration, tracked to its result…
    let b = env.open(&resident, json!({})).await;
    to_mediating(&env, b, &med, &resident).await;
    env.ok(
        b,
        &med,
        json!({"action": "no_agreement", "reason": "双方分歧过大"}),
    )
    .await;
    env.ok(b, &med, json!({"action": "refer", "channel": "litigation", "to": "D1区人民法院", "reason": "当事人拟起诉"})).await;
    env.ok(
        b,
        &med,
        json!({"action": "referral_result", "resolved": true, "result": "法院判决"}),
    )
    .await;
    // …and one refused by the respondent (voluntary), then closed.
    let c = env.open(&resident, json!({})).await;
    let r = env
        .ok(
            c,
            &med,
            json!({"action": "consent", "party": 1, "consent": false}),
        )
        .await;
    assert_eq!(r["status"], "unsettled");
    env.ok(
        c,
        &med,
        json!({"action": "close", "reason": "被申请人不同意调解，已告知其他途径"}),
    )
    .await;

    // The agreement's follow-up visit comes due after its last performance date.
    let ids = |r: &Reply| -> Vec<i64> {
        r.body["disputes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    };
    let due = env.get("/api/v1/disputes?follow_up_due=true", &med).await;
    assert_eq!(ids(&due), Vec::<i64>::new());
    env.clock.advance_secs(11 * DAY);
    let med = env.login("medK1").await;
    let due = env.get("/api/v1/disputes?follow_up_due=true", &med).await;
    assert_eq!(ids(&due), vec![a]);

    let street = env.login("street1").await;
    let m = env
        .get("/api/v1/mediation/measures?group_by=org", &street)
        .await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.body);
    let o = &m.body["overall"];
    assert_eq!(o["received"], 3);
    assert_eq!(o["mediated"], 2);
    assert_eq!(o["agreements"], 1);
    assert_eq!(o["referrals"]["litigation"]["resolved"], 1);
    assert_eq!(o["fengqiao_share"]["numerator"], 1);
    assert_eq!(o["fengqiao_share"]["denominator"], 1);
    assert_eq!(m.body["groups"][0]["key"], "pmc-K1");
    // Another district's staff may not read this street's measures.
    let street3 = env.login("street3").await;
    let r = env
        .get("/api/v1/mediation/measures?unit=S1", &street3)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = env
        .get("/api/v1/mediation/measures?group_by=planet", &street)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn an_appeal_that_is_a_dispute_is_converted_keeping_its_link(url: String) {
    let env = setup(url).await;
    let hotline = env.login("hotline").await;
    let r = env
        .post(
            "/api/v1/appeals",
            &hotline,
            json!({
                "category": "community.neighbour_dispute",
                "description": "楼上漏水到楼下，双方多次争吵",
                "location": {"lon": IN_G1.0, "lat": IN_G1.1},
                "contact": {"name": "张三", "phone": "13800001111"},
                "publish": false,
                "channel": "hotline",
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let appeal = r.body["id"].as_i64().unwrap();
    // Only someone who may handle the appeal converts it.
    let resident = env.login("stranger").await;
    let r = env
        .post("/api/v1/disputes", &resident, json!({"dispute_type": "neighbours", "source": "appeal",
            "appeal_id": appeal, "facts": "x", "claims": "y", "lon": IN_G1.0, "lat": IN_G1.1,
            "parties": [{"side": "applicant", "name": "甲"}, {"side": "respondent", "name": "乙"}]}))
        .await;
    // (A resident's own request is always a request: the appeal link needs the right to handle it.)
    assert_ne!(r.status, StatusCode::CREATED);
    let id = env
        .open(&hotline, json!({"source": "appeal", "appeal_id": appeal}))
        .await;
    let med = env.login("medK1").await;
    let d = env.get(&format!("/api/v1/disputes/{id}"), &med).await;
    assert_eq!(d.body["appeal_id"], appeal);
    assert_eq!(d.body["source"], "appeal");
    // The appeal keeps its history and records the case it became.
    let a = env
        .get(&format!("/api/v1/appeals/{appeal}"), &hotline)
        .await;
    let steps: Vec<&str> = a.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"appeal.converted_to_dispute"), "{steps:?}");
    assert!(
        env.audit("appeal", appeal)
            .await
            .contains(&"appeal.converted_to_dispute".to_owned())
    );
}

async fn two_jobs_at_once_escalate_each_case_once(url: String) {
    let env = setup(url.clone()).await;
    let med = env.login("medK1").await;
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(env.open(&med, json!({})).await);
    }
    // A second server on the same database.
    let store2 = Store::open(&url, &OpenOptions::default()).await.unwrap();
    let atlas2 = load_atlas(&store2).await.unwrap();
    let state2 = AppState::new(store2, env.clock.clone(), WebConfig::default(), atlas2);
    env.clock.advance_secs(8 * DAY);
    let now = env.now_micros();
    let (a, b) = tokio::join!(
        grassroots_web::ops::mediation::tick(&env.state, now),
        grassroots_web::ops::mediation::tick(&state2, now)
    );
    assert_eq!(a.unwrap().escalated + b.unwrap().escalated, 30);
    for id in ids {
        let d = env.store.dispute(id).await.unwrap();
        assert_eq!(d.state.escalations, 1, "dispute {id}");
        assert_eq!(d.state.org, "pmc-S1");
        let audit = env.audit("dispute", id).await;
        // Newest first.
        assert_eq!(
            audit,
            vec!["dispute.escalate".to_owned(), "dispute.open".to_owned()]
        );
    }
}

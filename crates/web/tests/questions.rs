//! Ask the government (网络问政) end to end, on SQLite and PostgreSQL: the
//! JSON API and the pages as a browser uses them (cookies, CSRF tokens,
//! redirects). Anyone asks (limited per client), residents follow, only the
//! holding department answers or passes on, the job notes lateness once,
//! nothing names the asker, and every change is in the audit trail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use grassroots_core::accounts::{Department, NewUser, Role, Scope};
use grassroots_core::clock::ManualClock;
use grassroots_core::territory::{Level, Unit};
use grassroots_store::{AuditFilter, Ctx, OpenOptions, QuestionFilter, Store};
use grassroots_web::{AppState, WebConfig, app, load_atlas};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

grassroots_store::on_both_backends!(
    a_question_is_asked_followed_and_answered_in_public,
    a_question_passed_on_keeps_its_limit_and_lateness_is_noted_once,
    asking_is_limited_per_client,
    the_pages_ask_show_look_alikes_follow_and_answer,
);

const PASSWORD: &str = "password-123";
const DAY: i64 = 86_400;

fn unit(code: &str, level: Level, parent: Option<&str>) -> Unit {
    Unit {
        code: code.into(),
        name: format!("{code}区"),
        name_en: format!("Area {code}"),
        level,
        parent: parent.map(Into::into),
        label: None,
        households: None,
        boundary: None,
        retired: false,
    }
}

fn department(code: &str, unit: &str) -> Department {
    Department {
        code: code.into(),
        name: format!("{code}局"),
        name_en: format!("Bureau {code}"),
        kind: "housing".into(),
        unit: unit.into(),
    }
}

struct Env {
    app: Router,
    state: AppState,
    store: Store,
    clock: Arc<ManualClock>,
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self.text.find(marker).expect("a form") + marker.len();
        self.text[at..at + self.text[at..].find('"').unwrap()].to_owned()
    }
}

/// A client: its cookies and its address.
#[derive(Clone)]
struct Client {
    cookies: HashMap<String, String>,
    ip: [u8; 4],
    lang: &'static str,
}

impl Client {
    fn at(ip: [u8; 4]) -> Client {
        Client {
            cookies: HashMap::new(),
            ip,
            lang: "zh-CN",
        }
    }
}

async fn setup_with(url: String, per_hour: u32) -> Env {
    let store = Store::open(&url, &OpenOptions::default()).await.unwrap();
    let ctx = Ctx::system(1_790_000_000_000_000);
    store
        .insert_units(
            &ctx,
            &[
                unit("C", Level::City, None),
                unit("D1", Level::District, Some("C")),
            ],
        )
        .await
        .unwrap();
    let hash = grassroots_web::auth::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let mut tx = store.write().await.unwrap();
    tx.insert_departments(
        &ctx,
        &[
            department("D1-HS", "D1"),
            department("D1-UM", "D1"),
            department("C-HS", "C"),
        ],
    )
    .await
    .unwrap();
    for (name, role, scope) in [
        (
            "hs",
            Role::DepartmentStaff,
            Scope::Department("D1-HS".into()),
        ),
        (
            "um",
            Role::DepartmentStaff,
            Scope::Department("D1-UM".into()),
        ),
        ("district", Role::DistrictStaff, Scope::Unit("D1".into())),
        ("resident", Role::Resident, Scope::None),
        ("neighbour", Role::Resident, Scope::None),
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
        submissions_per_hour: per_hour,
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

async fn setup(url: String) -> Env {
    setup_with(url, 30).await
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Env {
    async fn send(
        &self,
        c: &mut Client,
        method: Method,
        uri: &str,
        body: Option<(&str, String)>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT_LANGUAGE, c.lang);
        if !c.cookies.is_empty() {
            let cookie = c
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(header::COOKIE, cookie);
        }
        let mut req = match body {
            Some((kind, text)) => req
                .header(header::CONTENT_TYPE, kind)
                .body(Body::from(text))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                c.ip, 40000,
            ))));
        let res = self.app.clone().oneshot(req).await.unwrap();
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (k, val) = v.split(';').next().unwrap().split_once('=').unwrap();
            if v.contains("Max-Age=0") {
                c.cookies.remove(k);
            } else {
                c.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, c: &mut Client, uri: &str) -> Reply {
        self.send(c, Method::GET, uri, None).await
    }

    async fn json(&self, c: &mut Client, method: Method, uri: &str, body: Value) -> Reply {
        self.send(c, method, uri, Some(("application/json", body.to_string())))
            .await
    }

    async fn form(&self, c: &mut Client, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            c,
            Method::POST,
            uri,
            Some(("application/x-www-form-urlencoded", body)),
        )
        .await
    }

    async fn login(&self, username: &str) -> Client {
        let mut c = Client::at([10, 9, 9, 9]);
        let r = self
            .json(
                &mut c,
                Method::POST,
                "/api/v1/auth/login",
                json!({"username": username, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        c
    }

    async fn ask(&self, c: &mut Client, title: &str) -> Reply {
        self.json(
            c,
            Method::POST,
            "/api/v1/questions",
            json!({
                "department": "D1-HS",
                "title": title,
                "body": "我家电话13912345678，身份证230602199001011234，请问怎么申请？",
            }),
        )
        .await
    }

    async fn audited(&self, id: i64) -> Vec<String> {
        let events = self
            .store
            .audit_events(&AuditFilter {
                object_type: Some("question".into()),
                object_id: Some(id.to_string()),
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        let mut actions: Vec<String> = events.into_iter().map(|e| e.record.action).collect();
        actions.sort();
        actions
    }
}

async fn a_question_is_asked_followed_and_answered_in_public(url: String) {
    let env = setup(url).await;
    let mut anon = Client::at([10, 0, 0, 1]);
    let r = env.ask(&mut anon, "老旧小区加装电梯有补贴吗").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let q = r.json();
    let id = q["id"].as_i64().unwrap();
    // Public, masked, no asker; due in the general class's 7 working days
    // (Monday 23rd → end of Wednesday 2 December).
    assert!(!r.text.contains("13912345678") && !r.text.contains("230602199001011234"));
    assert!(q.get("asked_by").is_none());
    assert_eq!(q["status"], "open");
    assert_eq!(q["answer_by"], "2026-12-03T00:00:00+08:00");
    assert_eq!(q["department"]["name"], "D1-HS局");
    for page in [format!("/questions/{id}"), "/questions".to_owned()] {
        let text = env.get(&mut anon, &page).await.text;
        assert!(text.contains("老旧小区加装电梯有补贴吗"), "{page}");
        assert!(
            !text.contains("13912345678") && !text.contains("230602199001011234"),
            "{page} shows personal data"
        );
    }
    let stored = env.store.question(id).await.unwrap().unwrap();
    assert_eq!(stored.asked_by, None);
    assert!(
        stored.body.contains("13912345678"),
        "stored as typed, masked when shown"
    );

    // Bad input: every field's problem at once.
    let bad = env
        .json(
            &mut anon,
            Method::POST,
            "/api/v1/questions",
            json!({"department": "nope", "title": "短", "body": ""}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "invalid_input".into())
    );
    let body = bad.json();
    let fields: Vec<&str> = body["error"]["data"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["department", "title", "body"]);

    // Asked already? The look-alike is found, an unrelated title is not.
    let s = env
        .get(
            &mut anon,
            &format!("/api/v1/questions/similar?title={}", enc("加装电梯补贴")),
        )
        .await;
    assert_eq!(s.json()["items"][0]["id"], id, "{}", s.text);
    let s = env
        .get(
            &mut anon,
            &format!("/api/v1/questions/similar?title={}", enc("路灯不亮")),
        )
        .await;
    assert_eq!(s.json()["items"], json!([]));
    assert_eq!(
        env.get(&mut anon, "/api/v1/questions/similar").await.code(),
        "invalid_input"
    );

    // Following: residents only, idempotent, counted.
    let mut resident = env.login("resident").await;
    let f = env
        .send(
            &mut resident,
            Method::POST,
            &format!("/api/v1/questions/{id}/follow"),
            None,
        )
        .await;
    assert_eq!(
        f.json(),
        json!({"id": id, "following": true, "followers": 1}),
        "{}",
        f.text
    );
    env.send(
        &mut resident,
        Method::POST,
        &format!("/api/v1/questions/{id}/follow"),
        None,
    )
    .await;
    assert_eq!(env.store.question(id).await.unwrap().unwrap().followers, 1);
    let anon_follow = env
        .send(
            &mut anon,
            Method::POST,
            &format!("/api/v1/questions/{id}/follow"),
            None,
        )
        .await;
    assert_eq!(anon_follow.status, StatusCode::UNAUTHORIZED);
    let mut hs = env.login("hs").await;
    let staff_follow = env
        .send(
            &mut hs,
            Method::POST,
            &format!("/api/v1/questions/{id}/follow"),
            None,
        )
        .await;
    assert_eq!(staff_follow.status, StatusCode::FORBIDDEN);
    let mine = env.get(&mut resident, "/api/v1/my/questions").await;
    assert_eq!(mine.json()["followed"][0]["id"], id);
    assert_eq!(mine.json()["asked"], json!([]));

    // Only the holding department answers.
    let answer = |text: &str| json!({"action": "answer", "text": text});
    let uri = format!("/api/v1/questions/{id}/actions");
    for who in ["um", "district", "resident"] {
        let mut c = env.login(who).await;
        let r = env
            .json(&mut c, Method::POST, &uri, answer("您好，补贴按面积计算。"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.text);
    }
    let r = env
        .json(
            &mut anon,
            Method::POST,
            &uri,
            answer("您好，补贴按面积计算。"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let short = env.json(&mut hs, Method::POST, &uri, answer("好")).await;
    assert_eq!(
        (short.status, short.json()["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("text"))
    );
    let stale = env
        .json(
            &mut hs,
            Method::POST,
            &uri,
            json!({"action": "answer", "text": "您好，补贴按面积计算。", "version": 99}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    env.clock.advance_secs(2 * 3600);
    let ok = env
        .json(
            &mut hs,
            Method::POST,
            &uri,
            answer("您好，补贴按面积计算，可致电0459-4612345咨询。"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let v = ok.json();
    assert_eq!(
        (v["status"].clone(), v["late"].clone()),
        (json!("answered"), json!(false))
    );
    assert!(
        v["answer"]
            .as_str()
            .unwrap()
            .starts_with("您好，补贴按面积计算")
    );
    let actions: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["question.ask", "question.answer"]);
    assert_eq!(v["timeline"][0]["role"], "anonymous");
    // The follower hears of the answer (one SMS, queued with the answer);
    // nobody else does: the asker was anonymous, the neighbour does not follow.
    let queued = env
        .store
        .claim_outbox(env.state.now_micros(), 60_000_000, 10)
        .await
        .unwrap();
    let sent: Vec<(&str, &str)> = queued
        .iter()
        .map(|m| (m.template.as_str(), m.destination.as_str()))
        .collect();
    assert_eq!(sent, [("question_answered", "13912345678")]);
    assert_eq!(queued[0].params["question_id"], id);
    let again = env
        .json(
            &mut hs,
            Method::POST,
            &uri,
            answer("再次答复的内容在这里。"),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Anyone reads it; a signed-in resident learns they follow it.
    let public = env.get(&mut anon, &format!("/api/v1/questions/{id}")).await;
    assert_eq!(public.json()["answer"], v["answer"]);
    assert!(public.json().get("following").is_none());
    assert_eq!(
        env.get(&mut resident, &format!("/api/v1/questions/{id}"))
            .await
            .json()["following"],
        true
    );
    assert_eq!(
        env.get(&mut anon, "/api/v1/questions/424242").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        env.get(&mut anon, "/api/v1/questions/x").await.status,
        StatusCode::NOT_FOUND
    );
    let listed = env
        .get(
            &mut anon,
            "/api/v1/questions?status=answered&department=D1-HS",
        )
        .await;
    assert_eq!(listed.json()["total"], 1);
    assert_eq!(
        env.get(&mut anon, "/api/v1/questions?status=closed")
            .await
            .code(),
        "invalid_input"
    );
    assert_eq!(
        env.get(&mut anon, "/api/v1/questions?limit=0").await.code(),
        "invalid_input"
    );

    assert_eq!(
        env.audited(id).await,
        ["question.answer", "question.ask", "question.follow"]
    );
}

async fn a_question_passed_on_keeps_its_limit_and_lateness_is_noted_once(url: String) {
    let env = setup(url).await;
    let mut anon = Client::at([10, 0, 0, 1]);
    let id = env.ask(&mut anon, "小区垃圾清运不及时").await.json()["id"]
        .as_i64()
        .unwrap();
    let uri = format!("/api/v1/questions/{id}/actions");
    let mut hs = env.login("hs").await;
    let pass = |to: &str| json!({"action": "transfer", "to": to, "reason": "属于城管部门职责"});
    let unknown = env.json(&mut hs, Method::POST, &uri, pass("XX")).await;
    assert_eq!(
        (unknown.status, unknown.json()["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("to"))
    );
    let same = env.json(&mut hs, Method::POST, &uri, pass("D1-HS")).await;
    assert_eq!(same.status, StatusCode::CONFLICT);
    let moved = env.json(&mut hs, Method::POST, &uri, pass("D1-UM")).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.json()["department"]["code"], "D1-UM");
    assert_eq!(
        moved.json()["answer_by"],
        "2026-12-03T00:00:00+08:00",
        "the limit is kept"
    );
    // The old holder may no longer act; the new one may.
    let r = env
        .json(
            &mut hs,
            Method::POST,
            &uri,
            json!({"action": "answer", "text": "这里是答复的内容。"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Past the limit: the job notes it once, publicly.
    env.clock.advance_secs(11 * DAY);
    let now = env.state.now_micros();
    let report = grassroots_web::ops::appeals::tick(&env.state, now)
        .await
        .unwrap();
    assert_eq!(report.questions_overdue, 1);
    let report = grassroots_web::ops::appeals::tick(&env.state, now)
        .await
        .unwrap();
    assert_eq!(report.questions_overdue, 0);
    let v = env
        .get(&mut anon, &format!("/api/v1/questions/{id}"))
        .await
        .json();
    assert_eq!(v["overdue"], true);
    assert_eq!(v["timeline"][2]["action"], "question.overdue");
    assert_eq!(v["timeline"][2]["role"], "system");
    let overdue = env
        .store
        .count_questions(&QuestionFilter {
            overdue_at: Some(now),
            ..QuestionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(overdue, 1);

    let mut um = env.login("um").await;
    let late = env
        .json(
            &mut um,
            Method::POST,
            &uri,
            json!({"action": "answer", "text": "已安排每日清运两次。"}),
        )
        .await;
    assert_eq!(late.status, StatusCode::OK, "{}", late.text);
    assert_eq!(
        (late.json()["late"].clone(), late.json()["overdue"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(
        env.audited(id).await,
        [
            "question.answer",
            "question.ask",
            "question.overdue",
            "question.transfer"
        ]
    );
}

async fn asking_is_limited_per_client(url: String) {
    let env = setup_with(url, 3).await;
    let mut a = Client::at([10, 0, 0, 1]);
    // Legitimate use under the limit is unaffected…
    for i in 0..3 {
        let r = env.ask(&mut a, &format!("第{i}个问题：供暖何时开始")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // …the next within the hour is refused and saves nothing…
    let r = env.ask(&mut a, "第四个问题：供暖何时开始").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into())
    );
    // …only for that client…
    let mut b = Client::at([10, 0, 0, 2]);
    assert_eq!(
        env.ask(&mut b, "另一个人的问题：供暖何时开始").await.status,
        StatusCode::CREATED
    );
    let all = QuestionFilter {
        limit: 100,
        ..QuestionFilter::default()
    };
    assert_eq!(env.store.count_questions(&all).await.unwrap(), 4);
    // Staff are not limited (they answer, they do not flood).
    let mut hs = env.login("hs").await;
    for _ in 0..4 {
        assert_eq!(
            env.ask(&mut hs, "员工代群众提问：供暖何时开始")
                .await
                .status,
            StatusCode::CREATED
        );
    }
}

async fn the_pages_ask_show_look_alikes_follow_and_answer(url: String) {
    let env = setup(url).await;
    let all = QuestionFilter {
        limit: 100,
        ..QuestionFilter::default()
    };
    let mut anon = Client::at([10, 0, 0, 1]);
    let page = env.get(&mut anon, "/questions/ask").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<label for=\"title\">"));
    let token = page.csrf();
    let ask = |csrf: String, title: &'static str, confirm: bool| {
        let mut f = vec![
            ("csrf", csrf),
            ("department", "D1-HS".to_owned()),
            ("title", title.to_owned()),
            ("body", "想了解具体的申请条件和流程。".to_owned()),
        ];
        if confirm {
            f.push(("confirm", "1".to_owned()));
        }
        f
    };
    let as_refs = |f: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { f.clone() };
    // Without the form's token nothing is saved.
    let f = as_refs(&ask("forged".into(), "加装电梯补贴怎么申请", false));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = env.form(&mut anon, "/questions/ask", &pairs).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(env.store.count_questions(&all).await.unwrap(), 0);
    // A bad field: 422, the message next to it, what was typed kept.
    let r = env
        .form(
            &mut anon,
            "/questions/ask",
            &[
                ("csrf", &token),
                ("department", "D1-HS"),
                ("title", "加装电梯补贴怎么申请"),
                ("body", "短"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"body-error\""), "{}", r.text);
    assert!(r.text.contains("value=\"加装电梯补贴怎么申请\""));
    // Asked: redirected to the public page.
    let f = ask(token.clone(), "加装电梯补贴怎么申请", false);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = env.form(&mut anon, "/questions/ask", &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.location.unwrap();
    assert!(location.ends_with("?asked=1"), "{location}");
    let id: i64 = location
        .trim_start_matches("/questions/")
        .trim_end_matches("?asked=1")
        .parse()
        .unwrap();
    let shown = env.get(&mut anon, &location).await;
    assert!(shown.text.contains("加装电梯补贴怎么申请"));
    assert!(
        shown.text.contains("class=\"notice\""),
        "the asker is told it is public"
    );
    assert!(
        shown.text.contains("/login?next=/questions/"),
        "anonymous: sign in to follow"
    );
    // The same question again: the look-alike first, then "ask anyway".
    let f = ask(token.clone(), "加装电梯的补贴如何申请", false);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = env.form(&mut anon, "/questions/ask", &pairs).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("data-testid=\"similar\"") && r.text.contains(&format!("/questions/{id}"))
    );
    assert!(r.text.contains("name=\"confirm\" value=\"1\""));
    assert_eq!(
        env.store.count_questions(&all).await.unwrap(),
        1,
        "not asked yet"
    );
    let f = ask(token.clone(), "加装电梯的补贴如何申请", true);
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        env.form(&mut anon, "/questions/ask", &pairs).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(env.store.count_questions(&all).await.unwrap(), 2);

    // A resident follows from the page.
    let mut resident = env.login("resident").await;
    let page = env.get(&mut resident, &format!("/questions/{id}")).await;
    assert!(
        page.text
            .contains(&format!("action=\"/questions/{id}/follow\""))
    );
    let r = env
        .form(
            &mut resident,
            &format!("/questions/{id}/follow"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = env.get(&mut resident, &format!("/questions/{id}")).await;
    assert!(
        page.text
            .contains(&format!("action=\"/questions/{id}/unfollow\""))
    );
    assert!(page.text.contains("data-testid=\"followers\">1<"));
    let mine = env.get(&mut resident, "/questions?mine=1").await;
    assert!(mine.text.contains(&format!("/questions/{id}\"")));

    // The department's queue, then its answer.
    let mut hs = env.login("hs").await;
    let queue = env.get(&mut hs, "/questions").await;
    assert!(
        queue.text.contains(&format!("/questions/{id}\"")),
        "{}",
        queue.text
    );
    assert!(queue.text.contains("countdown band-"));
    let page = env.get(&mut hs, &format!("/questions/{id}")).await;
    assert!(
        page.text
            .contains(&format!("action=\"/questions/{id}/answer\""))
    );
    let short = env
        .form(
            &mut hs,
            &format!("/questions/{id}/answer"),
            &[("csrf", &page.csrf()), ("text", "好的")],
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains("id=\"text-error\"") && short.text.contains(">好的</textarea>"));
    let r = env
        .form(
            &mut hs,
            &format!("/questions/{id}/answer"),
            &[
                ("csrf", &page.csrf()),
                ("text", "您好，请携带房产证到区住建局窗口申请。"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // Another department sees no form and cannot post one.
    let mut um = env.login("um").await;
    let page = env.get(&mut um, &format!("/questions/{id}")).await;
    assert!(!page.text.contains("/answer\""));
    let r = env
        .form(
            &mut um,
            &format!("/questions/{id}/transfer"),
            &[
                ("csrf", &page.csrf()),
                ("to", "C-HS"),
                ("reason", "不是我们的"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Everyone reads the answer, in English too.
    let mut en = Client {
        lang: "en",
        ..Client::at([10, 0, 0, 3])
    };
    let page = env.get(&mut en, &format!("/questions/{id}")).await;
    assert!(
        page.text
            .contains("data-testid=\"answer\">您好，请携带房产证"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("Department&#x27;s answer") || page.text.contains("Department's answer")
    );
    assert!(page.text.contains("Bureau D1-HS"));
    let list = env.get(&mut en, "/questions?status=answered").await;
    assert!(list.text.contains("Answered") && list.text.contains(&format!("/questions/{id}\"")));
    assert_eq!(
        env.audited(id).await,
        ["question.answer", "question.ask", "question.follow"]
    );
}

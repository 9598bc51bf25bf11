//! Open311 GeoReport v2 through the router, on SQLite and PostgreSQL, from the
//! spec's text: every endpoint in JSON and XML, the errors, the filters, and
//! that nothing personal leaves the server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use geo::{MultiPolygon, Point, polygon};
use grassroots_core::clock::ManualClock;
use grassroots_core::territory::{Level, Unit};
use grassroots_store::{Ctx, OpenOptions, Store};
use grassroots_web::{AppState, WebConfig, app, load_atlas};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

grassroots_store::on_both_backends!(
    discovery_services_and_definitions_in_both_formats,
    requests_are_published_appeals_with_nothing_personal,
    filters_pages_and_errors_follow_the_spec,
    posting_needs_a_key_and_files_a_real_appeal,
    anonymous_submissions_are_limited_per_client,
);

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1), (x: x0, y: y0)],
    ])
}

fn unit(
    code: &str,
    level: Level,
    parent: Option<&str>,
    b: MultiPolygon<f64>,
    label: (f64, f64),
) -> Unit {
    Unit {
        code: code.into(),
        name: format!("{code}区域"),
        name_en: format!("Area {code}"),
        level,
        parent: parent.map(Into::into),
        label: Some(Point::new(label.0, label.1)),
        boundary: Some(b),
        households: Some(400),
        retired: false,
    }
}

/// C → D1 → S1 → K1 → G1, G2; each with its own label point.
fn territory() -> Vec<Unit> {
    let all = rect(125.0, 46.5, 125.1, 46.6);
    let mut units = vec![Unit {
        boundary: None,
        ..unit("C", Level::City, None, all.clone(), (125.05, 46.55))
    }];
    units.push(unit(
        "D1",
        Level::District,
        Some("C"),
        all.clone(),
        (125.051, 46.551),
    ));
    units.push(unit(
        "S1",
        Level::Street,
        Some("D1"),
        all.clone(),
        (125.052, 46.552),
    ));
    units.push(unit(
        "K1",
        Level::Community,
        Some("S1"),
        all,
        (125.053, 46.553),
    ));
    units.push(unit(
        "G1",
        Level::Grid,
        Some("K1"),
        rect(125.0, 46.5, 125.05, 46.6),
        (125.025, 46.525),
    ));
    units.push(unit(
        "G2",
        Level::Grid,
        Some("K1"),
        rect(125.05, 46.5, 125.1, 46.6),
        (125.075, 46.575),
    ));
    units
}

const IN_G1: (f64, f64) = (125.0123, 46.5123);
const IN_G2: (f64, f64) = (125.0789, 46.5789);

struct Env {
    app: Router,
    clock: Arc<ManualClock>,
    store: Store,
}

struct Reply {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn setup(url: String, jurisdiction: Option<&str>) -> Env {
    setup_limited(url, jurisdiction, WebConfig::default().submissions_per_hour).await
}

async fn setup_limited(url: String, jurisdiction: Option<&str>, per_hour: u32) -> Env {
    let store = Store::open(&url, &OpenOptions::default()).await.unwrap();
    store
        .insert_units(&Ctx::system(1_790_000_000_000_000), &territory())
        .await
        .unwrap();
    let atlas = load_atlas(&store).await.unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-23T01:00:00Z".parse().unwrap()));
    let config = WebConfig {
        job_interval: None,
        open311_jurisdiction: jurisdiction.map(Into::into),
        submissions_per_hour: per_hour,
        ..WebConfig::default()
    };
    let state = AppState::new(store.clone(), clock.clone(), config, atlas);
    Env {
        app: app(state),
        clock,
        store,
    }
}

impl Env {
    async fn send(&self, method: Method, uri: &str, body: Option<Value>) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "gov.example");
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
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn form(&self, uri: &str, args: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        let body: String = args
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::HOST, "gov.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            content_type,
            text: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, None).await
    }

    /// File an appeal as a resident would, published or not; returns its id.
    async fn file(&self, category: &str, at: (f64, f64), description: &str, publish: bool) -> i64 {
        let r = self
            .send(
                Method::POST,
                "/api/v1/appeals",
                Some(json!({
                    "category": category,
                    "description": description,
                    "location": {"lon": at.0, "lat": at.1},
                    "contact": {"name": "王建国", "phone": "13912345678"},
                    "publish": publish,
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["id"].as_i64().unwrap()
    }
}

fn assert_json(r: &Reply) {
    assert_eq!(
        r.content_type, "application/json; charset=utf-8",
        "{}",
        r.text
    );
}

fn assert_xml(r: &Reply, root: &str) {
    assert_eq!(r.content_type, "text/xml; charset=utf-8", "{}", r.text);
    assert!(
        r.text
            .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains(&format!("<{root}>")) || r.text.contains(&format!("<{root}/>")),
        "{}",
        r.text
    );
}

async fn discovery_services_and_definitions_in_both_formats(url: String) {
    let env = setup(url, None).await;
    let d = env.get("/open311/v2/discovery.json").await;
    assert_eq!(d.status, StatusCode::OK);
    assert_json(&d);
    let endpoint = &d.json()["endpoints"][0];
    assert_eq!(endpoint["url"], "http://gov.example/open311/v2");
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
    let d = env.get("/open311/v2/discovery.xml").await;
    assert_xml(&d, "discovery");
    assert!(
        d.text.contains(
            "<formats><format>text/xml</format><format>application/json</format></formats>"
        )
    );

    let s = env.get("/open311/v2/services.json").await;
    assert_json(&s);
    let list = s.json();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 40);
    for svc in list {
        for key in [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ] {
            assert!(svc.get(key).is_some(), "{key} missing in {svc}");
        }
    }
    let heat = list
        .iter()
        .find(|s| s["service_code"] == "heating.no_heat")
        .unwrap();
    assert_eq!(heat["metadata"], true);
    assert_eq!(heat["type"], "realtime");
    let s = env.get("/open311/v2/services.xml").await;
    assert_xml(&s, "services");
    assert!(
        s.text
            .contains("<service_code>heating.no_heat</service_code>")
    );
    assert_eq!(s.text.matches("<service>").count(), list.len());

    let def = env.get("/open311/v2/services/heating.no_heat.json").await;
    assert_json(&def);
    let def = def.json();
    assert_eq!(def["service_code"], "heating.no_heat");
    let attrs = def["attributes"].as_array().unwrap();
    assert!(attrs.iter().any(|a| a["code"] == "room_temperature"
        && a["datatype"] == "number"
        && a["required"] == true));
    let road = env.get("/open311/v2/services/urban.road_damage.xml").await;
    assert_xml(&road, "service_definition");
    assert!(road.text.contains("<datatype>multivaluelist</datatype>"));
    assert!(
        road.text
            .contains("<values><value><key>pothole</key><name>坑槽</name></value>")
    );
    // Unknown services and formats: the spec's errors.
    let e = env.get("/open311/v2/services/nope.json").await;
    assert_eq!(e.status, StatusCode::NOT_FOUND);
    assert_eq!(e.json()[0]["code"], 404);
    assert!(
        e.json()[0]["description"]
            .as_str()
            .unwrap()
            .contains("service_code")
    );
    let e = env.get("/open311/v2/services/nope.xml").await;
    assert_eq!(e.status, StatusCode::NOT_FOUND);
    assert_xml(&e, "errors");
    assert!(
        e.text
            .contains("<errors><error><code>404</code><description>")
    );
    assert_eq!(
        env.get("/open311/v2/services.csv").await.status,
        StatusCode::NOT_FOUND
    );
    // No request is ever deferred, so no token exists.
    let t = env.get("/open311/v2/tokens/abc.json").await;
    assert_eq!(t.status, StatusCode::NOT_FOUND);
    assert_eq!(t.json()[0]["code"], 404);
    let t = env.get("/open311/v2/tokens/abc.xml").await;
    assert_eq!(t.status, StatusCode::NOT_FOUND);
    assert!(
        t.text.contains("<errors><error><code>404</code>"),
        "{}",
        t.text
    );
}

async fn requests_are_published_appeals_with_nothing_personal(url: String) {
    let env = setup(url, None).await;
    let secret = [
        "13812345678",
        "138-1234-5678",
        "230602199001011234",
        "23060219900101123X",
        "王建国",
        "李秀英",
        "0459-4612345",
    ];
    let published = env
        .file(
            "urban.sanitation",
            IN_G1,
            "垃圾三天没人清运，我叫李秀英，电话13812345678，或138-1234-5678，座机0459-4612345，身份证230602199001011234，王建国也反映过",
            true,
        )
        .await;
    let also = env
        .file(
            "urban.sanitation",
            IN_G2,
            "身份证23060219900101123X，路灯不亮",
            true,
        )
        .await;
    let private = env
        .file("urban.sanitation", IN_G1, "不公开的诉求", false)
        .await;

    for fmt in ["json", "xml"] {
        let r = env.get(&format!("/open311/v2/requests.{fmt}")).await;
        assert_eq!(r.status, StatusCode::OK);
        for s in secret {
            assert!(!r.text.contains(s), "{s} leaked in {fmt}: {}", r.text);
        }
        assert!(!r.text.contains("不公开的诉求"));
        assert!(!r.text.contains(&format!("<service_request_id>{private}<")));
        for one in [published, also] {
            let r = env.get(&format!("/open311/v2/requests/{one}.{fmt}")).await;
            assert_eq!(r.status, StatusCode::OK);
            for s in secret {
                assert!(!r.text.contains(s), "{s} leaked in request {one} ({fmt})");
            }
        }
    }
    let list = env.get("/open311/v2/requests.json").await.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let published_id = published.to_string();
    let first = list
        .iter()
        .find(|r| r["service_request_id"].as_str() == Some(published_id.as_str()))
        .unwrap();
    for key in [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "lat",
        "long",
        "media_url",
    ] {
        assert!(first.get(key).is_some(), "{key} missing");
    }
    assert_eq!(first["status"], "open");
    assert_eq!(first["requested_datetime"], "2026-11-23T09:00:00+08:00");
    assert!(
        first["description"]
            .as_str()
            .unwrap()
            .contains("垃圾三天没人清运")
    );
    // Never the exact place: a grid with few published appeals shows its community's point.
    assert_eq!(
        (
            first["long"].as_f64().unwrap(),
            first["lat"].as_f64().unwrap()
        ),
        (125.053, 46.553)
    );
    assert_eq!(first["address"], "D1区域 S1区域 K1区域");
    // Unpublished appeals do not exist for the public.
    let r = env
        .get(&format!("/open311/v2/requests/{private}.json"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()[0]["code"], 404);

    // With enough published appeals in a grid, its own label point is shown.
    for _ in 0..5 {
        env.file("urban.sanitation", IN_G1, "垃圾清运不及时", true)
            .await;
    }
    let r = env
        .get(&format!("/open311/v2/requests/{published}.json"))
        .await
        .json();
    assert_eq!(
        (
            r[0]["long"].as_f64().unwrap(),
            r[0]["lat"].as_f64().unwrap()
        ),
        (125.025, 46.525)
    );
}

async fn filters_pages_and_errors_follow_the_spec(url: String) {
    let env = setup(url, Some("daqing.gov.cn")).await;
    let a = env.file("urban.sanitation", IN_G1, "垃圾", true).await;
    env.clock.advance_secs(2 * 86_400);
    let b = env.file("heating.no_heat", IN_G1, "暖气不热", true).await;
    let c = env
        .file("urban.sanitation", IN_G2, "垃圾又满了", true)
        .await;
    let ids = |r: &Reply| -> Vec<String> {
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Newest first; an empty parameter is the same as a missing one.
    let all = env.get("/open311/v2/requests.json").await;
    assert_eq!(ids(&all), vec![c.to_string(), b.to_string(), a.to_string()]);
    let empty = env
        .get("/open311/v2/requests.json?service_code=&status=&start_date=")
        .await;
    assert_eq!(ids(&empty), ids(&all));
    let by_code = env
        .get("/open311/v2/requests.json?service_code=heating.no_heat")
        .await;
    assert_eq!(ids(&by_code), vec![b.to_string()]);
    // service_request_id overrides the other filters.
    let listed = env
        .get(&format!(
            "/open311/v2/requests.json?service_request_id={a},{c}&service_code=heating.no_heat"
        ))
        .await;
    assert_eq!(ids(&listed), vec![c.to_string(), a.to_string()]);
    // Dates, in w3c format.
    let since = env
        .get("/open311/v2/requests.json?start_date=2026-11-24T00:00:00%2B08:00")
        .await;
    assert_eq!(ids(&since), vec![c.to_string(), b.to_string()]);
    let until = env
        .get("/open311/v2/requests.json?end_date=2026-11-24T00:00:00%2B08:00")
        .await;
    assert_eq!(ids(&until), vec![a.to_string()]);
    // A `+` typed unencoded arrives as a space and is still understood.
    let typed = env
        .get("/open311/v2/requests.json?end_date=2026-11-24T00:00:00+08:00")
        .await;
    assert_eq!(ids(&typed), vec![a.to_string()]);
    let open = env.get("/open311/v2/requests.json?status=open").await;
    assert_eq!(ids(&open).len(), 3);
    let closed = env.get("/open311/v2/requests.json?status=closed").await;
    assert_eq!(ids(&closed).len(), 0);
    let both = env
        .get("/open311/v2/requests.json?status=open,closed")
        .await;
    assert_eq!(ids(&both).len(), 3);
    // Pages (the common extension).
    let p2 = env
        .get("/open311/v2/requests.json?page_size=2&page=2")
        .await;
    assert_eq!(ids(&p2), vec![a.to_string()]);
    // The configured jurisdiction is checked; none given is fine.
    assert_eq!(
        env.get("/open311/v2/requests.json?jurisdiction_id=daqing.gov.cn")
            .await
            .status,
        StatusCode::OK
    );
    let wrong = env
        .get("/open311/v2/services.xml?jurisdiction_id=elsewhere")
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert_xml(&wrong, "errors");
    // Bad arguments: 400 with the spec's error list, in the requested format.
    for bad in [
        "start_date=yesterday",
        "end_date=2026-13-45",
        "status=pending",
        "page_size=0",
        "start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-11-01T00:00:00%2B08:00",
        "page_size=5000",
        "page=0",
        "service_request_id=1,x",
    ] {
        let r = env.get(&format!("/open311/v2/requests.json?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
        assert_eq!(r.json()[0]["code"], 400, "{bad}");
        let r = env.get(&format!("/open311/v2/requests.xml?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.text.contains("<errors><error><code>400</code>"), "{bad}");
    }
    let r = env.get("/open311/v2/requests.json?service_code=nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Percent-encoding for a form body (every byte outside the unreserved set).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn posting_needs_a_key_and_files_a_real_appeal(url: String) {
    use grassroots_core::accounts::{NewUser, Role, Scope};
    let env = setup(url, None).await;
    let hash = grassroots_web::auth::hash_password("password-123".into())
        .await
        .unwrap();
    let mut tx = env.store.write().await.unwrap();
    let admin = NewUser {
        username: "admin".into(),
        display_name: "管理员".into(),
        role: Role::Admin,
        scope: Scope::Unit("C".into()),
        phone: None,
    };
    tx.create_user(&Ctx::system(0), &admin, Some(&hash))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let login = env
        .send(
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"username": "admin", "password": "password-123"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let res = env
        .app
        .clone()
        .oneshot(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"username": "admin", "password": "password-123"}).to_string(),
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let base: Vec<(&str, &str)> = vec![
        ("service_code", "heating.no_heat"),
        ("lat", "46.5123"),
        ("long", "125.0123"),
        ("description", "家里暖气不热"),
        ("attribute[room_temperature]", "15.5"),
        ("attribute[floor]", "3"),
        ("first_name", "建国"),
        ("last_name", "王"),
        ("phone", "13912345678"),
        ("publish", "true"),
    ];
    // Without a key, or with a wrong one: 403 in the spec's shape.
    let r = env.form("/open311/v2/requests.json", &base, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()[0]["code"], 403);
    let mut wrong = base.clone();
    wrong.push(("api_key", "not-a-key"));
    let r = env.form("/open311/v2/requests.xml", &wrong, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("<errors><error><code>403</code>"));

    // An admin issues a key (anonymous callers may not).
    let r = env
        .send(
            Method::POST,
            "/api/v1/admin/open311/clients",
            Some(json!({"name": "市民App"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let res = env
        .app
        .clone()
        .oneshot(
            Request::builder()
                .method(Method::POST)
                .uri("/api/v1/admin/open311/clients")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"name": "市民App"}).to_string()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let issued: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let key = issued["api_key"].as_str().unwrap().to_owned();
    let client = issued["id"].as_i64().unwrap();
    let mut ok = base.clone();
    ok.push(("api_key", &key));

    // Bad arguments: 400 / 404, in the spec's shape.
    for (drop, add, status) in [
        ("attribute[room_temperature]", None, StatusCode::BAD_REQUEST),
        ("lat", None, StatusCode::BAD_REQUEST),
        (
            "service_code",
            Some(("service_code", "nope")),
            StatusCode::NOT_FOUND,
        ),
        (
            "attribute[floor]",
            Some(("attribute[floor]", "three")),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let mut args: Vec<(&str, &str)> = ok.iter().copied().filter(|(k, _)| *k != drop).collect();
        if drop == "lat" {
            args.retain(|(k, _)| *k != "long");
        }
        if let Some(a) = add {
            args.push(a);
        }
        let r = env.form("/open311/v2/requests.json", &args, None).await;
        assert_eq!(r.status, status, "{drop}: {}", r.text);
        assert_eq!(r.json()[0]["code"], status.as_u16());
    }

    // A good request becomes a real appeal, routed and audited like any other.
    let r = env.form("/open311/v2/requests.json", &ok, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id: i64 = r.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let a = env.store.appeal(id).await.unwrap();
    assert_eq!(a.channel.as_str(), "open311");
    assert_eq!(a.category, "heating.no_heat");
    assert!(
        a.description.contains("室内温度（℃）：15.5") && a.description.contains("所在楼层：3"),
        "{}",
        a.description
    );
    assert_eq!(a.contact_name.as_deref(), Some("王建国"));
    assert_eq!(a.contact_phone.as_deref(), Some("13912345678"));
    assert_eq!(a.units.grid.as_deref(), Some("G1"));
    let audit = env
        .store
        .audit_events(&grassroots_store::AuditFilter {
            object_type: Some("appeal".into()),
            object_id: Some(id.to_string()),
            limit: 10,
            ..grassroots_store::AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(!audit.is_empty());
    // Published at the resident's word, and shown without the person.
    let shown = env.get(&format!("/open311/v2/requests/{id}.xml")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(!shown.text.contains("13912345678") && !shown.text.contains("王建国"));
    // XML answers too.
    let r = env.form("/open311/v2/requests.xml", &ok, None).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(
        r.text.contains("<service_requests><request>") && r.text.contains("<service_request_id>")
    );

    // Revoked: the key no longer works; both are in the audit trail.
    let res = env
        .app
        .clone()
        .oneshot(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/api/v1/admin/open311/clients/{client}/revoke"))
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let r = env.form("/open311/v2/requests.json", &ok, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let audit = env
        .store
        .audit_events(&grassroots_store::AuditFilter {
            object_type: Some("open311_client".into()),
            limit: 10,
            ..grassroots_store::AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.record.action.as_str()).collect();
    assert!(
        actions.contains(&"open311.key_issue") && actions.contains(&"open311.key_revoke"),
        "{actions:?}"
    );
}

/// An anonymous submission from `ip`, as `serve` sees it (the TCP peer).
async fn submit_from(env: &Env, ip: [u8; 4]) -> StatusCode {
    let body = json!({
        "category": "urban.sanitation",
        "description": "垃圾没人清运",
        "location": {"lon": IN_G1.0, "lat": IN_G1.1},
        "publish": false,
    });
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/appeals")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let peer = std::net::SocketAddr::from((ip, 40000));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    env.app.clone().oneshot(req).await.unwrap().status()
}

async fn anonymous_submissions_are_limited_per_client(url: String) {
    let env = setup_limited(url, None, 5).await;
    // Legitimate use under the limit is unaffected…
    for _ in 0..5 {
        assert_eq!(submit_from(&env, [10, 0, 0, 1]).await, StatusCode::CREATED);
    }
    // …the sixth within the hour is refused, with the stable code…
    assert_eq!(
        submit_from(&env, [10, 0, 0, 1]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …and only for that client.
    assert_eq!(submit_from(&env, [10, 0, 0, 2]).await, StatusCode::CREATED);
    // Nothing of the refused submission was saved.
    let saved = env
        .store
        .public_appeals(&grassroots_store::PublicFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(saved.is_empty(), "none of these were published");
    // Six appeals saved (five from the first client, one from the second), not seven.
    assert!(env.store.appeal(6).await.is_ok());
    assert!(env.store.appeal(7).await.is_err());
}

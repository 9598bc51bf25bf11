//! The web application through the router, on SQLite and PostgreSQL, as a
//! browser would use it: cookies, CSRF tokens in forms, redirects after
//! POST. The resident files, the grid worker signs and replies, the resident
//! rates; validation keeps what was typed; another district sees nothing;
//! the dashboard, the inbox and the mediation screens; headers and assets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
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
use serde_json::json;
use tower::ServiceExt as _;

grassroots_store::on_both_backends!(
    a_resident_files_the_grid_worker_replies_and_the_resident_rates,
    forms_without_the_token_change_nothing,
    another_district_cannot_open_it,
    the_inbox_counts_down_and_signs_in_bulk,
    the_dashboard_shows_its_jurisdiction_and_exports,
    a_dispute_is_mediated_through_the_screens,
    pages_are_self_contained_and_switch_language,
    a_grid_worker_reports_and_resolves_on_site_from_the_phone_page,
    no_public_page_or_file_shows_personal_data,
    a_hotline_call_shows_the_places_history_first,
);

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";

const PASSWORD: &str = "password-123";
const HOUR: i64 = 3_600;

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
        households: (level == Level::Grid).then_some(500),
        boundary: b,
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

struct Env {
    app: Router,
    store: Store,
    clock: Arc<ManualClock>,
}

/// A browser: a cookie jar and the pages it has seen.
#[derive(Clone, Default)]
struct Browser {
    cookies: HashMap<String, String>,
    lang: Option<&'static str>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Page {
    /// The CSRF token of the page's first form.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self
            .text
            .find(marker)
            .unwrap_or_else(|| panic!("no form: {}", self.text));
        let rest = &self.text[at + marker.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
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
        ("supervisor", Role::CitySupervisor, Scope::Unit("C".into())),
        ("grid1", Role::GridWorker, Scope::Unit("G1".into())),
        ("hotline", Role::HotlineOperator, Scope::Unit("C".into())),
        ("street1", Role::StreetStaff, Scope::Unit("S1".into())),
        ("street3", Role::StreetStaff, Scope::Unit("S3".into())),
        ("district2", Role::DistrictStaff, Scope::Unit("D2".into())),
        ("medK1", Role::Mediator, Scope::Unit("K1".into())),
        ("resident", Role::Resident, Scope::None),
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
    Env {
        app: app(state),
        store,
        clock,
    }
}

impl Env {
    async fn request(
        &self,
        b: &mut Browser,
        method: Method,
        uri: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Page {
        let mut req = Request::builder().method(method).uri(uri);
        if !b.cookies.is_empty() {
            let cookie = b
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(header::COOKIE, cookie);
        }
        if let Some(l) = b.lang {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        let req = match body {
            Some((kind, bytes)) => req
                .header(header::CONTENT_TYPE, kind)
                .body(Body::from(bytes))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.app.clone().oneshot(req).await.unwrap();
        for c in res.headers().get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if c.contains("Max-Age=0") {
                b.cookies.remove(k);
            } else {
                b.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            location,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, b: &mut Browser, uri: &str) -> Page {
        self.request(b, Method::GET, uri, None).await
    }

    /// POST a form (fields in order, names may repeat).
    async fn post(&self, b: &mut Browser, uri: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            b,
            Method::POST,
            uri,
            Some((
                "application/x-www-form-urlencoded".into(),
                body.into_bytes(),
            )),
        )
        .await
    }

    /// POST a multipart form (the submission page, which takes photos).
    async fn post_multipart(&self, b: &mut Browser, uri: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with_photo(b, uri, fields, None).await
    }

    async fn post_with_photo(
        &self,
        b: &mut Browser,
        uri: &str,
        fields: &[(&str, &str)],
        photo: Option<&[u8]>,
    ) -> Page {
        let boundary = "XgrassrootsX";
        let mut body = Vec::new();
        if let Some(bytes) = photo {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.request(
            b,
            Method::POST,
            uri,
            Some((format!("multipart/form-data; boundary={boundary}"), body)),
        )
        .await
    }

    async fn login(&self, username: &str) -> Browser {
        let mut b = Browser::default();
        let page = self.get(&mut b, "/login").await;
        assert_eq!(page.status, StatusCode::OK);
        let token = page.csrf();
        let r = self
            .post(
                &mut b,
                "/login",
                &[
                    ("csrf", &token),
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert!(b.cookies.contains_key("gr_session"));
        b
    }

    /// File through the form as `b`; the tracking code.
    async fn file(&self, b: &mut Browser, category: &str, description: &str) -> String {
        let token = self.get(b, "/submit").await.csrf();
        let (lon, lat) = (IN_G1.0.to_string(), IN_G1.1.to_string());
        let fields = [
            ("csrf", token.as_str()),
            ("category", category),
            ("description", description),
            ("lon", &lon),
            ("lat", &lat),
            ("phone", "13812345678"),
            ("publish", "1"),
            ("confirmed", "1"),
        ];
        let r = self.post_multipart(b, "/submit", &fields).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let marker = "data-testid=\"tracking-code\">";
        let at = r.text.find(marker).unwrap() + marker.len();
        r.text[at..at + r.text[at..].find('<').unwrap()].to_owned()
    }

    async fn appeal_id(&self, code: &str) -> i64 {
        self.store.appeal_by_tracking_code(code).await.unwrap().id
    }

    fn advance_hours(&self, h: i64) {
        self.clock.advance_secs(h * HOUR);
    }
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

/// The step form of `action` on an appeal page, submitted with `extra`.
async fn appeal_step(
    env: &Env,
    b: &mut Browser,
    id: i64,
    action: &str,
    extra: &[(&str, &str)],
) -> Page {
    let page = env.get(b, &format!("/appeals/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text
            .contains(&format!("name=\"action\" value=\"{action}\"")),
        "{action} not offered"
    );
    let token = page.csrf();
    let mut fields = vec![("csrf", token.as_str()), ("action", action)];
    fields.extend_from_slice(extra);
    env.post(b, &format!("/appeals/{id}/step"), &fields).await
}

async fn a_resident_files_the_grid_worker_replies_and_the_resident_rates(url: String) {
    let env = setup(url).await;
    let mut resident = env.login("resident").await;

    // A refused form says what is wrong next to the field and keeps the text.
    let token = env.get(&mut resident, "/submit").await.csrf();
    let r = env
        .post_multipart(
            &mut resident,
            "/submit",
            &[("csrf", &token), ("description", "垃圾堆在楼下三天了")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("垃圾堆在楼下三天了"), "typed text kept");
    assert!(r.text.contains("id=\"category-error\""), "{}", r.text);
    assert!(r.text.contains("aria-describedby=\"category-error\""));

    let code = env
        .file(
            &mut resident,
            "urban.sanitation",
            "垃圾堆在楼下三天了，电话13912345678",
        )
        .await;
    let id = env.appeal_id(&code).await;
    // A second report of the same kind at the same place is shown the first.
    let token = env.get(&mut resident, "/submit").await.csrf();
    let (lon, lat) = (IN_G1.0.to_string(), IN_G1.1.to_string());
    let r = env
        .post_multipart(
            &mut resident,
            "/submit",
            &[
                ("csrf", &token),
                ("category", "urban.sanitation"),
                ("description", "同一堆垃圾"),
                ("lon", &lon),
                ("lat", &lat),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("data-testid=\"duplicates\""), "{}", r.text);
    assert!(r.text.contains("name=\"confirmed\""));

    // The grid worker's inbox has it; the phone is masked until revealed.
    let mut grid = env.login("grid1").await;
    let inbox = env.get(&mut grid, "/inbox").await;
    assert!(inbox.text.contains(&code), "{}", inbox.text);
    let page = env.get(&mut grid, &format!("/appeals/{id}")).await;
    assert!(page.text.contains("138****5678"), "{}", page.text);
    assert!(!page.text.contains("13812345678"));
    let r = env
        .post(
            &mut grid,
            &format!("/appeals/{id}/reveal"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("13812345678"));
    let audit = env
        .store
        .audit_events(&AuditFilter {
            action: Some("appeal.reveal_contact".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);

    // A reply without text is refused next to the field, then given.
    let r = appeal_step(&env, &mut grid, id, "sign", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = appeal_step(&env, &mut grid, id, "reply", &[("text", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"text-error\""), "{}", r.text);
    let r = appeal_step(&env, &mut grid, id, "reply", &[("text", "已清运完毕")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = env.get(&mut grid, &format!("/appeals/{id}")).await;
    assert!(page.text.contains("status-replied"));

    // An internal note: on the staff page, audited, never on the resident's.
    let page = env.get(&mut grid, &format!("/appeals/{id}")).await;
    let r = env
        .post(
            &mut grid,
            &format!("/appeals/{id}/note"),
            &[("csrf", &page.csrf()), ("note", "  ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"note-error\""));
    let r = env
        .post(
            &mut grid,
            &format!("/appeals/{id}/note"),
            &[("csrf", &page.csrf()), ("note", "物业经理说周五前清理")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = env.get(&mut grid, &format!("/appeals/{id}")).await;
    assert!(page.text.contains("物业经理说周五前清理"));
    let notes = env
        .store
        .audit_events(&AuditFilter {
            action: Some("appeal.note".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);

    // The resident reads the reply by code and rates it; it closes.
    let mut anyone = Browser::default();
    let track = env.get(&mut anyone, &format!("/track/{code}")).await;
    assert!(track.text.contains("已清运完毕"));
    assert!(!track.text.contains("grid1"), "staff are shown by role");
    assert!(
        !track.text.contains("物业经理说周五前清理"),
        "internal notes stay internal"
    );
    let r = env
        .post(
            &mut anyone,
            &format!("/track/{code}/rate"),
            &[("csrf", &track.csrf()), ("resolved", "yes")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "satisfaction missing"
    );
    assert!(r.text.contains("id=\"satisfaction-error\""));
    let r = env
        .post(
            &mut anyone,
            &format!("/track/{code}/rate"),
            &[
                ("csrf", &track.csrf()),
                ("resolved", "yes"),
                ("satisfaction", "satisfied"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let track = env.get(&mut anyone, &format!("/track/{code}")).await;
    assert!(track.text.contains("status-closed"), "{}", track.text);
    // "My appeals" lists it for the signed-in resident.
    let my = env.get(&mut resident, "/my").await;
    assert!(my.text.contains(&code));
}

async fn forms_without_the_token_change_nothing(url: String) {
    let env = setup(url).await;
    let mut resident = env.login("resident").await;
    let r = env
        .post_multipart(
            &mut resident,
            "/submit",
            &[
                ("csrf", "forged"),
                ("category", "urban.sanitation"),
                ("description", "x"),
                ("lon", "125.02"),
                ("lat", "46.52"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("<html"), "an HTML error page");
    let code = env.file(&mut resident, "urban.sanitation", "真的").await;
    let id = env.appeal_id(&code).await;
    let mut grid = env.login("grid1").await;
    let r = env
        .post(
            &mut grid,
            &format!("/appeals/{id}/step"),
            &[("action", "sign")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Another browser's token is not this one's.
    let mut other = env.login("grid1").await;
    let foreign = env.get(&mut other, "/inbox").await.csrf();
    let r = env
        .post(
            &mut grid,
            "/inbox/sign",
            &[("csrf", &foreign), ("id", &id.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        env.store.appeal(id).await.unwrap().state.status.as_str(),
        "dispatched"
    );
    // Logging in needs the login page's token too.
    let mut fresh = Browser::default();
    let r = env
        .post(
            &mut fresh,
            "/login",
            &[("username", "grid1"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!fresh.cookies.contains_key("gr_session"));
    // No state change by GET.
    let r = env.get(&mut grid, &format!("/appeals/{id}/step")).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        env.store.appeal(id).await.unwrap().state.status.as_str(),
        "dispatched"
    );
}

async fn another_district_cannot_open_it(url: String) {
    let env = setup(url).await;
    let mut resident = env.login("resident").await;
    let code = env
        .file(&mut resident, "urban.sanitation", "楼道堆物")
        .await;
    let id = env.appeal_id(&code).await;
    let mut other = env.login("district2").await;
    let r = env.get(&mut other, &format!("/appeals/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let missing = env.get(&mut other, "/appeals/999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(!r.text.contains(&code) && !r.text.contains("楼道堆物"));
    let r = env
        .post(
            &mut other,
            &format!("/appeals/{id}/step"),
            &[("csrf", &missing.csrf()), ("action", "sign")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let inbox = env.get(&mut other, "/inbox?view=area").await;
    assert!(!inbox.text.contains(&code));
    // Nor its dashboard: D1 is outside D2's jurisdiction.
    let r = env.get(&mut other, "/dashboard?unit=D1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A resident has no inbox; an anonymous visitor is sent to log in.
    let r = env.get(&mut resident, "/inbox").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = env.get(&mut Browser::default(), "/inbox").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/login?next=/inbox"));
}

async fn the_inbox_counts_down_and_signs_in_bulk(url: String) {
    let env = setup(url).await;
    let mut resident = env.login("resident").await;
    let first = env.file(&mut resident, "urban.sanitation", "第一件").await;
    env.advance_hours(1);
    let second = env.file(&mut resident, "urban.sanitation", "第二件").await;
    let mut grid = env.login("grid1").await;
    let inbox = env.get(&mut grid, "/inbox").await;
    // Soonest deadline first, with a countdown in hours.
    let (a, b) = (
        inbox.text.find(&first).unwrap(),
        inbox.text.find(&second).unwrap(),
    );
    assert!(a < b, "ordered by deadline");
    assert!(inbox.text.contains("countdown band-"), "{}", inbox.text);
    assert!(inbox.text.contains("剩余"));
    let ids = [env.appeal_id(&first).await, env.appeal_id(&second).await];
    let token = inbox.csrf();
    let (x, y) = (ids[0].to_string(), ids[1].to_string());
    let r = env
        .post(
            &mut grid,
            "/inbox/sign",
            &[("csrf", &token), ("id", &x), ("id", &y)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/inbox?done=2&failed=0"));
    for id in ids {
        assert_eq!(
            env.store.appeal(id).await.unwrap().state.status.as_str(),
            "in_progress"
        );
    }
    // Signing again fails for each, without an error page.
    let r = env
        .post(&mut grid, "/inbox/sign", &[("csrf", &token), ("id", &x)])
        .await;
    assert_eq!(r.location.as_deref(), Some("/inbox?done=0&failed=1"));
    // Days later the same work reads as overdue.
    env.advance_hours(24 * 20);
    let mut grid = env.login("grid1").await;
    let inbox = env.get(&mut grid, "/inbox").await;
    assert!(inbox.text.contains("band-overdue"), "{}", inbox.text);
    assert!(inbox.text.contains("逾期"));
}

/// The number in the dashboard's "received" tile.
fn count_tile(html: &str) -> String {
    let at = html.find("data-testid=\"tile-count\"").expect("count tile");
    let rest = &html[at..];
    let v = rest.find("class=\"value\">").expect("value") + "class=\"value\">".len();
    rest[v..v + rest[v..].find('<').unwrap()].to_owned()
}

async fn the_dashboard_shows_its_jurisdiction_and_exports(url: String) {
    let env = setup(url).await;
    let mut resident = env.login("resident").await;
    let code = env
        .file(&mut resident, "urban.sanitation", "路灯不亮")
        .await;
    let mut sup = env.login("supervisor").await;
    let page = env.get(&mut sup, "/dashboard").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(count_tile(&page.text), "1");
    // The figures are reused for a minute; then shown while refreshed.
    env.file(&mut resident, "urban.sanitation", "又一盏路灯")
        .await;
    assert_eq!(count_tile(&env.get(&mut sup, "/dashboard").await.text), "1");
    env.clock.advance_secs(120);
    assert_eq!(
        count_tile(&env.get(&mut sup, "/dashboard").await.text),
        "1",
        "stale, refreshing"
    );
    let mut refreshed = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if count_tile(&env.get(&mut sup, "/dashboard").await.text) == "2" {
            refreshed = true;
            break;
        }
    }
    assert!(refreshed, "the background refresh lands");
    for tile in [
        "count",
        "response",
        "resolution",
        "satisfaction",
        "on_time",
        "local_resolution",
    ] {
        assert!(
            page.text.contains(&format!("data-testid=\"tile-{tile}\"")),
            "{tile}"
        );
    }
    // The districts on the map, each a link to drill down.
    assert!(
        page.text
            .contains("href=\"&#x2f;dashboard?unit=D1&amp;metric=per_1000\""),
        "{}",
        page.text
    );
    assert_eq!(page.text.matches("<path d=\"M").count(), 2);
    let down = env.get(&mut sup, "/dashboard?unit=G1").await;
    assert_eq!(down.status, StatusCode::OK);
    // Overdue work appears once it is overdue.
    env.advance_hours(24 * 20);
    // (The session has long expired: sign in again.)
    let mut sup = env.login("supervisor").await;
    let page = env.get(&mut sup, "/dashboard?metric=overdue").await;
    let overdue = &page.text[page.text.find("data-testid=\"overdue\"").unwrap()..];
    assert!(overdue[..overdue.find("</section>").unwrap()].contains(&code));
    let csv = env
        .get(&mut sup, "/dashboard/export.csv?list=overdue")
        .await;
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(csv.text.starts_with('\u{feff}'));
    assert!(csv.text.contains(&code), "{}", csv.text);
    let xlsx = env.get(&mut sup, "/dashboard/export.xlsx?list=units").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.text.starts_with("PK\u{3}\u{4}"), "a zip container");
    let bad = env
        .get(&mut sup, "/dashboard/export.csv?list=nonsense")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // A street's staff see their street, not the city's.
    let mut street = env.login("street1").await;
    let mine = env.get(&mut street, "/dashboard").await;
    assert!(mine.text.contains("S1区域"));
    assert_eq!(
        env.get(&mut street, "/dashboard?unit=C").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_dispute_is_mediated_through_the_screens(url: String) {
    let env = setup(url).await;
    let mut admin_api = Browser::default();
    // Organisations come from the admin API (as in the demo).
    let login = env
        .request(
            &mut admin_api,
            Method::POST,
            "/api/v1/auth/login",
            Some((
                "application/json".into(),
                json!({"username": "admin", "password": PASSWORD})
                    .to_string()
                    .into_bytes(),
            )),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let r = env
        .request(
            &mut admin_api,
            Method::PUT,
            "/api/v1/admin/mediation/orgs/pmc-K1",
            Some((
                "application/json".into(),
                json!({"name": "K1人民调解委员会", "kind": "people", "unit": "K1"})
                    .to_string()
                    .into_bytes(),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let mut med = env.login("medK1").await;
    let form = env.get(&mut med, "/disputes/new").await;
    // Missing facts: refused next to the field, typed values kept.
    let r = env
        .post(
            &mut med,
            "/disputes/new",
            &[
                ("csrf", &form.csrf()),
                ("dispute_type", "neighbours"),
                ("unit", "K1"),
                ("applicant_name", "张三"),
                ("respondent_name", "李四"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("value=\"张三\""));
    let r = env
        .post(
            &mut med,
            "/disputes/new",
            &[
                ("csrf", &form.csrf()),
                ("dispute_type", "neighbours"),
                ("facts", "楼上漏水"),
                ("claims", "赔偿维修费"),
                ("unit", "K1"),
                ("applicant_name", "张三"),
                ("applicant_phone", "13912340000"),
                ("respondent_name", "李四"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let case = r.location.unwrap();
    let page = env.get(&mut med, &case).await;
    assert!(
        page.text.contains("张*") && !page.text.contains("张三"),
        "parties masked"
    );
    assert!(page.text.contains("139****0000"));
    let token = page.csrf();
    let step = |fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", token.clone())];
        all.extend(fields);
        all
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let env = &env;
        let case = case.clone();
        let mut med = med.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            env.post(&mut med, &format!("{case}/step"), &pairs).await
        }
    };
    let users = env
        .store
        .users(&grassroots_store::UserFilter {
            role: Some(Role::Mediator),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let me = users[0].id.to_string();
    for fields in [
        vec![
            ("action", "assign_mediators".to_owned()),
            ("mediators", me.clone()),
        ],
        vec![
            ("action", "consent".to_owned()),
            ("party", "0".into()),
            ("consent", "yes".into()),
        ],
        vec![
            ("action", "consent".to_owned()),
            ("party", "1".into()),
            ("consent", "yes".into()),
        ],
        vec![
            ("action", "session".to_owned()),
            ("place", "社区调解室".into()),
            ("present", "0".into()),
            ("present", "1".into()),
            ("minutes", "双方陈述".into()),
        ],
    ] {
        let r = post(step(fields.clone())).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{fields:?}: {}", r.text);
    }
    // An agreement missing a signature is refused and explained.
    let agreement = |signed: Vec<&'static str>| {
        let mut f = vec![
            ("action", "agreement".to_owned()),
            ("facts", "楼上漏水".into()),
            ("matters", "维修费".into()),
            ("responsibilities", "楼上负责".into()),
            ("obliged", "1".into()),
            ("duty", "支付维修费500元".into()),
            ("how", "转账".into()),
            ("place", "社区".into()),
            ("by", "2026-12-31".into()),
        ];
        f.extend(signed.into_iter().map(|s| ("signed", s.to_owned())));
        f
    };
    let r = post(step(agreement(vec!["0"]))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let r = post(step(agreement(vec!["0", "1"]))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = env.get(&mut med, &case).await;
    assert!(
        page.text.contains("dstatus-agreed") || page.text.contains("已达成协议"),
        "{}",
        page.text
    );
    assert!(page.text.contains("/agreement?format=pdf"));
    // The date typed is the date printed (the last instant of that day).
    let doc = env.get(&mut med, &format!("/api/v1{case}/agreement")).await;
    assert!(
        doc.text.contains("2026-12-31") && !doc.text.contains("2027-01-01"),
        "{}",
        doc.text
    );
    // The parties revealed on request, and the read audited.
    let r = env
        .post(&mut med, &format!("{case}/reveal"), &[("csrf", &token)])
        .await;
    assert!(r.text.contains("张三"));
    let audit = env
        .store
        .audit_events(&AuditFilter {
            action: Some("dispute.reveal_parties".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(!audit.is_empty(), "the reveal is audited");
    // The street's staff see a summary: no facts, no names, no steps.
    let mut street = env.login("street1").await;
    let summary = env.get(&mut street, &case).await;
    assert_eq!(summary.status, StatusCode::OK);
    assert!(!summary.text.contains("楼上漏水") && !summary.text.contains("张*"));
    assert!(!summary.text.contains("name=\"action\""));
    // Another street's staff do not learn it exists.
    let mut far = env.login("street3").await;
    assert_eq!(env.get(&mut far, &case).await.status, StatusCode::NOT_FOUND);
}

async fn pages_are_self_contained_and_switch_language(url: String) {
    let env = setup(url).await;
    let mut b = Browser::default();
    let mut pages = Vec::new();
    for uri in ["/", "/submit", "/track", "/login"] {
        pages.push((uri.to_owned(), env.get(&mut b, uri).await));
    }
    let mut sup = env.login("supervisor").await;
    for uri in ["/inbox", "/dashboard", "/disputes"] {
        pages.push((uri.to_owned(), env.get(&mut sup, uri).await));
    }
    for (uri, p) in &pages {
        assert_eq!(p.status, StatusCode::OK, "{uri}: {}", p.text);
        let csp = p.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(p.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(p.headers[header::REFERRER_POLICY], "no-referrer");
        // No inline script or style, nothing loaded from elsewhere.
        assert!(
            !p.text.contains("<script>") && !p.text.contains("style="),
            "{uri}"
        );
        let text = p.text.replace("&#x2f;", "/");
        for attr in ["src=\"", "href=\"", "action=\""] {
            for piece in text.split(attr).skip(1) {
                assert!(
                    piece.starts_with('/') || piece.starts_with('#') || piece.starts_with('?'),
                    "{uri}: {attr}{}",
                    &piece[..40.min(piece.len())]
                );
            }
        }
        assert!(
            p.text.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"),
            "{uri}"
        );
    }
    for asset in ["/assets/app.css", "/assets/app.js", "/assets/icon.svg"] {
        let r = env.get(&mut b, asset).await;
        assert_eq!(r.status, StatusCode::OK, "{asset}");
        assert!(
            !r.text.contains("http://") && !r.text.contains("https://")
                || asset == "/assets/icon.svg",
            "{asset}"
        );
    }
    assert_eq!(
        env.get(&mut b, "/assets/nope.js").await.status,
        StatusCode::NOT_FOUND
    );

    // English, chosen once, is remembered on the next page.
    let home = env.get(&mut b, "/submit").await;
    let r = env
        .post(
            &mut b,
            "/lang",
            &[("csrf", &home.csrf()), ("lang", "en"), ("back", "/submit")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/submit"));
    let page = env.get(&mut b, "/track").await;
    assert!(page.text.contains("<html lang=\"en\">"));
    assert!(page.text.contains("Track progress"));
    // A browser asking for English gets it without choosing.
    let mut en = Browser {
        lang: Some("en-GB,en;q=0.9"),
        ..Browser::default()
    };
    assert!(
        env.get(&mut en, "/")
            .await
            .text
            .contains("<html lang=\"en\">")
    );
    // An off-site `back` is not followed.
    let r = env
        .post(
            &mut b,
            "/lang",
            &[
                ("csrf", &home.csrf()),
                ("lang", "zh-CN"),
                ("back", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/"));
}

async fn a_grid_worker_reports_and_resolves_on_site_from_the_phone_page(url: String) {
    let env = setup(url).await;
    let mut grid = env.login("grid1").await;
    let page = env.get(&mut grid, "/grid").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let form = env.get(&mut grid, "/submit").await;
    assert!(
        form.text.contains("name=\"resolved_on_site\""),
        "patrol form"
    );
    assert!(form.text.contains("name=\"channel\" value=\"grid_patrol\""));
    let (lon, lat) = (IN_G1.0.to_string(), IN_G1.1.to_string());
    let fields = [
        ("csrf", form.csrf()),
        ("channel", "grid_patrol".into()),
        ("category", "urban.sanitation".into()),
        ("description", "路边垃圾".into()),
        ("lon", lon),
        ("lat", lat),
        ("resolved_on_site", "1".into()),
        ("note", "已清扫".into()),
        ("confirmed", "1".into()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Without a photo of the result it is refused, next to the field.
    let r = env
        .post_with_photo(&mut grid, "/submit", &pairs, None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"photos-error\""), "{}", r.text);
    assert!(r.text.contains("已清扫"), "the note is kept");
    let r = env
        .post_with_photo(&mut grid, "/submit", &pairs, Some(PNG))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(
        r.text.contains("status-closed"),
        "resolved on the spot: {}",
        r.text
    );
    // A resident's report in the grid shows on the phone page with a sign button.
    let mut resident = env.login("resident").await;
    let code = env
        .file(&mut resident, "urban.sanitation", "井盖缺失")
        .await;
    let page = env.get(&mut grid, "/grid").await;
    let open = &page.text[page.text.find("data-testid=\"grid-open\"").unwrap()..];
    assert!(open.contains(&code), "{}", page.text);
    assert!(open.contains("name=\"action\" value=\"sign\""));
    // Only grid workers have this page.
    assert_eq!(
        env.get(&mut resident, "/grid").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The done-criterion: appeals whose text carries phone numbers,
/// 18-digit ID numbers and the resident's name are published, replied to
/// and rated; every public page, Open311 answer, CSV and GeoJSON is then
/// scanned for any of those values unmasked.
async fn no_public_page_or_file_shows_personal_data(url: String) {
    let env = setup(url).await;
    let mut grid = env.login("grid1").await;
    // The exact address is the one the last resident typed (see below).
    let secrets = ["13812345678", "110101199003071234", "李建国", "幸福路88号"];
    // A department to ask in public (网络问政).
    let mut tx = env.store.write().await.unwrap();
    let department = grassroots_core::accounts::Department {
        code: "D1-HS".into(),
        name: "住建局".into(),
        name_en: "Housing Bureau".into(),
        kind: "housing".into(),
        unit: "D1".into(),
    };
    tx.insert_departments(&Ctx::system(1_790_000_000_000_000), &[department])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut asker = Browser::default();
    let token = env.get(&mut asker, "/questions/ask").await.csrf();
    let r = env
        .post(
            &mut asker,
            "/questions/ask",
            &[
                ("csrf", &token),
                ("department", "D1-HS"),
                ("title", "暖气不热找谁？电话13812345678"),
                (
                    "body",
                    "我叫李建国，身份证110101199003071234，家里暖气只有15度怎么办",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let question = r.location.unwrap().replace("?asked=1", "");
    let mut codes = Vec::new();
    for i in 0..3 {
        let mut anyone = Browser::default();
        let token = env.get(&mut anyone, "/submit").await.csrf();
        let (lon, lat) = (IN_G1.0.to_string(), IN_G1.1.to_string());
        // Free text can only be masked for what it is known to contain: the
        // resident's name and the address they typed (the last one types it).
        let home = if i == 2 { "住幸福路88号，" } else { "" };
        let description =
            format!("我是李建国，{home}电话13812345678，身份证110101199003071234，第{i}次反映");
        // The last one gives its exact address instead of a point.
        let place = if i == 2 {
            [("address", "幸福路88号"), ("unit", "K1")]
        } else {
            [("lon", lon.as_str()), ("lat", lat.as_str())]
        };
        let fields = [
            ("csrf", token.as_str()),
            ("category", "urban.sanitation"),
            ("description", description.as_str()),
            place[0],
            place[1],
            ("name", "李建国"),
            ("phone", "13812345678"),
            ("publish", "1"),
            ("confirmed", "1"),
        ];
        let r = env.post_multipart(&mut anyone, "/submit", &fields).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let marker = "data-testid=\"tracking-code\">";
        let at = r.text.find(marker).unwrap() + marker.len();
        let code = r.text[at..at + r.text[at..].find('<').unwrap()].to_owned();
        let id = env.appeal_id(&code).await;
        // The one by address goes to the community: it stays open, unanswered.
        if i == 2 {
            codes.push((code, id));
            continue;
        }
        appeal_step(&env, &mut grid, id, "sign", &[]).await;
        let r = appeal_step(
            &env,
            &mut grid,
            id,
            "reply",
            &[("text", "已联系李建国（13812345678），问题已处理")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let track = env.get(&mut anyone, &format!("/track/{code}")).await;
        let r = env
            .post(
                &mut anyone,
                &format!("/track/{code}/rate"),
                &[
                    ("csrf", &track.csrf()),
                    ("resolved", "yes"),
                    ("satisfaction", "satisfied"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        codes.push((code, id));
    }
    let mut public = Browser::default();
    let mut scanned = Vec::new();
    for uri in [
        "/portal",
        "/portal?district=D1",
        "/portal?status=closed",
        "/portal/stats?month=2026-11",
        "/portal/stats.csv?month=2026-11",
        "/portal/stats.geojson?month=2026-11",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/questions",
        "/api/v1/questions",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain([question.clone(), format!("/api/v1{question}")])
    .chain(
        codes
            .iter()
            .map(|(_, id)| format!("/open311/v2/requests/{id}.json")),
    ) {
        let page = env.get(&mut public, &uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.text);
        for s in secrets {
            assert!(!page.text.contains(s), "{uri} shows {s}: {}", page.text);
        }
        scanned.push((uri, page));
    }
    // The published appeals are really there, masked: the scan saw them.
    let portal = &scanned[0].1.text;
    assert_eq!(portal.matches("次反映").count(), 3, "{portal}");
    assert!(
        portal.contains("电话***，身份证***"),
        "the numbers are there, masked: {portal}"
    );
    assert!(
        scanned[4].1.text.contains("D1"),
        "the CSV lists the district"
    );
    assert!(scanned[5].1.text.contains("\"FeatureCollection\""));
    // The question is there too, masked.
    let shown = &scanned[10].1.text;
    assert!(
        shown.contains("暖气不热找谁？电话***") && shown.contains("我叫***，身份证***"),
        "{shown}"
    );

    // Withdrawn from publication: gone from the portal and Open311.
    let (code, id) = &codes[0];
    let mut owner = Browser::default();
    let track = env.get(&mut owner, &format!("/track/{code}")).await;
    assert!(track.text.contains(&format!("/track/{code}/unpublish")));
    let r = env
        .post(
            &mut owner,
            &format!("/track/{code}/unpublish"),
            &[("csrf", &track.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let portal = env.get(&mut public, "/portal").await;
    assert_eq!(portal.text.matches("次反映").count(), 2, "{}", portal.text);
    let one = env
        .get(&mut public, &format!("/open311/v2/requests/{id}.json"))
        .await;
    assert_eq!(one.status, StatusCode::NOT_FOUND);
    let audit = env
        .store
        .audit_events(&AuditFilter {
            action: Some("appeal.unpublish".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
}

async fn a_hotline_call_shows_the_places_history_first(url: String) {
    let env = setup(url).await;
    let mut resident = env.login("resident").await;
    let earlier = env
        .file(&mut resident, "urban.sanitation", "垃圾没人收")
        .await;
    let mut hotline = env.login("hotline").await;
    let form = env.get(&mut hotline, "/submit").await;
    assert!(form.text.contains("name=\"channel\" value=\"hotline\""));
    assert!(
        form.text.contains("autofocus"),
        "the call starts at the category search"
    );
    let (lon, lat) = (IN_G1.0.to_string(), IN_G1.1.to_string());
    let mut fields = vec![
        ("csrf", form.csrf()),
        ("channel", "hotline".to_owned()),
        ("category", "urban.manhole_covers".to_owned()),
        ("description", "井盖松动".to_owned()),
        ("lon", lon),
        ("lat", lat),
        ("phone", "13700001111".to_owned()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = env.post_multipart(&mut hotline, "/submit", &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Another kind of problem, so not a duplicate: the place's history.
    assert!(!r.text.contains("data-testid=\"duplicates\""));
    let history = &r.text[r
        .text
        .find("data-testid=\"history\"")
        .expect("history shown")..];
    assert!(
        history[..history.find("</div>").unwrap()].contains(&earlier),
        "{history}"
    );
    assert!(r.text.contains("井盖松动"), "the call's text is kept");
    fields.push(("confirmed", "1".to_owned()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = env.post_multipart(&mut hotline, "/submit", &pairs).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // A resident is never shown other people's appeals as history.
    let token = env.get(&mut resident, "/submit").await.csrf();
    let (lon, lat) = (IN_G1.0.to_string(), IN_G1.1.to_string());
    let r = env
        .post_multipart(
            &mut resident,
            "/submit",
            &[
                ("csrf", &token),
                ("category", "urban.manhole_covers"),
                ("description", "另一件"),
                ("lon", &lon),
                ("lat", &lat),
            ],
        )
        .await;
    assert!(!r.text.contains("data-testid=\"history\""));
}

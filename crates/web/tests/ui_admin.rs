//! The administrator's and the auditor's pages through the router, on SQLite
//! and PostgreSQL: who may open them, the audit trail with its verification
//! and filters, accounts and Open311 keys managed through forms (CSRF, field
//! errors, typed values kept), and every change on the audit trail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
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
    pages_are_for_their_roles_only,
    auditor_sees_the_trail_verified_filtered_and_paged,
    a_broken_chain_is_shown_at_its_first_bad_row,
    admin_index_shows_territory_taxonomy_and_calendar,
    admin_manages_accounts_through_forms,
    admin_issues_and_revokes_open311_keys,
    forms_without_the_csrf_token_change_nothing,
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

/// Accounts are created on 2026-09-21 (China time); the clock then reads
/// 2026-11-21 16:00 (China time), when everyone logs in.
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
        ("grid1", Role::GridWorker, Scope::Unit("G1".into())),
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
    let state = AppState::new(store.clone(), clock, WebConfig::default(), atlas);
    Env {
        app: app(state),
        store,
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.text))
    }

    /// The page's CSRF token (the hidden field every form carries).
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self
            .text
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf field in {}", self.text));
        let rest = &self.text[at + marker.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The rows of the audit page's table.
    fn audit_rows(&self) -> usize {
        self.text.matches("<tr data-seq=").count()
    }
}

/// `application/x-www-form-urlencoded`.
fn encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Env {
    async fn send(
        &self,
        method: Method,
        uri: &str,
        cookie: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let req = match body {
            Some((kind, b)) => req
                .header(header::CONTENT_TYPE, kind)
                .body(Body::from(b))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        // Attribute values come HTML-escaped ('/' as `&#x2f;`); tests read them plain.
        let text = String::from_utf8_lossy(&bytes)
            .replace("&#x2f;", "/")
            .replace("&#x27;", "'")
            .replace("&amp;", "&");
        Reply {
            status,
            headers,
            text,
        }
    }

    async fn page(&self, uri: &str, cookie: &str) -> Reply {
        self.send(Method::GET, uri, Some(cookie), None).await
    }

    async fn form(&self, uri: &str, cookie: &str, pairs: &[(&str, &str)]) -> Reply {
        let body = encode(pairs);
        self.send(
            Method::POST,
            uri,
            Some(cookie),
            Some(("application/x-www-form-urlencoded", body)),
        )
        .await
    }

    /// Log in through the API; the session cookie serves the pages too.
    async fn login(&self, username: &str) -> String {
        self.login_with(username, PASSWORD).await
    }

    async fn login_with(&self, username: &str, password: &str) -> String {
        let body = json!({"username": username, "password": password}).to_string();
        let r = self
            .send(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(("application/json", body)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let cookie = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    async fn user_id(&self, username: &str) -> Option<i64> {
        self.store
            .user_for_login(username)
            .await
            .unwrap()
            .map(|u| u.user.id)
    }

    async fn events(
        &self,
        action: &str,
        object_id: Option<&str>,
    ) -> Vec<grassroots_core::audit::ChainedEvent> {
        let filter = AuditFilter {
            action: Some(action.into()),
            object_id: object_id.map(Into::into),
            limit: 100,
            ..AuditFilter::default()
        };
        self.store.audit_events(&filter).await.unwrap()
    }
}

/// Pages the CSP allows and assistive technology can use: no inline script
/// or style, nothing off the site, every visible control labelled, every
/// column header scoped.
fn assert_accessible(html: &str) {
    assert!(!html.contains("style="), "inline style");
    assert!(!html.contains("<script>"), "inline script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external URL"
    );
    for tag in ["<input", "<select", "<textarea"] {
        for (at, _) in html.match_indices(tag) {
            let end = html[at..].find('>').unwrap();
            let el = &html[at..at + end];
            if el.contains("type=\"hidden\"") || el.contains("aria-label=") {
                continue;
            }
            let id_at = el
                .find(" id=\"")
                .unwrap_or_else(|| panic!("control without id: {el}"));
            let id = &el[id_at + 5..];
            let id = &id[..id.find('"').unwrap()];
            assert!(html.contains(&format!("for=\"{id}\"")), "no label for {id}");
        }
    }
    for (at, _) in html
        .match_indices("<th")
        .filter(|(at, _)| !html[*at..].starts_with("<thead"))
    {
        let el = &html[at..at + html[at..].find('>').unwrap()];
        assert!(el.contains("scope=\""), "th without scope: {el}");
    }
}

async fn pages_are_for_their_roles_only(url: String) {
    let env = setup(url).await;
    // Signed out: to the login page, coming back afterwards.
    let r = env.send(Method::GET, "/admin/users", None, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=/admin/users");
    let r = env.send(Method::GET, "/audit", None, None).await;
    assert_eq!(r.location(), "/login?next=/audit");

    for who in ["resident", "grid1", "street1"] {
        let cookie = env.login(who).await;
        for page in [
            "/audit",
            "/admin",
            "/admin/users",
            "/admin/open311",
            "/admin/users/1",
        ] {
            let r = env.page(page, &cookie).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {page}");
            assert!(
                r.text.contains("<html") && r.text.contains("出错了（403）"),
                "{who} {page}: {}",
                r.text
            );
        }
    }
    // The audit trail is the auditor's, as in the API; the admin pages the admin's.
    let admin = env.login("admin").await;
    assert_eq!(
        env.page("/audit", &admin).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(env.page("/admin", &admin).await.status, StatusCode::OK);
    let auditor = env.login("auditor").await;
    assert_eq!(
        env.page("/admin", &auditor).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        env.page("/admin/open311", &auditor).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(env.page("/audit", &auditor).await.status, StatusCode::OK);
}

async fn auditor_sees_the_trail_verified_filtered_and_paged(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let auditor = env.login("auditor").await;
    let r = env.page("/audit", &auditor).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(r.text.contains("data-testid=\"verify\""), "{}", r.text);
    assert!(r.text.contains("审计链校验通过"), "{}", r.text);
    let all = r.audit_rows();
    assert!(all > 5, "{all}");
    // Newest first: the auditor's own login is on top, in China time.
    let first = &r.text[r.text.find("<tr data-seq=").unwrap()..];
    let first = &first[..first.find("</tr>").unwrap()];
    assert!(
        first.contains("auth.login") && first.contains("auditor"),
        "{first}"
    );
    assert!(first.contains("2026-11-21 16:00:00"), "{first}");
    assert!(first.contains("审计员"), "{first}");
    // The read itself is on the record.
    assert_eq!(env.events("audit.read", None).await.len(), 1);

    // Filters narrow the rows and keep their values.
    let r = env.page("/audit?actor=admin", &auditor).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("name=\"actor\" value=\"admin\""),
        "{}",
        r.text
    );
    assert_eq!(r.audit_rows(), 1);
    assert!(r.text.contains("auth.login"));
    let r = env.page("/audit?action=user.create", &auditor).await;
    assert_eq!(r.audit_rows(), 5);
    assert!(!r.text.contains("auth.login"));
    let r = env
        .page("/audit?object_type=user&object_id=1", &auditor)
        .await;
    assert!(r.audit_rows() >= 2, "{}", r.text);
    // Dates are China days: the accounts were made on 2026-09-21, the logins on 2026-11-21.
    let r = env
        .page(
            "/audit?from=2026-11-21&to=2026-11-21&action=user.create",
            &auditor,
        )
        .await;
    assert_eq!(r.audit_rows(), 0);
    assert!(r.text.contains("value=\"2026-11-21\""));
    let r = env
        .page("/audit?to=2026-09-21&action=user.create", &auditor)
        .await;
    assert_eq!(r.audit_rows(), 5);
    let r = env
        .page("/audit?to=2026-09-20&action=user.create", &auditor)
        .await;
    assert_eq!(r.audit_rows(), 0);
    let r = env.page("/audit?from=yesterday", &auditor).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("id=\"from-error\"") && r.text.contains("aria-invalid=\"true\""),
        "{}",
        r.text
    );
    assert!(r.text.contains("value=\"yesterday\""));

    // A hundred rows a page, then an "older" link that keeps the filters.
    let ctx = Ctx::system(1_795_000_000_000_000);
    let mut tx = env.store.write().await.unwrap();
    for i in 0..130 {
        tx.audit(&ctx, "test.bulk", "thing", &i.to_string(), &[])
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let r = env.page("/audit?action=test.bulk", &auditor).await;
    assert_eq!(r.audit_rows(), 100);
    let at = r.text.find("rel=\"next\"").unwrap();
    let href_at = r.text[..at].rfind("href=\"").unwrap() + 6;
    let older = r.text[href_at..href_at + r.text[href_at..].find('"').unwrap()].to_owned();
    assert!(
        older.starts_with("/audit?action=test.bulk&before="),
        "{older}"
    );
    let r = env.page(&older, &auditor).await;
    assert_eq!(r.audit_rows(), 30);
    assert!(!r.text.contains("rel=\"next\""));
    assert!(
        r.text.contains("href=\"/audit?action=test.bulk\""),
        "back to the newest"
    );
    // The chain still verifies, and the admin may not read the trail.
    assert!(r.text.contains("审计链校验通过"));
    assert_eq!(
        env.page("/audit", &admin).await.status,
        StatusCode::FORBIDDEN
    );
}

/// Someone with database access drops the guard and edits a row: the page
/// says where the chain breaks and leads to that row.
async fn a_broken_chain_is_shown_at_its_first_bad_row(url: String) {
    let env = setup(url).await;
    let auditor = env.login("auditor").await;
    let drop: &[&str] = match env.store.backend() {
        grassroots_store::Backend::Sqlite => &["DROP TRIGGER audit_events_no_update"],
        grassroots_store::Backend::Postgres => &["ALTER TABLE audit_events DISABLE TRIGGER USER"],
    };
    for s in drop {
        sqlx::query(s).execute(env.store.pool()).await.unwrap();
    }
    sqlx::query("UPDATE audit_events SET actor = 'nobody' WHERE seq = 3")
        .execute(env.store.pool())
        .await
        .unwrap();
    let r = env.page("/audit", &auditor).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text.contains("审计链校验未通过：从第 3 条记录起与链不符"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("审计链校验通过"));
    assert!(r.text.contains("href=\"/audit?before=4\""), "{}", r.text);
    let r = env.page("/audit?before=4", &auditor).await;
    let first = &r.text[r.text.find("<tr data-seq=").unwrap()..];
    assert!(
        first.starts_with("<tr data-seq=\"3\"") && first.contains("nobody"),
        "{first}"
    );
}

async fn admin_index_shows_territory_taxonomy_and_calendar(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let r = env.page("/admin", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    for link in [
        "href=\"/admin/users\"",
        "href=\"/admin/open311\"",
        "href=\"/api/v1/territory/tree\"",
    ] {
        assert!(r.text.contains(link), "{link}");
    }
    let levels = &r.text[r.text.find("data-testid=\"territory-levels\"").unwrap()..];
    let levels = &levels[..levels.find("</table>").unwrap()];
    assert!(
        levels.contains("<th scope=\"row\">网格</th>\n        <td>2</td>"),
        "{levels}"
    );
    assert!(
        levels.contains("<th scope=\"row\">街道乡镇</th>\n        <td>3</td>"),
        "{levels}"
    );
    // The built-in taxonomy's classes and limits, and the built-in years.
    assert!(
        r.text.contains("7 个工作日") && r.text.contains("30 分钟"),
        "{}",
        r.text
    );
    assert!(r.text.contains("2025 年") && r.text.contains("2026 年"));
    let en = env
        .send(Method::GET, "/admin?lang=en", Some(&admin), None)
        .await;
    assert!(en.text.contains("7 working days"), "{}", en.text);
}

async fn admin_manages_accounts_through_forms(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let r = env.page("/admin/users", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    // Phones masked, as in the API.
    assert!(r.text.contains("139****5678"));
    assert!(!r.text.contains("13912345678"));
    // Filters: a role, a unit and what is below it.
    let r = env.page("/admin/users?role=grid_worker", &admin).await;
    assert!(
        r.text.contains(">grid1</a>") && !r.text.contains(">street1</a>"),
        "{}",
        r.text
    );
    let r = env.page("/admin/users?unit=S1", &admin).await;
    assert!(
        r.text.contains(">grid1</a>")
            && r.text.contains(">street1</a>")
            && !r.text.contains(">admin</a>")
    );
    let r = env.page("/admin/users?unit=ZZ", &admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"filter-unit-error\""), "{}", r.text);

    // A bad form comes back with the error beside the field and the values typed.
    let csrf = r.csrf();
    let bad = [
        ("csrf", csrf.as_str()),
        ("username", "x!"),
        ("display_name", "李娜"),
        ("role", "grid_worker"),
        ("unit", "G2"),
        ("password", "password-456"),
    ];
    let r = env.form("/admin/users", &admin, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("id=\"username-error\""), "{}", r.text);
    assert!(r.text.contains("aria-describedby=\"username-error\""));
    assert!(
        r.text.contains("value=\"x!\"")
            && r.text.contains("value=\"李娜\"")
            && r.text.contains("value=\"G2\"")
    );
    assert!(r.text.contains("<option value=\"grid_worker\" selected>"));
    assert!(
        !r.text.contains("password-456"),
        "the password is never sent back"
    );
    assert_eq!(env.user_id("x!").await, None);
    // A grid worker sits at a grid, not a street.
    let mut wrong_level = bad;
    wrong_level[1] = ("username", "grid9");
    wrong_level[4] = ("unit", "S1");
    let r = env.form("/admin/users", &admin, &wrong_level).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("id=\"unit-error\"") && r.text.contains("value=\"grid9\""),
        "{}",
        r.text
    );
    assert_eq!(env.user_id("grid9").await, None);

    let mut good = bad;
    good[1] = ("username", "grid9");
    let r = env.form("/admin/users", &admin, &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/admin/users?created=grid9");
    let id = env.user_id("grid9").await.unwrap();
    let created = env.events("user.create", Some(&id.to_string())).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].record.actor, "admin");
    assert!(created[0].record.request_id.is_some());
    // The initial password works.
    env.login_with("grid9", "password-456").await;
    let r = env.page("/admin/users?created=grid9", &admin).await;
    assert!(r.text.contains("已创建账号 grid9"));
    // The same username again: refused beside the field.
    let r = env.form("/admin/users", &admin, &good).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("id=\"username-error\"") && r.text.contains("该用户名已被使用"));

    // Change the role and scope: a reason is required.
    let page = env.page(&format!("/admin/users/{id}"), &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_accessible(&page.text);
    let csrf = page.csrf();
    let uri = format!("/admin/users/{id}/role");
    let r = env
        .form(
            &uri,
            &admin,
            &[
                ("csrf", &csrf),
                ("role", "community_staff"),
                ("unit", "K1"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"reason-error\""), "{}", r.text);
    assert!(
        r.text
            .contains("<option value=\"community_staff\" selected>")
    );
    let r = env
        .form(
            &uri,
            &admin,
            &[
                ("csrf", &csrf),
                ("role", "community_staff"),
                ("unit", "K1"),
                ("reason", "调岗"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), format!("/admin/users/{id}?done=role"));
    let u = env.store.user(id).await.unwrap();
    assert_eq!(
        (u.role, u.scope),
        (Role::CommunityStaff, Scope::Unit("K1".into()))
    );
    let set = env.events("user.set_role", Some(&id.to_string())).await;
    assert_eq!(set[0].record.reason.as_deref(), Some("调岗"));

    // Disable, then enable.
    let uri = format!("/admin/users/{id}/disable");
    let r = env
        .form(&uri, &admin, &[("csrf", &csrf), ("reason", " ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"disable-reason-error\""), "{}", r.text);
    // The other form still shows the account as it is.
    assert!(
        r.text
            .contains("<option value=\"community_staff\" selected>")
    );
    assert!(r.text.contains("id=\"unit\" name=\"unit\" value=\"K1\""));
    assert!(!env.store.user(id).await.unwrap().disabled);
    let r = env
        .form(&uri, &admin, &[("csrf", &csrf), ("reason", "离职")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(env.store.user(id).await.unwrap().disabled);
    let r = env
        .page(&format!("/admin/users/{id}?done=disable"), &admin)
        .await;
    assert!(
        r.text.contains("已停用")
            && r.text.contains("action=\"/admin/users/")
            && r.text.contains("/enable\"")
    );
    assert_eq!(
        env.events("user.disable", Some(&id.to_string()))
            .await
            .len(),
        1
    );
    let r = env
        .form(
            &format!("/admin/users/{id}/enable"),
            &admin,
            &[("csrf", &csrf), ("reason", "返岗")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!env.store.user(id).await.unwrap().disabled);
    // Nobody disables their own account.
    let me = env.user_id("admin").await.unwrap();
    let r = env
        .form(
            &format!("/admin/users/{me}/disable"),
            &admin,
            &[("csrf", &csrf), ("reason", "试试")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert!(!env.store.user(me).await.unwrap().disabled);

    // The auditor finds each change on the trail page.
    let auditor = env.login("auditor").await;
    let r = env
        .page(&format!("/audit?object_type=user&object_id={id}"), &auditor)
        .await;
    for action in [
        "user.create",
        "user.set_role",
        "user.disable",
        "user.enable",
    ] {
        assert!(
            r.text.contains(&format!("<code>{action}</code>")),
            "{action}: {}",
            r.text
        );
    }
    assert!(r.text.contains("离职"), "the reason is shown");
}

async fn admin_issues_and_revokes_open311_keys(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let r = env.page("/admin/open311", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(r.text.contains("还没有接入应用"));
    let csrf = r.csrf();
    let r = env
        .form(
            "/admin/open311",
            &admin,
            &[("csrf", &csrf), ("name", "   ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"name-error\""), "{}", r.text);
    assert!(env.store.open311_clients().await.unwrap().is_empty());

    let r = env
        .form(
            "/admin/open311",
            &admin,
            &[("csrf", &csrf), ("name", "市民App")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_accessible(&r.text);
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let marker = "id=\"issued-key\" class=\"code\" value=\"";
    let at = r.text.find(marker).unwrap() + marker.len();
    let key = r.text[at..at + r.text[at..].find('"').unwrap()].to_owned();
    assert!(key.len() >= 32, "{key}");
    let hash = grassroots_web::auth::secret_hash(&key);
    let client = env
        .store
        .open311_client_by_key(&hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.name, "市民App");
    // Shown once: the list never shows it again.
    let r = env.page("/admin/open311", &admin).await;
    assert!(!r.text.contains(&key));
    assert!(
        r.text.contains("市民App")
            && r.text
                .contains(&format!("action=\"/admin/open311/{}/revoke\"", client.id))
    );

    let uri = format!("/admin/open311/{}/revoke", client.id);
    let r = env.form(&uri, &admin, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        r.location(),
        format!("/admin/open311?revoked={}", client.id)
    );
    assert!(
        env.store
            .open311_client_by_key(&hash)
            .await
            .unwrap()
            .is_none()
    );
    let r = env.page(r.location(), &admin).await;
    assert!(r.text.contains("已于 2026-11-21 16:00 吊销"), "{}", r.text);
    assert!(!r.text.contains(&format!("action=\"{uri}\"")));
    // Twice is a conflict, explained on the page.
    let r = env.form(&uri, &admin, &[("csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("id=\"form-error\""), "{}", r.text);

    let object = client.id.to_string();
    assert_eq!(
        env.events("open311.key_issue", Some(&object)).await.len(),
        1
    );
    assert_eq!(
        env.events("open311.key_revoke", Some(&object)).await.len(),
        1
    );
    let auditor = env.login("auditor").await;
    let r = env
        .page("/audit?object_type=open311_client", &auditor)
        .await;
    assert_eq!(r.audit_rows(), 2);
    assert!(
        r.text.contains("<code>open311.key_issue</code>")
            && r.text.contains("<code>open311.key_revoke</code>")
    );
    assert!(!r.text.contains(&key));
}

async fn forms_without_the_csrf_token_change_nothing(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let auditor = env.login("auditor").await;
    // Another session's token is not this one's.
    let foreign = env.page("/audit", &auditor).await.csrf();
    let own = env.page("/admin/open311", &admin).await.csrf();
    assert_ne!(foreign, own);
    let user = [
        ("username", "sneaky"),
        ("display_name", "某人"),
        ("role", "admin"),
        ("unit", "C"),
        ("password", "password-789"),
    ];
    for token in [
        None,
        Some(""),
        Some("0123456789abcdef"),
        Some(foreign.as_str()),
    ] {
        let mut pairs = user.to_vec();
        if let Some(t) = token {
            pairs.push(("csrf", t));
        }
        let r = env.form("/admin/users", &admin, &pairs).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{token:?}: {}", r.text);
        assert!(r.text.contains("出错了（403）"));
        let r = env
            .form(
                "/admin/open311",
                &admin,
                &[("csrf", token.unwrap_or("")), ("name", "偷偷")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(env.user_id("sneaky").await, None);
    assert!(env.store.open311_clients().await.unwrap().is_empty());
    let grid1 = env.user_id("grid1").await.unwrap();
    let r = env
        .form(
            &format!("/admin/users/{grid1}/disable"),
            &admin,
            &[("csrf", &foreign), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!env.store.user(grid1).await.unwrap().disabled);
    let r = env
        .form(
            &format!("/admin/users/{grid1}/role"),
            &admin,
            &[("role", "community_staff"), ("unit", "K1"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(env.store.user(grid1).await.unwrap().role, Role::GridWorker);
    // A key issued properly is not revoked by a forged form.
    let r = env
        .form(
            "/admin/open311",
            &admin,
            &[("csrf", &own), ("name", "正规应用")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = env.store.open311_clients().await.unwrap()[0].id;
    let r = env
        .form(
            &format!("/admin/open311/{id}/revoke"),
            &admin,
            &[("csrf", &foreign)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        env.store.open311_clients().await.unwrap()[0]
            .revoked_at
            .is_none()
    );
    // Nothing refused reached the trail.
    for action in [
        "user.create",
        "user.disable",
        "user.set_role",
        "open311.key_revoke",
    ] {
        let n = env.events(action, None).await.len();
        let expected = if action == "user.create" { 5 } else { 0 };
        assert_eq!(n, expected, "{action}");
    }
    // And a non-admin with a valid token of their own is still refused.
    let grid = env.login("grid1").await;
    let token = env.page("/track", &grid).await.csrf();
    let r = env
        .form("/admin/open311", &grid, &[("csrf", &token), ("name", "x")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(env.store.open311_clients().await.unwrap().len(), 1);
}

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
    admin_browses_the_territory_on_a_map,
    admin_imports_units_from_a_file_all_or_nothing,
    admin_retires_a_unit_after_confirming,
    admin_edits_a_category_and_the_class_limits,
    admin_edits_the_holiday_calendar,
    rule_and_territory_forms_are_the_city_admins_only,
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

    /// A `multipart/form-data` POST: text fields, then one file.
    async fn upload(
        &self,
        uri: &str,
        cookie: &str,
        pairs: &[(&str, &str)],
        file: Option<(&str, &str)>,
    ) -> Reply {
        let boundary = "----grassroots-test-boundary";
        let mut body = String::new();
        for (k, v) in pairs {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        if let Some((name, content)) = file {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/geo+json\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let kind = format!("multipart/form-data; boundary={boundary}");
        self.send(Method::POST, uri, Some(cookie), Some((&kind, body)))
            .await
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
            "/admin/territory",
            "/admin/territory?unit=S1",
            "/admin/territory/import",
            "/admin/territory/G1/retire",
            "/admin/taxonomy",
            "/admin/taxonomy/heating.no_heat",
            "/admin/calendar",
            "/admin/calendar/2026",
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

/// The `class` attribute of the calendar cell of `date` on a year's page.
fn day_class<'a>(html: &'a str, date: &str) -> &'a str {
    let marker = format!("data-date=\"{date}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no cell for {date}"));
    let cell = &html[html[..at].rfind("<td").unwrap()..at];
    let class = &cell[cell.find("class=\"").unwrap() + 7..];
    &class[..class.find('"').unwrap()]
}

/// A GeoJSON feature: a square of `side` degrees at (`x`, `y`).
fn feature(code: &str, level: &str, parent: &str, x: f64, y: f64, side: f64) -> serde_json::Value {
    let (x1, y1) = (x + side, y + side);
    json!({
        "type": "Feature",
        "properties": {"code": code, "name": format!("{code}新区"), "name_en": format!("New {code}"),
                       "level": level, "parent_code": parent, "households": 120},
        "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x1, y], [x1, y1], [x, y1], [x, y]]]},
    })
}

fn collection(features: &[serde_json::Value]) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

async fn admin_browses_the_territory_on_a_map(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    // The root (one city): its districts on the map, each a link one level down.
    let r = env.page("/admin/territory", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(r.text.contains("<svg id=\"territory-map\""), "{}", r.text);
    assert_eq!(r.text.matches("<path d=\"M").count(), 2, "D1 and D2");
    for d in ["D1", "D2"] {
        assert!(
            r.text
                .contains(&format!("<a href=\"/admin/territory?unit={d}\">")),
            "{d}"
        );
    }
    assert!(r.text.contains("data-zoom=\"in\""), "pan and zoom tools");
    assert!(r.text.contains("data-testid=\"unit-details\""));
    // City → district → street → community → grid.
    for (unit, children) in [
        ("D1", &["S1", "S2"][..]),
        ("S1", &["K1"][..]),
        ("K1", &["G1", "G2"][..]),
    ] {
        let r = env
            .page(&format!("/admin/territory?unit={unit}"), &admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{unit}: {}", r.text);
        assert_accessible(&r.text);
        assert_eq!(
            r.text.matches("<path d=\"M").count(),
            children.len(),
            "{unit}"
        );
        for c in children {
            assert!(
                r.text.contains(&format!("<tr data-unit=\"{c}\">")),
                "{unit} lists {c}"
            );
        }
    }
    // A grid: itself on the map (no link further down), its details and path.
    let r = env.page("/admin/territory?unit=G1", &admin).await;
    assert_eq!(r.text.matches("<path d=\"M").count(), 1);
    assert!(!r.text.contains("<a href=\"/admin/territory?unit=G1\">"));
    let crumbs = &r.text[r.text.find("class=\"crumbs\"").unwrap()..];
    let crumbs = &crumbs[..crumbs.find("</p>").unwrap()];
    for a in ["C", "D1", "S1", "K1"] {
        assert!(crumbs.contains(&format!("?unit={a}\"")), "{a} in {crumbs}");
    }
    assert!(r.text.contains("G1区域") && r.text.contains("Area G1"));
    assert!(r.text.contains("href=\"/admin/territory/G1/retire\""));
    // In English.
    let r = env
        .send(
            Method::GET,
            "/admin/territory?unit=K1&lang=en",
            Some(&admin),
            None,
        )
        .await;
    assert!(r.text.contains("Area K1") && r.text.contains("Units below"));
    // An unknown unit is not found.
    let r = env.page("/admin/territory?unit=ZZ", &admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn admin_imports_units_from_a_file_all_or_nothing(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let r = env.page("/admin/territory/import", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(r.text.contains("enctype=\"multipart/form-data\""));
    let csrf = r.csrf();
    let units_before = env.store.units().await.unwrap().len();
    let created_before = env.events("unit.create", None).await.len();

    // The second feature's parent does not exist: nothing of the file is
    // imported, the page names the feature, its code and what is wrong.
    let bad = collection(&[
        feature("K2", "community", "S2", 125.06, 46.51, 0.02),
        feature("G9", "grid", "ZZ", 125.061, 46.511, 0.005),
    ]);
    let r = env
        .upload(
            "/admin/territory/import",
            &admin,
            &[("csrf", &csrf)],
            Some(("bad.geojson", &bad)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_accessible(&r.text);
    let box_ = &r.text[r.text.find("data-testid=\"import-rejected\"").unwrap()..];
    let box_ = &box_[..box_.find("</div>").unwrap()];
    assert!(box_.contains("未导入任何单位"), "{box_}");
    assert!(
        box_.contains("第 2 个要素（features[1]）") && box_.contains("编码 G9"),
        "{box_}"
    );
    assert!(box_.contains("上级单位不存在"), "{box_}");
    assert!(box_.contains("unknown parent unit ZZ"), "{box_}");
    assert_eq!(env.store.units().await.unwrap().len(), units_before);
    assert_eq!(env.events("unit.create", None).await.len(), created_before);
    // Swapped coordinates are named as such.
    let swapped = collection(&[json!({
        "type": "Feature",
        "properties": {"code": "K3", "name": "甲", "level": "community", "parent_code": "S2"},
        "geometry": {"type": "Polygon", "coordinates": [[[46.5, 125.06], [46.5, 125.07], [46.51, 125.07], [46.5, 125.06]]]},
    })]);
    let r = env
        .upload(
            "/admin/territory/import",
            &admin,
            &[("csrf", &csrf), ("set_level", "community")],
            Some(("swapped.geojson", &swapped)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("第 1 个要素（features[0]）") && r.text.contains("经纬度颠倒"),
        "{}",
        r.text
    );
    // What was typed stays (the fixed level).
    assert!(r.text.contains("<option value=\"community\" selected>"));
    // No file at all.
    let r = env
        .upload("/admin/territory/import", &admin, &[("csrf", &csrf)], None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"file-error\""), "{}", r.text);
    // Not JSON.
    let r = env
        .upload(
            "/admin/territory/import",
            &admin,
            &[("csrf", &csrf)],
            Some(("x.geojson", "not json")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("不是 GeoJSON 要素集合"), "{}", r.text);
    assert_eq!(env.store.units().await.unwrap().len(), units_before);

    // A valid file, checked only: nothing changes.
    let good = collection(&[
        feature("K2", "community", "S2", 125.06, 46.51, 0.02),
        feature("G3", "grid", "K2", 125.061, 46.511, 0.005),
    ]);
    let r = env
        .upload(
            "/admin/territory/import",
            &admin,
            &[("csrf", &csrf), ("dry_run", "true")],
            Some(("good.geojson", &good)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("校验通过：可以导入 2 个单位"), "{}", r.text);
    assert_eq!(env.store.units().await.unwrap().len(), units_before);
    // Without a token: refused before anything.
    let r = env
        .upload(
            "/admin/territory/import",
            &admin,
            &[("csrf", "0123456789")],
            Some(("good.geojson", &good)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(env.store.units().await.unwrap().len(), units_before);

    // Imported: on the map of the first unit's parent, audited as the admin.
    let r = env
        .upload(
            "/admin/territory/import",
            &admin,
            &[("csrf", &csrf)],
            Some(("good.geojson", &good)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/admin/territory?unit=S2&imported=2");
    let codes: Vec<String> = env
        .store
        .units()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.unit.code)
        .collect();
    assert!(codes.contains(&"K2".into()) && codes.contains(&"G3".into()));
    let created = env.events("unit.create", Some("G3")).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].record.actor, "admin");
    let r = env.page(r.location(), &admin).await;
    assert!(r.text.contains("已导入 2 个单位"), "{}", r.text);
    assert!(r.text.contains("<tr data-unit=\"K2\">"));
    // In force at once: the new community has its grid on its map.
    let r = env.page("/admin/territory?unit=K2", &admin).await;
    assert!(r.text.contains("<tr data-unit=\"G3\">") && r.text.contains("120"));
    // The same file again: every code is taken now, nothing is added.
    let r = env
        .upload(
            "/admin/territory/import",
            &admin,
            &[("csrf", &csrf)],
            Some(("good.geojson", &good)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("编码重复"), "{}", r.text);
    assert_eq!(env.store.units().await.unwrap().len(), units_before + 2);
}

async fn admin_retires_a_unit_after_confirming(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let retired = |env: &Env| {
        let store = env.store.clone();
        async move {
            store
                .units()
                .await
                .unwrap()
                .into_iter()
                .find(|u| u.unit.code == "G2")
                .unwrap()
                .unit
                .retired
        }
    };
    // The confirmation page changes nothing.
    let r = env.page("/admin/territory/G2/retire", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(r.text.contains("action=\"/admin/territory/G2/retire\""));
    assert!(r.text.contains("不会被删除"));
    assert!(!retired(&env).await);
    let csrf = r.csrf();
    // A parent with live children is warned about them.
    let r = env.page("/admin/territory/K1/retire", &admin).await;
    assert!(r.text.contains("2 个在用的下级单位"), "{}", r.text);

    let uri = "/admin/territory/G2/retire";
    let r = env
        .form(uri, &admin, &[("csrf", &csrf), ("reason", "  ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(
        r.text.contains("id=\"reason-error\"")
            && r.text.contains("aria-describedby=\"reason-error\""),
        "{}",
        r.text
    );
    let r = env.form(uri, &admin, &[("reason", "合并网格")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!retired(&env).await);
    assert!(env.events("unit.retire", None).await.is_empty());

    let r = env
        .form(uri, &admin, &[("csrf", &csrf), ("reason", "并入 G1 网格")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/admin/territory?unit=G2&retired=1");
    assert!(retired(&env).await);
    let events = env.events("unit.retire", Some("G2")).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].record.reason.as_deref(), Some("并入 G1 网格"));
    assert_eq!(events[0].record.actor, "admin");
    let r = env.page(r.location(), &admin).await;
    assert!(r.text.contains("data-testid=\"retired\""), "{}", r.text);
    assert!(!r.text.contains("href=\"/admin/territory/G2/retire\""));
    // Off the community's map, still in its list as retired.
    let r = env.page("/admin/territory?unit=K1", &admin).await;
    assert_eq!(r.text.matches("<path d=\"M").count(), 1);
    let row = &r.text[r.text.find("<tr data-unit=\"G2\">").unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains("已撤销"));
    // Twice: a conflict explained on the page, nothing more on the trail.
    let r = env
        .form(uri, &admin, &[("csrf", &csrf), ("reason", "再来一次")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("该单位已经撤销"), "{}", r.text);
    assert_eq!(env.events("unit.retire", None).await.len(), 1);
}

/// The taxonomy in force, as the API gives it.
async fn taxonomy_json(env: &Env, cookie: &str) -> serde_json::Value {
    let r = env
        .send(Method::GET, "/api/v1/admin/taxonomy", Some(cookie), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    serde_json::from_str(&r.text).unwrap()
}

fn category_of<'a>(t: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    t["taxonomy"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap()
}

async fn admin_edits_a_category_and_the_class_limits(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    let r = env.page("/admin/taxonomy", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(
        r.text
            .contains("href=\"/admin/taxonomy/education_health.school\"")
    );
    assert!(
        r.text
            .contains("id=\"general-reply\" name=\"general-reply\" value=\"7\"")
    );
    let uri = "/admin/taxonomy/education_health.school";
    let r = env.page(uri, &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(r.text.contains("<option value=\"general\" selected>"));
    assert!(r.text.contains("<option value=\"department\" selected>"));
    assert!(r.text.contains("<option value=\"education\" selected>"));
    let csrf = r.csrf();
    let before = taxonomy_json(&env, &admin).await;
    assert_eq!(before["source"], "builtin");

    let form = |limit: &'static str, name: &'static str, assist: &'static str| {
        vec![
            ("name", name),
            ("name_en", "Schools"),
            ("group", "education_health"),
            ("lead", "education"),
            ("assist", assist),
            ("default_level", "district"),
            ("limit", limit),
            ("needs_location", "true"),
            ("keywords", "学校、入学，课后服务"),
            ("reason", "教育诉求改由区县办理"),
        ]
    };
    // Refused forms: the message beside the field, everything typed kept, nothing saved.
    for (pairs, field, kept) in [
        (form("complex", " ", "health"), "name", "课后服务"),
        (
            form("complex", "教育", "education"),
            "assist",
            "value=\"教育\"",
        ),
        (form("slow", "教育", "health"), "limit", "value=\"Schools\""),
    ] {
        let mut pairs = pairs;
        pairs.push(("csrf", &csrf));
        let r = env.form(uri, &admin, &pairs).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text
        );
        assert!(
            r.text.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            r.text
        );
        assert!(r.text.contains(kept), "{field} keeps {kept}");
        assert!(
            r.text.contains("<option value=\"district\" selected>"),
            "{field}"
        );
        assert!(r.text.contains("学校、入学，课后服务"));
        assert!(r.text.contains("教育诉求改由区县办理"));
    }
    assert!(env.events("taxonomy.update", None).await.is_empty());
    assert_eq!(taxonomy_json(&env, &admin).await, before);
    // Without the token: refused, nothing saved.
    let r = env
        .form(uri, &admin, &form("complex", "教育", "health"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(env.events("taxonomy.update", None).await.is_empty());

    // Saved: in force at once, on the trail with its reason.
    let mut pairs = form("complex", "教育", "health");
    pairs.push(("csrf", &csrf));
    let r = env.form(uri, &admin, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), format!("{uri}?saved=1"));
    let after = taxonomy_json(&env, &admin).await;
    assert_eq!(after["source"], "custom");
    let c = category_of(&after, "education_health.school");
    assert_eq!(c["limit"], "complex");
    assert_eq!(c["default_level"], "district");
    assert_eq!(c["departments"], json!(["education", "health"]));
    assert_eq!(c["needs_location"], true);
    assert_eq!(c["keywords"], json!(["学校", "入学", "课后服务"]));
    // Nothing else moved.
    let other = |t: &serde_json::Value| category_of(t, "heating.no_heat").clone();
    assert_eq!(other(&after), other(&before));
    assert_eq!(after["taxonomy"]["limits"], before["taxonomy"]["limits"]);
    let events = env
        .events("taxonomy.update", Some("appeals.taxonomy"))
        .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].record.actor, "admin");
    assert_eq!(
        events[0].record.reason.as_deref(),
        Some("教育诉求改由区县办理")
    );
    let r = env.page(&format!("{uri}?saved=1"), &admin).await;
    assert!(r.text.contains("data-testid=\"saved\""));
    assert!(r.text.contains("<option value=\"complex\" selected>"));
    // The resident's category list follows.
    let r = env
        .send(Method::GET, "/api/v1/categories", None, None)
        .await;
    assert!(r.text.contains("education_health.school"));

    // The class limits: a zero refused beside its field, then a change saved.
    let limits = |general_sign: &'static str, complex_reply: &'static str| {
        vec![
            ("emergency-sign", "30"),
            ("emergency-reply", "2"),
            ("emergency-unit", "hours"),
            ("utility-sign", "60"),
            ("utility-reply", "24"),
            ("utility-unit", "hours"),
            ("general-sign", general_sign),
            ("general-reply", "7"),
            ("general-unit", "working_days"),
            ("complex-sign", "240"),
            ("complex-reply", complex_reply),
            ("complex-unit", "working_days"),
        ]
    };
    for (pairs, field) in [
        (limits("0", "20"), "general-sign"),
        (limits("1x", "20"), "general-sign"),
        (limits("120", "-3"), "complex-reply"),
    ] {
        let mut pairs = pairs;
        pairs.push(("csrf", &csrf));
        let r = env.form("/admin/taxonomy", &admin, &pairs).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.text
        );
        assert_accessible(&r.text);
        assert!(
            r.text.contains(&format!("id=\"{field}-error\""))
                && r.text
                    .contains(&format!("aria-describedby=\"{field}-error\"")),
            "{field}: {}",
            r.text
        );
        // Typed values stay.
        assert!(r.text.contains("value=\"20\"") || r.text.contains("value=\"-3\""));
    }
    // Signing due after replying (3 hours to sign, 2 to reply).
    let mut pairs = limits("120", "20");
    pairs[0] = ("emergency-sign", "180");
    pairs.push(("csrf", &csrf));
    let r = env.form("/admin/taxonomy", &admin, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"emergency-sign-error\""), "{}", r.text);
    assert!(r.text.contains("签收时限不能长于答复时限"));
    assert_eq!(env.events("taxonomy.update", None).await.len(), 1);

    let mut pairs = limits("120", "20");
    pairs.push(("csrf", &csrf));
    let r = env.form("/admin/taxonomy", &admin, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/admin/taxonomy?saved=limits");
    let t = taxonomy_json(&env, &admin).await;
    assert_eq!(
        t["taxonomy"]["limits"]["complex"],
        json!({"sign_minutes": 240, "reply": {"working_days": 20}})
    );
    // The category edit is kept: the limits apply to the latest taxonomy.
    assert_eq!(
        category_of(&t, "education_health.school")["limit"],
        "complex"
    );
    assert_eq!(env.events("taxonomy.update", None).await.len(), 2);
    let r = env.page("/admin/taxonomy?saved=limits", &admin).await;
    assert!(r.text.contains("20 个工作日"), "{}", r.text);
}

async fn admin_edits_the_holiday_calendar(url: String) {
    let env = setup(url).await;
    let admin = env.login("admin").await;
    // The clock reads 2026-11-21: 2026 is loaded, 2027 not yet.
    let r = env.page("/admin/calendar", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert!(r.text.contains("href=\"/admin/calendar/2026\""));
    assert!(
        r.text.contains("添加 2027 年的安排") && r.text.contains("href=\"/admin/calendar/2027\"")
    );
    let r = env.page("/admin/calendar?year=2027", &admin).await;
    assert_eq!(r.location(), "/admin/calendar/2027");
    let r = env.page("/admin/calendar?year=twenty", &admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"year-error\"") && r.text.contains("value=\"twenty\""));

    // A year on the page: holidays and adjusted working days marked by day.
    let r = env.page("/admin/calendar/2026", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_accessible(&r.text);
    assert_eq!(day_class(&r.text, "2026-10-01"), "day-holiday");
    assert_eq!(day_class(&r.text, "2026-10-10"), "day-adjusted");
    assert_eq!(day_class(&r.text, "2026-10-11"), "day-weekend");
    assert_eq!(day_class(&r.text, "2026-10-12"), "day-workday");
    assert!(
        r.text.contains("name=\"h6-name\" value=\"国庆节\""),
        "{}",
        r.text
    );
    assert!(r.text.contains("name=\"holiday_rows\" value=\"10\""));
    let csrf = r.csrf();
    assert_eq!(
        env.page("/admin/calendar/1800", &admin).await.status,
        StatusCode::NOT_FOUND
    );

    // A new year, row by row: an adjusted working day on a Monday is refused
    // beside its row, everything typed kept, nothing saved.
    let uri = "/admin/calendar/2027";
    let rows = |workday: &'static str| {
        vec![
            ("mode", "rows"),
            ("source", "国办发明电〔2026〕测试号"),
            ("holiday_rows", "3"),
            ("h0-name", "元旦"),
            ("h0-name_en", "New Year's Day"),
            ("h0-from", "2027-01-01"),
            ("h0-to", "2027-01-03"),
            ("h1-name", "春节"),
            ("h1-from", "2027-02-06"),
            ("h1-to", "2027-02-12"),
            ("h2-name", ""),
            ("h2-from", ""),
            ("h2-to", ""),
            ("workday_rows", "2"),
            ("w0-date", workday),
            ("w0-name", "春节调休"),
            ("w1-date", ""),
            ("w1-name", ""),
            ("rows-reason", "国务院办公厅通知"),
        ]
    };
    let mut pairs = rows("2027-02-15");
    pairs.push(("csrf", &csrf));
    let r = env.form(uri, &admin, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_accessible(&r.text);
    assert!(
        r.text.contains("id=\"w0-date-error\"")
            && r.text.contains("aria-describedby=\"w0-date-error\""),
        "{}",
        r.text
    );
    assert!(r.text.contains("2027-02-15 是星期一"), "{}", r.text);
    for kept in [
        "value=\"国办发明电〔2026〕测试号\"",
        "value=\"2027-02-06\"",
        "value=\"2027-02-15\"",
        "value=\"国务院办公厅通知\"",
    ] {
        assert!(r.text.contains(kept), "{kept}");
    }
    // A reversed span lands on its row's last day.
    let mut pairs = rows("2027-02-20");
    pairs[9] = ("h1-to", "2027-02-01");
    pairs.push(("csrf", &csrf));
    let r = env.form(uri, &admin, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"h1-to-error\""), "{}", r.text);
    assert!(env.events("calendar.update", None).await.is_empty());
    let cal = env.send(Method::GET, "/api/v1/calendar", None, None).await;
    assert!(!cal.text.contains("\"year\":2027"));

    // Without the token: refused.
    let r = env.form(uri, &admin, &rows("2027-02-20")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(env.events("calendar.update", None).await.is_empty());

    // 2027-02-20 is a Saturday: saved, in force, audited with the reason.
    let mut pairs = rows("2027-02-20");
    pairs.push(("csrf", &csrf));
    let r = env.form(uri, &admin, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/admin/calendar/2027?saved=1");
    let events = env
        .events("calendar.update", Some("appeals.calendar.2027"))
        .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].record.reason.as_deref(), Some("国务院办公厅通知"));
    let cal: serde_json::Value = serde_json::from_str(
        &env.send(Method::GET, "/api/v1/calendar", None, None)
            .await
            .text,
    )
    .unwrap();
    let y2027 = cal["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == 2027)
        .unwrap();
    assert_eq!(y2027["holidays"].as_array().unwrap().len(), 2);
    assert_eq!(y2027["workdays"][0]["date"], "2027-02-20");
    let r = env.page("/admin/calendar/2027?saved=1", &admin).await;
    assert!(r.text.contains("data-testid=\"saved\""));
    assert_eq!(day_class(&r.text, "2027-02-08"), "day-holiday");
    assert_eq!(day_class(&r.text, "2027-02-20"), "day-adjusted");

    // Remove a holiday: tick its row.
    let mut pairs = rows("2027-02-20");
    pairs.push(("h0-remove", "1"));
    pairs.push(("csrf", &csrf));
    let r = env.form(uri, &admin, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = env.page("/admin/calendar/2027", &admin).await;
    assert_eq!(day_class(&r.text, "2027-01-01"), "day-workday");
    assert!(!r.text.contains("value=\"元旦\""));

    // Paste the year's JSON: another year's file, then a broken one, are
    // refused beside the text (kept); a good one replaces the year.
    let file = |year: i32| {
        json!({"year": year, "source": "通知", "holidays": [
            {"name": "元旦", "name_en": "New Year's Day", "from": format!("{year}-01-01"), "to": format!("{year}-01-01")}
        ]})
        .to_string()
    };
    let other = file(2028);
    let r = env
        .form(
            uri,
            &admin,
            &[("csrf", &csrf), ("mode", "json"), ("json", &other)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"json-error\""), "{}", r.text);
    assert!(r.text.contains("这是 2028 年的安排"));
    assert!(r.text.contains("2028-01-01"), "the text is kept");
    let r = env
        .form(
            uri,
            &admin,
            &[
                ("csrf", &csrf),
                ("mode", "json"),
                ("json", "{\"year\": 2027,"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("不是有效的节假日安排 JSON"), "{}", r.text);
    assert_eq!(env.events("calendar.update", None).await.len(), 2);
    let good = file(2027);
    let r = env
        .form(
            uri,
            &admin,
            &[
                ("csrf", &csrf),
                ("mode", "json"),
                ("json", &good),
                ("json-reason", "整年替换"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = env.page("/admin/calendar/2027", &admin).await;
    assert_eq!(day_class(&r.text, "2027-01-01"), "day-holiday");
    assert_eq!(day_class(&r.text, "2027-02-20"), "day-weekend");
    let events = env.events("calendar.update", None).await;
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .any(|e| e.record.reason.as_deref() == Some("整年替换"))
    );
    // The built-in years are untouched.
    let r = env.page("/admin/calendar/2026", &admin).await;
    assert_eq!(day_class(&r.text, "2026-10-01"), "day-holiday");
}

/// Staff below the city, and an admin of one district, may neither see nor
/// post these forms, even with a valid token of their own.
async fn rule_and_territory_forms_are_the_city_admins_only(url: String) {
    let env = setup(url).await;
    // An admin whose scope is one district is not a city-wide admin.
    let ctx = Ctx::system(1_790_000_000_000_000);
    let hash = grassroots_web::auth::hash_password(PASSWORD.into())
        .await
        .unwrap();
    let mut tx = env.store.write().await.unwrap();
    let user = NewUser {
        username: "admin_d1".into(),
        display_name: "区管理员".into(),
        role: Role::Admin,
        scope: Scope::Unit("D1".into()),
        phone: None,
    };
    tx.create_user(&ctx, &user, Some(&hash)).await.unwrap();
    tx.commit().await.unwrap();
    let geo = collection(&[feature("K2", "community", "S2", 125.06, 46.51, 0.02)]);
    for who in ["street1", "admin_d1"] {
        let cookie = env.login(who).await;
        let token = env.page("/track", &cookie).await.csrf();
        for page in [
            "/admin/territory",
            "/admin/territory/import",
            "/admin/territory/G1/retire",
            "/admin/taxonomy",
            "/admin/taxonomy/heating.no_heat",
            "/admin/calendar",
            "/admin/calendar/2027",
        ] {
            let r = env.page(page, &cookie).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {page}");
        }
        let r = env
            .form(
                "/admin/territory/G1/retire",
                &cookie,
                &[("csrf", &token), ("reason", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} retire");
        let r = env
            .upload(
                "/admin/territory/import",
                &cookie,
                &[("csrf", &token)],
                Some(("k2.geojson", &geo)),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} import");
        let r = env
            .form(
                "/admin/taxonomy/heating.no_heat",
                &cookie,
                &[
                    ("csrf", &token),
                    ("name", "暖气"),
                    ("name_en", "Heat"),
                    ("group", "heating"),
                    ("lead", "heating"),
                    ("default_level", "grid"),
                    ("limit", "emergency"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} category");
        let r = env
            .form(
                "/admin/calendar/2027",
                &cookie,
                &[
                    ("csrf", &token),
                    ("mode", "json"),
                    ("json", r#"{"year": 2027, "source": "x", "holidays": []}"#),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} calendar");
    }
    // Nothing refused reached the store or the trail.
    for action in ["unit.retire", "taxonomy.update", "calendar.update"] {
        assert!(env.events(action, None).await.is_empty(), "{action}");
    }
    assert!(env.events("unit.create", Some("K2")).await.is_empty());
    assert!(
        !env.store
            .units()
            .await
            .unwrap()
            .iter()
            .any(|u| u.unit.code == "K2" || u.unit.retired)
    );
    assert!(
        env.store
            .setting("appeals.taxonomy")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        env.store
            .setting("appeals.calendar.2027")
            .await
            .unwrap()
            .is_none()
    );
}

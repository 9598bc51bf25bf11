//! Rendering: the template environment (templates and assets compiled in),
//! the per-request page context (`Ui`), and errors as HTML pages.

use std::sync::LazyLock;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::{Actor, Role};
use grassroots_core::authz::Denied;
use grassroots_store::StoreError;
use minijinja::value::Kwargs;
use minijinja::{Environment, State as TemplateState};
use serde_json::{Value, json};

use super::csrf;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::i18n::{Lang, catalogue};
use crate::state::AppState;

/// Every template, compiled into the binary.
pub(super) const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../../templates/layout.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("submit.html", include_str!("../../templates/submit.html")),
    (
        "submitted.html",
        include_str!("../../templates/submitted.html"),
    ),
    ("track.html", include_str!("../../templates/track.html")),
    ("my.html", include_str!("../../templates/my.html")),
    ("inbox.html", include_str!("../../templates/inbox.html")),
    ("appeal.html", include_str!("../../templates/appeal.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    (
        "disputes.html",
        include_str!("../../templates/disputes.html"),
    ),
    ("dispute.html", include_str!("../../templates/dispute.html")),
    ("grid.html", include_str!("../../templates/grid.html")),
    ("portal.html", include_str!("../../templates/portal.html")),
    (
        "portal_stats.html",
        include_str!("../../templates/portal_stats.html"),
    ),
    (
        "dispute_new.html",
        include_str!("../../templates/dispute_new.html"),
    ),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let modules = [
        super::admin::TEMPLATES,
        super::audit::TEMPLATES,
        super::api_docs::TEMPLATES,
        super::questions::TEMPLATES,
    ];
    for (name, source) in TEMPLATES.iter().chain(modules.into_iter().flatten()) {
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(%name, error = %e, "template does not compile");
        }
    }
    env.add_function("t", translate);
    env.add_filter("when", when);
    env.add_filter("at", at);
    env
});

/// `t("key", n=3)`: the catalogue entry in the page's language.
fn translate(state: &TemplateState, key: &str, kwargs: Kwargs) -> Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_default();
    let mut args: Vec<(String, String)> = Vec::new();
    for k in kwargs.args() {
        let v: minijinja::Value = kwargs.get(k)?;
        args.push((k.to_owned(), v.to_string()));
    }
    let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(catalogue().message(lang, key, &borrowed))
}

/// `2026-11-22T09:30:00+08:00` → `2026-11-22 09:30` (the views' times are China time).
fn when(value: &str) -> String {
    value.get(..16).unwrap_or(value).replacen('T', " ", 1)
}

/// µs since the epoch → `2026-11-22 09:30` in China time.
fn at(micros: Option<i64>) -> String {
    micros
        .and_then(|m| jiff::Timestamp::from_microsecond(m).ok())
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8)))
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "—".into())
}

/// The page context every request carries: who, which language, the CSRF
/// token, and a fresh anonymous CSRF cookie when the browser has none.
#[derive(Clone, Debug)]
pub struct Ui {
    pub caller: Caller,
    pub csrf: String,
    pub path: String,
    /// The client's address (the TCP peer), for per-client allowances.
    pub peer: Option<String>,
    new_cookie: Option<String>,
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ui, UiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let (csrf, new_cookie) = csrf::token(parts, &caller);
        let path = page_path(parts);
        Ok(Ui {
            caller,
            csrf,
            path,
            peer: crate::api::auth::client_addr(&parts.extensions),
            new_cookie,
        })
    }
}

/// The page a request shows, to come back to (after a language switch, a
/// login). A POST's answer is shown at the action's address, which a GET
/// cannot repeat: its page is the address without the action.
fn page_path(parts: &Parts) -> String {
    const ACTIONS: [&str; 15] = [
        "reveal",
        "follow",
        "unfollow",
        "answer",
        "transfer",
        "step",
        "rate",
        "withdraw",
        "sign",
        "revoke",
        "role",
        "disable",
        "enable",
        "unpublish",
        "note",
    ];
    let path = parts.uri.path();
    if parts.method != axum::http::Method::GET
        && let Some((page, last)) = path.rsplit_once('/')
        && ACTIONS.contains(&last)
        && !page.is_empty()
    {
        return page.to_owned();
    }
    parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into())
}

impl Ui {
    pub fn lang(&self) -> Lang {
        self.caller.lang
    }

    pub fn actor(&self) -> Option<&Actor> {
        self.caller.actor.as_ref()
    }

    /// The signed-in actor, or a redirect to the login page.
    pub fn require(&self) -> Result<&Actor, UiError> {
        self.actor()
            .ok_or_else(|| UiError::Login(self.path.clone()))
    }

    /// Refuse a form whose token is not this browser's.
    pub fn check(&self, token: &str) -> Result<(), UiError> {
        if csrf::matches(&self.csrf, token) {
            Ok(())
        } else {
            Err(UiError::Api(ApiError::with_detail(
                ErrorCode::Forbidden,
                "the form has expired; reload the page and try again",
            )))
        }
    }

    pub fn t(&self, key: &str) -> String {
        catalogue().message(self.lang(), key, &[])
    }

    /// The context shared by every page, merged under the page's own.
    fn base(&self) -> Value {
        let user = self.actor().map(|a| {
            json!({
                "username": a.username,
                "role": a.role.as_str(),
                "scope": a.scope.unit().or(a.scope.department()),
            })
        });
        json!({
            "lang": self.lang().tag(),
            "other_lang": match self.lang() { Lang::ZhCn => "en", Lang::En => "zh-CN" },
            "csrf": self.csrf,
            "path": self.path,
            "user": user,
            "nav": nav(self.actor(), &self.path),
        })
    }

    /// Render `template` with `ctx` (an object) over the base context.
    pub fn render(&self, template: &str, ctx: Value) -> UiResult {
        self.render_status(StatusCode::OK, template, ctx)
    }

    pub fn render_status(&self, status: StatusCode, template: &str, ctx: Value) -> UiResult {
        let mut all = self.base();
        if let (Some(base), Value::Object(page)) = (all.as_object_mut(), ctx) {
            base.extend(page);
        }
        let html = ENV
            .get_template(template)
            .and_then(|t| t.render(&all))
            .map_err(|e| ApiError::internal(format!("template {template}: {e:#}")))?;
        let mut response = (status, Html(html)).into_response();
        self.attach_cookie(&mut response);
        Ok(response)
    }

    /// Back to a page after a POST (303, so a reload does not resubmit).
    pub fn redirect(&self, to: &str) -> UiResult {
        let mut response = Redirect::to(to).into_response();
        self.attach_cookie(&mut response);
        Ok(response)
    }

    fn attach_cookie(&self, response: &mut Response) {
        if let Some(c) = &self.new_cookie
            && let Ok(v) = HeaderValue::from_str(c)
        {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// The menu: what this role does every day.
fn nav(actor: Option<&Actor>, path: &str) -> Value {
    let items: &[(&str, &str)] = match actor.map(|a| a.role) {
        None => &[
            ("/submit", "nav-submit"),
            ("/track", "nav-track"),
            ("/questions", "nav-questions"),
            ("/portal", "nav-portal"),
        ],
        Some(Role::Resident) => &[
            ("/submit", "nav-submit"),
            ("/track", "nav-track"),
            ("/my", "nav-my"),
            ("/questions", "nav-questions"),
            ("/disputes", "nav-disputes"),
            ("/portal", "nav-portal"),
        ],
        Some(Role::Mediator) => &[
            ("/disputes", "nav-disputes"),
            ("/disputes/new", "nav-dispute-new"),
        ],
        Some(Role::GridWorker) => &[
            ("/grid", "nav-grid"),
            ("/submit", "nav-intake"),
            ("/inbox", "nav-inbox"),
        ],
        Some(Role::HotlineOperator) => &[
            ("/inbox", "nav-inbox"),
            ("/submit", "nav-intake"),
            ("/dashboard", "nav-dashboard"),
        ],
        Some(Role::DepartmentStaff) => &[("/inbox", "nav-inbox"), ("/questions", "nav-questions")],
        Some(Role::Auditor) => &[("/audit", "nav-audit")],
        Some(Role::Admin) => &[("/admin", "nav-admin")],
        Some(
            Role::CommunityStaff | Role::StreetStaff | Role::DistrictStaff | Role::CitySupervisor,
        ) => &[
            ("/inbox", "nav-inbox"),
            ("/dashboard", "nav-dashboard"),
            ("/disputes", "nav-disputes"),
        ],
        Some(_) => &[("/track", "nav-track")],
    };
    // The page's own item: the longest href the path falls under.
    let under = |href: &str| {
        path == href
            || path.starts_with(&format!("{href}?"))
            || path.starts_with(&format!("{href}/"))
    };
    let current = items
        .iter()
        .filter(|(href, _)| under(href))
        .map(|(href, _)| href.len())
        .max();
    json!(
        items
            .iter()
            .map(|(href, key)| json!({
                "href": href,
                "key": key,
                "current": under(href) && Some(href.len()) == current,
            }))
            .collect::<Vec<_>>()
    )
}

pub type UiResult = Result<Response, UiError>;

/// A form that carries nothing but its CSRF token (a button: reveal, revoke, log out).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The status of a form shown again with its errors: 422 for what the
/// person typed, the error's own status otherwise (a conflict, a refusal).
pub fn form_status(e: &ApiError) -> StatusCode {
    match e.code {
        ErrorCode::InvalidInput | ErrorCode::MalformedRequest => StatusCode::UNPROCESSABLE_ENTITY,
        _ => e.status(),
    }
}

/// A page that failed: rendered as an HTML page in the request's language
/// by `render_failures`, or a redirect to the login page.
#[derive(Debug)]
pub enum UiError {
    Api(ApiError),
    Login(String),
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        UiError::Api(e)
    }
}

impl From<StoreError> for UiError {
    fn from(e: StoreError) -> Self {
        UiError::Api(e.into())
    }
}

impl From<Denied> for UiError {
    fn from(e: Denied) -> Self {
        UiError::Api(e.into())
    }
}

/// Carried from a failing handler to `render_failures`.
#[derive(Clone, Debug)]
struct Failure(ApiError);

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        match self {
            UiError::Login(back) => {
                let to = format!("/login?next={}", csrf::encode_component(&back));
                Redirect::to(&to).into_response()
            }
            UiError::Api(e) if e.code == ErrorCode::Unauthenticated => {
                Redirect::to("/login").into_response()
            }
            UiError::Api(e) => {
                let mut response = e.status().into_response();
                response.extensions_mut().insert(Failure(e));
                response
            }
        }
    }
}

/// Render a failed page's error in the request's language, with the
/// request id to quote.
pub(super) async fn render_failures(req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ui = parts.extensions.get::<Caller>().cloned().map(|caller| {
        let (csrf, _) = csrf::token(&parts, &caller);
        Ui {
            caller,
            csrf,
            path: parts.uri.path().to_owned(),
            peer: None,
            new_cookie: None,
        }
    });
    let request_id = crate::auth::request_id(&parts);
    parts.extensions.remove::<Failure>();
    let mut response = next.run(Request::from_parts(parts, body)).await;
    let Some(Failure(err)) = response.extensions_mut().remove::<Failure>() else {
        return response;
    };
    let Some(ui) = ui else { return response };
    let status = response.status();
    let body = err.body(catalogue(), ui.lang(), request_id.as_deref());
    let ctx = json!({
        "status": status.as_u16(),
        "error": body["error"],
    });
    match ui.render_status(status, "error.html", ctx) {
        Ok(r) => r,
        Err(_) => response,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use grassroots_core::accounts::Role;
    use grassroots_core::appeals::{STAFF_STEPS, Status};

    fn all_templates() -> Vec<(&'static str, &'static str)> {
        let modules = [
            super::super::admin::TEMPLATES,
            super::super::audit::TEMPLATES,
            super::super::api_docs::TEMPLATES,
            super::super::questions::TEMPLATES,
        ];
        TEMPLATES
            .iter()
            .chain(modules.into_iter().flatten())
            .copied()
            .collect()
    }

    /// Every literal `t("key")` of every template, in both languages.
    #[test]
    fn every_template_string_is_translated() {
        let i18n = catalogue();
        let mut missing = Vec::new();
        for (name, source) in all_templates() {
            for quote in ['"', '\''] {
                let open = format!("t({quote}");
                for piece in source.split(&open).skip(1) {
                    let Some(key) = piece.split(quote).next() else {
                        continue;
                    };
                    // `t("status-" ~ x)`: a prefix, checked below.
                    if piece[key.len() + 1..].trim_start().starts_with('~') {
                        continue;
                    }
                    for lang in [Lang::ZhCn, Lang::En] {
                        if !i18n.has(lang, key) {
                            missing.push(format!("{name}: {key} ({})", lang.tag()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "untranslated: {missing:#?}");
    }

    /// The keys templates build from values: every value has one.
    #[test]
    fn every_built_key_is_translated() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(Status::ALL.iter().map(|s| format!("status-{}", s.as_str())));
        keys.extend(STAFF_STEPS.iter().map(|s| format!("step-{s}")));
        keys.extend(
            grassroots_core::mediation::available::STEPS
                .iter()
                .map(|s| format!("dstep-{s}")),
        );
        keys.extend(Role::ALL.iter().map(|r| format!("role-{}", r.as_str())));
        keys.extend(
            ["satisfied", "basically_satisfied", "unsatisfied"]
                .iter()
                .map(|s| format!("satisfaction-{s}")),
        );
        keys.extend(
            grassroots_core::mediation::Status::ALL
                .iter()
                .map(|s| format!("dstatus-{}", s.as_str())),
        );
        keys.extend(
            ["intake", "on_site", "reply"]
                .iter()
                .map(|p| format!("photo-{p}")),
        );
        let i18n = catalogue();
        for key in keys {
            for lang in [Lang::ZhCn, Lang::En] {
                assert!(i18n.has(lang, &key), "{key} missing in {}", lang.tag());
            }
        }
    }

    /// A template file that is not registered would be "not found" at run time.
    #[test]
    fn every_template_file_is_registered() {
        let registered: Vec<&str> = all_templates().iter().map(|(n, _)| *n).collect();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                registered.contains(&name.as_str()),
                "{name} is not in TEMPLATES"
            );
        }
    }

    #[test]
    fn every_template_compiles() {
        for (name, _) in all_templates() {
            assert!(ENV.get_template(name).is_ok(), "{name}");
        }
    }

    fn parts(method: &str, uri: &str) -> Parts {
        axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn a_posts_answer_comes_back_to_its_page() {
        assert_eq!(
            page_path(&parts("POST", "/disputes/5/reveal")),
            "/disputes/5"
        );
        assert_eq!(page_path(&parts("POST", "/appeals/7/step")), "/appeals/7");
        assert_eq!(
            page_path(&parts("POST", "/track/AB-12/rate")),
            "/track/AB-12"
        );
        // A form posted to its own page, and every GET, keep their address.
        assert_eq!(page_path(&parts("POST", "/submit")), "/submit");
        assert_eq!(
            page_path(&parts("GET", "/inbox?view=area")),
            "/inbox?view=area"
        );
        assert_eq!(page_path(&parts("GET", "/x/reveal")), "/x/reveal");
    }

    #[test]
    fn one_menu_item_is_current() {
        let actor = Actor {
            user_id: 1,
            username: "m".into(),
            role: Role::Mediator,
            scope: grassroots_core::accounts::Scope::Unit("S1".into()),
        };
        let items = nav(Some(&actor), "/disputes/new");
        let current: Vec<&str> = items
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["current"] == true)
            .map(|i| i["href"].as_str().unwrap())
            .collect();
        assert_eq!(current, ["/disputes/new"]);
        let items = nav(Some(&actor), "/disputes/12");
        let current: Vec<_> = items
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["current"] == true)
            .collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0]["href"], "/disputes");
    }

    #[test]
    fn times_read_in_china_time() {
        assert_eq!(when("2026-11-22T09:30:00+08:00"), "2026-11-22 09:30");
        assert_eq!(at(Some(1_795_000_000_000_000)), "2026-11-18 19:06");
        assert_eq!(at(None), "—");
    }
}

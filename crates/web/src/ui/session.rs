//! Signing in and out, and the language switch (remembered in a cookie).

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Role;
use serde::Deserialize;
use serde_json::json;

use super::csrf::safe_next;
use super::page::{CsrfForm, Ui, UiResult};
use crate::auth::{LANG_COOKIE, secret_hash};
use crate::i18n::Lang;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang", post(switch_lang))
}

/// Where each role starts its day.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Resident => "/my",
        Role::Auditor => "/audit",
        Role::Admin => "/admin",
        Role::Mediator => "/disputes",
        Role::Counsellor => "/track",
        Role::GridWorker => "/grid",
        _ => "/inbox",
    }
}

async fn home(ui: Ui) -> UiResult {
    if let Some(a) = ui.actor() {
        return ui.redirect(home_of(a.role));
    }
    ui.render("home.html", json!({}))
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(ui: Ui, Query(q): Query<NextQuery>) -> UiResult {
    ui.render(
        "login.html",
        json!({"next": safe_next(q.next.as_deref()), "form": {}, "errors": {}}),
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    ui: Ui,
    extensions: axum::http::Extensions,
    Form(form): Form<LoginForm>,
) -> UiResult {
    ui.check(&form.csrf)?;
    let username = form.username.trim().to_owned();
    let next = safe_next(form.next.as_deref()).to_owned();
    let again = |errors: serde_json::Value| {
        ui.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "login.html",
            json!({"next": next, "form": {"username": username}, "errors": errors}),
        )
    };
    let mut errors = serde_json::Map::new();
    if username.is_empty() {
        errors.insert("username".into(), json!(ui.t("form-required")));
    }
    if form.password.is_empty() {
        errors.insert("password".into(), json!(ui.t("form-required")));
    }
    if !errors.is_empty() {
        return again(errors.into());
    }
    let found =
        match crate::api::auth::check_password(&state, &extensions, &username, form.password).await
        {
            Ok(found) => found,
            Err(e) if matches!(e.code, ErrorCode::LoginFailed | ErrorCode::RateLimited) => {
                let key = format!("error-{}", e.code);
                return again(json!({"form": ui.t(&key)}));
            }
            Err(e) => return Err(e.into()),
        };
    let (cookie, _) = crate::api::auth::session_cookie(&state, &ui.caller, &found.user).await?;
    let to = if next == "/" {
        home_of(found.user.role).to_owned()
    } else {
        next
    };
    let mut response = ui.redirect(&to)?;
    response.headers_mut().append(SET_COOKIE, cookie);
    Ok(response)
}

async fn logout(State(state): State<AppState>, ui: Ui, Form(form): Form<CsrfForm>) -> UiResult {
    ui.check(&form.csrf)?;
    if let Some(secret) = &ui.caller.session_secret {
        state
            .store
            .end_session(&ui.caller.ctx(&state), &secret_hash(secret))
            .await?;
    }
    let mut response = ui.redirect("/")?;
    response.headers_mut().append(
        SET_COOKIE,
        HeaderValue::from_static("gr_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct LangForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    back: Option<String>,
}

async fn switch_lang(ui: Ui, Form(form): Form<LangForm>) -> UiResult {
    ui.check(&form.csrf)?;
    let lang = Lang::parse(&form.lang).unwrap_or_default();
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.tag()
    );
    let mut response = ui.redirect(safe_next(form.back.as_deref()))?;
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, v);
    }
    Ok(response.into_response())
}

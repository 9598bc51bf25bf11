//! The HTTP edge of Grassroots: `app()` builds the router (tested with
//! `tower::ServiceExt::oneshot`), `serve()` binds it and shuts down
//! gracefully. Handlers authenticate (`auth::Caller`), ask
//! `grassroots_core::authz::decide`, call the store, and map errors once
//! (`error::ApiError`).

pub mod api;
pub mod auth;
pub mod error;
pub mod i18n;
pub mod open311;
pub mod ops;
mod state;
pub mod ui;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use grassroots_core::ErrorCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ApiResult};
pub use state::{AppState, WebConfig, load_atlas};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as a `Router`, ready for `oneshot` or `serve`.
pub fn app(state: AppState) -> Router {
    api::routes()
        .merge(open311::routes())
        .merge(ui::routes())
        .fallback(|| async { ApiError::new(ErrorCode::NotFound) })
        .method_not_allowed_fallback(|| async {
            ApiError::with_detail(ErrorCode::MalformedRequest, "method not allowed")
        })
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
        .layer(middleware::from_fn(localize))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("handler panicked");
                ApiError::new(ErrorCode::Internal).into_response()
            },
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(60),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // Photos set a stricter one of their own.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Pages carry SVG maps; gzip keeps a first load small on slow links.
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Authenticate every request up front, so a dead token is refused even on
/// public endpoints; handlers then reuse the `Caller` from the extensions.
async fn authenticate(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    use axum::extract::FromRequestParts as _;
    let (mut parts, body) = req.into_parts();
    if let Err(e) = auth::Caller::from_request_parts(&mut parts, &state).await {
        return e.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Render an `ApiError` response's body in the request's language, with
/// the request id so a user can quote it to an admin.
async fn localize(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let lang = auth::request_lang(&parts);
    let request_id = auth::request_id(&parts);
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(err) = response.extensions_mut().remove::<ApiError>() {
        let status = response.status();
        let body = err.body(i18n::catalogue(), lang, request_id.as_deref());
        let mut fresh = (status, axum::Json(body)).into_response();
        for (k, v) in response.headers() {
            if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                fresh.headers_mut().insert(k.clone(), v.clone());
            }
        }
        fresh.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.tag()),
        );
        return fresh;
    }
    response
}

/// Serve until `shutdown` resolves, then finish in-flight requests.
/// Also keeps the territory fresh when another server changes it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let refresher = tokio::spawn(refresh_territory(state.clone()));
    let job = state
        .config
        .job_interval
        .map(|every| tokio::spawn(background_job(state.clone(), every)));
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    refresher.abort();
    if let Some(job) = job {
        job.abort();
    }
    result
}

/// The background job on every server: escalate overdue work, close
/// unrated replies, deliver the outbox; once a day, the early-warning scan. Several servers may run it at once
/// (see `ops::appeals::tick`).
async fn background_job(state: AppState, every: Duration) {
    loop {
        state::pause(every).await;
        match ops::appeals::tick(&state, state.now_micros()).await {
            Ok(r) if r != ops::appeals::TickReport::default() => {
                tracing::info!(?r, "background job");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e.code, "background job failed"),
        }
        // Once a day, yesterday's early-warning scan (a no-op the rest of the day).
        match ops::warning::daily(&state, state.now_micros()).await {
            Ok(Some(r)) => tracing::info!(?r, "early-warning scan"),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = ?e.code, "early-warning scan failed"),
        }
    }
}

/// Poll a cheap fingerprint of the units table; rebuild the atlas on change.
async fn refresh_territory(state: AppState) {
    let mut last = state.store.territory_fingerprint().await.ok();
    loop {
        state::pause(Duration::from_secs(10)).await;
        match state.store.territory_fingerprint().await {
            Ok(now) if Some(&now) != last.as_ref() => {
                if let Err(e) = state.reload_atlas().await {
                    tracing::warn!(error = ?e, "territory reload failed");
                    continue;
                }
                tracing::info!("territory changed; lookup index rebuilt");
                last = Some(now);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "territory fingerprint failed"),
        }
        // Another server's administrator may have edited the appeal rules.
        match state.reload_rules().await {
            Ok(true) => tracing::info!("appeal rules changed; reloaded"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = ?e.code, "appeal rules reload failed"),
        }
    }
}

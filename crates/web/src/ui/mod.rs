//! The web application: server-rendered pages for every role. Pages render
//! the same views the JSON API returns (`api::*::views`), so masking and
//! permissions are decided once; templates only lay them out. Every state
//! change is a POST with a CSRF token (`csrf`); no page needs an inline
//! script or a request off the server's origin.

mod admin;
mod api_docs;
mod assets;
mod audit;
pub(crate) mod cache;
mod csrf;
mod dashboard;
mod format;
mod grid;
mod mediation;
mod page;
mod portal;
mod questions;
mod resident;
mod session;
mod staff;
pub(crate) mod svg;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;

pub use page::{Ui, UiError, UiResult};

use crate::state::AppState;

/// What HTML pages may load: only the server's own assets.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(session::routes())
        .merge(resident::routes())
        .merge(staff::routes())
        .merge(dashboard::routes())
        .merge(grid::routes())
        .merge(portal::routes())
        .merge(questions::routes())
        .merge(mediation::routes())
        .merge(admin::routes())
        .merge(audit::routes())
        .merge(api_docs::routes())
        .layer(middleware::from_fn(page::render_failures))
        .layer(middleware::from_fn(page_headers))
        .merge(assets::routes())
}

async fn page_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(PAGE_CSP));
    response
}

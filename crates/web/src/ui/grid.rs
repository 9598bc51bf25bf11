//! The grid worker's phone page: my grid's open work soonest deadline
//! first, the return visits due, and a patrol report (which may be
//! "resolved on site" with a photo of the result).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use grassroots_core::ErrorCode;
use grassroots_core::accounts::Role;
use grassroots_core::appeals::Handler;
use grassroots_store::AppealFilter;
use serde_json::{Value, json};

use super::page::{Ui, UiResult};
use crate::api::appeals::views;
use crate::error::ApiError;
use crate::ops::appeals::steps_for;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/grid", get(grid))
}

async fn grid(State(state): State<AppState>, ui: Ui) -> UiResult {
    let actor = ui.require()?;
    let Some(code) = actor
        .scope
        .unit()
        .filter(|_| actor.role == Role::GridWorker)
    else {
        return Err(ApiError::new(ErrorCode::Forbidden).into());
    };
    let rows = state
        .store
        .appeals(&AppealFilter {
            handled_by: vec![Handler::Unit(code.to_owned())],
            open_only: true,
            by_deadline: true,
            limit: 100,
            ..AppealFilter::default()
        })
        .await?;
    let departments = state.departments().await?;
    let atlas = state.atlas();
    let t = atlas.territory();
    let now = state.now_micros();
    let items: Vec<Value> = rows
        .iter()
        .map(|a| {
            let mut v = super::staff::row(&state, ui.lang(), a, &departments, now);
            v["steps"] = json!(steps_for(t, &departments, actor, a));
            v
        })
        .collect();
    let visits: Vec<Value> = state
        .store
        .open_tasks(code)
        .await?
        .iter()
        .map(|task| {
            json!({"id": task.id, "kind": task.kind, "appeal_id": task.appeal_id,
                   "created_at": views::time(task.created_at)})
        })
        .collect();
    let grid = t.get(code).map(|u| {
        if ui.lang() == crate::i18n::Lang::En {
            u.name_en.clone()
        } else {
            u.name.clone()
        }
    });
    ui.render(
        "grid.html",
        json!({"items": items, "visits": visits, "grid": grid}),
    )
}

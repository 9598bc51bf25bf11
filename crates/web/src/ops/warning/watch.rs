//! Collective and repeated matters (rules in `grassroots_core::warning::watch`): raised once per
//! subject, a collective matter to the street that contains it, a repeated one to the level
//! above the handler whose closure did not hold.

use grassroots_core::appeals::Handler;
use grassroots_core::appeals::calendar::end_of_day;
use grassroots_core::territory::Level;
use grassroots_core::warning::{
    WarnRules, WatchKind, collective_objects, collective_requesters, containing_at, level_above,
    repeats,
};
use grassroots_store::{Ctx, NewAlert};
use jiff::civil::Date;
use serde_json::json;

use super::{RunReport, days_before};
use crate::error::ApiResult;
use crate::state::AppState;

const DAY_US: i64 = 86_400_000_000;

pub(super) async fn run(
    state: &AppState,
    day: Date,
    rules: &WarnRules,
    ctx: &Ctx,
    report: &mut RunReport,
) -> ApiResult<()> {
    let until = end_of_day(day).as_microsecond();
    // A repeat pairs a closure with a return up to `repeat_days` later, and the return must
    // still be within `repeat_days` of today: twice the window covers every pair.
    let look_back = i64::from((2 * rules.repeat_days).max(rules.collective_days)) * DAY_US;
    let appeals = state
        .store
        .watched_appeals(until - look_back, until)
        .await?;
    let mut findings = collective_requesters(&appeals, rules);
    findings.extend(collective_objects(&appeals, until, rules));
    findings.extend(repeats(&appeals, until, rules));
    if findings.is_empty() {
        return Ok(());
    }
    let atlas = state.atlas();
    let territory = atlas.territory();
    let root = territory.roots().next().map(|u| u.code.clone());
    let mut tx = state.store.write().await?;
    for f in findings {
        let method = f.kind.method();
        let (since, threshold) = match f.kind {
            // One appeal is one matter: raised once, ever.
            WatchKind::CollectiveRequesters => (String::new(), rules.collective_min_requesters),
            WatchKind::CollectiveObject => (
                days_before(day, rules.collective_days),
                rules.collective_min_appeals,
            ),
            WatchKind::RepeatUnresolved => (
                days_before(day, 2 * rules.repeat_days),
                rules.repeat_min_returns,
            ),
        };
        if tx
            .alert_raised_since(method, &f.category_group, &f.subject, &since)
            .await?
        {
            continue;
        }
        let unit = match f.kind {
            WatchKind::RepeatUnresolved => {
                f.handler.as_ref().and_then(|h| level_above(h, territory))
            }
            _ => f
                .grid
                .as_deref()
                .and_then(|g| containing_at(g, Level::Street, territory)),
        };
        let Some(unit) = unit.or_else(|| root.clone()) else {
            continue;
        };
        let handler = f.handler.as_ref().map(|h| match h {
            Handler::Unit(code) => json!({"kind": "unit", "code": code}),
            Handler::Department(code) => json!({"kind": "department", "code": code}),
        });
        let evidence = json!({
            "method": method,
            "subject": f.subject,
            "grids": f.grid.iter().collect::<Vec<_>>(),
            "count": f.count,
            "threshold": threshold,
            "handler": handler,
            "end": day.to_string(),
        });
        let alert = NewAlert {
            method: method.to_owned(),
            category_group: f.category_group.clone(),
            analysis_day: day.to_string(),
            centre_unit: f.subject.clone(),
            unit_code: unit,
            evidence: evidence.to_string(),
            appeal_ids: f.appeal_ids.clone(),
        };
        if tx.raise_alert(ctx, &alert).await?.is_some() {
            report.raised(method);
        }
    }
    tx.commit().await?;
    Ok(())
}

//! Appeal steps shared by the HTTP handlers and the background job: load
//! under lock, ask the domain, save the step with its timeline entry, audit
//! event and messages in one transaction.

use grassroots_core::ErrorCode;
use grassroots_core::accounts::{Actor, Department};
use grassroots_core::appeals::calendar::add_minutes;
use grassroots_core::appeals::{
    Clocks, Command, Event, Handler, Outcome, Overdue, Party, Rating, Refusal, Seat, Status,
    act_by, advance, escalation_target, on_overdue, own_handler, parties, staff_of,
};
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::territory::Territory;
use grassroots_store::{
    Ctx, NewTask, Notice, OutMessage, StepEffects, StoredAppeal, TimelineEntry,
};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// An appeal's place in the territory, for jurisdiction and parties.
#[derive(Debug, Default)]
pub struct Placement {
    pub location_chain: Vec<String>,
    pub handler_chain: Vec<String>,
    /// Both chains, for `authz` (an appeal belongs to its area and to its handler).
    pub unit_chain: Vec<String>,
    pub department: Option<String>,
}

impl Placement {
    pub fn of(a: &StoredAppeal, t: &Territory, departments: &[Department]) -> Placement {
        let location_chain = a
            .units
            .unit
            .as_deref()
            .map(|u| t.chain(u))
            .unwrap_or_default();
        let (handler_chain, department) = match &a.state.handler {
            Some(Handler::Unit(u)) => (t.chain(u), None),
            Some(Handler::Department(d)) => (
                departments
                    .iter()
                    .find(|x| x.code == *d)
                    .map(|x| t.chain(&x.unit))
                    .unwrap_or_default(),
                Some(d.clone()),
            ),
            None => (Vec::new(), None),
        };
        let mut unit_chain = location_chain.clone();
        for c in &handler_chain {
            if !unit_chain.contains(c) {
                unit_chain.push(c.clone());
            }
        }
        Placement {
            location_chain,
            handler_chain,
            unit_chain,
            department,
        }
    }

    pub fn target(&self, requester: Option<i64>) -> Target<'_> {
        Target {
            unit_chain: &self.unit_chain,
            department: self.department.as_deref(),
            owner: requester,
            holder_chain: &[],
        }
    }
}

/// The level a handler sits at: `grid` … `city`, or `department`.
pub fn handler_level(t: &Territory, h: Option<&Handler>) -> Option<String> {
    match h? {
        Handler::Unit(c) => t.get(c).map(|u| u.level.as_str().to_owned()),
        Handler::Department(_) => Some("department".into()),
    }
}

/// A handler's display names (zh, en).
pub fn handler_names(t: &Territory, departments: &[Department], h: &Handler) -> (String, String) {
    match h {
        Handler::Unit(c) => t
            .get(c)
            .map(|u| (u.name.clone(), u.name_en.clone()))
            .unwrap_or_else(|| (c.clone(), c.clone())),
        Handler::Department(c) => departments
            .iter()
            .find(|d| d.code == *c)
            .map(|d| (d.name.clone(), d.name_en.clone()))
            .unwrap_or_else(|| (c.clone(), c.clone())),
    }
}

/// A handler named in a command must exist and be live.
fn check_handler(t: &Territory, departments: &[Department], h: &Handler) -> ApiResult<()> {
    let ok = match h {
        Handler::Unit(c) => t.get(c).is_some_and(|u| !u.retired),
        Handler::Department(c) => departments.iter().any(|d| d.code == *c),
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid("to", "unknown unit or department"))
    }
}

/// How a refusal reads to the client: a step that no longer fits the
/// appeal's state is a conflict (someone else acted first); the rest are
/// bad input or a missing right.
pub fn refusal_error(r: &Refusal) -> ApiError {
    match r {
        Refusal::WrongStatus { .. } => ApiError::with_detail(ErrorCode::Conflict, r.to_string()),
        Refusal::WrongParty { .. } => ApiError::with_detail(ErrorCode::Forbidden, r.to_string()),
        Refusal::ReasonRequired => ApiError::invalid("reason", r.to_string()),
        Refusal::TooLong { .. } => ApiError::invalid("text", r.to_string()),
        Refusal::SameHandler => ApiError::invalid("to", r.to_string()),
        Refusal::MergeIntoSelf => ApiError::invalid("target", r.to_string()),
        Refusal::NothingToCallIn => ApiError::invalid("to", r.to_string()),
        Refusal::BadExtension { .. } => ApiError::invalid("days", r.to_string()),
        Refusal::NotCalledIn | Refusal::ExtensionPending | Refusal::NoExtensionPending => {
            ApiError::with_detail(ErrorCode::Conflict, r.to_string())
        }
    }
}

/// Who acts: a signed-in actor, the holder of the tracking code, or the platform.
#[derive(Debug)]
pub enum Acting<'a> {
    Actor(&'a Actor),
    TrackingCode,
    System,
}

fn outcome_zh(o: &Outcome) -> &'static str {
    match o {
        Outcome::Rated { .. } => "已评价",
        Outcome::NotRated => "未评价办结",
        Outcome::ResolvedOnSite => "现场解决",
        Outcome::Withdrawn { .. } => "已撤回",
        Outcome::OutOfRemit { .. } => "不属于政府职责范围",
        Outcome::Invalid { .. } => "无效诉求",
        Outcome::Merged { .. } => "已合并办理",
    }
}

/// Notifications, messages and tasks a step causes.
fn effects_of(before: &StoredAppeal, after: &StoredAppeal, cmd: &Command, seq: i64) -> StepEffects {
    let mut fx = StepEffects::default();
    let sms = |template: &'static str, extra: serde_json::Value| {
        after.contact_phone.as_ref().map(|phone| OutMessage {
            dedupe_key: format!("appeal:{}:v{}:{template}", after.id, seq),
            channel: "sms",
            destination: phone.clone(),
            template,
            params: {
                let mut p = json!({"tracking_code": after.tracking_code});
                if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
                    p.extend(e.clone());
                }
                p
            },
        })
    };
    let new_handler = after.state.handler.as_ref().filter(|h| {
        before.state.handler.as_ref() != Some(*h) || before.state.status != after.state.status
    });
    match cmd {
        Command::Dispatch { .. } | Command::Reroute { .. } => {
            if let Some(h) = new_handler {
                fx.notices.push(Notice {
                    to: h.clone(),
                    kind: "new",
                });
            }
        }
        Command::Escalate { .. } => {
            if let Some(h) = &after.state.handler {
                fx.notices.push(Notice {
                    to: h.clone(),
                    kind: "escalated",
                });
            }
        }
        Command::Return { .. } => {
            if let Some(h) = &before.state.handler {
                fx.notices.push(Notice {
                    to: h.clone(),
                    kind: "returned",
                });
            }
        }
        Command::Reply { .. } => fx.messages.extend(sms("appeal_replied", json!({}))),
        Command::Rate { .. } if after.state.status != Status::Closed => {
            if let Some(h) = &after.state.handler {
                fx.notices.push(Notice {
                    to: h.clone(),
                    kind: "reopened",
                });
            }
            fx.messages.extend(sms("appeal_reopened", json!({})));
        }
        Command::CloseNotRated => {
            let unit = after.units.grid.clone().or(after.units.unit.clone());
            fx.task = unit.map(|unit| NewTask {
                kind: "return_visit",
                unit,
                note: None,
            });
        }
        Command::MergeInto { target } => fx.merge_into = Some(*target),
        Command::CallIn { .. } => {
            for a in after.state.assists.iter().skip(before.state.assists.len()) {
                fx.notices.push(Notice {
                    to: a.handler.clone(),
                    kind: "called_in",
                });
            }
        }
        Command::AssistOverdue { by } => {
            fx.notices.push(Notice {
                to: by.clone(),
                kind: "overdue",
            });
            if let Some(h) = &after.state.handler {
                fx.notices.push(Notice {
                    to: h.clone(),
                    kind: "assist_overdue",
                });
            }
        }
        Command::DecideExtension { approve, .. } => {
            if let Some(h) = &after.state.handler {
                fx.notices.push(Notice {
                    to: h.clone(),
                    kind: if *approve {
                        "extension_approved"
                    } else {
                        "extension_refused"
                    },
                });
            }
            if *approve {
                let due = crate::api::appeals::views::time(after.clocks.reply_due);
                fx.messages
                    .extend(sms("appeal_extended", json!({ "reply_by": due })));
            }
        }
        _ => {}
    }
    if let (Some(o), true) = (&after.state.outcome, before.state.outcome.is_none()) {
        let silent = matches!(o, Outcome::Rated { .. } | Outcome::Withdrawn { .. });
        if !silent {
            fx.messages
                .extend(sms("appeal_closed", json!({"outcome": outcome_zh(o)})));
        }
    }
    fx
}

/// Apply `cmd` to appeal `id` as `acting`, checking jurisdiction, the
/// expected version (if given) and the workflow; save it all at once.
pub async fn act(
    state: &AppState,
    ctx: &Ctx,
    acting: Acting<'_>,
    id: i64,
    cmd: Command,
    expected_version: Option<i64>,
) -> ApiResult<StoredAppeal> {
    let atlas = state.atlas();
    let t = atlas.territory();
    let departments = state.departments().await?;
    let mut tx = state.store.write().await?;
    let before = tx.appeal_for_update(id).await?;
    let place = Placement::of(&before, t, &departments);
    let tried: Vec<Party> = match acting {
        Acting::System => vec![Party::System],
        Acting::TrackingCode => vec![Party::Requester],
        Acting::Actor(actor) => {
            let target = place.target(before.requester_id);
            let assisting = is_assisting(actor, &before);
            if !assisting && authz::decide(Some(actor), Action::ReadAppeal, &target).is_err() {
                return Err(ApiError::new(ErrorCode::NotFound));
            }
            let seat = Seat {
                handler: before.state.handler.as_ref(),
                handler_chain: &place.handler_chain,
                location_chain: &place.location_chain,
                requester: before.requester_id,
                assists: &before.state.assists,
            };
            let ps = parties(actor, &seat);
            if !ps.contains(&Party::Requester) && !assisting {
                authz::decide(Some(actor), Action::HandleAppeal, &target)?;
            }
            ps
        }
    };
    let cmd = complete(state, cmd, &before, &acting, ctx.now_micros)?;
    if let Some(v) = expected_version
        && v != before.state.version
    {
        return Err(ApiError::with_detail(
            ErrorCode::Conflict,
            format!(
                "the appeal is at version {}, not {v}: someone else acted first",
                before.state.version
            ),
        ));
    }
    match &cmd {
        Command::Dispatch { to } | Command::Reroute { to, .. } | Command::Escalate { to } => {
            check_handler(t, &departments, to)?;
        }
        Command::CallIn { to, .. } => {
            for h in to {
                check_handler(t, &departments, h)?;
            }
        }
        Command::MergeInto { target } if *target != id => {
            let survivor = tx
                .appeal_for_update(*target)
                .await
                .map_err(|_| ApiError::invalid("target", "no such appeal"))?;
            if !survivor.state.is_open() {
                return Err(ApiError::invalid(
                    "target",
                    "the appeal to merge into is closed",
                ));
            }
        }
        _ => {}
    }
    let mut first_refusal: Option<Refusal> = None;
    let mut accepted = None;
    for party in &tried {
        match before.state.apply(&cmd, party) {
            Ok(done) => {
                accepted = Some(done);
                break;
            }
            // Prefer the most telling refusal: a state or input problem
            // over "not your role".
            Err(r) => {
                let telling = !matches!(r, Refusal::WrongParty { .. });
                if first_refusal.is_none() || telling {
                    first_refusal = Some(r);
                }
            }
        }
    }
    let Some((next, event)) = accepted else {
        return Err(match first_refusal {
            Some(r) => refusal_error(&r),
            None => ApiError::new(ErrorCode::Forbidden),
        });
    };
    let after = next_record(state, t, &before, next, &cmd, ctx.now_micros);
    let mut fx = effects_of(&before, &after, &cmd, after.state.version);
    if let Command::RequestExtension { .. } = &cmd {
        // The level above decides: tell it.
        let above = escalation_target(
            after.state.handler.as_ref(),
            &place.location_chain,
            t,
            &departments,
        );
        fx.notices.extend(above.map(|to| grassroots_store::Notice {
            to,
            kind: "extension_requested",
        }));
    }
    let entry = timeline_entry(ctx, &event, &after);
    tx.save_step(ctx, before.state.version, &after, &event, &entry, &fx)
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Staff of a unit or department called in to assist on this appeal.
pub fn is_assisting(actor: &Actor, a: &StoredAppeal) -> bool {
    a.state.assists.iter().any(|x| staff_of(actor, &x.handler))
}

/// Fill in what only the server knows: when called-in units must sign,
/// which unit is signing for its part; and refuse an extension asked for
/// after the deadline.
fn complete(
    state: &AppState,
    cmd: Command,
    before: &StoredAppeal,
    acting: &Acting<'_>,
    now: i64,
) -> ApiResult<Command> {
    Ok(match cmd {
        Command::CallIn { to, reason, .. } => {
            let at = jiff::Timestamp::from_microsecond(now).map_err(ApiError::internal)?;
            let due = add_minutes(at, before.time_limit.sign_minutes).as_microsecond();
            Command::CallIn { to, reason, due }
        }
        Command::SignAssist { .. } => {
            let by = match acting {
                Acting::Actor(a) => own_handler(a),
                _ => None,
            };
            Command::SignAssist {
                by: by.ok_or_else(|| ApiError::new(ErrorCode::Forbidden))?,
            }
        }
        Command::RequestExtension { days, reason } => {
            let deadline = act_by(
                Status::InProgress,
                &before.time_limit,
                &state.calendar(),
                Clocks {
                    entered_status_at: before.clocks.status_at,
                    clock_from: before.clocks.clock_from,
                    extension_days: before.state.extension_days,
                },
            );
            if before.state.status == Status::InProgress && deadline.is_some_and(|d| now >= d) {
                return Err(ApiError::invalid(
                    "days",
                    "the deadline has passed: ask for an extension before it",
                ));
            }
            Command::RequestExtension { days, reason }
        }
        other => other,
    })
}

fn next_record(
    state: &AppState,
    t: &Territory,
    before: &StoredAppeal,
    next: grassroots_core::appeals::Appeal,
    cmd: &Command,
    now: i64,
) -> StoredAppeal {
    let mut after = before.clone();
    after.clocks = advance(
        &before.clocks,
        &before.state,
        &next,
        cmd,
        now,
        &before.time_limit,
        &state.calendar(),
    );
    after.handler_level = handler_level(t, next.handler.as_ref()).or(before.handler_level.clone());
    match cmd {
        Command::Reply { text } => after.reply_text = Some(text.trim().to_owned()),
        Command::Rate {
            resolved,
            satisfaction,
            comment,
        } if next.status == Status::Closed => {
            after.rating = Some(Rating {
                resolved: *resolved,
                satisfaction: *satisfaction,
                comment: comment.clone(),
            });
        }
        _ => {}
    }
    after.state = next;
    after
}

pub fn timeline_entry(ctx: &Ctx, event: &Event, after: &StoredAppeal) -> TimelineEntry {
    TimelineEntry {
        at: ctx.now_micros,
        action: event.action.to_owned(),
        public: event.public,
        actor_id: ctx.actor_id,
        actor: ctx.actor.clone(),
        role: ctx.role.clone(),
        unit: ctx.unit.clone(),
        handler: after.state.handler.clone(),
        note: event.note.clone(),
    }
}

/// What one run of the background job did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    pub escalated: u64,
    pub closed_not_rated: u64,
    pub at_top: u64,
    /// Called-in units that did not sign in time (flagged, supervised).
    pub assists_overdue: u64,
    pub messages_sent: u64,
    pub messages_failed: u64,
    /// Dispute cases past their time limit, escalated (see `ops::mediation::tick`).
    pub disputes_escalated: u64,
    /// Public questions past their limit, noted (see `ops::questions::tick`).
    pub questions_overdue: u64,
}

/// Process every appeal whose act-by time is at or before `now`: escalate
/// overdue work, close unrated replies. Safe to run on several servers at
/// once: each batch locks its rows (`SKIP LOCKED` on PostgreSQL, the write
/// lock on SQLite), and a processed appeal no longer matches.
pub async fn tick(state: &AppState, now: i64) -> ApiResult<TickReport> {
    let mut report = TickReport::default();
    let atlas = state.atlas();
    let t = atlas.territory();
    let departments = state.departments().await?;
    let ctx = Ctx::system(now);
    loop {
        let mut tx = state.store.write().await?;
        let ids = tx.overdue_appeals(now, 100).await?;
        if ids.is_empty() {
            break;
        }
        for id in ids {
            let before = tx.appeal_for_update(id).await?;
            let place = Placement::of(&before, t, &departments);
            let target = escalation_target(
                before.state.handler.as_ref(),
                &place.location_chain,
                t,
                &departments,
            );
            let late_assist = before.state.overdue_assist(now).cloned();
            let decision = match late_assist {
                Some(by) => Some(Overdue::Escalate(Command::AssistOverdue { by })),
                None => on_overdue(before.state.status, target),
            };
            let (cmd, kind) = match decision {
                Some(Overdue::Escalate(cmd)) => (cmd, 0),
                Some(Overdue::CloseNotRated) => (Command::CloseNotRated, 1),
                Some(Overdue::AtTop) | None => {
                    stop_watching(&mut tx, &ctx, &before).await?;
                    report.at_top += 1;
                    continue;
                }
            };
            let (next, event) = match before.state.apply(&cmd, &Party::System) {
                Ok(done) => done,
                Err(r) => {
                    // A bug, not a reason to stall the job: log, keep the
                    // case supervised, stop watching it.
                    tracing::error!(id, refusal = %r, "the job's own step was refused");
                    stop_watching(&mut tx, &ctx, &before).await?;
                    report.at_top += 1;
                    continue;
                }
            };
            let after = next_record(state, t, &before, next, &cmd, now);
            let fx = effects_of(&before, &after, &cmd, after.state.version);
            let entry = timeline_entry(&ctx, &event, &after);
            tx.save_step(&ctx, before.state.version, &after, &event, &entry, &fx)
                .await?;
            match (&cmd, kind) {
                (Command::AssistOverdue { .. }, _) => report.assists_overdue += 1,
                (_, 0) => report.escalated += 1,
                _ => report.closed_not_rated += 1,
            }
        }
        tx.commit().await?;
    }
    report.disputes_escalated = crate::ops::mediation::tick(state, now).await?.escalated;
    report.questions_overdue = crate::ops::questions::tick(state, now).await?;
    let (sent, failed) = deliver_outbox(state, now).await?;
    report.messages_sent = sent;
    report.messages_failed = failed;
    Ok(report)
}

/// Overdue at the top of the tree: keep it supervised, stop watching it.
async fn stop_watching(
    tx: &mut grassroots_store::Tx,
    ctx: &Ctx,
    before: &StoredAppeal,
) -> ApiResult<()> {
    let mut after = before.clone();
    after.state.supervised = true;
    after.state.version += 1;
    after.clocks.act_by = None;
    let event = Event {
        action: "appeal.overdue",
        public: false,
        note: None,
        fields: vec!["supervised", "act_by"],
    };
    let entry = timeline_entry(ctx, &event, &after);
    tx.save_step(
        ctx,
        before.state.version,
        &after,
        &event,
        &entry,
        &StepEffects::default(),
    )
    .await?;
    Ok(())
}

/// Deliver due outbox messages; returns (sent, failed attempts).
pub async fn deliver_outbox(state: &AppState, now: i64) -> ApiResult<(u64, u64)> {
    let (mut sent, mut failed) = (0, 0);
    loop {
        let batch = state.store.claim_outbox(now, 60_000_000, 100).await?;
        if batch.is_empty() {
            break;
        }
        for m in &batch {
            match state.sms.send(m).await {
                Ok(()) => {
                    state.store.outbox_sent(m.id, now).await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(id = m.id, error = %e, "message not delivered; will retry");
                    state.store.outbox_failed(m, now, &e).await?;
                    failed += 1;
                }
            }
        }
    }
    Ok((sent, failed))
}

/// The staff steps `actor` may take on `a` now (see `available_steps`).
pub fn steps_for(
    t: &Territory,
    departments: &[Department],
    actor: &Actor,
    a: &StoredAppeal,
) -> Vec<&'static str> {
    let place = Placement::of(a, t, departments);
    let seat = Seat {
        handler: a.state.handler.as_ref(),
        handler_chain: &place.handler_chain,
        location_chain: &place.location_chain,
        requester: a.requester_id,
        assists: &a.state.assists,
    };
    let ps = parties(actor, &seat);
    let mut allowed = ps.clone();
    // Beyond the party, `act` asks for the right to handle (unless assisting).
    if !is_assisting(actor, a)
        && authz::decide(
            Some(actor),
            Action::HandleAppeal,
            &place.target(a.requester_id),
        )
        .is_err()
    {
        allowed.retain(|p| *p == Party::Assistant);
    }
    grassroots_core::appeals::available_steps(&a.state, &allowed, own_handler(actor).as_ref())
}

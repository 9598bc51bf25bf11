//! Ask the government (网络问政), shared by the JSON API and the pages: ask
//! (limited per client like every anonymous submission), answer or pass on
//! (the holding department's staff), follow (residents), and the job that
//! notes questions past their limit. The rules are `core::questions`'.

use grassroots_core::ErrorCode;
use grassroots_core::appeals::category::due;
use grassroots_core::authz::{self, Action, Target};
use grassroots_core::questions::{Command, Question, QuestionInput, Refusal, intake};
use grassroots_store::{Ctx, NewQuestionRow, StoredQuestion};
use jiff::Timestamp;

use crate::api::appeals::intake::field_errors;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Ask a question. `client` is who the ask is counted against
/// (`api::submitter`); the allowance is the submissions' one, counted
/// separately from appeals.
pub async fn ask(
    state: &AppState,
    caller: &Caller,
    client: Option<String>,
    input: &QuestionInput,
) -> ApiResult<i64> {
    crate::api::count_submission(state, client.map(|c| format!("ask:{c}")))?;
    let departments = state.departments().await?;
    let checked = intake::check(input, |code| departments.iter().any(|d| d.code == code))
        .map_err(field_errors)?;
    let now = state.now_micros();
    let asked = Timestamp::from_microsecond(now).map_err(ApiError::internal)?;
    let limit = state.taxonomy().limits().general;
    let answer_by = due(&state.calendar(), &limit, asked)
        .reply_by
        .as_microsecond();
    let asked_by = caller.actor.as_ref().map(|a| a.user_id);
    let id = state
        .store
        .ask_question(
            &caller.ctx(state),
            &NewQuestionRow {
                department: &checked.department,
                title: &checked.title,
                body: &checked.body,
                asked_by,
                answer_by,
            },
        )
        .await?;
    Ok(id)
}

/// The question or `not_found`.
pub async fn load(state: &AppState, id: i64) -> ApiResult<StoredQuestion> {
    state
        .store
        .question(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))
}

/// Whether the caller may answer or pass on this question now (the
/// pages offer the form only then).
pub async fn may_answer(state: &AppState, caller: &Caller, q: &StoredQuestion) -> bool {
    let Some(actor) = caller.actor.as_ref() else {
        return false;
    };
    let Ok(department) = state.store.department(&q.state.department).await else {
        return false;
    };
    let chain = state.atlas().territory().chain(&department.unit);
    authz::decide(
        Some(actor),
        Action::AnswerQuestion,
        &Target {
            unit_chain: &chain,
            department: Some(&q.state.department),
            ..Target::default()
        },
    )
    .is_ok()
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::Field(f) => field_errors(vec![f]),
        other => ApiError::with_detail(ErrorCode::Conflict, other.to_string()).translated(format!(
            "question-refused-{}",
            other.key().replace('_', "-")
        )),
    }
}

/// Answer or pass on a question: the holding department's staff only
/// (anyone else: `forbidden`); a transfer must name a known department.
pub async fn act(
    state: &AppState,
    caller: &Caller,
    id: i64,
    command: Command,
    seen_version: Option<i64>,
) -> ApiResult<Question> {
    caller.require()?;
    let before = load(state, id).await?;
    if !may_answer(state, caller, &before).await {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    if let Command::Transfer { to, .. } = &command {
        let to = to.trim();
        if state.store.department(to).await.is_err() {
            return Err(ApiError::invalid("to", format!("unknown department {to}")));
        }
    }
    let ctx = caller.ctx(state);
    let mut tx = state.store.write().await?;
    let locked = tx.question_for_update(id).await?;
    if seen_version.is_some_and(|v| v != locked.state.version)
        || locked.state.department != before.state.department
    {
        return Err(ApiError::with_detail(
            ErrorCode::Conflict,
            "the question changed meanwhile; reload it",
        ));
    }
    let (after, event) = locked
        .state
        .apply(command, ctx.now_micros, &state.calendar())
        .map_err(refused)?;
    tx.save_question_step(&ctx, id, locked.state.version, &after, &event)
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Follow (or stop following) a question: residents. Returns whether
/// anything changed.
pub async fn follow(state: &AppState, caller: &Caller, id: i64, on: bool) -> ApiResult<bool> {
    let actor = caller.require()?;
    authz::decide(Some(actor), Action::FollowQuestion, &Target::default())?;
    let ctx = caller.ctx(state);
    let changed = if on {
        state.store.follow_question(&ctx, id, actor.user_id).await?
    } else {
        state
            .store
            .unfollow_question(&ctx, id, actor.user_id)
            .await?
    };
    Ok(changed)
}

/// The job: notes (publicly, once) every open question past its limit.
/// Safe on several servers at once (rows locked, a noted question no
/// longer matches). Returns how many were noted.
pub async fn tick(state: &AppState, now: i64) -> ApiResult<u64> {
    let ctx = Ctx::system(now);
    let calendar = state.calendar();
    let mut noted = 0;
    loop {
        let mut tx = state.store.write().await?;
        let ids = tx.overdue_questions(now, 100).await?;
        if ids.is_empty() {
            break;
        }
        for id in ids {
            let before = tx.question_for_update(id).await?;
            let (after, event) = before
                .state
                .apply(Command::NoteOverdue, now, &calendar)
                .map_err(|r| ApiError::internal(format!("question {id}: {r}")))?;
            tx.save_question_step(&ctx, id, before.state.version, &after, &event)
                .await?;
            noted += 1;
        }
        tx.commit().await?;
    }
    Ok(noted)
}

//! The demo city's public questions (`grassroots_core::demo::questions`),
//! saved through the store's own operations: each asked, answered or noted
//! late as it happened, so timelines and the audit trail read as in use.

use grassroots_core::appeals::calendar::HolidayCalendar;
use grassroots_core::appeals::category::Taxonomy;
use grassroots_core::demo::questions::{Outcome, generate};
use grassroots_core::questions::Command;
use grassroots_store::{Ctx, NewQuestionRow, Store};
use jiff::Timestamp;

/// One question for about every 3,300 appeals a year (60 at the default), at least 12.
pub fn count_for(appeals_per_year: u32) -> usize {
    usize::try_from(appeals_per_year / 3_300)
        .unwrap_or(0)
        .clamp(12, 200)
}

fn as_role(role: &str, at: i64) -> Ctx {
    Ctx {
        actor: format!("demo:{role}"),
        role: role.into(),
        ..Ctx::system(at)
    }
}

/// Load `n` questions; returns how many.
pub async fn load(store: &Store, n: usize, seed: u64, now: Timestamp) -> anyhow::Result<usize> {
    let departments = store.departments().await?;
    let calendar = HolidayCalendar::builtin();
    let limit = Taxonomy::builtin().limits().general;
    let questions = generate(&departments, &calendar, &limit, n, seed, now);
    for q in &questions {
        let id = store
            .ask_question(
                &as_role("resident", q.asked_at),
                &NewQuestionRow {
                    department: &q.department,
                    title: &q.title,
                    body: &q.body,
                    asked_by: None,
                    answer_by: q.answer_by,
                },
            )
            .await?;
        let mut steps = Vec::new();
        let answered_at = match &q.outcome {
            Outcome::Answered { at, text } => {
                steps.push((*at, Command::Answer { text: text.clone() }));
                Some(*at)
            }
            Outcome::Open => None,
        };
        // The job notes lateness when the limit passes unanswered.
        if answered_at.is_none_or(|at| at > q.answer_by) && q.answer_by < now.as_microsecond() {
            steps.push((q.answer_by, Command::NoteOverdue));
        }
        steps.sort_by_key(|(at, _)| *at);
        for (at, command) in steps {
            let ctx = match command {
                Command::NoteOverdue => Ctx::system(at),
                _ => as_role("department_staff", at),
            };
            let mut tx = store.write().await?;
            let before = tx.question_for_update(id).await?;
            let (after, event) = before.state.apply(command, at, &calendar)?;
            tx.save_question_step(&ctx, id, before.state.version, &after, &event)
                .await?;
            tx.commit().await?;
        }
    }
    Ok(questions.len())
}

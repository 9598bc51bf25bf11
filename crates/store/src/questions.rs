//! Public questions to departments (网络问政): the question as its workflow
//! state (`core::questions::Question`) beside its text and answer, the
//! public timeline, and followers. Who asked is stored for "my questions"
//! and never returned by the public reads' callers.

use grassroots_core::questions::{Event, Question, Status};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Ctx, Result, Store, StoreError, Tx};

/// One question as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredQuestion {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub asked_by: Option<i64>,
    pub state: Question,
    pub answer: Option<String>,
    /// Answered after its limit.
    pub late: bool,
    pub followers: i64,
}

/// One entry of a question's public timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionEntry {
    pub at_micros: i64,
    pub action: String,
    /// The actor's role ("resident", "department_staff", "system"), never a name.
    pub role: String,
    /// The department acting (or asked, or passing the question on).
    pub department: Option<String>,
    pub to_department: Option<String>,
    pub note: Option<String>,
}

/// A checked question to save.
#[derive(Clone, Debug)]
pub struct NewQuestionRow<'a> {
    pub department: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub asked_by: Option<i64>,
    pub answer_by: i64,
}

/// Which questions a list shows.
#[derive(Clone, Debug, Default)]
pub struct QuestionFilter {
    pub department: Option<String>,
    pub status: Option<Status>,
    pub asked_by: Option<i64>,
    pub followed_by: Option<i64>,
    /// Open and at or past their limit at this time.
    pub overdue_at: Option<i64>,
    /// Title contains this text.
    pub search: Option<String>,
    /// Soonest limit first (a department's queue) instead of newest first.
    pub by_deadline: bool,
    pub limit: i64,
    pub offset: i64,
}

const COLUMNS: &str = "id, department, title, body, status, asked_by, asked_at, answer_by, \
     answer, answered_at, late, overdue_noted, transfers, followers, version";

fn from_row(row: &AnyRow) -> Result<StoredQuestion> {
    let status: String = row.try_get(4)?;
    let status = Status::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("question status {status}")))?;
    let transfers: i64 = row.try_get(12)?;
    Ok(StoredQuestion {
        id: row.try_get(0)?,
        title: row.try_get(2)?,
        body: row.try_get(3)?,
        asked_by: row.try_get(5)?,
        state: Question {
            status,
            department: row.try_get(1)?,
            asked_at: row.try_get(6)?,
            answer_by: row.try_get(7)?,
            answered_at: row.try_get(9)?,
            overdue_noted: row.try_get::<i64, _>(11)? != 0,
            transfers: u32::try_from(transfers).unwrap_or(u32::MAX),
            version: row.try_get(14)?,
        },
        answer: row.try_get(8)?,
        late: row.try_get::<i64, _>(10)? != 0,
        followers: row.try_get(13)?,
    })
}

/// A timeline row: at, action, role, department, to department, note.
type EntryRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Values bound in order to a query built piece by piece.
enum Bind {
    Int(i64),
    Text(String),
}

/// `%`, `_` and the escape character itself taken literally in a LIKE pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn where_clause(f: &QuestionFilter) -> (String, Vec<Bind>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut binds = Vec::new();
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(d) = &f.department {
        let p = next(Bind::Text(d.clone()), &mut binds);
        sql.push_str(&format!(" AND department = {p}"));
    }
    if let Some(s) = f.status {
        let p = next(Bind::Text(s.as_str().into()), &mut binds);
        sql.push_str(&format!(" AND status = {p}"));
    }
    if let Some(u) = f.asked_by {
        let p = next(Bind::Int(u), &mut binds);
        sql.push_str(&format!(" AND asked_by = {p}"));
    }
    if let Some(u) = f.followed_by {
        let p = next(Bind::Int(u), &mut binds);
        sql.push_str(&format!(
            " AND id IN (SELECT question_id FROM question_follows WHERE user_id = {p})"
        ));
    }
    if let Some(t) = f.overdue_at {
        let p = next(Bind::Int(t), &mut binds);
        sql.push_str(&format!(" AND status = 'open' AND answer_by <= {p}"));
    }
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let p = next(Bind::Text(like_pattern(s)), &mut binds);
        sql.push_str(&format!(" AND title LIKE {p} ESCAPE '\\'"));
    }
    (sql, binds)
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Int(i) => q.bind(i),
            Bind::Text(t) => q.bind(t),
        };
    }
    q
}

impl Store {
    /// Save a checked question, its first timeline entry and its audit event.
    pub async fn ask_question(&self, ctx: &Ctx, q: &NewQuestionRow<'_>) -> Result<i64> {
        let mut tx = self.write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO questions (department, title, body, status, asked_by, asked_at, \
             answer_by, version) VALUES ($1, $2, $3, 'open', $4, $5, $6, 1) RETURNING id",
        )
        .bind(q.department)
        .bind(q.title)
        .bind(q.body)
        .bind(q.asked_by)
        .bind(ctx.now_micros)
        .bind(q.answer_by)
        .fetch_one(&mut *tx.inner)
        .await?;
        let entry = QuestionEntry {
            at_micros: ctx.now_micros,
            action: "question.ask".into(),
            role: ctx.role.clone(),
            department: Some(q.department.to_owned()),
            to_department: None,
            note: None,
        };
        tx.question_entry(id, &entry).await?;
        tx.audit(
            ctx,
            "question.ask",
            "question",
            &id.to_string(),
            &["department", "title", "body"],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn question(&self, id: i64) -> Result<Option<StoredQuestion>> {
        let sql = format!("SELECT {COLUMNS} FROM questions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The public timeline, oldest first.
    pub async fn question_timeline(&self, id: i64) -> Result<Vec<QuestionEntry>> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT at_micros, action, role, department, to_department, note \
                 FROM question_events WHERE question_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| QuestionEntry {
                at_micros: r.0,
                action: r.1,
                role: r.2,
                department: r.3,
                to_department: r.4,
                note: r.5,
            })
            .collect())
    }

    /// Questions matching `f`: newest first, or soonest limit first.
    pub async fn questions(&self, f: &QuestionFilter) -> Result<Vec<StoredQuestion>> {
        let (clause, binds) = where_clause(f);
        let order = if f.by_deadline {
            "answer_by, id"
        } else {
            "asked_at DESC, id DESC"
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM questions{clause} ORDER BY {order} LIMIT {} OFFSET {}",
            f.limit.clamp(0, 1000),
            f.offset.max(0)
        );
        let rows = bind_all(sqlx::query(&sql), binds)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn count_questions(&self, f: &QuestionFilter) -> Result<i64> {
        let (clause, binds) = where_clause(f);
        let sql = format!("SELECT COUNT(*) FROM questions{clause}");
        let row = bind_all(sqlx::query(&sql), binds)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Ids and titles of the newest questions (of one department, if given):
    /// the candidates for "asked already?".
    pub async fn question_titles(
        &self,
        department: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let rows: Vec<(i64, String)> = match department {
            Some(d) => {
                sqlx::query_as(
                    "SELECT id, title FROM questions WHERE department = $1 \
                     ORDER BY asked_at DESC, id DESC LIMIT $2",
                )
                .bind(d)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query_as(
                    "SELECT id, title FROM questions ORDER BY asked_at DESC, id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        Ok(rows)
    }

    /// `user` follows question `id`; false when they already did. Audited.
    pub async fn follow_question(&self, ctx: &Ctx, id: i64, user: i64) -> Result<bool> {
        self.set_following(ctx, id, user, true).await
    }

    /// `user` stops following; false when they did not. Audited.
    pub async fn unfollow_question(&self, ctx: &Ctx, id: i64, user: i64) -> Result<bool> {
        self.set_following(ctx, id, user, false).await
    }

    async fn set_following(&self, ctx: &Ctx, id: i64, user: i64, follow: bool) -> Result<bool> {
        let mut tx = self.write().await?;
        let lock = format!(
            "SELECT id FROM questions WHERE id = $1{}",
            tx.backend.for_update()
        );
        let exists: Option<(i64,)> = sqlx::query_as(&lock)
            .bind(id)
            .fetch_optional(&mut *tx.inner)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let changed = if follow {
            sqlx::query(
                "INSERT INTO question_follows (question_id, user_id, followed_at) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(user)
            .bind(ctx.now_micros)
            .execute(&mut *tx.inner)
            .await?
        } else {
            sqlx::query("DELETE FROM question_follows WHERE question_id = $1 AND user_id = $2")
                .bind(id)
                .bind(user)
                .execute(&mut *tx.inner)
                .await?
        }
        .rows_affected()
            == 1;
        if !changed {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE questions SET followers = \
             (SELECT COUNT(*) FROM question_follows WHERE question_id = $1) WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *tx.inner)
        .await?;
        let action = if follow {
            "question.follow"
        } else {
            "question.unfollow"
        };
        tx.audit(ctx, action, "question", &id.to_string(), &["followers"])
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn is_following(&self, id: i64, user: i64) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT question_id FROM question_follows WHERE question_id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(user)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }
}

impl Tx {
    pub async fn question_for_update(&mut self, id: i64) -> Result<StoredQuestion> {
        let sql = format!(
            "SELECT {COLUMNS} FROM questions WHERE id = $1{}",
            self.backend.for_update()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.inner)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// Open questions past their limit and not yet noted, for the job:
    /// locked (`SKIP LOCKED` on PostgreSQL) so servers share the work.
    pub async fn overdue_questions(&mut self, now: i64, limit: i64) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT id FROM questions WHERE status = 'open' AND overdue_noted = 0 \
             AND answer_by <= $1 ORDER BY answer_by, id LIMIT $2{}",
            self.backend.skip_locked()
        );
        let rows: Vec<(i64,)> = sqlx::query_as(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *self.inner)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Save one accepted step (only if nobody changed the question since
    /// `before_version`): the new state, its timeline entry, its audit event.
    pub async fn save_question_step(
        &mut self,
        ctx: &Ctx,
        id: i64,
        before_version: i64,
        after: &Question,
        event: &Event,
    ) -> Result<()> {
        let (answer, late) = match event {
            Event::Answered { text, late } => (Some(text.as_str()), *late),
            _ => (None, false),
        };
        let done = sqlx::query(
            "UPDATE questions SET status = $1, department = $2, answer_by = $3, \
             answered_at = $4, overdue_noted = $5, transfers = $6, version = $7, \
             answer = COALESCE($8, answer), answered_by = CASE WHEN $8 IS NULL \
             THEN answered_by ELSE $9 END, late = CASE WHEN $8 IS NULL THEN late ELSE $10 END \
             WHERE id = $11 AND version = $12",
        )
        .bind(after.status.as_str())
        .bind(&after.department)
        .bind(after.answer_by)
        .bind(after.answered_at)
        .bind(i64::from(after.overdue_noted))
        .bind(i64::from(after.transfers))
        .bind(after.version)
        .bind(answer)
        .bind(ctx.actor_id)
        .bind(i64::from(late))
        .bind(id)
        .bind(before_version)
        .execute(&mut *self.inner)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "the question changed meanwhile".into(),
            ));
        }
        let (department, to, note, fields): (
            Option<String>,
            Option<String>,
            Option<String>,
            &[&str],
        ) = match event {
            Event::Answered { .. } => (
                Some(after.department.clone()),
                None,
                None,
                &["status", "answer"],
            ),
            Event::Transferred { from, to, reason } => (
                Some(from.clone()),
                Some(to.clone()),
                Some(reason.clone()),
                &["department", "answer_by"],
            ),
            Event::Overdue => (
                Some(after.department.clone()),
                None,
                None,
                &["overdue_noted"],
            ),
        };
        let entry = QuestionEntry {
            at_micros: ctx.now_micros,
            action: event.action().into(),
            role: ctx.role.clone(),
            department,
            to_department: to,
            note,
        };
        self.question_entry(id, &entry).await?;
        self.audit(ctx, event.action(), "question", &id.to_string(), fields)
            .await?;
        if matches!(event, Event::Answered { .. }) {
            self.queue_answer_notices(ctx, id).await?;
        }
        Ok(())
    }

    /// Following a question means hearing of its answer: an SMS to every
    /// follower, and to the asker if signed in, with a phone and an active
    /// account — queued in the outbox in the answer's transaction, once per
    /// person (the dedupe key), sent after commit.
    async fn queue_answer_notices(&mut self, ctx: &Ctx, id: i64) -> Result<()> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, phone FROM users WHERE phone IS NOT NULL AND disabled_at IS NULL \
             AND (id IN (SELECT user_id FROM question_follows WHERE question_id = $1) \
             OR id = (SELECT asked_by FROM questions WHERE id = $1)) ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *self.inner)
        .await?;
        let params = serde_json::json!({ "question_id": id }).to_string();
        for (user, phone) in rows {
            sqlx::query(
                "INSERT INTO outbox (dedupe_key, channel, destination, template, params, \
                 state, attempts, next_attempt_at, created_at) \
                 VALUES ($1, 'sms', $2, 'question_answered', $3, 'pending', 0, $4, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(format!("question:{id}:answered:{user}"))
            .bind(phone)
            .bind(&params)
            .bind(ctx.now_micros)
            .execute(&mut *self.inner)
            .await?;
        }
        Ok(())
    }

    async fn question_entry(&mut self, id: i64, e: &QuestionEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO question_events (question_id, at_micros, action, role, department, \
             to_department, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(e.at_micros)
        .bind(&e.action)
        .bind(&e.role)
        .bind(&e.department)
        .bind(&e.to_department)
        .bind(&e.note)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }
}

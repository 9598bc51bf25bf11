//! Writing appeals: intake (in batches, one transaction per batch: group
//! commit) and workflow steps (optimistic version check, plus the row lock
//! on PostgreSQL).

use grassroots_core::appeals::Event;

use super::row::{APPEAL_COLUMNS, appeal_from_row, outcome_kind, satisfaction_str, status_str};
use super::{StepEffects, StoredAppeal, TimelineEntry, handler_parts};
use crate::territory::to_e7;
use crate::{Ctx, Result, Store, StoreError, Tx};

/// One submission, decided and ready to save.
#[derive(Clone, Debug)]
pub struct Intake {
    pub ctx: Ctx,
    /// `id` is ignored (the database assigns it).
    pub appeal: StoredAppeal,
    /// Scoped to the submitter: `anon:KEY`, `user:42:KEY`.
    pub idempotency_key: Option<String>,
    /// A hash of the submission, to refuse a key reused for another one.
    pub idempotency_hash: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub effects: StepEffects,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitOutcome {
    pub id: i64,
    pub tracking_code: String,
    /// False when an earlier submission with the same key was found.
    pub created: bool,
}

fn json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Save a batch of submissions in one transaction (one fsync for all).
    /// Each gets its own outcome; a refused one (a reused idempotency key)
    /// writes nothing and does not affect the others.
    pub async fn submit_appeals(&self, batch: &[Intake]) -> Result<Vec<Result<SubmitOutcome>>> {
        let mut tx = self.write().await?;
        let mut out = Vec::with_capacity(batch.len());
        for intake in batch {
            out.push(tx.submit_appeal(intake).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    pub async fn submit_appeal(&self, intake: &Intake) -> Result<SubmitOutcome> {
        let mut out = self.submit_appeals(std::slice::from_ref(intake)).await?;
        out.pop().unwrap_or(Err(StoreError::NotFound))
    }
}

impl Tx {
    async fn existing_submission(
        &mut self,
        key: &str,
    ) -> Result<Option<(i64, String, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT id, tracking_code, idempotency_hash FROM appeals WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&mut *self.inner)
        .await?)
    }

    /// The outer `Result` is a database failure (the batch is lost); the
    /// inner one is this submission's own refusal.
    pub async fn submit_appeal(&mut self, intake: &Intake) -> Result<Result<SubmitOutcome>> {
        let reused = |hash: Option<String>, id: i64, code: String| {
            if hash == intake.idempotency_hash {
                Ok(SubmitOutcome {
                    id,
                    tracking_code: code,
                    created: false,
                })
            } else {
                Err(StoreError::Conflict(
                    "the idempotency key was used for a different submission".into(),
                ))
            }
        };
        if let Some(key) = &intake.idempotency_key
            && let Some((id, code, hash)) = self.existing_submission(key).await?
        {
            return Ok(reused(hash, id, code));
        }
        let a = &intake.appeal;
        let s = &a.state;
        let (hk, hc) = handler_parts(s.handler.as_ref());
        let (fk, fc) = handler_parts(s.first_handler.as_ref());
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO appeals (tracking_code, idempotency_key, idempotency_hash, category, \
             category_group, description, lon_e7, lat_e7, address, unit_code, district_code, \
             street_code, community_code, grid_code, contact_name, contact_phone, publish, urgency, \
             channel, requester_id, entered_by, time_limit, route_rule, status, handler_kind, \
             handler_code, handler_level, first_handler_kind, first_handler_code, returns, \
             returns_count, passed_around, reopened, escalations, supervised, outcome, outcome_kind, requesters, \
             version, received_at, sign_due, reply_due, status_at, clock_from, act_by, closed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
             $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, \
             $35, $36, $37, $38, $39, $40, $41, $42, $43, $44, $45, $46) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&a.tracking_code)
        .bind(&intake.idempotency_key)
        .bind(&intake.idempotency_hash)
        .bind(&a.category)
        .bind(&a.category_group)
        .bind(&a.description)
        .bind(a.point.map(|p| to_e7(p.0)))
        .bind(a.point.map(|p| to_e7(p.1)))
        .bind(&a.address)
        .bind(&a.units.unit)
        .bind(&a.units.district)
        .bind(&a.units.street)
        .bind(&a.units.community)
        .bind(&a.units.grid)
        .bind(&a.contact_name)
        .bind(&a.contact_phone)
        .bind(i64::from(a.publish))
        .bind(a.urgency.as_str())
        .bind(a.channel.as_str())
        .bind(a.requester_id)
        .bind(a.entered_by)
        .bind(json(&a.time_limit)?)
        .bind(&a.route_rule)
        .bind(status_str(s.status))
        .bind(hk)
        .bind(hc)
        .bind(&a.handler_level)
        .bind(fk)
        .bind(fc)
        .bind(json(&s.returns)?)
        .bind(s.returns.len() as i64)
        .bind(i64::from(s.passed_around))
        .bind(i64::from(s.reopened))
        .bind(i64::from(s.escalations))
        .bind(i64::from(s.supervised))
        .bind(s.outcome.as_ref().map(json).transpose()?)
        .bind(s.outcome.as_ref().map(outcome_kind))
        .bind(a.requesters)
        .bind(s.version)
        .bind(a.clocks.received_at)
        .bind(a.clocks.sign_due)
        .bind(a.clocks.reply_due)
        .bind(a.clocks.status_at)
        .bind(a.clocks.clock_from)
        .bind(a.clocks.act_by)
        .bind(a.clocks.closed_at)
        .fetch_optional(&mut *self.inner)
        .await?;
        let Some((id,)) = inserted else {
            // Another server saved the same key first (PostgreSQL waited for
            // it), or — vanishingly rare — the tracking code was taken.
            if let Some(key) = &intake.idempotency_key
                && let Some((id, code, hash)) = self.existing_submission(key).await?
            {
                return Ok(reused(hash, id, code));
            }
            return Ok(Err(StoreError::Conflict(
                "tracking code collision; retry".into(),
            )));
        };
        for entry in &intake.timeline {
            self.add_timeline(id, entry).await?;
        }
        self.audit(
            &intake.ctx,
            "appeal.create",
            "appeal",
            &id.to_string(),
            &[
                "category",
                "description",
                "location",
                "contact",
                "publish",
                "urgency",
                "channel",
                "status",
                "handler",
            ],
        )
        .await?;
        self.add_effects(&intake.ctx, id, &intake.effects).await?;
        Ok(Ok(SubmitOutcome {
            id,
            tracking_code: a.tracking_code.clone(),
            created: true,
        }))
    }

    async fn add_timeline(&mut self, appeal_id: i64, e: &TimelineEntry) -> Result<()> {
        let (hk, hc) = handler_parts(e.handler.as_ref());
        sqlx::query(
            "INSERT INTO appeal_events (appeal_id, at_micros, action, public, actor_id, actor, \
             role, unit, handler_kind, handler_code, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(appeal_id)
        .bind(e.at)
        .bind(&e.action)
        .bind(i64::from(e.public))
        .bind(e.actor_id)
        .bind(&e.actor)
        .bind(&e.role)
        .bind(&e.unit)
        .bind(hk)
        .bind(hc)
        .bind(&e.note)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    async fn add_effects(&mut self, ctx: &Ctx, appeal_id: i64, fx: &StepEffects) -> Result<()> {
        for n in &fx.notices {
            let (k, c) = handler_parts(Some(&n.to));
            sqlx::query(
                "INSERT INTO notifications (target_kind, target_code, appeal_id, kind, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(k)
            .bind(c)
            .bind(appeal_id)
            .bind(n.kind)
            .bind(ctx.now_micros)
            .execute(&mut *self.inner)
            .await?;
        }
        for m in &fx.messages {
            sqlx::query(
                "INSERT INTO outbox (dedupe_key, channel, destination, template, params, \
                 appeal_id, state, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) ON CONFLICT DO NOTHING",
            )
            .bind(&m.dedupe_key)
            .bind(m.channel)
            .bind(&m.destination)
            .bind(m.template)
            .bind(m.params.to_string())
            .bind(appeal_id)
            .bind(ctx.now_micros)
            .execute(&mut *self.inner)
            .await?;
        }
        if let Some(t) = &fx.task {
            sqlx::query(
                "INSERT INTO tasks (kind, unit_code, appeal_id, created_at, note) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(t.kind)
            .bind(&t.unit)
            .bind(appeal_id)
            .bind(ctx.now_micros)
            .bind(&t.note)
            .execute(&mut *self.inner)
            .await?;
        }
        Ok(())
    }

    /// Read an appeal to change it: locked on PostgreSQL until commit.
    pub async fn appeal_for_update(&mut self, id: i64) -> Result<StoredAppeal> {
        let sql = format!(
            "SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = $1{}",
            self.backend.for_update()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(&mut *self.inner)
            .await?;
        appeal_from_row(&row)
    }

    /// Save one accepted step: the new state (only if nobody changed it
    /// since `before_version`), its timeline entry, its audit event and
    /// its notifications, messages and tasks.
    pub async fn save_step(
        &mut self,
        ctx: &Ctx,
        before_version: i64,
        after: &StoredAppeal,
        event: &Event,
        entry: &TimelineEntry,
        effects: &StepEffects,
    ) -> Result<()> {
        let s = &after.state;
        let (hk, hc) = handler_parts(s.handler.as_ref());
        let (fk, fc) = handler_parts(s.first_handler.as_ref());
        let c = &after.clocks;
        let r = after.rating.as_ref();
        let done = sqlx::query(
            "UPDATE appeals SET status = $1, handler_kind = $2, handler_code = $3, \
             handler_level = $4, first_handler_kind = $5, first_handler_code = $6, returns = $7, \
             passed_around = $8, reopened = $9, escalations = $10, supervised = $11, outcome = $12, \
             outcome_kind = $13, version = $14, status_at = $15, clock_from = $16, act_by = $17, \
             signed_at = $18, replied_at = $19, reply_text = $20, closed_at = $21, \
             rated_resolved = $22, rated_satisfaction = $23, rating_comment = $24, merged_into = $25, \
             returns_count = $26 WHERE id = $27 AND version = $28",
        )
        .bind(status_str(s.status))
        .bind(hk)
        .bind(hc)
        .bind(&after.handler_level)
        .bind(fk)
        .bind(fc)
        .bind(json(&s.returns)?)
        .bind(i64::from(s.passed_around))
        .bind(i64::from(s.reopened))
        .bind(i64::from(s.escalations))
        .bind(i64::from(s.supervised))
        .bind(s.outcome.as_ref().map(json).transpose()?)
        .bind(s.outcome.as_ref().map(outcome_kind))
        .bind(s.version)
        .bind(c.status_at)
        .bind(c.clock_from)
        .bind(c.act_by)
        .bind(c.signed_at)
        .bind(c.replied_at)
        .bind(&after.reply_text)
        .bind(c.closed_at)
        .bind(r.map(|r| i64::from(r.resolved)))
        .bind(r.map(|r| satisfaction_str(r.satisfaction)))
        .bind(r.and_then(|r| r.comment.clone()))
        .bind(effects.merge_into)
        .bind(s.returns.len() as i64)
        .bind(after.id)
        .bind(before_version)
        .execute(&mut *self.inner)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "the appeal was changed by someone else; reload and try again".into(),
            ));
        }
        self.add_timeline(after.id, entry).await?;
        self.audit(
            ctx,
            event.action,
            "appeal",
            &after.id.to_string(),
            &event.fields,
        )
        .await?;
        if let Some(target) = effects.merge_into {
            sqlx::query("UPDATE appeals SET requesters = requesters + $1 WHERE id = $2")
                .bind(after.requesters)
                .bind(target)
                .execute(&mut *self.inner)
                .await?;
        }
        self.add_effects(ctx, after.id, effects).await
    }

    /// Appeals whose act-by time has passed, oldest first. On PostgreSQL
    /// they are locked and skipped by other servers' jobs until commit.
    pub async fn overdue_appeals(&mut self, now: i64, limit: i64) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT id FROM appeals WHERE act_by IS NOT NULL AND act_by <= $1 \
             ORDER BY act_by, id LIMIT $2{}",
            self.backend.skip_locked()
        );
        let rows: Vec<(i64,)> = sqlx::query_as(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *self.inner)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

impl Store {
    /// An appeal's unmasked contact phone, with the read written to the
    /// audit trail in the same transaction.
    pub async fn reveal_appeal_contact(&self, ctx: &Ctx, id: i64) -> Result<Option<String>> {
        let mut tx = self.write().await?;
        let (phone,): (Option<String>,) =
            sqlx::query_as("SELECT contact_phone FROM appeals WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx.inner)
                .await?;
        tx.audit(
            ctx,
            "appeal.reveal_contact",
            "appeal",
            &id.to_string(),
            &["contact_phone"],
        )
        .await?;
        tx.commit().await?;
        Ok(phone)
    }
}

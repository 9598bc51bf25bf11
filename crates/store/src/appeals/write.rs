//! Writing appeals: intake (in batches, one transaction per batch: group
//! commit) and workflow steps (optimistic version check, plus the row lock
//! on PostgreSQL).

use std::collections::HashMap;

use grassroots_core::appeals::Event;

use super::row::{APPEAL_COLUMNS, appeal_from_row, outcome_kind, satisfaction_str};
use super::{
    NewPhoto, Notice, OutMessage, StepEffects, StoredAppeal, TimelineEntry, handler_parts,
};
use crate::territory::to_e7;
use crate::{AuditEntry, Ctx, Result, Store, StoreError, Tx};

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
    pub photos: Vec<NewPhoto>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitOutcome {
    pub id: i64,
    pub tracking_code: String,
    /// False when an earlier submission with the same key was found.
    pub created: bool,
}

/// The columns an intake writes, in the order `bind_appeal` binds them.
pub(crate) const INSERT_COLUMNS: &str = "tracking_code, idempotency_key, idempotency_hash, \
    category, category_group, description, lon_e7, lat_e7, address, unit_code, district_code, \
    street_code, community_code, grid_code, contact_name, contact_phone, publish, urgency, \
    channel, requester_id, entered_by, time_limit, route_rule, status, handler_kind, \
    handler_code, handler_level, first_handler_kind, first_handler_code, returns, \
    returns_count, passed_around, reopened, escalations, supervised, outcome, outcome_kind, \
    requesters, version, received_at, sign_due, reply_due, status_at, clock_from, act_by, \
    closed_at, signed_at, replied_at, reply_text, rated_resolved, rated_satisfaction, assists, \
    extension, extension_days";
pub(crate) const INSERT_COUNT: usize = 54;

/// Appeals per multi-row insert (54 parameters each).
const APPEALS_PER_INSERT: usize = 16;

type AnyQuery<'q, O> = sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>;

/// Bind one appeal's values in `INSERT_COLUMNS` order.
pub(crate) fn bind_appeal<'q, O>(
    q: AnyQuery<'q, O>,
    a: &'q StoredAppeal,
    key: Option<&'q str>,
    hash: Option<&'q str>,
) -> Result<AnyQuery<'q, O>> {
    let s = &a.state;
    let (hk, hc) = handler_parts(s.handler.as_ref());
    let (fk, fc) = handler_parts(s.first_handler.as_ref());
    let r = a.rating.as_ref();
    Ok(q.bind(&a.tracking_code)
        .bind(key)
        .bind(hash)
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
        .bind(s.status.as_str())
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
        .bind(a.clocks.signed_at)
        .bind(a.clocks.replied_at)
        .bind(&a.reply_text)
        .bind(r.map(|r| i64::from(r.resolved)))
        .bind(r.map(|r| satisfaction_str(r.satisfaction)))
        .bind(json(&s.assists)?)
        .bind(s.extension.as_ref().map(json).transpose()?)
        .bind(i64::from(s.extension_days)))
}

type Known = (i64, String, Option<String>);

const CREATE_FIELDS: &[&str] = &[
    "category",
    "description",
    "location",
    "contact",
    "publish",
    "urgency",
    "channel",
    "status",
    "handler",
];

/// Rows per multi-row timeline insert (see `AUDIT_ROWS_PER_STATEMENT`).
pub(crate) const TIMELINE_ROWS_PER_STATEMENT: usize = 64;

fn reused(intake: &Intake, hash: Option<String>, id: i64, code: String) -> Result<SubmitOutcome> {
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
        let out = tx.submit_batch(batch).await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn submit_appeal(&self, intake: &Intake) -> Result<SubmitOutcome> {
        let mut out = self.submit_appeals(std::slice::from_ref(intake)).await?;
        out.pop().unwrap_or(Err(StoreError::NotFound))
    }
}

impl Tx {
    async fn existing_submissions(&mut self, keys: &[&str]) -> Result<HashMap<String, Known>> {
        let mut known = HashMap::new();
        for chunk in keys.chunks(100) {
            let sql = format!(
                "SELECT idempotency_key, id, tracking_code, idempotency_hash FROM appeals \
                 WHERE idempotency_key IN {}",
                self.backend.value_lists(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, i64, String, Option<String>)>(&sql);
            for k in chunk {
                q = q.bind(*k);
            }
            for (key, id, code, hash) in q.fetch_all(&mut *self.inner).await? {
                known.insert(key, (id, code, hash));
            }
        }
        Ok(known)
    }

    /// Save a batch of submissions. The outer `Result` is a database
    /// failure (the batch is lost); each inner one is that submission's own
    /// outcome. Side rows (timeline, audit, notices, messages) of the whole
    /// batch go in a few multi-row statements.
    pub async fn submit_batch(&mut self, batch: &[Intake]) -> Result<Vec<Result<SubmitOutcome>>> {
        let keys: Vec<&str> = batch
            .iter()
            .filter_map(|i| i.idempotency_key.as_deref())
            .collect();
        let mut known = self.existing_submissions(&keys).await?;
        let mut out: Vec<Option<Result<SubmitOutcome>>> = (0..batch.len()).map(|_| None).collect();
        // A key seen earlier in this batch waits for that submission's fate.
        let mut claimed: HashMap<&str, usize> = HashMap::new();
        let mut fresh: Vec<usize> = Vec::new();
        let mut deferred: Vec<usize> = Vec::new();
        for (i, intake) in batch.iter().enumerate() {
            match intake.idempotency_key.as_deref() {
                Some(key) if known.contains_key(key) => {
                    if let Some((id, code, hash)) = known.get(key) {
                        out[i] = Some(reused(intake, hash.clone(), *id, code.clone()));
                    }
                }
                Some(key) if claimed.contains_key(key) => deferred.push(i),
                key => {
                    if let Some(key) = key {
                        claimed.insert(key, i);
                    }
                    fresh.push(i);
                }
            }
        }
        let mut inserted: HashMap<String, i64> = HashMap::new();
        for chunk in fresh.chunks(APPEALS_PER_INSERT) {
            let rows: Vec<&Intake> = chunk.iter().map(|i| &batch[*i]).collect();
            inserted.extend(self.insert_appeal_rows(&rows).await?);
        }
        let mut created: Vec<(&Intake, i64)> = Vec::new();
        for i in fresh {
            let intake = &batch[i];
            let code = &intake.appeal.tracking_code;
            if let Some(id) = inserted.get(code) {
                if let Some(key) = &intake.idempotency_key {
                    known.insert(
                        key.clone(),
                        (*id, code.clone(), intake.idempotency_hash.clone()),
                    );
                }
                created.push((intake, *id));
                out[i] = Some(Ok(SubmitOutcome {
                    id: *id,
                    tracking_code: code.clone(),
                    created: true,
                }));
                continue;
            }
            // Another server saved the same key first (PostgreSQL waited
            // for it), or — vanishingly rare — the tracking code was taken.
            let again = match &intake.idempotency_key {
                Some(key) => self
                    .existing_submissions(&[key.as_str()])
                    .await?
                    .remove(key),
                None => None,
            };
            out[i] = Some(match again {
                Some((id, code, hash)) => {
                    if let Some(key) = &intake.idempotency_key {
                        known.insert(key.clone(), (id, code.clone(), hash.clone()));
                    }
                    reused(intake, hash, id, code)
                }
                None => Err(StoreError::Conflict(
                    "tracking code collision; retry".into(),
                )),
            });
        }
        for i in deferred {
            let intake = &batch[i];
            let found = intake
                .idempotency_key
                .as_deref()
                .and_then(|k| known.get(k))
                .cloned();
            out[i] = Some(match found {
                Some((id, code, hash)) => reused(intake, hash, id, code),
                None => Err(StoreError::Conflict(
                    "an earlier submission with this key failed; retry".into(),
                )),
            });
        }
        let out: Vec<Result<SubmitOutcome>> = out
            .into_iter()
            .map(|o| o.unwrap_or(Err(StoreError::NotFound)))
            .collect();
        let timeline: Vec<(i64, &TimelineEntry)> = created
            .iter()
            .flat_map(|(i, id)| i.timeline.iter().map(move |e| (*id, e)))
            .collect();
        self.insert_timeline_rows(&timeline).await?;
        let ids: Vec<String> = created.iter().map(|(_, id)| id.to_string()).collect();
        let entries: Vec<AuditEntry<'_>> = created
            .iter()
            .zip(&ids)
            .map(|((i, _), id)| AuditEntry {
                ctx: &i.ctx,
                action: "appeal.create",
                object_type: "appeal",
                object_id: id.clone(),
                fields: CREATE_FIELDS,
            })
            .collect();
        self.audit_many(&entries).await?;
        let effects: Vec<(&Ctx, i64, &StepEffects)> = created
            .iter()
            .map(|(i, id)| (&i.ctx, *id, &i.effects))
            .collect();
        self.add_effects_many(&effects).await?;
        for (intake, id) in &created {
            if !intake.photos.is_empty() {
                self.add_photos(&intake.ctx, *id, &intake.photos).await?;
            }
        }
        Ok(out)
    }

    /// Insert appeal rows in one statement; returns the ids of those
    /// inserted, by tracking code (a row whose key was taken is skipped).
    async fn insert_appeal_rows(&mut self, rows: &[&Intake]) -> Result<Vec<(String, i64)>> {
        let sql = format!(
            "INSERT INTO appeals ({INSERT_COLUMNS}) VALUES {} ON CONFLICT DO NOTHING \
             RETURNING tracking_code, id",
            self.backend.value_lists(rows.len(), INSERT_COUNT)
        );
        let mut q = sqlx::query_as(&sql);
        for intake in rows {
            q = bind_appeal(
                q,
                &intake.appeal,
                intake.idempotency_key.as_deref(),
                intake.idempotency_hash.as_deref(),
            )?;
        }
        Ok(q.fetch_all(&mut *self.inner).await?)
    }

    /// Timeline rows in multi-row statements.
    pub(crate) async fn insert_timeline_rows(
        &mut self,
        rows: &[(i64, &TimelineEntry)],
    ) -> Result<()> {
        for chunk in rows.chunks(TIMELINE_ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO appeal_events (appeal_id, at_micros, action, public, actor_id, actor, \
                 role, unit, handler_kind, handler_code, note) VALUES {}",
                self.backend.value_lists(chunk.len(), 11)
            );
            let mut q = sqlx::query(&sql);
            for (id, e) in chunk {
                let (hk, hc) = handler_parts(e.handler.as_ref());
                q = q
                    .bind(*id)
                    .bind(e.at)
                    .bind(&e.action)
                    .bind(i64::from(e.public))
                    .bind(e.actor_id)
                    .bind(&e.actor)
                    .bind(&e.role)
                    .bind(&e.unit)
                    .bind(hk)
                    .bind(hc)
                    .bind(&e.note);
            }
            q.execute(&mut *self.inner).await?;
        }
        Ok(())
    }

    /// Notices, messages and tasks of several appeals, few statements.
    async fn add_effects_many(&mut self, all: &[(&Ctx, i64, &StepEffects)]) -> Result<()> {
        let notices: Vec<(&Ctx, i64, &Notice)> = all
            .iter()
            .flat_map(|(c, id, fx)| fx.notices.iter().map(move |n| (*c, *id, n)))
            .collect();
        for chunk in notices.chunks(64) {
            let sql = format!(
                "INSERT INTO notifications (target_kind, target_code, appeal_id, kind, created_at) \
                 VALUES {}",
                self.backend.value_lists(chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for (ctx, id, n) in chunk {
                let (k, c) = handler_parts(Some(&n.to));
                q = q
                    .bind(k)
                    .bind(c)
                    .bind(*id)
                    .bind(n.kind)
                    .bind(ctx.now_micros);
            }
            q.execute(&mut *self.inner).await?;
        }
        let messages: Vec<(&Ctx, i64, &OutMessage)> = all
            .iter()
            .flat_map(|(c, id, fx)| fx.messages.iter().map(move |m| (*c, *id, m)))
            .collect();
        for chunk in messages.chunks(48) {
            let sql = format!(
                "INSERT INTO outbox (dedupe_key, channel, destination, template, params, \
                 appeal_id, state, attempts, next_attempt_at, created_at) VALUES {} \
                 ON CONFLICT DO NOTHING",
                self.backend.value_lists(chunk.len(), 10)
            );
            let mut q = sqlx::query(&sql);
            for (ctx, id, m) in chunk {
                q = q
                    .bind(&m.dedupe_key)
                    .bind(m.channel)
                    .bind(&m.destination)
                    .bind(m.template)
                    .bind(m.params.to_string())
                    .bind(*id)
                    .bind("pending")
                    .bind(0_i64)
                    .bind(ctx.now_micros)
                    .bind(ctx.now_micros);
            }
            q.execute(&mut *self.inner).await?;
        }
        for (ctx, id, fx) in all {
            if let Some(t) = &fx.task {
                sqlx::query(
                    "INSERT INTO tasks (kind, unit_code, appeal_id, created_at, note) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(t.kind)
                .bind(&t.unit)
                .bind(*id)
                .bind(ctx.now_micros)
                .bind(&t.note)
                .execute(&mut *self.inner)
                .await?;
            }
        }
        Ok(())
    }

    async fn add_timeline(&mut self, appeal_id: i64, e: &TimelineEntry) -> Result<()> {
        self.insert_timeline_rows(&[(appeal_id, e)]).await
    }

    async fn add_effects(&mut self, ctx: &Ctx, appeal_id: i64, fx: &StepEffects) -> Result<()> {
        self.add_effects_many(&[(ctx, appeal_id, fx)]).await
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
             returns_count = $26, reply_due = $27, assists = $28, extension = $29, \
             extension_days = $30 WHERE id = $31 AND version = $32",
        )
        .bind(s.status.as_str())
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
        .bind(c.reply_due)
        .bind(json(&s.assists)?)
        .bind(s.extension.as_ref().map(json).transpose()?)
        .bind(i64::from(s.extension_days))
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
    /// An internal note on an appeal (staff only, never shown to the
    /// resident): a timeline entry that is not public, audited, and not a
    /// workflow step, so the version does not move.
    pub async fn add_appeal_note(&self, ctx: &Ctx, id: i64, note: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let a = tx.appeal_for_update(id).await?;
        let entry = TimelineEntry {
            at: ctx.now_micros,
            action: "appeal.note".into(),
            public: false,
            actor_id: ctx.actor_id,
            actor: ctx.actor.clone(),
            role: ctx.role.clone(),
            unit: ctx.unit.clone(),
            handler: a.state.handler.clone(),
            note: Some(note.to_owned()),
        };
        tx.add_timeline(id, &entry).await?;
        tx.audit(ctx, "appeal.note", "appeal", &id.to_string(), &["note"])
            .await?;
        tx.commit().await?;
        Ok(())
    }

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

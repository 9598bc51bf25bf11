//! Writing disputes: opening a case, saving an accepted step with its
//! timeline entry and audit event, organisations, and the demo history.

use grassroots_core::mediation::{Event, Organisation, PartyInfo};

use super::{DISPUTE_COLUMNS, DisputeEntry, StoredDispute, dispute_from_row, json, kind_str};
use crate::territory::to_e7;
use crate::{Backend, Ctx, Result, StoreError, Tx};

/// Columns written on insert, in `bind_insert` order.
const INSERT_COLUMNS: &str = "dispute_type, source, facts, claims, amount_fen, lon_e7, lat_e7, \
    address, unit_code, district_code, street_code, community_code, grid_code, appeal_id, court, \
    org_code, first_org_code, org_level, status, outcome_kind, risk, supervised, state, version, \
    received_at, accepted_at, agreed_at, closed_at, act_by, follow_up_due, entered_by";
const INSERT_COUNT: usize = 31;

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_insert<'q>(q: Query<'q>, d: &'q StoredDispute) -> Result<Query<'q>> {
    let s = &d.state;
    Ok(q.bind(d.dispute_type.as_str())
        .bind(d.source.as_str())
        .bind(&d.facts)
        .bind(&d.claims)
        .bind(d.amount_fen)
        .bind(d.point.map(|p| to_e7(p.0)))
        .bind(d.point.map(|p| to_e7(p.1)))
        .bind(&d.address)
        .bind(&d.units.unit)
        .bind(&d.units.district)
        .bind(&d.units.street)
        .bind(&d.units.community)
        .bind(&d.units.grid)
        .bind(d.appeal_id)
        .bind(&d.court)
        .bind(&s.org)
        .bind(&s.first_org)
        .bind(&d.org_level)
        .bind(s.status.as_str())
        .bind(s.outcome.as_ref().map(|o| o.kind()))
        .bind(json(&s.risk)?)
        .bind(i64::from(s.supervised))
        .bind(json(s)?)
        .bind(s.version)
        .bind(s.received_at)
        .bind(s.accepted_at)
        .bind(s.agreed_at)
        .bind(s.closed_at)
        .bind(d.act_by())
        .bind(s.follow_up_due())
        .bind(d.entered_by))
}

impl Tx {
    /// Create or update an organisation, audited.
    pub async fn upsert_mediation_org(&mut self, ctx: &Ctx, o: &Organisation) -> Result<()> {
        sqlx::query(
            "INSERT INTO mediation_orgs (code, name, kind, unit_code, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET name = $2, kind = $3, \
             unit_code = $4",
        )
        .bind(&o.code)
        .bind(&o.name)
        .bind(o.kind.as_str())
        .bind(&o.unit)
        .bind(ctx.now_micros)
        .execute(&mut *self.inner)
        .await?;
        self.audit(
            ctx,
            "mediation_org.upsert",
            "mediation_org",
            &o.code,
            &["name", "kind", "unit_code"],
        )
        .await?;
        Ok(())
    }

    /// Open a case: the dispute, its parties, mediators and first timeline
    /// entry, and one audit event. Returns the new id.
    pub async fn open_dispute(
        &mut self,
        ctx: &Ctx,
        d: &StoredDispute,
        parties: &[PartyInfo],
        entry: &DisputeEntry,
    ) -> Result<i64> {
        let sql = format!(
            "INSERT INTO disputes ({INSERT_COLUMNS}) VALUES {} RETURNING id",
            self.backend.value_lists(1, INSERT_COUNT)
        );
        let q = bind_insert(sqlx::query(&sql), d)?;
        let row = q.fetch_one(&mut *self.inner).await?;
        let id: i64 = sqlx::Row::try_get(&row, 0)?;
        self.insert_parties(&[(id, parties)]).await?;
        self.set_mediators(id, &d.state.mediators).await?;
        self.insert_entries(&[(id, entry)]).await?;
        self.audit(
            ctx,
            "dispute.open",
            "dispute",
            &id.to_string(),
            &[
                "dispute_type",
                "source",
                "facts",
                "claims",
                "amount_fen",
                "location",
                "parties",
                "org",
            ],
        )
        .await?;
        Ok(id)
    }

    async fn insert_parties(&mut self, rows: &[(i64, &[PartyInfo])]) -> Result<()> {
        let flat: Vec<(i64, usize, &PartyInfo)> = rows
            .iter()
            .flat_map(|(id, ps)| ps.iter().enumerate().map(move |(i, p)| (*id, i, p)))
            .collect();
        for chunk in flat.chunks(200) {
            let sql = format!(
                "INSERT INTO dispute_parties (dispute_id, idx, side, kind, name, phone, address, user_id) VALUES {}",
                self.backend.value_lists(chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for (id, i, p) in chunk {
                q = q
                    .bind(*id)
                    .bind(*i as i64)
                    .bind(p.side.as_str())
                    .bind(kind_str(p.kind))
                    .bind(&p.name)
                    .bind(&p.phone)
                    .bind(&p.address)
                    .bind(p.user_id);
            }
            q.execute(&mut *self.inner).await?;
        }
        Ok(())
    }

    async fn insert_entries(&mut self, rows: &[(i64, &DisputeEntry)]) -> Result<()> {
        for chunk in rows.chunks(200) {
            let sql = format!(
                "INSERT INTO dispute_events (dispute_id, at_micros, action, public, actor_id, actor, role, note) VALUES {}",
                self.backend.value_lists(chunk.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for (id, e) in chunk {
                q = q
                    .bind(*id)
                    .bind(e.at)
                    .bind(&e.action)
                    .bind(i64::from(e.public))
                    .bind(e.actor_id)
                    .bind(&e.actor)
                    .bind(&e.role)
                    .bind(&e.note);
            }
            q.execute(&mut *self.inner).await?;
        }
        Ok(())
    }

    async fn set_mediators(&mut self, id: i64, mediators: &[i64]) -> Result<()> {
        sqlx::query("DELETE FROM dispute_mediators WHERE dispute_id = $1")
            .bind(id)
            .execute(&mut *self.inner)
            .await?;
        if mediators.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO dispute_mediators (dispute_id, user_id) VALUES {}",
            self.backend.value_lists(mediators.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for m in mediators {
            q = q.bind(id).bind(*m);
        }
        q.execute(&mut *self.inner).await?;
        Ok(())
    }

    /// An appeal that turned out to be a dispute: its timeline and audit
    /// trail record the case it became (the appeal keeps its own history).
    pub async fn note_appeal_converted(
        &mut self,
        ctx: &Ctx,
        appeal_id: i64,
        dispute_id: i64,
    ) -> Result<()> {
        let entry = crate::TimelineEntry {
            at: ctx.now_micros,
            action: "appeal.converted_to_dispute".into(),
            public: true,
            actor_id: ctx.actor_id,
            actor: ctx.actor.clone(),
            role: ctx.role.clone(),
            unit: ctx.unit.clone(),
            handler: None,
            note: Some(format!("dispute {dispute_id}")),
        };
        self.insert_timeline_rows(&[(appeal_id, &entry)]).await?;
        self.audit(
            ctx,
            "appeal.converted_to_dispute",
            "appeal",
            &appeal_id.to_string(),
            &["dispute_id"],
        )
        .await?;
        Ok(())
    }

    /// Read a case to change it: locked on PostgreSQL until commit.
    pub async fn dispute_for_update(&mut self, id: i64) -> Result<StoredDispute> {
        let sql = format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes WHERE id = $1{}",
            self.backend.for_update()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.inner)
            .await?
            .ok_or(StoreError::NotFound)?;
        dispute_from_row(&row)
    }

    /// Save one accepted step (only if nobody changed the case since
    /// `before_version`), its timeline entry and its audit event.
    pub async fn save_dispute_step(
        &mut self,
        ctx: &Ctx,
        before_version: i64,
        after: &StoredDispute,
        event: &Event,
        entry: &DisputeEntry,
    ) -> Result<()> {
        let s = &after.state;
        let done = sqlx::query(
            "UPDATE disputes SET org_code = $1, org_level = $2, status = $3, outcome_kind = $4, \
             risk = $5, supervised = $6, state = $7, version = $8, accepted_at = $9, agreed_at = $10, \
             closed_at = $11, act_by = $12, follow_up_due = $13 WHERE id = $14 AND version = $15",
        )
        .bind(&s.org)
        .bind(&after.org_level)
        .bind(s.status.as_str())
        .bind(s.outcome.as_ref().map(|o| o.kind()))
        .bind(json(&s.risk)?)
        .bind(i64::from(s.supervised))
        .bind(json(s)?)
        .bind(s.version)
        .bind(s.accepted_at)
        .bind(s.agreed_at)
        .bind(s.closed_at)
        .bind(after.act_by())
        .bind(s.follow_up_due())
        .bind(after.id)
        .bind(before_version)
        .execute(&mut *self.inner)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "the case was changed by someone else; reload and try again".into(),
            ));
        }
        if event.fields.contains(&"mediators") {
            self.set_mediators(after.id, &s.mediators).await?;
        }
        self.insert_entries(&[(after.id, entry)]).await?;
        self.audit(
            ctx,
            event.action,
            "dispute",
            &after.id.to_string(),
            &event.fields,
        )
        .await?;
        Ok(())
    }

    /// Cases whose time limit has passed, oldest first. On PostgreSQL they
    /// are locked and skipped by other servers' jobs until commit.
    pub async fn overdue_disputes(&mut self, now: i64, limit: i64) -> Result<Vec<i64>> {
        let sql = format!(
            "SELECT id FROM disputes WHERE act_by IS NOT NULL AND act_by <= $1 \
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

    /// Load organisations and a history of cases (the demo city), with one
    /// audit event for the load as a whole.
    pub async fn insert_dispute_history(
        &mut self,
        ctx: &Ctx,
        orgs: &[Organisation],
        rows: &[(StoredDispute, Vec<PartyInfo>, Vec<DisputeEntry>)],
    ) -> Result<()> {
        for chunk in orgs.chunks(200) {
            let sql = format!(
                "INSERT INTO mediation_orgs (code, name, kind, unit_code, created_at) VALUES {} \
                 ON CONFLICT (code) DO NOTHING",
                self.backend.value_lists(chunk.len(), 5)
            );
            let mut q = sqlx::query(&sql);
            for o in chunk {
                q = q
                    .bind(&o.code)
                    .bind(&o.name)
                    .bind(o.kind.as_str())
                    .bind(&o.unit)
                    .bind(ctx.now_micros);
            }
            q.execute(&mut *self.inner).await?;
        }
        let (max,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM disputes")
            .fetch_one(&mut *self.inner)
            .await?;
        let first = max.unwrap_or(0) + 1;
        const PER_STATEMENT: usize = 32;
        for (n, chunk) in rows.chunks(PER_STATEMENT).enumerate() {
            let sql = format!(
                "INSERT INTO disputes (id, {INSERT_COLUMNS}) VALUES {}",
                self.backend.value_lists(chunk.len(), INSERT_COUNT + 1)
            );
            let mut q = sqlx::query(&sql);
            for (i, (d, _, _)) in chunk.iter().enumerate() {
                q = bind_insert(q.bind(first + (n * PER_STATEMENT + i) as i64), d)?;
            }
            q.execute(&mut *self.inner).await?;
        }
        let id = |i: usize| first + i as i64;
        let parties: Vec<(i64, &[PartyInfo])> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (id(i), r.1.as_slice()))
            .collect();
        self.insert_parties(&parties).await?;
        let entries: Vec<(i64, &DisputeEntry)> = rows
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.2.iter().map(move |e| (id(i), e)))
            .collect();
        self.insert_entries(&entries).await?;
        let mediators: Vec<(i64, i64)> = rows
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.0.state.mediators.iter().map(move |m| (id(i), *m)))
            .collect();
        for chunk in mediators.chunks(400) {
            let sql = format!(
                "INSERT INTO dispute_mediators (dispute_id, user_id) VALUES {}",
                self.backend.value_lists(chunk.len(), 2)
            );
            let mut q = sqlx::query(&sql);
            for (d, m) in chunk {
                q = q.bind(*d).bind(*m);
            }
            q.execute(&mut *self.inner).await?;
        }
        if self.backend == Backend::Postgres && !rows.is_empty() {
            sqlx::query("SELECT setval(pg_get_serial_sequence('disputes', 'id'), (SELECT MAX(id) FROM disputes))")
                .execute(&mut *self.inner)
                .await?;
        }
        self.audit(
            ctx,
            "dispute.history_load",
            "dispute",
            &format!("{} disputes", rows.len()),
            &[
                "mediation_orgs",
                "disputes",
                "dispute_parties",
                "dispute_events",
            ],
        )
        .await?;
        Ok(())
    }
}

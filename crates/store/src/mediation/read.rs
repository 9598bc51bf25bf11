//! Reading disputes: one case, lists by jurisdiction, organisation,
//! mediator or party, timelines, parties (masked by the caller; an
//! unmasked read for a person is audited here).

use grassroots_core::mediation::{Organisation, PartyInfo, Status};

use super::{
    DISPUTE_COLUMNS, DisputeEntry, PartyRow, StoredDispute, dispute_from_row, org_from_row,
    party_from_row,
};
use crate::{Ctx, Result, Store, StoreError};

/// Which cases a list shows. The caller has already decided what the actor may see.
#[derive(Clone, Debug, Default)]
pub struct DisputeFilter {
    /// Cases located in this unit or below it.
    pub area: Option<String>,
    /// Cases held by one of these organisations.
    pub orgs: Option<Vec<String>>,
    /// Cases this mediator is on.
    pub mediator: Option<i64>,
    /// Cases this resident is a party to.
    pub party_user: Option<i64>,
    pub status: Option<Status>,
    /// Only cases carrying a risk flag.
    pub risk_only: bool,
    /// Only agreed cases whose follow-up visit (回访) is due by this time.
    pub follow_up_due_by: Option<i64>,
    /// Only open cases with no mediator on them (new, transferred, escalated, recused).
    pub unassigned: bool,
    /// Received in `[since, until)`.
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

impl Store {
    pub async fn mediation_orgs(&self) -> Result<Vec<Organisation>> {
        let rows: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT code, name, kind, unit_code FROM mediation_orgs ORDER BY code")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(org_from_row).collect()
    }

    pub async fn dispute(&self, id: i64) -> Result<StoredDispute> {
        let sql = format!("SELECT {DISPUTE_COLUMNS} FROM disputes WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        dispute_from_row(&row)
    }

    /// Cases with a running time limit first (soonest first), then the newest.
    pub async fn disputes(&self, f: &DisputeFilter) -> Result<Vec<StoredDispute>> {
        let mut clauses: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut ints: Vec<i64> = Vec::new();
        // Text parameters first ($1…), then integers, numbered as pushed.
        let next = |n: &mut usize| {
            *n += 1;
            format!("${n}")
        };
        let mut n = 0usize;
        if let Some(a) = &f.area {
            let p = next(&mut n);
            clauses.push(format!(
                "(unit_code = {p} OR district_code = {p} OR street_code = {p} OR community_code = {p} OR grid_code = {p})"
            ));
            texts.push(a.clone());
        }
        if let Some(orgs) = &f.orgs {
            if orgs.is_empty() {
                return Ok(Vec::new());
            }
            let ps: Vec<String> = orgs.iter().map(|_| next(&mut n)).collect();
            clauses.push(format!("org_code IN ({})", ps.join(", ")));
            texts.extend(orgs.iter().cloned());
        }
        if let Some(s) = f.status {
            clauses.push(format!("status = {}", next(&mut n)));
            texts.push(s.as_str().to_owned());
        }
        if f.risk_only {
            clauses.push("risk <> '[]'".into());
        }
        if f.unassigned {
            clauses.push(
                "status <> 'closed' AND NOT EXISTS (SELECT 1 FROM dispute_mediators m \
                 WHERE m.dispute_id = disputes.id)"
                    .into(),
            );
        }
        if let Some(m) = f.mediator {
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM dispute_mediators m WHERE m.dispute_id = disputes.id AND m.user_id = {})",
                next(&mut n)
            ));
            ints.push(m);
        }
        if let Some(u) = f.party_user {
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM dispute_parties p WHERE p.dispute_id = disputes.id AND p.user_id = {})",
                next(&mut n)
            ));
            ints.push(u);
        }
        if let Some(by) = f.follow_up_due_by {
            clauses.push(format!(
                "status = 'agreed' AND follow_up_due <= {}",
                next(&mut n)
            ));
            ints.push(by);
        }
        if let Some(s) = f.since {
            clauses.push(format!("received_at >= {}", next(&mut n)));
            ints.push(s);
        }
        if let Some(u) = f.until {
            clauses.push(format!("received_at < {}", next(&mut n)));
            ints.push(u);
        }
        let limit = next(&mut n);
        let offset = next(&mut n);
        let sql = format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes{} ORDER BY (act_by IS NULL), act_by, received_at DESC, id \
             LIMIT {limit} OFFSET {offset}",
            if clauses.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", clauses.join(" AND "))
            }
        );
        let mut q = sqlx::query(&sql);
        for t in &texts {
            q = q.bind(t);
        }
        for i in &ints {
            q = q.bind(*i);
        }
        let rows = q
            .bind(f.limit.clamp(1, 100_000))
            .bind(f.offset.max(0))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(dispute_from_row).collect()
    }

    pub async fn dispute_timeline(&self, id: i64) -> Result<Vec<DisputeEntry>> {
        type Row = (
            i64,
            String,
            i64,
            Option<i64>,
            String,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at_micros, action, public, actor_id, actor, role, note FROM dispute_events \
             WHERE dispute_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| DisputeEntry {
                at: r.0,
                action: r.1,
                public: r.2 != 0,
                actor_id: r.3,
                actor: r.4,
                role: r.5,
                note: r.6,
            })
            .collect())
    }

    /// A case's parties in index order, for the caller to mask.
    pub async fn dispute_parties(&self, id: i64) -> Result<Vec<PartyInfo>> {
        let rows: Vec<PartyRow> = sqlx::query_as(
            "SELECT idx, side, kind, name, phone, address, user_id FROM dispute_parties \
             WHERE dispute_id = $1 ORDER BY idx",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(party_from_row).collect()
    }

    /// A case's parties unmasked, with the read written to the audit trail
    /// in the same transaction.
    pub async fn reveal_dispute_parties(&self, ctx: &Ctx, id: i64) -> Result<Vec<PartyInfo>> {
        let mut tx = self.write().await?;
        let rows: Vec<PartyRow> = sqlx::query_as(
            "SELECT idx, side, kind, name, phone, address, user_id FROM dispute_parties \
             WHERE dispute_id = $1 ORDER BY idx",
        )
        .bind(id)
        .fetch_all(&mut *tx.inner)
        .await?;
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        tx.audit(
            ctx,
            "dispute.reveal_parties",
            "dispute",
            &id.to_string(),
            &["name", "phone", "address"],
        )
        .await?;
        tx.commit().await?;
        rows.into_iter().map(party_from_row).collect()
    }
}

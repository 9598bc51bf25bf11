//! Storage for Grassroots: one `Store` over SQLite (the embedded default) or
//! PostgreSQL (scale-out), through sqlx's `Any` driver.
//!
//! SQL is written once in the portable subset both databases accept
//! (`$N` parameters, `RETURNING`, `ON CONFLICT`, integers for times); what
//! must differ lives in [`Backend`] (transaction start, row locks) and in
//! the two migration folders. No business rule is decided here: the store
//! persists what `grassroots-core` has already decided, and appends the
//! audit event in the same transaction as the change.

mod accounts;
pub mod appeals;
mod audit;
mod connect;
mod error;
mod login_codes;
pub mod mediation;
mod portal;
mod questions;
mod territory;
pub mod testing;
mod tx;
mod warning;

pub use accounts::{SessionUser, StoredUser, UserFilter};
pub use appeals::{
    AppealFilter, Intake, MAX_PHOTOS_PER_APPEAL, MeasureFilter, MeasureGroup, MeasureScope,
    NewPhoto, NewTask, Notice, OutMessage, PhotoMeta, StepEffects, StoredAppeal, SubmitOutcome,
    TimelineEntry, UnitLevels,
};
pub use audit::{AuditFilter, VerifyOutcome};
pub use connect::{Backend, OpenOptions};
pub use error::StoreError;
pub use login_codes::{CodePolicy, IssueRefusal};
pub use mediation::{DisputeEntry, DisputeFilter, StoredDispute};
pub use portal::{Open311Client, PublicFilter};
pub use questions::{NewQuestionRow, QuestionEntry, QuestionFilter, StoredQuestion};
pub use territory::StoredUnit;
pub use tx::{AuditEntry, Ctx, Tx};
pub use warning::{AlertFilter, NewAlert, ScanCase, StoredAlert};

use sqlx::AnyPool;

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The raw pool, for tests and tooling that must reach past the store
    /// (e.g. tampering with the audit table to prove it is detected).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Readiness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

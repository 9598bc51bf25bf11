/// Errors of the storage layer. Callers map them to stable codes once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or concurrency conflict: the row exists or changed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored value could not be read back (a bug or a tampered row).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Temporarily unable to save (a failed batch); the caller may retry.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("unsupported database url: {0}")]
    BadUrl(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                // The database's own message names tables; keep it in the log.
                tracing::debug!(error = %db, "unique violation");
                StoreError::Conflict("the record already exists".to_owned())
            }
            _ => StoreError::Database(e),
        }
    }
}

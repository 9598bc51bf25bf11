use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{ConnectOptions, Executor};

use crate::{Result, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Row-lock suffix for a read that precedes a write in the same
    /// transaction. SQLite needs none: `BEGIN IMMEDIATE` already holds the
    /// single write lock.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// `(…), (…), …`: `rows` value lists of `width` parameters, bound in
    /// order and each used once. SQLite gets anonymous `?`: it looks
    /// numbered parameters up by name in a list, so a wide `$N` statement
    /// costs time quadratic in its parameters.
    pub(crate) fn value_lists(self, rows: usize, width: usize) -> String {
        let mut out = String::with_capacity(rows * width * 5);
        for r in 0..rows {
            if r > 0 {
                out.push_str(", ");
            }
            out.push('(');
            for c in 0..width {
                if c > 0 {
                    out.push_str(", ");
                }
                match self {
                    Backend::Sqlite => out.push('?'),
                    Backend::Postgres => {
                        out.push('$');
                        out.push_str(&(r * width + c + 1).to_string());
                    }
                }
            }
            out.push(')');
        }
        out
    }

    /// Row-lock suffix for work that several servers share: each takes rows
    /// no other holds, so every row is processed exactly once.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct OpenOptions {
    pub max_connections: u32,
    /// How long a SQLite writer waits for the lock before failing.
    pub busy_timeout: Duration,
    /// Run pending migrations on open.
    pub migrate: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            max_connections: 16,
            busy_timeout: Duration::from_secs(10),
            migrate: true,
        }
    }
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// `sqlite://PATH` (relative or absolute), `sqlite:PATH`, a bare file path,
/// or `postgres://…`. SQLite files are created when missing.
pub fn normalise_url(url: &str) -> Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") {
        return Err(StoreError::BadUrl(
            url.split("://").next().unwrap_or("").to_owned(),
        ));
    } else {
        url
    };
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    if path.is_empty() {
        return Err(StoreError::BadUrl("sqlite url without a path".into()));
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok((
        Backend::Sqlite,
        format!("sqlite://{path}?{}", params.join("&")),
    ))
}

impl Store {
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let connect = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let busy_ms = options.busy_timeout.as_millis();
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL for concurrent readers; FULL so an acknowledged
                        // write survives power loss; foreign keys enforced.
                        for pragma in [
                            "PRAGMA journal_mode = WAL".to_owned(),
                            format!("PRAGMA busy_timeout = {busy_ms}"),
                            "PRAGMA foreign_keys = ON".to_owned(),
                            "PRAGMA synchronous = FULL".to_owned(),
                        ] {
                            conn.execute(pragma.as_str()).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        let store = Store { pool, backend };
        if options.migrate {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// Apply pending migrations. Safe when several servers start at once:
    /// sqlx takes an advisory lock on PostgreSQL, and SQLite serialises
    /// writers on its file lock.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await?,
            Backend::Sqlite => {
                // sqlx has no migration lock for SQLite: two processes may
                // both see a migration as pending. Each runs in its own
                // transaction, so the loser rolls back whole; looking again
                // then finds it applied. A real failure fails every attempt.
                let mut attempt = 0;
                loop {
                    match SQLITE_MIGRATOR.run(&self.pool).await {
                        Ok(()) => break,
                        Err(e) if attempt < 5 => {
                            attempt += 1;
                            tracing::info!(error = %e, attempt, "migration raced another process; retrying");
                            tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(())
    }

    /// Number of migrations compiled into this binary and applied to the database.
    pub async fn migration_status(&self) -> Result<(usize, i64)> {
        let known = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.iter().count(),
            Backend::Postgres => POSTGRES_MIGRATOR.iter().count(),
        };
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok((known, applied))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            normalise_url("sqlite://grassroots.db").unwrap(),
            (Backend::Sqlite, "sqlite://grassroots.db?mode=rwc".into())
        );
        assert_eq!(
            normalise_url("sqlite:///tmp/a.db?mode=ro").unwrap(),
            (Backend::Sqlite, "sqlite:///tmp/a.db?mode=ro".into())
        );
        assert_eq!(
            normalise_url("data/x.db").unwrap(),
            (Backend::Sqlite, "sqlite://data/x.db?mode=rwc".into())
        );
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(normalise_url("mysql://x").is_err());
        assert!(normalise_url("sqlite://").is_err());
    }
}

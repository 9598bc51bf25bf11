//! Databases for tests: a fresh SQLite file, or a fresh database in the
//! throwaway PostgreSQL cluster that `scripts/test` starts.
//!
//! PostgreSQL comes from `GRASSROOTS_TEST_PG_URL` (an admin URL to the
//! cluster). Without it, PostgreSQL tests skip with a visible message on a
//! developer machine, and fail under `CI=true`: CI never silently skips.

use sqlx::{Connection, Executor};

pub const PG_URL_VAR: &str = "GRASSROOTS_TEST_PG_URL";

/// A fresh, empty SQLite database file in the system temp dir.
pub fn sqlite_url() -> String {
    let dir = std::env::temp_dir().join("grassroots-tests");
    // Creating the directory can only fail if temp is unusable, in which case
    // opening the database reports the problem with its path.
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{}.db", uuid::Uuid::new_v4().simple()));
    format!("sqlite://{}", path.display())
}

/// A fresh PostgreSQL database, `Ok(None)` when PostgreSQL is not configured
/// and this is not CI, `Err` when it is required but unreachable.
pub async fn postgres_url() -> Result<Option<String>, String> {
    let Ok(admin) = std::env::var(PG_URL_VAR) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!(
                "{PG_URL_VAR} is not set under CI=true: PostgreSQL tests must run (use scripts/test)"
            ));
        }
        eprintln!(
            "SKIPPED (PostgreSQL): {PG_URL_VAR} not set; run scripts/test to include PostgreSQL"
        );
        return Ok(None);
    };
    sqlx::any::install_default_drivers();
    let name = format!("gr_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .map_err(|e| format!("cannot reach PostgreSQL at {PG_URL_VAR}: {e}"))?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .map_err(|e| format!("cannot create test database: {e}"))?;
    let _ = conn.close().await;
    let (path, query) = match admin.split_once('?') {
        Some((path, q)) => (path, format!("?{q}")),
        None => (admin.as_str(), String::new()),
    };
    let base = path.rsplit_once('/').map_or(path, |(base, _)| base);
    Ok(Some(format!("{base}/{name}{query}")))
}

/// Generates `mod sqlite` and `mod postgres` with one `#[tokio::test]` per
/// named `async fn NAME(url: String)`: the same test body on both backends.
/// PostgreSQL tests skip visibly without a cluster, and fail under `CI=true`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::sqlite_url()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    match $crate::testing::postgres_url().await {
                        Ok(Some(url)) => super::$name(url).await,
                        Ok(None) => {}
                        Err(e) => ::std::panic!("{e}"),
                    }
                }
            )*
        }
    };
}

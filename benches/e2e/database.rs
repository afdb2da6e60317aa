//! The bench's own database, so that a run never touches the tables of `DATABASE_URL`'s.

use sqlx::{Connection, MySqlConnection};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The database every run of the bench writes to.
const BENCH_DATABASE: &str = "sluice_bench";

/// `DATABASE_URL` (or sluice's default) with its database replaced by the bench's.
pub fn bench_url() -> String {
    let base =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| sluice::DEFAULT_DATABASE_URL.to_owned());
    let (before_query, query) = match base.split_once('?') {
        Some((url, query)) => (url.to_owned(), format!("?{query}")),
        None => (base.clone(), String::new()),
    };
    let server = match before_query.rfind('/') {
        Some(slash) if slash > "mysql://".len() => &before_query[..slash],
        _ => before_query.as_str(),
    };
    format!("{server}/{BENCH_DATABASE}{query}")
}

/// Creates the bench database and the workload tables, empty.
pub async fn prepare(tables: &[(&str, &'static str)]) -> Result<(), BoxError> {
    let url = bench_url();
    let server = url.replacen(&format!("/{BENCH_DATABASE}"), "/", 1);
    let mut admin = MySqlConnection::connect(&server).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE IF NOT EXISTS {BENCH_DATABASE}"
    )))
    .execute(&mut admin)
    .await?;
    let mut db = MySqlConnection::connect(&url).await?;
    // Made again rather than emptied: a table an interrupted run left in another shape (the
    // `latency` workload's `orders` has an extra column) would tilt every run after it.
    for (table, ddl) in tables {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS `{table}`"
        )))
        .execute(&mut db)
        .await?;
        sqlx::query(*ddl).execute(&mut db).await?;
    }
    Ok(())
}

pub async fn truncate(db: &mut MySqlConnection, table: &str) -> Result<(), BoxError> {
    sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE TABLE `{table}`")))
        .execute(db)
        .await?;
    Ok(())
}

/// Waits until InnoDB has flushed the dirty pages an earlier run left (below 100), so that a
/// run does not pay for its predecessor's writes, or until flushing stalls for two seconds
/// (MariaDB flushes slowly while it is not idle), at most 30 s.
pub async fn settle() -> Result<(), BoxError> {
    let mut db = connect().await?;
    let started = std::time::Instant::now();
    let mut lowest = (u64::MAX, std::time::Instant::now());
    while started.elapsed() < std::time::Duration::from_secs(30) {
        let (_, dirty): (String, String) =
            sqlx::query_as("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")
                .fetch_one(&mut db)
                .await?;
        let dirty = dirty.parse::<u64>().unwrap_or(0);
        if dirty < 100 || lowest.1.elapsed() > std::time::Duration::from_secs(2) {
            break;
        }
        if dirty < lowest.0 {
            lowest = (dirty, std::time::Instant::now());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Ok(())
}

pub async fn connect() -> Result<MySqlConnection, BoxError> {
    Ok(MySqlConnection::connect(&bench_url()).await?)
}

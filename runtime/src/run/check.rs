//! `--check`: connects to everything a job uses and verifies it without moving data: the
//! brokers and topics, the tables against the compiled DDL, the privileges the sinks need, the
//! bookkeeping tables. Every problem is listed, not only the first.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{ConnectOptions, MySql, Pool};

use crate::contract::outputs::Outputs;
use crate::contract::sink::Positions;
use crate::contract::source::Source;
use crate::run::config::Config;
use crate::run::kafka_metadata::discover_partitions;
use crate::table::live::live_table;
use crate::table::{RowSchema, check_table};

/// How long the check waits for MySQL.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The bookkeeping tables a run with positions in MySQL creates at start-up.
const BOOKKEEPING: [&str; 8] = [
    "sluice_offsets",
    "sluice_keyed_state",
    "sluice_message_ids",
    "sluice_watermarks",
    "sluice_watermark_offsets",
    "sluice_pipelines",
    "sluice_table_scans",
    "sluice_dead_letters",
];

/// What one preflight found, line by line.
#[derive(Debug, Default)]
pub struct Preflight {
    lines: Vec<(bool, String)>,
}

impl Preflight {
    pub(crate) fn ok(&mut self, what: impl Into<String>) {
        self.lines.push((true, what.into()));
    }

    pub(crate) fn problem(&mut self, what: impl Into<String>) {
        self.lines.push((false, what.into()));
    }

    /// How many problems were found.
    pub fn problems(&self) -> usize {
        self.lines.iter().filter(|(ok, _)| !ok).count()
    }

    /// One line per finding: `ok` or `PROBLEM`, then what.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for (ok, what) in &self.lines {
            let _ = writeln!(text, "{} {what}", if *ok { "ok     " } else { "PROBLEM" });
        }
        text
    }
}

/// What sources and sinks check with.
#[derive(Debug)]
pub struct CheckContext<'a> {
    pub(crate) config: &'a Config,
    pub(crate) runtime: &'a tokio::runtime::Runtime,
    /// The run's database, when the job uses one and it answered.
    pub(crate) database: Option<Pool<MySql>>,
}

impl CheckContext<'_> {
    /// Checks that `topic` exists on the brokers and says how many partitions it has.
    pub(crate) fn check_topic(&self, topic: &str, report: &mut Preflight) {
        let config = self.config;
        match discover_partitions(&config.brokers, topic, &config.kafka_options) {
            Ok(partitions) => report.ok(format!(
                "Kafka topic `{topic}` on {}: {} partitions",
                config.brokers,
                partitions.len()
            )),
            Err(error) => report.problem(error.without_secrets(&config.secrets()).to_string()),
        }
    }

    /// Checks the live `table` against what the row struct was compiled from; with
    /// `--migrate`, a table the migrations create need only be creatable.
    pub(crate) fn check_table(&self, table: &str, schema: &RowSchema, report: &mut Preflight) {
        let Some(pool) = &self.database else { return };
        if self.config.migrate
            && let Ok(None) = self.runtime.block_on(live_table(pool, table))
        {
            report.ok(format!(
                "table `{table}` does not exist yet: --migrate creates it"
            ));
            self.check_privileges(table, &["CREATE"], report);
            return;
        }
        match self.runtime.block_on(check_table(pool, table, schema)) {
            Ok(()) => report.ok(format!("table `{table}` matches the row struct")),
            Err(error) => report.problem(error.to_string()),
        }
    }

    /// Checks that the database user holds `needed` privileges on `table`.
    pub(crate) fn check_privileges(&self, table: &str, needed: &[&str], report: &mut Preflight) {
        let Some(pool) = &self.database else { return };
        match self.runtime.block_on(privileges_on(pool, table)) {
            Ok(held) => {
                let missing: Vec<&str> = needed
                    .iter()
                    .filter(|p| !held.contains(**p))
                    .copied()
                    .collect();
                if missing.is_empty() {
                    report.ok(format!("privileges on `{table}`: {}", needed.join(", ")));
                } else {
                    report.problem(format!(
                        "the database user lacks {} on `{table}` (GRANT {} ON `{table}` TO ...)",
                        missing.join(", "),
                        missing.join(", ")
                    ));
                }
            }
            Err(error) => {
                report.problem(format!("cannot read the privileges on `{table}`: {error}"))
            }
        }
    }
}

/// Verifies what a pipeline reading `S` and writing `O` would use under `config`.
pub fn check_pipeline<S: Source, O: Outputs>(config: &Config) -> Preflight {
    let mut report = Preflight::default();
    for validated in [config.validate(), S::validate(config), O::validate(config)] {
        if let Err(error) = validated {
            report.problem(error.to_string());
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            report.problem(format!("cannot start the tokio runtime: {error}"));
            return report;
        }
    };
    let stores_in_database = O::POSITIONS == Positions::Database;
    let database = if stores_in_database || S::READS_DATABASE {
        connect(config, &runtime, &mut report)
    } else {
        None
    };
    let context = CheckContext {
        config,
        runtime: &runtime,
        database,
    };
    // A run that connects to the database creates the bookkeeping tables it lacks.
    if context.database.is_some() {
        check_bookkeeping(&context, S::READS_DATABASE, &mut report);
    }
    S::check(&context, &mut report);
    O::check(&context, &mut report);
    report
}

fn connect(
    config: &Config,
    runtime: &tokio::runtime::Runtime,
    report: &mut Preflight,
) -> Option<Pool<MySql>> {
    let secrets = config.secrets();
    if let Err(error) = config.validate_database() {
        report.problem(error.to_string());
        return None;
    }
    let options = match MySqlConnectOptions::from_str(&config.database_url) {
        Ok(options) => options.disable_statement_logging(),
        Err(error) => {
            let error = crate::error::Error::Config(format!("--database-url: {error}"));
            report.problem(error.without_secrets(&secrets).to_string());
            return None;
        }
    };
    let connected = runtime.block_on(
        MySqlPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options),
    );
    match connected {
        Ok(pool) => {
            let version: Option<String> = runtime
                .block_on(sqlx::query_scalar("SELECT VERSION()").fetch_one(&pool))
                .ok();
            report.ok(format!(
                "MySQL at {} answers (server {})",
                crate::run::config::secrets::redact_url(&config.database_url),
                version.as_deref().unwrap_or("of unknown version")
            ));
            Some(pool)
        }
        Err(error) => {
            let error = crate::error::Error::mysql(None, error).without_secrets(&secrets);
            report.problem(error.to_string());
            None
        }
    }
}

/// Each bookkeeping table exists with what the run needs, or can be created. Every run sends
/// `CREATE TABLE IF NOT EXISTS`, which needs CREATE even when the table exists; a table source
/// also deletes the key ranges and positions of a finished scan.
fn check_bookkeeping(context: &CheckContext<'_>, reads_a_table: bool, report: &mut Preflight) {
    let Some(pool) = &context.database else {
        return;
    };
    for table in BOOKKEEPING {
        let deletes = reads_a_table && ["sluice_offsets", "sluice_table_scans"].contains(&table);
        let needed: &[&str] = if deletes {
            &["CREATE", "SELECT", "INSERT", "UPDATE", "DELETE"]
        } else {
            &["CREATE", "SELECT", "INSERT", "UPDATE"]
        };
        match context.runtime.block_on(live_table(pool, table)) {
            Ok(Some(_)) => context.check_privileges(table, needed, report),
            Ok(None) => match context.runtime.block_on(privileges_on(pool, table)) {
                Ok(held) if held.contains("CREATE") => {
                    report.ok(format!("`{table}` does not exist yet: the run creates it"))
                }
                Ok(_) => report.problem(format!(
                    "`{table}` does not exist and the database user may not CREATE it: grant \
                     CREATE, or create the bookkeeping tables once with a user that may"
                )),
                Err(error) => report.problem(format!("cannot read the privileges: {error}")),
            },
            Err(error) => report.problem(format!("cannot look at `{table}`: {error}")),
        }
    }
}

/// The privileges the connected user holds on `table` of the current database: granted
/// globally, on the database (or a pattern matching it), or on the table. Grants through roles
/// are not seen.
async fn privileges_on(pool: &Pool<MySql>, table: &str) -> Result<BTreeSet<String>, sqlx::Error> {
    let grantee = "CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', \
                   SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')";
    let query = format!(
        "SELECT CAST(PRIVILEGE_TYPE AS CHAR) FROM information_schema.USER_PRIVILEGES \
         WHERE GRANTEE = {grantee} \
         UNION SELECT CAST(PRIVILEGE_TYPE AS CHAR) FROM information_schema.SCHEMA_PRIVILEGES \
         WHERE GRANTEE = {grantee} AND DATABASE() LIKE TABLE_SCHEMA \
         UNION SELECT CAST(PRIVILEGE_TYPE AS CHAR) FROM information_schema.TABLE_PRIVILEGES \
         WHERE GRANTEE = {grantee} AND TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
    );
    let held: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(query))
        .bind(table)
        .fetch_all(pool)
        .await?;
    Ok(held.into_iter().collect())
}

//! `--migrate`: applies the migrations the row was compiled against, with sqlx's migrator (and
//! its `_sqlx_migrations` table, so it agrees with `sqlx migrate run`).

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{MySql, Pool};

use super::declared::RowSchema;
use crate::error::{Error, Result};

/// Applies the pending migrations of `schema`'s folder.
pub(crate) async fn apply_migrations(
    pool: &Pool<MySql>,
    table: &str,
    schema: &RowSchema,
) -> Result<()> {
    let error = |reason: String| Error::Migrate {
        table: table.to_string(),
        reason,
    };
    let Some(declared) = &schema.declared else {
        return Err(error(
            "--migrate needs #[row(migrations = \"...\")] on the row struct".into(),
        ));
    };
    if declared.migrations.is_empty() {
        return Err(error(format!(
            "--migrate applies a migrations folder, and `{}` is a single schema file: \
             apply it with the mysql client",
            declared.source
        )));
    }
    let mut migrations = Vec::new();
    for file in declared.migrations {
        let Some((version, rest)) = file.name.split_once('_') else {
            return Err(error(format!("`{}` has no <version>_ prefix", file.name)));
        };
        let version: i64 = version
            .parse()
            .map_err(|_| error(format!("`{}` has no numeric version", file.name)))?;
        let (description, kind) = match rest.strip_suffix(".up.sql") {
            Some(description) => (description, MigrationType::ReversibleUp),
            None => (rest.trim_end_matches(".sql"), MigrationType::Simple),
        };
        migrations.push(Migration::new(
            version,
            Cow::Owned(description.replace('_', " ")),
            kind,
            sqlx::AssertSqlSafe(file.sql).into_sql_str(),
            file.sql.trim_start().starts_with("-- no-transaction"),
        ));
    }
    let migrator = Migrator::with_migrations(migrations);
    migrator.run(pool).await.map_err(|e| error(e.to_string()))?;
    tracing::info!(
        table,
        source = declared.source,
        migrations = declared.migrations.len(),
        "migrations applied"
    );
    Ok(())
}

//! Finding and reading the DDL files.

use std::path::{Path, PathBuf};

use super::DdlError;

/// One DDL file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Absolute path (for `include_str!`, so that editing the file rebuilds the crate).
    pub path: PathBuf,
    /// The path as the user wrote it, for messages: `migrations/0001_create.sql`.
    pub display: String,
    /// Its content.
    pub sql: String,
}

/// The migrations of `dir`, in version order.
pub(super) fn migrations(root: &Path, dir: &str) -> Result<Vec<SourceFile>, DdlError> {
    let path = root.join(dir);
    let error = |message: String| DdlError {
        location: dir.to_string(),
        message,
    };
    let entries = std::fs::read_dir(&path).map_err(|e| {
        error(format!(
            "cannot read the migrations folder {} ({e}); the path is relative to the crate's Cargo.toml",
            path.display()
        ))
    })?;
    let mut found: Vec<(i64, String, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| error(e.to_string()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".sql") || name.ends_with(".down.sql") {
            continue;
        }
        let Some(version) = name
            .split('_')
            .next()
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|_| name.contains('_'))
        else {
            return Err(DdlError {
                location: format!("{dir}/{name}"),
                message: "a migration's name must be <version>_<description>.sql, \
                          e.g. 20250101120000_create_orders.sql (as `sqlx migrate add` creates)"
                    .into(),
            });
        };
        if let Some((_, other, _)) = found.iter().find(|(v, _, _)| *v == version) {
            return Err(error(format!(
                "`{other}` and `{name}` have the same version {version}"
            )));
        }
        found.push((version, name, entry.path()));
    }
    if found.is_empty() {
        return Err(error(format!(
            "the migrations folder {} has no <version>_<description>.sql file",
            path.display()
        )));
    }
    found.sort();
    found
        .into_iter()
        .map(|(_, name, path)| read(&path, format!("{dir}/{name}")))
        .collect()
}

/// One schema file.
pub(super) fn schema_file(root: &Path, file: &str) -> Result<SourceFile, DdlError> {
    read(&root.join(file), file.to_string())
}

fn read(path: &Path, display: String) -> Result<SourceFile, DdlError> {
    let sql = std::fs::read_to_string(path).map_err(|e| DdlError {
        location: display.clone(),
        message: format!(
            "cannot read {} ({e}); the path is relative to the crate's Cargo.toml",
            path.display()
        ),
    })?;
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    Ok(SourceFile { path, display, sql })
}

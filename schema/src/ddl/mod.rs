//! DDL as users keep it: a sqlx-style migrations folder or one schema file, replayed statement
//! by statement into the tables it leaves behind.
//!
//! Only statements that can change a table's columns or keys (`CREATE`/`ALTER`/`DROP`/`RENAME
//! TABLE`, `CREATE UNIQUE INDEX`, `DROP INDEX`) are parsed, one at a time, with sqlparser's
//! MySQL dialect; everything else in a dump (`SET`, `INSERT` data, `LOCK TABLES`, views,
//! triggers, procedures) is skipped unread. Before parsing, the MySQL and MariaDB syntax
//! sqlparser does not read yet is rewritten (see `rewrite`), keeping positions. A table
//! statement that still does not parse is reported when that table is looked up, with the
//! file, line and column.

mod catalog;
mod column_syntax;
mod edit;
mod files;
mod head;
mod lex;
mod rewrite;
mod split;

use std::fmt;
use std::path::{Path, PathBuf};

use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::table::Table;
use catalog::Catalog;
use edit::Edited;
pub use files::SourceFile;
use head::Head;

/// Where a row's DDL lives, relative to the crate's `CARGO_MANIFEST_DIR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DdlSource {
    /// A folder of `<version>_<description>.sql` files, applied in version order, as
    /// `sqlx migrate` reads them (`.up.sql` applied, `.down.sql` ignored).
    Migrations(String),
    /// One file of DDL, applied top to bottom.
    SchemaFile(String),
}

/// A problem with the DDL itself: a missing folder, a file that cannot be read, a statement
/// that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdlError {
    /// `migrations/0002_add.sql:3:14`, or just the path when no line applies.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for DdlError {}

/// The outcome of replaying the DDL.
#[derive(Debug, Clone)]
pub struct Schema {
    catalog: Catalog,
    unparsed: Vec<Unparsed>,
    /// The files read, in the order applied.
    pub files: Vec<SourceFile>,
}

/// A table statement sqlparser could not read; `table` is the name it seems to be about.
#[derive(Debug, Clone)]
struct Unparsed {
    table: Option<String>,
    error: DdlError,
}

/// Why [`Schema::table`] found no table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// No statement creates the table (or it was dropped or renamed away).
    NotFound,
    /// A statement about this table did not parse.
    Unparsed(DdlError),
}

impl Schema {
    /// Reads and replays the DDL of `source`, with relative paths taken from `root`.
    pub fn load(root: &Path, source: &DdlSource) -> Result<Schema, DdlError> {
        let files = match source {
            DdlSource::Migrations(dir) => files::migrations(root, dir)?,
            DdlSource::SchemaFile(file) => vec![files::schema_file(root, file)?],
        };
        let mut schema = Schema {
            catalog: Catalog::default(),
            unparsed: Vec::new(),
            files: Vec::new(),
        };
        for file in &files {
            schema.replay(file);
        }
        schema.files = files;
        Ok(schema)
    }

    /// Replays DDL held in memory, as if read from a file called `name`.
    pub fn from_sql(name: &str, sql: &str) -> Schema {
        let file = SourceFile {
            path: PathBuf::from(name),
            display: name.to_string(),
            sql: sql.to_string(),
        };
        let mut schema = Schema {
            catalog: Catalog::default(),
            unparsed: Vec::new(),
            files: Vec::new(),
        };
        schema.replay(&file);
        schema.files.push(file);
        schema
    }

    fn replay(&mut self, file: &SourceFile) {
        let dialect = MySqlDialect {};
        for piece in split::split(&file.sql) {
            let Some(head) = head::head(piece.text) else {
                continue;
            };
            if let Head::CreateIndex { unique: false, .. } = head {
                // A non-unique index does not change what the checks see.
                continue;
            }
            let rewritten = rewrite::rewrite(piece.text, &head, &self.catalog);
            if !rewritten.nothing_left {
                match Parser::parse_sql(&dialect, &rewritten.edited.text) {
                    Ok(statements) => {
                        for statement in &statements {
                            self.catalog.apply(statement);
                        }
                    }
                    Err(error) => {
                        self.unparsable(file, &piece, &head, &rewritten, &error.to_string());
                        continue;
                    }
                }
            }
            if let Some(table) = head.tables().first() {
                for (from, to) in &rewritten.renamed_indexes {
                    self.catalog.rename_index(table, from, to);
                }
            }
        }
    }

    /// Records that the statement `piece` about `head`'s tables did not parse.
    fn unparsable(
        &mut self,
        file: &SourceFile,
        piece: &split::Piece<'_>,
        head: &Head,
        rewritten: &rewrite::Rewritten,
        error: &str,
    ) {
        let (line, column, message) = locate(error, piece, &rewritten.edited);
        let error = DdlError {
            location: format!("{}:{line}:{column}", file.display),
            message,
        };
        let tables = head.tables();
        if tables.is_empty() {
            self.unparsed.push(Unparsed { table: None, error });
            return;
        }
        for table in tables {
            self.unparsed.push(Unparsed {
                table: Some(table),
                error: error.clone(),
            });
        }
    }

    /// The table called `name` as the DDL leaves it.
    pub fn table(&self, name: &str) -> Result<&Table, LookupError> {
        let blocking = self
            .unparsed
            .iter()
            .find(|u| u.table.as_deref().is_none_or(|t| crate::same_name(t, name)));
        if let Some(unparsed) = blocking {
            return Err(LookupError::Unparsed(unparsed.error.clone()));
        }
        self.catalog.table(name).ok_or(LookupError::NotFound)
    }

    /// The names of all tables, for suggestions.
    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.catalog.tables.iter().map(|t| t.name.as_str())
    }
}

/// Turns sqlparser's "... at Line: 2, Column: 5" (relative to the rewritten statement) into
/// the file's line and column and a message without the position.
fn locate(error: &str, piece: &split::Piece<'_>, edited: &Edited) -> (usize, usize, String) {
    let message = error
        .trim_start_matches("sql parser error: ")
        .trim_start_matches("SQL parser error: ");
    let Some(at) = message.rfind(" at Line: ") else {
        return (piece.line, piece.column, message.to_string());
    };
    let numbers: Vec<usize> = message[at..]
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [line, column, ..] = numbers[..] else {
        return (piece.line, piece.column, message[..at].to_string());
    };
    let offset = offset_of(&edited.text, line, column);
    let original = edited.original_offset(offset).min(piece.text.len());
    let (line, column) = position_in_file(piece, original);
    (line, column, message[..at].to_string())
}

/// The byte offset of 1-based `line` and `column` (in characters) in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    text[line_start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_start + i)
}

/// The file's line and column of byte `offset` of `piece`.
fn position_in_file(piece: &split::Piece<'_>, offset: usize) -> (usize, usize) {
    let before = &piece.text[..offset];
    let newlines = before.matches('\n').count();
    match before.rfind('\n') {
        None => (piece.line, piece.column + before.chars().count()),
        Some(last) => (
            piece.line + newlines,
            before[last + 1..].chars().count() + 1,
        ),
    }
}

#[cfg(test)]
mod tests;

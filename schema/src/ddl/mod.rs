//! DDL as users keep it: a sqlx-style migrations folder or one schema file, replayed statement
//! by statement into the tables it leaves behind.
//!
//! Statements are parsed one at a time with sqlparser's MySQL dialect. A statement that does
//! not parse only matters if it could change a table (`CREATE`/`ALTER`/`DROP`/`RENAME TABLE`,
//! `CREATE INDEX`); its error is reported when that table is looked up, with the file, line and
//! column. Anything else MySQL accepts and sqlparser does not (procedures, triggers, exotic
//! `SET`s) is skipped.

mod catalog;
mod files;
mod split;

use std::fmt;
use std::path::{Path, PathBuf};

use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::table::Table;
use catalog::Catalog;
pub use files::SourceFile;

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
            match Parser::parse_sql(&dialect, piece.text) {
                Ok(statements) => {
                    for statement in &statements {
                        self.catalog.apply(statement);
                    }
                }
                Err(error) => {
                    let Some(table) = table_statement_target(piece.text) else {
                        continue;
                    };
                    let (line, column, message) = locate(&error.to_string(), &piece);
                    self.unparsed.push(Unparsed {
                        table,
                        error: DdlError {
                            location: format!("{}:{line}:{column}", file.display),
                            message,
                        },
                    });
                }
            }
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

/// For a statement that could change a table, `Some(name)` (`Some(None)` when the name cannot
/// be made out); `None` for any other statement.
fn table_statement_target(text: &str) -> Option<Option<String>> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_string)
        .collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let is = |i: usize, word: &str| upper.get(i).is_some_and(|w| w == word);
    let table_keyword = match upper.first().map(String::as_str) {
        Some("CREATE" | "ALTER" | "DROP" | "RENAME") => upper
            .iter()
            .take(4)
            .position(|w| w == "TABLE" || w == "INDEX")?,
        _ => return None,
    };
    if is(table_keyword, "INDEX") {
        let on = upper.iter().position(|w| w == "ON");
        return Some(on.and_then(|i| words.get(i + 1)).map(|w| unquote(w)));
    }
    let mut name_at = table_keyword + 1;
    while is(name_at, "IF") || is(name_at, "NOT") || is(name_at, "EXISTS") {
        name_at += 1;
    }
    Some(words.get(name_at).map(|w| unquote(w)))
}

fn unquote(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.trim_matches(|c| c == '`' || c == '"').to_string()
}

/// Turns sqlparser's "... at Line: 2, Column: 5" (relative to the statement) into the file's
/// line and column and a message without the position.
fn locate(error: &str, piece: &split::Piece<'_>) -> (usize, usize, String) {
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
    let (line, column) = match numbers.as_slice() {
        [1, column, ..] => (piece.line, piece.column + column - 1),
        [line, column, ..] => (piece.line + line - 1, *column),
        _ => (piece.line, piece.column),
    };
    (line, column, message[..at].to_string())
}

#[cfg(test)]
mod tests;

//! The rules a `#[derive(Row)]` struct must satisfy against its table. The macro applies them
//! to the table its DDL describes; the runtime applies them again to the live table.

use crate::compat::compatibility;
use crate::limit::Limit;
use crate::names::closest;
use crate::rust_type::RustType;
use crate::same_name;
use crate::table::{Index, Table};

/// What the checks need to know about one written field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowField<'a> {
    /// The Rust field name, for messages.
    pub field: &'a str,
    /// The column it writes.
    pub column: &'a str,
    /// Its type without `Option`; `None` when it is not a type sluice knows, in which case
    /// the compiler reports it and the type check is skipped.
    pub rust: Option<RustType>,
    /// Whether the field is an `Option`.
    pub optional: bool,
    /// `#[row(key)]`.
    pub key: bool,
    /// `#[row(decimal_as_float)]`.
    pub decimal_as_float: bool,
}

/// What the checks need to know about a row struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowShape<'a> {
    /// The written fields.
    pub fields: &'a [RowField<'a>],
    /// `#[row(append_only)]`: plain `INSERT`s, no key needed.
    pub append_only: bool,
    /// `#[row(allow_other_unique_keys)]`.
    pub allow_other_unique_keys: bool,
}

/// What a problem is about, so that the macro can point at the right token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The table as a whole (a column no field writes, a missing key).
    Table,
    /// The column of the field at this index of [`RowShape::fields`].
    Field(usize),
    /// The type of the field at this index.
    FieldType(usize),
    /// The `#[row(key)]` set.
    Key,
}

/// One broken rule, with a message that says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What it is about.
    pub subject: Subject,
    /// The whole explanation.
    pub message: String,
}

/// Checks `shape` against `table`. On success, the limits each field's values must meet
/// (by field index).
pub fn check_row(shape: &RowShape<'_>, table: &Table) -> Result<Vec<Vec<Limit>>, Vec<Problem>> {
    let mut problems = Vec::new();
    let limits = shape
        .fields
        .iter()
        .enumerate()
        .map(|(index, field)| {
            check_field(field, table).unwrap_or_else(|(on_type, message)| {
                let subject = if on_type {
                    Subject::FieldType(index)
                } else {
                    Subject::Field(index)
                };
                problems.push(Problem { subject, message });
                Vec::new()
            })
        })
        .collect();
    check_unwritten(shape, table, &mut problems);
    check_key(shape, table, &mut problems);
    if problems.is_empty() {
        Ok(limits)
    } else {
        Err(problems)
    }
}

/// The limits of one field, or the problem (and whether it is about the field's type).
fn check_field(field: &RowField<'_>, table: &Table) -> Result<Vec<Limit>, (bool, String)> {
    let Some(column) = table.column(field.column) else {
        let hint = closest(field.column, table.columns.iter().map(|c| c.name.as_str()))
            .map(|c| format!("did you mean `{c}`? Otherwise "))
            .unwrap_or_default();
        return Err((
            false,
            format!(
                "table `{}` has no column `{}`: {hint}name the column with \
                 #[row(column = \"...\")], or leave the field out with #[row(skip)]",
                table.name, field.column
            ),
        ));
    };
    let described = format!("column `{}` is {}", column.name, column.ty);
    if column.generated {
        return Err((
            false,
            format!("{described} GENERATED, and MySQL computes it: mark the field #[row(skip)]"),
        ));
    }
    let mut limits = Vec::new();
    if let Some(rust) = field.rust {
        let ty = rust.name();
        limits = compatibility(rust, &column.ty, field.decimal_as_float).map_err(|e| {
            let message = format!(
                "{described} but field `{}` is `{ty}`: {}; {}",
                field.field, e.reason, e.fix
            );
            (true, message)
        })?;
        if field.optional && !column.nullable {
            return Err((
                true,
                format!(
                    "{described} NOT NULL but field `{}` is `Option<{ty}>`, so a `None` would \
                 fail the insert: make the field `{ty}`, or make the column nullable",
                    field.field
                ),
            ));
        }
        if !field.optional && column.nullable {
            return Err((
                true,
                format!(
                    "{described} and nullable but field `{}` is `{ty}`: make the field \
                 `Option<{ty}>` so that the struct says what the table allows, or declare the \
                 column NOT NULL",
                    field.field
                ),
            ));
        }
    }
    Ok(limits)
}

/// Columns an `INSERT` must fill that no field writes.
fn check_unwritten(shape: &RowShape<'_>, table: &Table, problems: &mut Vec<Problem>) {
    for column in table.columns.iter().filter(|c| c.required()) {
        if !shape
            .fields
            .iter()
            .any(|f| same_name(f.column, &column.name))
        {
            problems.push(Problem {
                subject: Subject::Table,
                message: format!(
                    "column `{}` of `{}` is {} NOT NULL without a DEFAULT, and no field writes \
                     it, so every insert would fail: add a field for it, or give the column a \
                     DEFAULT",
                    column.name, table.name, column.ty
                ),
            });
        }
    }
}

fn check_key(shape: &RowShape<'_>, table: &Table, problems: &mut Vec<Problem>) {
    let key: Vec<&str> = shape
        .fields
        .iter()
        .filter(|f| f.key)
        .map(|f| f.column)
        .collect();
    let mut problem = |subject, message| problems.push(Problem { subject, message });
    let keys = describe_keys(table);
    if key.is_empty() {
        if shape.append_only {
            return;
        }
        let written = |k: &Index| {
            k.columns
                .iter()
                .all(|c| shape.fields.iter().any(|f| same_name(f.column, c)))
        };
        let message = match table.keys().find(|(k, _)| written(k)) {
            Some((k, primary)) => format!(
                "sluice writes rows as upserts, so that a replay after a crash rewrites rows \
                 instead of duplicating them, and needs to know their key: mark the fields of \
                 the {} of `{}` with #[row(key)], or mark the struct #[row(append_only)]",
                k.describe(primary),
                table.name
            ),
            None if keys.is_empty() => format!(
                "table `{}` has no primary key or unique key, and sluice writes rows as \
                 upserts so that a replay after a crash rewrites rows instead of duplicating \
                 them: add a PRIMARY KEY to the table and mark its fields #[row(key)], or \
                 mark the struct #[row(append_only)]",
                table.name
            ),
            None => format!(
                "no field writes all columns of a key of `{}` ({keys}), so sluice cannot \
                 write these rows as upserts: write the key's columns and mark them \
                 #[row(key)], or mark the struct #[row(append_only)]",
                table.name
            ),
        };
        problem(Subject::Table, message);
        return;
    }
    let listed = key.join(", ");
    if shape.append_only {
        problem(
            Subject::Key,
            "a row is either keyed (#[row(key)]) or #[row(append_only)], not both".into(),
        );
        return;
    }
    let Some((matched, _)) = table.keys().find(|(k, _)| k.is_on(&key)) else {
        let message = if keys.is_empty() {
            format!(
                "#[row(key)] marks ({listed}) but table `{}` has no primary key or unique key, \
                 so ON DUPLICATE KEY UPDATE never fires and a replay would insert every row \
                 again: add PRIMARY KEY ({listed}) to the table, or remove #[row(key)] and \
                 mark the struct #[row(append_only)]",
                table.name
            )
        } else {
            format!(
                "#[row(key)] marks ({listed}) but that is not a key of table `{}`, whose keys \
                 are {keys}: mark exactly the columns of one of them",
                table.name
            )
        };
        problem(Subject::Key, message);
        return;
    };
    if shape.allow_other_unique_keys {
        return;
    }
    let others: Vec<String> = table
        .keys()
        .filter(|(k, _)| *k != matched && !generated_by_insert(k, shape, table))
        .map(|(k, primary)| k.describe(primary))
        .collect();
    if !others.is_empty() {
        problem(
            Subject::Key,
            format!(
                "table `{}` also has {}, and ON DUPLICATE KEY UPDATE fires on any unique key: \
                 a row that collides there would overwrite a different row than the one its \
                 key ({listed}) names. Drop that key, or add #[row(allow_other_unique_keys)] \
                 to the struct if that is what you want",
                table.name,
                others.join(" and ")
            ),
        );
    }
}

/// A key on an `AUTO_INCREMENT` column the row does not write: every insert gets a new value,
/// so it never collides.
fn generated_by_insert(key: &Index, shape: &RowShape<'_>, table: &Table) -> bool {
    key.columns.iter().any(|c| {
        table.column(c).is_some_and(|c| c.auto_increment)
            && !shape.fields.iter().any(|f| same_name(f.column, c))
    })
}

fn describe_keys(table: &Table) -> String {
    table
        .keys()
        .map(|(k, primary)| k.describe(primary))
        .collect::<Vec<_>>()
        .join(", ")
}

//! Checks a row against the table its DDL describes, at compile time.

use std::path::PathBuf;

use proc_macro2::Span;
use sluice_schema::ddl::{LookupError, Schema, SourceFile};
use sluice_schema::{Limit, RowField, RowShape, SqlType, Subject, Table, check_row, closest};
use syn::spanned::Spanned;

use super::model::Row;
use crate::ctxt::Ctxt;
use crate::field_type::classify;

/// What codegen needs from a successful check.
pub(crate) struct Checked {
    /// The DDL files read, so that editing one rebuilds the crate.
    pub files: Vec<SourceFile>,
    /// The written columns' types and nullability as the DDL declares them, for the
    /// start-up drift check.
    pub columns: Vec<(SqlType, bool)>,
    /// What each written field's values must satisfy.
    pub limits: Vec<Vec<Limit>>,
}

/// The field types and flags the checks (and the runtime's drift check) see.
pub(crate) fn shape_fields(row: &Row<'_>) -> Vec<(String, RowFieldOwned)> {
    row.columns
        .iter()
        .map(|c| {
            let (rust, optional) = classify(c.ty);
            (
                c.ident.to_string(),
                RowFieldOwned {
                    column: c.name.clone(),
                    rust,
                    optional,
                    key: c.key,
                    decimal_as_float: c.decimal_as_float,
                },
            )
        })
        .collect()
}

pub(crate) struct RowFieldOwned {
    pub column: String,
    pub rust: Option<sluice_schema::RustType>,
    pub optional: bool,
    pub key: bool,
    pub decimal_as_float: bool,
}

/// `None` when the row names no DDL; errors carry the span of the user's token.
pub(crate) fn check(row: &Row<'_>) -> syn::Result<Option<Checked>> {
    let Some((source, path)) = &row.ddl else {
        return Ok(None);
    };
    let root = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            return Err(syn::Error::new(
                path.span(),
                "CARGO_MANIFEST_DIR is not set: build with cargo to check the DDL",
            ));
        }
    };
    let schema =
        Schema::load(&root, source).map_err(|e| syn::Error::new(path.span(), e.to_string()))?;
    let table = lookup(row, &schema, path.span())?;

    let owned = shape_fields(row);
    let fields: Vec<RowField<'_>> = owned
        .iter()
        .map(|(field, f)| RowField {
            field,
            column: &f.column,
            rust: f.rust,
            optional: f.optional,
            key: f.key,
            decimal_as_float: f.decimal_as_float,
        })
        .collect();
    let shape = RowShape {
        fields: &fields,
        append_only: row.append_only,
        allow_other_unique_keys: row.allow_other_unique_keys,
    };
    let limits = check_row(&shape, table).map_err(|problems| {
        let mut cx = Ctxt::default();
        for problem in problems {
            cx.error_at(span_of(row, problem.subject), problem.message);
        }
        match cx.finish() {
            Err(error) => error,
            Ok(()) => syn::Error::new(row.table.span(), "the row does not match its table"),
        }
    })?;
    let columns = row
        .columns
        .iter()
        .map(|c| {
            table
                .column(&c.name)
                .map_or((SqlType::Other(String::new()), true), |t| {
                    (t.ty.clone(), t.nullable)
                })
        })
        .collect();
    Ok(Some(Checked {
        files: schema.files.clone(),
        columns,
        limits,
    }))
}

fn lookup<'s>(row: &Row<'_>, schema: &'s Schema, ddl_span: Span) -> syn::Result<&'s Table> {
    let name = row.table.value();
    schema.table(&name).map_err(|error| match error {
        LookupError::Unparsed(error) => syn::Error::new(
            ddl_span,
            format!(
                "cannot parse the DDL of table `{name}`: {error}. Fix the statement; if MySQL \
                 accepts it, sluice's SQL parser does not yet: please report it"
            ),
        ),
        LookupError::NotFound => {
            let names: Vec<&str> = schema.table_names().collect();
            let files: Vec<&str> = schema.files.iter().map(|f| f.display.as_str()).collect();
            let hint = match closest(&name, names.iter().copied()) {
                Some(candidate) => format!("; did you mean `{candidate}`?"),
                None if names.is_empty() => String::new(),
                None => format!("; it has: {}", names.join(", ")),
            };
            syn::Error::new(
                row.table.span(),
                format!("no table `{name}` in {}{hint}", files.join(", ")),
            )
        }
    })
}

fn span_of(row: &Row<'_>, subject: Subject) -> Span {
    match subject {
        Subject::Field(i) => row.columns.get(i).map(|c| c.column_span()),
        Subject::FieldType(i) => row.columns.get(i).map(|c| c.ty.span()),
        Subject::Key => row.key_span,
        Subject::Table => None,
    }
    .unwrap_or_else(|| row.table.span())
}

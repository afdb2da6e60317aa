//! The typed model of a `#[derive(Row)]` struct.

use proc_macro2::Span;
use sluice_schema::ddl::DdlSource;
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Type};

use crate::attr::{closest, for_each_arg, name_value, named_fields, reject_generics, unknown};
use crate::ctxt::Ctxt;

const STRUCT_ARGS: &[&str] = &[
    "table",
    "key",
    "migrations",
    "schema",
    "append_only",
    "allow_other_unique_keys",
];
const FIELD_ARGS: &[&str] = &["key", "column", "skip", "decimal_as_float"];

pub(crate) struct Row<'a> {
    pub ident: &'a Ident,
    pub table: LitStr,
    /// Where the table's DDL is, and the attribute argument that says so.
    pub ddl: Option<(DdlSource, LitStr)>,
    /// `#[row(append_only)]`: plain inserts, no key.
    pub append_only: bool,
    pub allow_other_unique_keys: bool,
    /// The first `key` argument, where key errors point.
    pub key_span: Option<Span>,
    /// The written fields, in column order.
    pub columns: Vec<Column<'a>>,
}

pub(crate) struct Column<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub name: String,
    /// The `column = "..."` literal, when the column is renamed.
    pub rename: Option<LitStr>,
    pub key: bool,
    pub decimal_as_float: bool,
}

struct FieldAttrs<'a> {
    column: Column<'a>,
    skip: bool,
    /// The `key` of `#[row(key)]`.
    key_span: Option<Span>,
}

#[derive(Default)]
struct StructAttrs {
    table: Option<LitStr>,
    key_list: Vec<Ident>,
    ddl: Option<(DdlSource, LitStr)>,
    append_only: bool,
    allow_other_unique_keys: bool,
    key_span: Option<Span>,
}

impl<'a> Row<'a> {
    pub fn parse(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        reject_generics(&mut cx, input, "Row");
        let attrs = struct_attrs(&mut cx, input);
        if attrs.table.is_none() {
            cx.error(
                &input.ident,
                "missing table: add #[row(table = \"...\")] to this struct",
            );
        }

        let mut fields = Vec::new();
        if let Some(named) = named_fields(&mut cx, input, "Row") {
            for field in &named.named {
                if let Some(ident) = field.ident.as_ref() {
                    fields.push(field_attrs(&mut cx, ident, field));
                }
            }
            apply_key_list(&mut cx, &attrs.key_list, &mut fields);
        }
        let key_span = attrs
            .key_span
            .or_else(|| fields.iter().find_map(|f| f.key_span));
        let columns: Vec<Column<'_>> = fields
            .into_iter()
            .filter(|f| !f.skip)
            .map(|f| f.column)
            .collect();
        if columns.is_empty() && attrs.table.is_some() {
            cx.error(
                &input.ident,
                "a row needs at least one field that is not `#[row(skip)]`",
            );
        }
        check_unique_columns(&mut cx, &columns);
        cx.finish()?;
        Ok(Row {
            ident: &input.ident,
            table: attrs
                .table
                .unwrap_or_else(|| LitStr::new("", input.ident.span())),
            ddl: attrs.ddl,
            append_only: attrs.append_only,
            allow_other_unique_keys: attrs.allow_other_unique_keys,
            key_span,
            columns,
        })
    }
}

fn struct_attrs(cx: &mut Ctxt, input: &syn::DeriveInput) -> StructAttrs {
    let mut attrs = StructAttrs::default();
    let mut ddl_error = None;
    for_each_arg(cx, &input.attrs, "row", |meta, key| {
        match key {
            "table" => attrs.table = Some(name_value(meta, "table")?),
            "key" => {
                attrs.key_span.get_or_insert(meta.path.span());
                meta.parse_nested_meta(|field| {
                    match field.path.get_ident() {
                        Some(ident) => attrs.key_list.push(ident.clone()),
                        None => return Err(field.error("expected a field name")),
                    }
                    Ok(())
                })?;
            }
            "migrations" | "schema" => {
                let path = name_value(meta, key)?;
                if attrs.ddl.is_some() {
                    ddl_error = Some(syn::Error::new(
                        path.span(),
                        "give the DDL once: either `migrations = \"...\"` or `schema = \"...\"`",
                    ));
                }
                let source = if key == "migrations" {
                    DdlSource::Migrations(path.value())
                } else {
                    DdlSource::SchemaFile(path.value())
                };
                attrs.ddl = Some((source, path));
            }
            "append_only" => attrs.append_only = true,
            "allow_other_unique_keys" => attrs.allow_other_unique_keys = true,
            _ => return Err(unknown(meta, "row", key, STRUCT_ARGS)),
        }
        Ok(())
    });
    if let Some(error) = ddl_error {
        cx.push(error);
    }
    attrs
}

fn field_attrs<'a>(cx: &mut Ctxt, ident: &'a Ident, field: &'a syn::Field) -> FieldAttrs<'a> {
    let mut attrs = FieldAttrs {
        column: Column {
            ident,
            ty: &field.ty,
            name: ident.to_string(),
            rename: None,
            key: false,
            decimal_as_float: false,
        },
        skip: false,
        key_span: None,
    };
    for_each_arg(cx, &field.attrs, "row", |meta, key| {
        match key {
            "key" => {
                attrs.column.key = true;
                attrs.key_span.get_or_insert(meta.path.span());
            }
            "skip" => attrs.skip = true,
            "decimal_as_float" => attrs.column.decimal_as_float = true,
            "column" => {
                let name = name_value(meta, "column")?;
                attrs.column.name = name.value();
                attrs.column.rename = Some(name);
            }
            _ => return Err(unknown(meta, "row field", key, FIELD_ARGS)),
        }
        Ok(())
    });
    if attrs.skip && attrs.column.key {
        cx.error(ident, format!("`{ident}` cannot be both `skip` and `key`"));
    }
    attrs
}

/// `#[row(key(a, b))]` on the struct marks those fields as the key.
fn apply_key_list(cx: &mut Ctxt, key_list: &[Ident], fields: &mut [FieldAttrs<'_>]) {
    for wanted in key_list {
        match fields.iter_mut().find(|f| f.column.ident == wanted) {
            Some(field) if field.skip => {
                cx.error(
                    wanted,
                    format!("`{wanted}` is `#[row(skip)]` and cannot be part of the key"),
                );
            }
            Some(field) => field.column.key = true,
            None => {
                let names: Vec<String> =
                    fields.iter().map(|f| f.column.ident.to_string()).collect();
                let hint = closest(&wanted.to_string(), names.iter().map(String::as_str))
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                cx.error(
                    wanted,
                    format!("`key` names `{wanted}`, which is not a field of this struct{hint}"),
                );
            }
        }
    }
}

fn check_unique_columns(cx: &mut Ctxt, columns: &[Column<'_>]) {
    for (i, column) in columns.iter().enumerate() {
        if let Some(first) = columns[..i]
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&column.name))
        {
            cx.error(
                column.ident,
                format!(
                    "fields `{}` and `{}` both write column `{}`: give one a #[row(column = \"...\")]",
                    first.ident, column.ident, column.name
                ),
            );
        }
    }
}

impl Column<'_> {
    /// Where an error about this field's column points: the rename, else the field.
    pub fn column_span(&self) -> Span {
        self.rename
            .as_ref()
            .map_or_else(|| self.ident.span(), LitStr::span)
    }
}

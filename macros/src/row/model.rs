//! The typed model of a `#[derive(Row)]` struct.

use proc_macro2::Span;
use sluice_schema::ddl::DdlSource;
use syn::{Ident, LitStr, Type};

use crate::attr::{
    Once, closest, for_each_arg, name_value, named_fields, reject_generics, unknown,
};
use crate::ctxt::Ctxt;

const STRUCT_ARGS: &[&str] = &[
    "table",
    "key",
    "migrations",
    "schema",
    "append_only",
    "allow_other_unique_keys",
];
const FIELD_ARGS: &[&str] = &["key", "column", "skip", "decimal_as_float", "event_time"];

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
    /// The `#[row(skip)]` fields: not written, and `Default` when a row is read back.
    pub skipped: Vec<(&'a Ident, &'a Type)>,
}

pub(crate) struct Column<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub name: String,
    /// The `column = "..."` literal, when the column is renamed.
    pub rename: Option<LitStr>,
    pub key: bool,
    pub decimal_as_float: bool,
    /// `#[row(event_time)]`: the event time of a row read by a table source.
    pub event_time: bool,
}

struct FieldAttrs<'a> {
    column: Column<'a>,
    skip: bool,
    /// The `key` of `#[row(key)]`.
    key_span: Option<Span>,
}

#[derive(Default)]
struct StructAttrs {
    table: Once<LitStr>,
    /// `key(a, b)`: the key's fields, named on the struct.
    key_list: Once<Vec<Ident>>,
    ddl: Once<(DdlSource, LitStr)>,
    append_only: Once<()>,
    allow_other_unique_keys: Once<()>,
}

impl<'a> Row<'a> {
    pub fn parse(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        reject_generics(&mut cx, input, "Row");
        let attrs = struct_attrs(&mut cx, input);
        if !attrs.table.is_set() {
            cx.error(
                &input.ident,
                "missing table: add #[row(table = \"...\")] to this struct",
            );
        }

        let mut fields = Vec::new();
        let named = named_fields(&mut cx, input, "Row");
        if let Some(named) = named {
            for field in &named.named {
                if let Some(ident) = field.ident.as_ref() {
                    fields.push(field_attrs(&mut cx, ident, field));
                }
            }
            apply_key_list(&mut cx, attrs.key_list.get(), &mut fields);
        }
        let key_span = attrs
            .key_list
            .span()
            .or_else(|| fields.iter().find_map(|f| f.key_span));
        let (written, skipped): (Vec<_>, Vec<_>) = fields.into_iter().partition(|f| !f.skip);
        let columns: Vec<Column<'_>> = written.into_iter().map(|f| f.column).collect();
        let skipped: Vec<(&Ident, &Type)> = skipped
            .into_iter()
            .map(|f| (f.column.ident, f.column.ty))
            .collect();
        // Without named fields, `named_fields` has said what is wrong.
        if columns.is_empty() && attrs.table.is_set() && named.is_some() {
            cx.error(
                &input.ident,
                "a row needs at least one field that is not `#[row(skip)]`",
            );
        }
        check_unique_columns(&mut cx, &columns);
        let mut timed = columns.iter().filter(|c| c.event_time);
        if let (Some(first), Some(second)) = (timed.next(), timed.next()) {
            cx.error(
                second.ident,
                format!(
                    "only one field can be the event time; `{}` already is",
                    first.ident
                ),
            );
        }
        cx.finish()?;
        Ok(Row {
            ident: &input.ident,
            table: attrs
                .table
                .into_value()
                .unwrap_or_else(|| LitStr::new("", input.ident.span())),
            ddl: attrs.ddl.into_value(),
            append_only: attrs.append_only.is_set(),
            allow_other_unique_keys: attrs.allow_other_unique_keys.is_set(),
            key_span,
            columns,
            skipped,
        })
    }
}

fn struct_attrs(cx: &mut Ctxt, input: &syn::DeriveInput) -> StructAttrs {
    let mut attrs = StructAttrs {
        ddl: Once::alternatives("the table's DDL"),
        ..StructAttrs::default()
    };
    for_each_arg(cx, &input.attrs, "row", |cx, meta, key| {
        match key {
            "table" => attrs.table.set(cx, meta, key, name_value(meta, "table")?),
            "key" => {
                let mut list: Vec<Ident> = Vec::new();
                meta.parse_nested_meta(|field| {
                    let Some(ident) = field.path.get_ident() else {
                        return Err(field.error("expected a field name"));
                    };
                    if list.contains(ident) {
                        cx.error(ident, format!("`{ident}` is named twice in `key(...)`"));
                    } else {
                        list.push(ident.clone());
                    }
                    Ok(())
                })?;
                attrs.key_list.set(cx, meta, key, list);
            }
            "migrations" | "schema" => {
                let path = name_value(meta, key)?;
                let source = if key == "migrations" {
                    DdlSource::Migrations(path.value())
                } else {
                    DdlSource::SchemaFile(path.value())
                };
                attrs.ddl.set(cx, meta, key, (source, path));
            }
            "append_only" => attrs.append_only.set(cx, meta, key, ()),
            "allow_other_unique_keys" => attrs.allow_other_unique_keys.set(cx, meta, key, ()),
            _ => return Err(unknown(meta, "row", key, STRUCT_ARGS)),
        }
        Ok(())
    });
    attrs
}

fn field_attrs<'a>(cx: &mut Ctxt, ident: &'a Ident, field: &'a syn::Field) -> FieldAttrs<'a> {
    let mut key = Once::default();
    let mut skip = Once::default();
    let mut decimal_as_float = Once::default();
    let mut event_time = Once::default();
    let mut column = Once::<LitStr>::default();
    for_each_arg(cx, &field.attrs, "row", |cx, meta, name| {
        match name {
            "key" => key.set(cx, meta, name, ()),
            "skip" => skip.set(cx, meta, name, ()),
            "decimal_as_float" => decimal_as_float.set(cx, meta, name, ()),
            "event_time" => event_time.set(cx, meta, name, ()),
            "column" => column.set(cx, meta, name, name_value(meta, "column")?),
            _ => return Err(unknown(meta, "row field", name, FIELD_ARGS)),
        }
        Ok(())
    });
    if skip.is_set() && key.is_set() {
        cx.error(ident, format!("`{ident}` cannot be both `skip` and `key`"));
    }
    if skip.is_set() && event_time.is_set() {
        cx.error(
            ident,
            format!("`{ident}` cannot be both `skip` and `event_time`: the event time is read from its column"),
        );
    }
    let rename = column.into_value();
    FieldAttrs {
        column: Column {
            ident,
            ty: &field.ty,
            name: rename
                .as_ref()
                .map_or_else(|| ident.to_string(), LitStr::value),
            rename,
            key: key.is_set(),
            decimal_as_float: decimal_as_float.is_set(),
            event_time: event_time.is_set(),
        },
        skip: skip.is_set(),
        key_span: key.span(),
    }
}

/// `#[row(key(a, b))]` on the struct marks those fields as the key.
fn apply_key_list(cx: &mut Ctxt, key_list: Option<&Vec<Ident>>, fields: &mut [FieldAttrs<'_>]) {
    for wanted in key_list.into_iter().flatten() {
        match fields.iter_mut().find(|f| f.column.ident == wanted) {
            Some(field) if field.skip => {
                cx.error(
                    wanted,
                    format!("`{wanted}` is `#[row(skip)]` and cannot be part of the key"),
                );
            }
            Some(field) if field.column.key => {
                cx.error(
                    wanted,
                    format!(
                        "`{wanted}` is already marked #[row(key)] on its field: name the key in one place"
                    ),
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

//! The typed model of a `#[derive(Row)]` struct.

use syn::{Ident, LitStr, Type};

use crate::attr::{
    closest, for_each_arg, name_value, named_fields, reject_generics, string_value, unknown,
};
use crate::ctxt::Ctxt;

const STRUCT_ARGS: &[&str] = &["table", "key"];
const FIELD_ARGS: &[&str] = &["key", "column", "skip"];

pub(crate) struct Row<'a> {
    pub ident: &'a Ident,
    pub table: LitStr,
    /// The written fields, in column order.
    pub columns: Vec<Column<'a>>,
}

pub(crate) struct Column<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub name: String,
    pub key: bool,
}

struct FieldAttrs<'a> {
    ident: &'a Ident,
    ty: &'a Type,
    name: String,
    key: bool,
    skip: bool,
}

impl<'a> Row<'a> {
    pub fn parse(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        reject_generics(&mut cx, input, "Row");
        let mut table = None;
        let mut key_list: Vec<Ident> = Vec::new();
        for_each_arg(&mut cx, &input.attrs, "row", |meta, key| match key {
            "table" => {
                table = Some(name_value(meta, "table")?);
                Ok(())
            }
            "key" => meta.parse_nested_meta(|field| {
                match field.path.get_ident() {
                    Some(ident) => key_list.push(ident.clone()),
                    None => return Err(field.error("expected a field name")),
                }
                Ok(())
            }),
            _ => Err(unknown(meta, "row", key, STRUCT_ARGS)),
        });
        if table.is_none() {
            cx.error(
                &input.ident,
                "missing table: add #[row(table = \"...\")] to this struct",
            );
        }

        let mut fields = Vec::new();
        if let Some(named) = named_fields(&mut cx, input, "Row") {
            for field in &named.named {
                let Some(ident) = field.ident.as_ref() else {
                    continue;
                };
                let mut attrs = FieldAttrs {
                    ident,
                    ty: &field.ty,
                    name: ident.to_string(),
                    key: false,
                    skip: false,
                };
                for_each_arg(&mut cx, &field.attrs, "row", |meta, key| match key {
                    "key" => {
                        attrs.key = true;
                        Ok(())
                    }
                    "skip" => {
                        attrs.skip = true;
                        Ok(())
                    }
                    "column" => {
                        attrs.name = string_value(meta)?.value();
                        Ok(())
                    }
                    _ => Err(unknown(meta, "row field", key, FIELD_ARGS)),
                });
                if attrs.skip && attrs.key {
                    cx.error(ident, format!("`{ident}` cannot be both `skip` and `key`"));
                }
                fields.push(attrs);
            }
            apply_key_list(&mut cx, &key_list, &mut fields);
        }
        let columns: Vec<Column<'_>> = fields
            .into_iter()
            .filter(|f| !f.skip)
            .map(|f| Column {
                ident: f.ident,
                ty: f.ty,
                name: f.name,
                key: f.key,
            })
            .collect();
        if columns.is_empty() && table.is_some() {
            cx.error(
                &input.ident,
                "a row needs at least one field that is not `#[row(skip)]`",
            );
        }
        check_unique_columns(&mut cx, &columns);
        cx.finish()?;
        Ok(Row {
            ident: &input.ident,
            table: table.unwrap_or_else(|| LitStr::new("", input.ident.span())),
            columns,
        })
    }
}

/// `#[row(key(a, b))]` on the struct marks those fields as the key.
fn apply_key_list(cx: &mut Ctxt, key_list: &[Ident], fields: &mut [FieldAttrs<'_>]) {
    for wanted in key_list {
        match fields.iter_mut().find(|f| f.ident == wanted) {
            Some(field) if field.skip => {
                cx.error(
                    wanted,
                    format!("`{wanted}` is `#[row(skip)]` and cannot be part of the key"),
                );
            }
            Some(field) => field.key = true,
            None => {
                let names: Vec<String> = fields.iter().map(|f| f.ident.to_string()).collect();
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

//! A `format = "avro"` struct against its `.avsc` record: every field is one of the record's,
//! with a type that reads the field's Avro type; the record's other fields must be skippable.

use sluice_schema::avro::{AvroRead, avro_compatibility, describe, readable};

use super::format::Avro;
use super::model::Field;
use crate::attr::closest;
use crate::ctxt::Ctxt;
use crate::field_type::classify;

/// One field of the record, in the schema's order, as the generated code reads it.
pub(crate) struct SchemaField {
    /// The field's name in the schema.
    pub name: String,
    pub read: AvroRead,
    /// The struct field that holds it; `None` for a field the decoder skips.
    pub field: Option<usize>,
}

/// The record's fields in order, or nothing after errors (reported to `cx`).
pub(crate) fn check(
    cx: &mut Ctxt,
    ident: &syn::Ident,
    avro: &Avro,
    fields: &[Field<'_>],
) -> Vec<SchemaField> {
    let schema = avro.path.file_name().map_or_else(
        || "the schema".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut plan = Vec::new();
    for field in fields {
        if field.epoch.is_some() {
            cx.error(
                field.ident,
                "`with` does not apply to Avro fields: a timestamp-millis or timestamp-micros \
                 field of the schema reads into a date-time as it is",
            );
        }
        if !avro.record.fields.iter().any(|f| f.name == field.name) {
            let names = avro.record.fields.iter().map(|f| f.name.as_str());
            let hint = closest(&field.name, names.clone())
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            let all: Vec<&str> = names.collect();
            cx.error(
                field.ident,
                format!(
                    "{schema} has no field `{}`: {hint}record `{}` has {}; add \
                     #[message(rename = \"...\")] to read another",
                    field.name,
                    avro.record.name,
                    all.join(", ")
                ),
            );
        }
    }
    for schema_field in &avro.record.fields {
        let index = fields.iter().position(|f| f.name == schema_field.name);
        let read = match index {
            Some(index) => {
                let field = &fields[index];
                let (rust, nullable) = classify(field.ty);
                let Some(rust) = rust else {
                    cx.error(
                        field.ty,
                        format!(
                            "sluice cannot read Avro's {} into this type",
                            describe(&schema_field.ty)
                        ),
                    );
                    continue;
                };
                match avro_compatibility(rust, nullable, &schema_field.ty) {
                    Ok(read) => read,
                    Err(why) => {
                        cx.error(
                            field.ty,
                            format!("field `{}` of {schema}: {why}", schema_field.name),
                        );
                        continue;
                    }
                }
            }
            None => match readable(&schema_field.ty) {
                Ok(read) => read,
                Err(why) => {
                    cx.error(
                        ident,
                        format!(
                            "field `{}` of {schema} has no field in this struct, and sluice \
                             cannot skip it: {why}",
                            schema_field.name
                        ),
                    );
                    continue;
                }
            },
        };
        plan.push(SchemaField {
            name: schema_field.name.clone(),
            read,
            field: index,
        });
    }
    plan
}

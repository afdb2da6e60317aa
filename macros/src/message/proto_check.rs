//! A `format = "protobuf"` struct against its `.proto` message: every field is one of the
//! message's, with a type that reads the field's scalar type; the message's other fields are
//! skipped by their wire type.

use sluice_schema::protobuf::{ProtoRead, proto_compatibility};

use super::format::Protobuf;
use super::model::Field;
use crate::attr::closest;
use crate::ctxt::Ctxt;
use crate::field_type::classify;

/// A field of the struct with the message field it reads.
pub(crate) struct ProtoFieldRead {
    pub number: u32,
    pub read: ProtoRead,
}

/// For each field of the struct, in order, how it is read; nothing after errors (reported to
/// `cx`).
pub(crate) fn check(cx: &mut Ctxt, proto: &Protobuf, fields: &[Field<'_>]) -> Vec<ProtoFieldRead> {
    let file = proto.path.file_name().map_or_else(
        || "the .proto file".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let message = &proto.message;
    let mut reads = Vec::new();
    for field in fields {
        if field.epoch.is_some() {
            cx.error(
                field.ident,
                "`with` does not apply to protobuf fields: read the integer, or convert it in \
                 the pipeline",
            );
        }
        let Some(declared) = message.fields.iter().find(|f| f.name == field.name) else {
            let names = message.fields.iter().map(|f| f.name.as_str());
            let hint = closest(&field.name, names.clone())
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            let all: Vec<&str> = names.collect();
            cx.error(
                field.ident,
                format!(
                    "message `{}` of {file} has no field `{}`: {hint}it has {}; add \
                     #[message(rename = \"...\")] to read another",
                    message.name,
                    field.name,
                    all.join(", ")
                ),
            );
            continue;
        };
        let (rust, nullable) = classify(field.ty);
        let Some(rust) = rust else {
            cx.error(
                field.ty,
                "sluice cannot read a protobuf value into this type",
            );
            continue;
        };
        match proto_compatibility(rust, nullable, declared) {
            Ok(read) => reads.push(ProtoFieldRead {
                number: declared.number,
                read,
            }),
            Err(why) => cx.error(
                field.ty,
                format!("field `{}` of {file}: {why}", declared.name),
            ),
        }
    }
    reads
}

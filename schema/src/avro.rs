//! Avro record schemas (`.avsc`), as far as a `#[derive(Message)]` struct is checked against
//! one: the record's fields, their types, logical types and nullable unions.

use serde_json::Value;

use crate::RustType;

/// The type of one field of an Avro record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AvroType {
    /// A primitive or logical type sluice reads into a field.
    Value(AvroValue),
    /// `"null"`.
    Null,
    /// A union: `["null", "long"]` and the like. The branches in schema order.
    Union(Vec<AvroType>),
    /// A type sluice neither reads nor skips yet (`array`, `map`, `record`, `enum`, `fixed`, a
    /// named reference), by its name for error messages.
    Unsupported(String),
}

/// The primitive and logical types whose values sluice reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AvroValue {
    /// `"boolean"`: one byte, 0 or 1.
    Boolean,
    /// `"int"`: a zigzag varint of 32 bits.
    Int,
    /// `"long"`: a zigzag varint of 64 bits.
    Long,
    /// `"float"`: 4 bytes, little-endian IEEE 754.
    Float,
    /// `"double"`: 8 bytes, little-endian IEEE 754.
    Double,
    /// `"string"`: a long length, then UTF-8 bytes.
    String,
    /// `"bytes"`: a long length, then bytes.
    Bytes,
    /// `{"type": "int", "logicalType": "date"}`: days since 1970-01-01.
    Date,
    /// `{"type": "long", "logicalType": "timestamp-millis"}`.
    TimestampMillis,
    /// `{"type": "long", "logicalType": "timestamp-micros"}`.
    TimestampMicros,
    /// `{"type": "bytes", "logicalType": "decimal", "precision": P, "scale": S}`: the unscaled
    /// value as a big-endian two's-complement integer; the value is that times 10^-S.
    Decimal {
        /// The most digits a value has.
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
}

impl AvroValue {
    /// The name a schema gives the type.
    pub fn name(self) -> &'static str {
        match self {
            AvroValue::Boolean => "boolean",
            AvroValue::Int => "int",
            AvroValue::Long => "long",
            AvroValue::Float => "float",
            AvroValue::Double => "double",
            AvroValue::String => "string",
            AvroValue::Bytes => "bytes",
            AvroValue::Date => "int (date)",
            AvroValue::TimestampMillis => "long (timestamp-millis)",
            AvroValue::TimestampMicros => "long (timestamp-micros)",
            AvroValue::Decimal { .. } => "bytes (decimal)",
        }
    }

    /// The Rust types a field of this Avro type can have, in words.
    pub fn rust_types(self) -> &'static str {
        match self {
            AvroValue::Boolean => "bool",
            AvroValue::Int | AvroValue::Long => "an integer type (i64, u32, ...)",
            AvroValue::Float => "f32 or f64",
            AvroValue::Double => "f64",
            AvroValue::String => "String",
            AvroValue::Bytes => "Vec<u8>",
            AvroValue::Date => "chrono::NaiveDate",
            AvroValue::TimestampMillis | AvroValue::TimestampMicros => {
                "chrono::DateTime<Utc> or NaiveDateTime"
            }
            AvroValue::Decimal { .. } => "rust_decimal::Decimal",
        }
    }
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroField {
    pub name: String,
    pub ty: AvroType,
}

/// A record schema: what a `.avsc` file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvroRecord {
    pub name: String,
    pub fields: Vec<AvroField>,
}

/// Parses the text of a `.avsc` file, which must hold one record.
pub fn parse_record(text: &str) -> Result<AvroRecord, String> {
    let json: Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON Avro schema: {e}"))?;
    let object = json
        .as_object()
        .filter(|o| o.get("type").and_then(Value::as_str) == Some("record"))
        .ok_or("the schema is not a record (`\"type\": \"record\"`)")?;
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or("the record has no `name`")?
        .to_owned();
    let fields = object
        .get("fields")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("record `{name}` has no `fields` array"))?;
    let fields = fields
        .iter()
        .map(|field| {
            let name = field
                .get("name")
                .and_then(Value::as_str)
                .ok_or("a field has no `name`")?;
            let ty = field
                .get("type")
                .ok_or_else(|| format!("field `{name}` has no `type`"))?;
            Ok(AvroField {
                name: name.to_owned(),
                ty: parse_type(ty),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(AvroRecord { name, fields })
}

fn parse_type(ty: &Value) -> AvroType {
    match ty {
        Value::String(name) => primitive(name),
        Value::Array(branches) => AvroType::Union(branches.iter().map(parse_type).collect()),
        Value::Object(object) => {
            let base = object.get("type").and_then(Value::as_str).unwrap_or("");
            let logical = object.get("logicalType").and_then(Value::as_str);
            match (base, logical) {
                ("int", Some("date")) => AvroType::Value(AvroValue::Date),
                ("long", Some("timestamp-millis")) => AvroType::Value(AvroValue::TimestampMillis),
                ("long", Some("timestamp-micros")) => AvroType::Value(AvroValue::TimestampMicros),
                ("bytes", Some("decimal")) => match decimal(object) {
                    Some(value) => AvroType::Value(value),
                    // An invalid decimal is read as the type under it, as the specification says.
                    None => primitive(base),
                },
                // Readers ignore a logical type they do not know and read the type under it.
                (base, _) => primitive(base),
            }
        }
        other => AvroType::Unsupported(other.to_string()),
    }
}

/// A decimal's precision (at least 1) and scale (0 to the precision); `None` when invalid.
fn decimal(object: &serde_json::Map<String, Value>) -> Option<AvroValue> {
    let number = |key: &str| object.get(key).and_then(Value::as_u64);
    let precision = u32::try_from(number("precision")?)
        .ok()
        .filter(|p| *p >= 1)?;
    let scale = match object.get("scale") {
        None => 0,
        Some(_) => u32::try_from(number("scale")?).ok()?,
    };
    (scale <= precision).then_some(AvroValue::Decimal { precision, scale })
}

fn primitive(name: &str) -> AvroType {
    AvroType::Value(match name {
        "null" => return AvroType::Null,
        "boolean" => AvroValue::Boolean,
        "int" => AvroValue::Int,
        "long" => AvroValue::Long,
        "float" => AvroValue::Float,
        "double" => AvroValue::Double,
        "string" => AvroValue::String,
        "bytes" => AvroValue::Bytes,
        other => return AvroType::Unsupported(other.to_owned()),
    })
}

/// How a field reads its Avro value: the value type, and for a nullable union its branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvroRead {
    pub value: AvroValue,
    /// `Some((null branch, value branch, branches))` for `["null", T]` in either order.
    pub union: Option<(usize, usize, usize)>,
}

/// Whether a field of `rust` (an `Option` when `nullable`) reads `avro`; the error says what
/// would fit.
pub fn avro_compatibility(
    rust: RustType,
    nullable: bool,
    avro: &AvroType,
) -> Result<AvroRead, String> {
    let read = readable(avro)?;
    match (read.union.is_some(), nullable) {
        (true, false) => {
            return Err(format!(
                "the schema's type is nullable ({}): make the field an Option",
                describe(avro)
            ));
        }
        (false, true) => {
            return Err(format!(
                "the field is an Option but the schema's type ({}) is not nullable: use a \
                 union with \"null\" in the schema, or a plain field",
                describe(avro)
            ));
        }
        _ => {}
    }
    let fits = match read.value {
        AvroValue::Boolean => rust == RustType::Bool,
        AvroValue::Int | AvroValue::Long => matches!(
            rust,
            RustType::I8
                | RustType::I16
                | RustType::I32
                | RustType::I64
                | RustType::U8
                | RustType::U16
                | RustType::U32
                | RustType::U64
        ),
        AvroValue::Float => matches!(rust, RustType::F32 | RustType::F64),
        AvroValue::Double => rust == RustType::F64,
        AvroValue::String => rust == RustType::String,
        AvroValue::Bytes => rust == RustType::Bytes,
        AvroValue::Date => rust == RustType::NaiveDate,
        AvroValue::TimestampMillis | AvroValue::TimestampMicros => {
            matches!(rust, RustType::DateTimeUtc | RustType::NaiveDateTime)
        }
        AvroValue::Decimal { .. } => rust == RustType::Decimal,
    };
    if fits {
        Ok(read)
    } else {
        Err(format!(
            "the schema's type is {}, which reads into {}",
            describe(avro),
            read.value.rust_types()
        ))
    }
}

/// The value type of `avro` and its union layout; an error for what sluice cannot read.
pub fn readable(avro: &AvroType) -> Result<AvroRead, String> {
    match avro {
        AvroType::Value(value) => Ok(AvroRead {
            value: *value,
            union: None,
        }),
        AvroType::Union(branches) if branches.len() == 2 => {
            let null = branches.iter().position(|b| *b == AvroType::Null);
            let value = branches
                .iter()
                .position(|b| matches!(b, AvroType::Value(_)));
            match (null, value) {
                (Some(null), Some(index)) => {
                    let AvroType::Value(value) = branches[index] else {
                        unreachable!("found as a value branch")
                    };
                    Ok(AvroRead {
                        value,
                        union: Some((null, index, 2)),
                    })
                }
                _ => Err(unsupported(avro)),
            }
        }
        _ => Err(unsupported(avro)),
    }
}

fn unsupported(avro: &AvroType) -> String {
    format!(
        "sluice reads Avro primitives, date, timestamp-millis/micros, decimal and their unions \
         with null; this field is {}",
        describe(avro)
    )
}

/// A type as a schema would show it.
pub fn describe(avro: &AvroType) -> String {
    match avro {
        AvroType::Value(value) => value.name().to_owned(),
        AvroType::Null => "null".to_owned(),
        AvroType::Union(branches) => {
            let names: Vec<String> = branches.iter().map(describe).collect();
            format!("[{}]", names.join(", "))
        }
        AvroType::Unsupported(name) => name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"{"type": "record", "name": "Order", "fields": [
        {"name": "id", "type": "long"},
        {"name": "note", "type": ["null", "string"], "default": null},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}}
    ]}"#;

    #[test]
    fn a_record_and_its_field_types() {
        let record = parse_record(ORDER).expect("a record");
        assert_eq!(record.name, "Order");
        let types: Vec<String> = record.fields.iter().map(|f| describe(&f.ty)).collect();
        assert_eq!(
            types,
            ["long", "[null, string]", "long (timestamp-millis)", "array"]
        );
        assert!(parse_record(r#"{"type": "enum"}"#).is_err());
        assert!(parse_record("not json").is_err());
    }

    #[test]
    fn fields_fit_their_avro_types() {
        let record = parse_record(ORDER).expect("a record");
        let ty = |i: usize| &record.fields[i].ty;
        assert!(avro_compatibility(RustType::U64, false, ty(0)).is_ok());
        assert!(avro_compatibility(RustType::String, false, ty(0)).is_err());
        let note = avro_compatibility(RustType::String, true, ty(1)).expect("nullable");
        assert_eq!(note.union, Some((0, 1, 2)));
        let error = avro_compatibility(RustType::String, false, ty(1)).expect_err("not Option");
        assert!(error.contains("make the field an Option"), "{error}");
        assert!(avro_compatibility(RustType::DateTimeUtc, false, ty(2)).is_ok());
        assert!(avro_compatibility(RustType::I64, true, ty(2)).is_err());
        assert!(readable(ty(3)).is_err());
    }
}

//! Protocol Buffers messages (`.proto`), as far as a `#[derive(Message)]` struct is checked
//! against one: the fields of a top-level message, their numbers, scalar types and presence.

use crate::RustType;

/// A scalar type of a field, as its wire encoding knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtoScalar {
    Double,
    Float,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Fixed32,
    Fixed64,
    Sfixed32,
    Sfixed64,
    Bool,
    String,
    Bytes,
}

impl ProtoScalar {
    fn parse(name: &str) -> Option<ProtoScalar> {
        Some(match name {
            "double" => ProtoScalar::Double,
            "float" => ProtoScalar::Float,
            "int32" => ProtoScalar::Int32,
            "int64" => ProtoScalar::Int64,
            "uint32" => ProtoScalar::Uint32,
            "uint64" => ProtoScalar::Uint64,
            "sint32" => ProtoScalar::Sint32,
            "sint64" => ProtoScalar::Sint64,
            "fixed32" => ProtoScalar::Fixed32,
            "fixed64" => ProtoScalar::Fixed64,
            "sfixed32" => ProtoScalar::Sfixed32,
            "sfixed64" => ProtoScalar::Sfixed64,
            "bool" => ProtoScalar::Bool,
            "string" => ProtoScalar::String,
            "bytes" => ProtoScalar::Bytes,
            _ => return None,
        })
    }

    /// The name a `.proto` file gives the type.
    pub fn name(self) -> &'static str {
        match self {
            ProtoScalar::Double => "double",
            ProtoScalar::Float => "float",
            ProtoScalar::Int32 => "int32",
            ProtoScalar::Int64 => "int64",
            ProtoScalar::Uint32 => "uint32",
            ProtoScalar::Uint64 => "uint64",
            ProtoScalar::Sint32 => "sint32",
            ProtoScalar::Sint64 => "sint64",
            ProtoScalar::Fixed32 => "fixed32",
            ProtoScalar::Fixed64 => "fixed64",
            ProtoScalar::Sfixed32 => "sfixed32",
            ProtoScalar::Sfixed64 => "sfixed64",
            ProtoScalar::Bool => "bool",
            ProtoScalar::String => "string",
            ProtoScalar::Bytes => "bytes",
        }
    }

    /// The wire type of a value: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.
    pub fn wire_type(self) -> u8 {
        match self {
            ProtoScalar::Double | ProtoScalar::Fixed64 | ProtoScalar::Sfixed64 => 1,
            ProtoScalar::Float | ProtoScalar::Fixed32 | ProtoScalar::Sfixed32 => 5,
            ProtoScalar::String | ProtoScalar::Bytes => 2,
            _ => 0,
        }
    }

    fn fits(self, rust: RustType) -> bool {
        let integer = matches!(
            rust,
            RustType::I8
                | RustType::I16
                | RustType::I32
                | RustType::I64
                | RustType::U8
                | RustType::U16
                | RustType::U32
                | RustType::U64
        );
        match self {
            ProtoScalar::Double => rust == RustType::F64,
            ProtoScalar::Float => matches!(rust, RustType::F32 | RustType::F64),
            ProtoScalar::Bool => rust == RustType::Bool,
            ProtoScalar::String => rust == RustType::String,
            ProtoScalar::Bytes => rust == RustType::Bytes,
            _ => integer,
        }
    }

    fn rust_types(self) -> &'static str {
        match self {
            ProtoScalar::Double => "f64",
            ProtoScalar::Float => "f32 or f64",
            ProtoScalar::Bool => "bool",
            ProtoScalar::String => "String",
            ProtoScalar::Bytes => "Vec<u8>",
            _ => "an integer type (i64, u32, ...)",
        }
    }
}

/// The type of a field: a scalar sluice reads, or another (a message, an enum, a map), by
/// name for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtoType {
    Scalar(ProtoScalar),
    Other(String),
}

/// One field of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoField {
    pub name: String,
    pub number: u32,
    pub ty: ProtoType,
    /// `optional`: whether an absent field is told from its default.
    pub optional: bool,
    pub repeated: bool,
}

/// A message of a `.proto` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoMessage {
    pub name: String,
    pub fields: Vec<ProtoField>,
}

/// The top-level messages of a proto3 `.proto` file (nested messages, options and services are
/// passed over; a field of an enum type is an `int32`, its number; the members of a `oneof`
/// are fields with presence).
pub fn parse_messages(text: &str) -> Result<Vec<ProtoMessage>, String> {
    let tokens = tokenize(text);
    let proto2 = tokens
        .windows(3)
        .any(|w| w[0] == "syntax" && w[1] == "=" && w[2].trim_matches(['"', '\'']) == "proto2");
    if proto2 {
        return Err(
            "sluice reads proto3 files (`syntax = \"proto3\";`); proto2's required fields and \
             defaults are not supported yet"
                .to_owned(),
        );
    }
    // An enum is an int32 on the wire, wherever the file defines it.
    let enums: Vec<&str> = tokens
        .windows(2)
        .filter(|w| w[0] == "enum")
        .map(|w| w[1].as_str())
        .collect();
    let mut messages = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "message" {
            let name = tokens.get(i + 1).ok_or("`message` without a name")?.clone();
            if tokens.get(i + 2).map(String::as_str) != Some("{") {
                return Err(format!("message `{name}`: expected `{{`"));
            }
            let (mut fields, end) = message_body(&tokens, i + 3, &name)?;
            for field in &mut fields {
                if let ProtoType::Other(ty) = &field.ty
                    && enums.contains(&ty.rsplit('.').next().unwrap_or(ty))
                {
                    field.ty = ProtoType::Scalar(ProtoScalar::Int32);
                }
            }
            messages.push(ProtoMessage { name, fields });
            i = end;
        } else if tokens[i] == "{" {
            i = skip_block(&tokens, i + 1)?;
        } else {
            i += 1;
        }
    }
    if messages.is_empty() {
        return Err("the file defines no message".to_owned());
    }
    Ok(messages)
}

/// The fields of the message body starting at `start`, and where the body ends.
fn message_body(
    tokens: &[String],
    start: usize,
    message: &str,
) -> Result<(Vec<ProtoField>, usize), String> {
    let mut fields = Vec::new();
    let mut i = start;
    loop {
        let token = tokens
            .get(i)
            .ok_or_else(|| format!("message `{message}` is not closed"))?;
        match token.as_str() {
            "}" => return Ok((fields, i + 1)),
            "oneof" => {
                if tokens.get(i + 2).map(String::as_str) != Some("{") {
                    return Err(format!("message `{message}`: a oneof without a body"));
                }
                let (members, end) = message_body(tokens, i + 3, message)?;
                fields.extend(members.into_iter().map(|f| ProtoField {
                    optional: true,
                    ..f
                }));
                i = end;
            }
            "message" | "enum" | "extend" => {
                let open = tokens[i..]
                    .iter()
                    .position(|t| t == "{")
                    .ok_or_else(|| format!("message `{message}`: `{token}` without a body"))?;
                i = skip_block(tokens, i + open + 1)?;
            }
            "option" | "reserved" | "extensions" => {
                i += tokens[i..].iter().position(|t| t == ";").unwrap_or(0) + 1;
            }
            ";" => i += 1,
            _ => {
                let end = tokens[i..]
                    .iter()
                    .position(|t| t == ";")
                    .map(|n| i + n)
                    .ok_or_else(|| format!("message `{message}`: a field without `;`"))?;
                fields.push(field(&tokens[i..end], message)?);
                i = end + 1;
            }
        }
    }
}

/// `[optional|repeated|required] type name = number [options]`.
fn field(tokens: &[String], message: &str) -> Result<ProtoField, String> {
    let (label, rest) = match tokens.first().map(String::as_str) {
        Some(label @ ("optional" | "repeated" | "required")) => (Some(label), &tokens[1..]),
        _ => (None, tokens),
    };
    let shown = tokens.join(" ");
    let bad = || format!("message `{message}`: cannot read the field `{shown}`");
    let (ty, rest) = if rest.first().map(String::as_str) == Some("map") {
        let close = rest.iter().position(|t| t == ">").ok_or_else(bad)?;
        (rest[..=close].concat(), &rest[close + 1..])
    } else {
        (rest.first().ok_or_else(bad)?.clone(), &rest[1..])
    };
    let [name, equals, number, ..] = rest else {
        return Err(bad());
    };
    if equals != "=" {
        return Err(bad());
    }
    let number: u32 = number.parse().map_err(|_| bad())?;
    Ok(ProtoField {
        name: name.clone(),
        number,
        ty: ProtoScalar::parse(&ty).map_or(ProtoType::Other(ty), ProtoType::Scalar),
        optional: label == Some("optional"),
        repeated: label == Some("repeated"),
    })
}

/// The index after the `}` closing the block whose body starts at `start`.
fn skip_block(tokens: &[String], start: usize) -> Result<usize, String> {
    let mut depth = 1;
    for (i, token) in tokens.iter().enumerate().skip(start) {
        match token.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
    }
    Err("a `{` is never closed".to_owned())
}

/// Words, numbers, string literals and single punctuation characters; comments dropped.
fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' | '\'' => {
                let mut literal = String::from(c);
                for next in chars.by_ref() {
                    literal.push(next);
                    if next == c {
                        break;
                    }
                }
                tokens.push(literal);
            }
            c if c.is_whitespace() => {}
            c if c.is_alphanumeric() || c == '_' || c == '.' => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_alphanumeric() || next == '_' || next == '.' {
                        word.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(word);
            }
            c => tokens.push(c.to_string()),
        }
    }
    tokens
}

/// How a field reads its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoRead {
    pub scalar: ProtoScalar,
    /// The struct's field is an `Option`: absent is `None`; otherwise absent is the type's
    /// default.
    pub optional: bool,
    /// The `.proto` field has presence (`optional`, a `oneof` member): a value is written even
    /// when it is the type's default.
    pub presence: bool,
}

/// The scalar of `field`, for skipping or reading; an error for what sluice cannot read.
pub fn readable(field: &ProtoField) -> Result<ProtoScalar, String> {
    match (&field.ty, field.repeated) {
        (ProtoType::Scalar(scalar), false) => Ok(*scalar),
        (ty, repeated) => {
            let shown = match ty {
                ProtoType::Scalar(scalar) => scalar.name(),
                ProtoType::Other(name) => name,
            };
            let what = if repeated {
                format!("repeated {shown}")
            } else {
                shown.to_owned()
            };
            Err(format!(
                "sluice reads the scalar types (numbers, bool, string, bytes), not repeated; \
                 this field is {what}"
            ))
        }
    }
}

/// Whether a field of `rust` (an `Option` when `nullable`) reads `field`.
pub fn proto_compatibility(
    rust: RustType,
    nullable: bool,
    field: &ProtoField,
) -> Result<ProtoRead, String> {
    let scalar = readable(field)?;
    if nullable && !field.optional {
        return Err(format!(
            "the field is an Option but `{}` is not `optional` (an absent value is its default): \
             declare it `optional {}` or use a plain field",
            field.name,
            scalar.name()
        ));
    }
    if !scalar.fits(rust) {
        return Err(format!(
            "the message's type is {}, which reads into {}",
            scalar.name(),
            scalar.rust_types()
        ));
    }
    Ok(ProtoRead {
        scalar,
        optional: nullable,
        presence: field.optional,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"
        syntax = "proto3";
        package shop; // a comment
        import "google/protobuf/timestamp.proto";
        /* a block
           comment */
        message Order {
          int64 id = 1;
          optional string note = 2 [deprecated = true];
          repeated string tags = 3;
          map<string, int32> counts = 4;
          message Line { int32 qty = 1; }
          enum Kind { A = 0; }
          reserved 9;
          sint32 delta = 5;
          Kind kind = 6;
          optional shop.Status status = 7;
          Line line = 8;
        }
        enum Status { NEW = 0; PAID = 1; }
        message Other { bool flag = 1; }
    "#;

    #[test]
    fn enums_are_int32_and_messages_are_not() {
        let messages = parse_messages(ORDER).expect("parses");
        let ty = |name: &str| {
            messages[0]
                .fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.ty.clone())
        };
        assert_eq!(ty("kind"), Some(ProtoType::Scalar(ProtoScalar::Int32)));
        assert_eq!(ty("status"), Some(ProtoType::Scalar(ProtoScalar::Int32)));
        assert_eq!(ty("line"), Some(ProtoType::Other("Line".into())));
    }

    #[test]
    fn messages_and_their_fields() {
        let messages = parse_messages(ORDER).expect("parses");
        assert_eq!(messages.len(), 2);
        let order = &messages[0];
        assert_eq!(order.name, "Order");
        let fields: Vec<(&str, u32, bool, bool)> = order
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.number, f.optional, f.repeated))
            .collect();
        assert_eq!(
            fields,
            [
                ("id", 1, false, false),
                ("note", 2, true, false),
                ("tags", 3, false, true),
                ("counts", 4, false, false),
                ("delta", 5, false, false),
                ("kind", 6, false, false),
                ("status", 7, true, false),
                ("line", 8, false, false),
            ]
        );
        assert_eq!(
            order.fields[3].ty,
            ProtoType::Other("map<string,int32>".into())
        );
        assert!(parse_messages("syntax = \"proto3\";").is_err());
        assert!(
            parse_messages("syntax = \"proto2\"; message A { required int32 x = 1; }").is_err()
        );
        let extended = parse_messages(
            "message A { extensions 100 to 199; int32 x = 1; oneof pick { string s = 2; int64 n = 3; } }",
        )
        .expect("parses");
        let fields: Vec<(&str, bool)> = extended[0]
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.optional))
            .collect();
        assert_eq!(fields, [("x", false), ("s", true), ("n", true)]);
        assert!(parse_messages("message A { int32 x = ; }").is_err());
    }

    #[test]
    fn fields_fit_their_types() {
        let order = &parse_messages(ORDER).expect("parses")[0];
        assert!(proto_compatibility(RustType::U64, false, &order.fields[0]).is_ok());
        assert!(proto_compatibility(RustType::String, false, &order.fields[0]).is_err());
        assert!(proto_compatibility(RustType::String, true, &order.fields[1]).is_ok());
        assert!(proto_compatibility(RustType::I64, true, &order.fields[0]).is_err());
        assert!(readable(&order.fields[2]).is_err());
        assert!(readable(&order.fields[3]).is_err());
    }
}

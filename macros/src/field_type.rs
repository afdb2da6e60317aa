//! Recognises the field types the compatibility matrix knows, by how they are written.

use sluice_schema::RustType;
use syn::{GenericArgument, PathArguments, Type};

/// The field's type without `Option`, and whether it was an `Option`. `None` for a type the
/// matrix does not know: the `ColumnValue` bound reports it.
pub(crate) fn classify(ty: &Type) -> (Option<RustType>, bool) {
    if let Some(inner) = generic_argument(ty, "Option") {
        return (plain(inner), true);
    }
    (plain(ty), false)
}

fn plain(ty: &Type) -> Option<RustType> {
    match ty {
        Type::Reference(reference) => match &*reference.elem {
            Type::Path(path) if path.path.is_ident("str") => Some(RustType::String),
            _ => None,
        },
        Type::Group(group) => plain(&group.elem),
        Type::Paren(paren) => plain(&paren.elem),
        Type::Path(path) => {
            let last = path.path.segments.last()?;
            Some(match last.ident.to_string().as_str() {
                "i8" => RustType::I8,
                "i16" => RustType::I16,
                "i32" => RustType::I32,
                "i64" => RustType::I64,
                "u8" => RustType::U8,
                "u16" => RustType::U16,
                "u32" => RustType::U32,
                "u64" => RustType::U64,
                "f32" => RustType::F32,
                "f64" => RustType::F64,
                "bool" => RustType::Bool,
                "String" => RustType::String,
                "NaiveDate" => RustType::NaiveDate,
                "NaiveTime" => RustType::NaiveTime,
                "NaiveDateTime" => RustType::NaiveDateTime,
                "Decimal" => RustType::Decimal,
                "Value" | "JsonValue" => RustType::Json,
                "DateTime" => match generic_argument(ty, "DateTime")? {
                    Type::Path(zone) if zone.path.segments.last()?.ident == "Utc" => {
                        RustType::DateTimeUtc
                    }
                    _ => return None,
                },
                "Vec" => match generic_argument(ty, "Vec")? {
                    Type::Path(byte) if byte.path.is_ident("u8") => RustType::Bytes,
                    _ => return None,
                },
                _ => return None,
            })
        }
        _ => None,
    }
}

/// `T` of `Name<T>` (also `a::b::Name<T>`).
pub(crate) fn generic_argument<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|a| match a {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

//! The Rust types a row field can have, as the compatibility rules know them.

/// A field type sluice can bind; `Option<T>` is `T` plus nullability, kept separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RustType {
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `bool`
    Bool,
    /// `String` or `&str`
    String,
    /// `Vec<u8>`
    Bytes,
    /// `chrono::NaiveDate`
    NaiveDate,
    /// `chrono::NaiveTime`
    NaiveTime,
    /// `chrono::NaiveDateTime`
    NaiveDateTime,
    /// `chrono::DateTime<Utc>`
    DateTimeUtc,
    /// `serde_json::Value`
    Json,
    /// `rust_decimal::Decimal`
    Decimal,
}

impl RustType {
    /// Every type, for documentation and exhaustive tests.
    pub const ALL: [RustType; 19] = [
        RustType::I8,
        RustType::I16,
        RustType::I32,
        RustType::I64,
        RustType::U8,
        RustType::U16,
        RustType::U32,
        RustType::U64,
        RustType::F32,
        RustType::F64,
        RustType::Bool,
        RustType::String,
        RustType::Bytes,
        RustType::NaiveDate,
        RustType::NaiveTime,
        RustType::NaiveDateTime,
        RustType::DateTimeUtc,
        RustType::Json,
        RustType::Decimal,
    ];

    /// How a user writes it.
    pub fn name(self) -> &'static str {
        match self {
            RustType::I8 => "i8",
            RustType::I16 => "i16",
            RustType::I32 => "i32",
            RustType::I64 => "i64",
            RustType::U8 => "u8",
            RustType::U16 => "u16",
            RustType::U32 => "u32",
            RustType::U64 => "u64",
            RustType::F32 => "f32",
            RustType::F64 => "f64",
            RustType::Bool => "bool",
            RustType::String => "String",
            RustType::Bytes => "Vec<u8>",
            RustType::NaiveDate => "NaiveDate",
            RustType::NaiveTime => "NaiveTime",
            RustType::NaiveDateTime => "NaiveDateTime",
            RustType::DateTimeUtc => "DateTime<Utc>",
            RustType::Json => "serde_json::Value",
            RustType::Decimal => "rust_decimal::Decimal",
        }
    }

    /// The variant's name, for generated code.
    pub fn variant(self) -> &'static str {
        match self {
            RustType::I8 => "I8",
            RustType::I16 => "I16",
            RustType::I32 => "I32",
            RustType::I64 => "I64",
            RustType::U8 => "U8",
            RustType::U16 => "U16",
            RustType::U32 => "U32",
            RustType::U64 => "U64",
            RustType::F32 => "F32",
            RustType::F64 => "F64",
            RustType::Bool => "Bool",
            RustType::String => "String",
            RustType::Bytes => "Bytes",
            RustType::NaiveDate => "NaiveDate",
            RustType::NaiveTime => "NaiveTime",
            RustType::NaiveDateTime => "NaiveDateTime",
            RustType::DateTimeUtc => "DateTimeUtc",
            RustType::Json => "Json",
            RustType::Decimal => "Decimal",
        }
    }

    /// For an integer type: storage bytes and whether it is unsigned.
    pub(crate) fn integer(self) -> Option<(u8, bool)> {
        Some(match self {
            RustType::I8 => (1, false),
            RustType::I16 => (2, false),
            RustType::I32 => (4, false),
            RustType::I64 => (8, false),
            RustType::U8 => (1, true),
            RustType::U16 => (2, true),
            RustType::U32 => (4, true),
            RustType::U64 => (8, true),
            _ => return None,
        })
    }

    /// The integer type of `bytes` storage and that signedness.
    pub(crate) fn integer_of(bytes: u8, unsigned: bool) -> RustType {
        match (bytes, unsigned) {
            (1, false) => RustType::I8,
            (1, true) => RustType::U8,
            (2, false) => RustType::I16,
            (2, true) => RustType::U16,
            (3 | 4, false) => RustType::I32,
            (3 | 4, true) => RustType::U32,
            (_, false) => RustType::I64,
            (_, true) => RustType::U64,
        }
    }
}

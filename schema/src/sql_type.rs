//! MySQL column types, reduced to what decides which Rust values fit.

use std::fmt;

use sqlparser::ast::{
    BinaryLength, CharacterLength, DataType, EnumMember, ExactNumberInfo, ObjectNamePart,
    TypeModifier,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

/// The size class of a `TEXT` or `BLOB` column, which fixes its maximum length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSize {
    /// `TINYTEXT` / `TINYBLOB`: 255 bytes.
    Tiny,
    /// `TEXT` / `BLOB`: 65,535 bytes.
    Regular,
    /// `MEDIUMTEXT` / `MEDIUMBLOB`: 16,777,215 bytes.
    Medium,
    /// `LONGTEXT` / `LONGBLOB`: 4,294,967,295 bytes.
    Long,
}

impl TextSize {
    /// The longest value, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            TextSize::Tiny => 255,
            TextSize::Regular => 65_535,
            TextSize::Medium => 16_777_215,
            TextSize::Long => 4_294_967_295,
        }
    }

    /// The class MySQL picks for `TEXT(n)` / `BLOB(n)`.
    fn for_length(n: u64) -> Self {
        match n {
            0..=255 => TextSize::Tiny,
            256..=65_535 => TextSize::Regular,
            65_536..=16_777_215 => TextSize::Medium,
            _ => TextSize::Long,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            TextSize::Tiny => "TINY",
            TextSize::Regular => "",
            TextSize::Medium => "MEDIUM",
            TextSize::Long => "LONG",
        }
    }
}

/// A MySQL column type. Display widths of integers are dropped (they do not limit values),
/// except `TINYINT(1)`, which is how MySQL spells `BOOL`.
///
/// Character sets and collations are not part of the type: they decide how values compare
/// (and so which values a unique key sees as equal), not which values fit. A `VARCHAR(40)
/// BINARY` column (the `_bin` collation of its character set) is a `VarChar(40)`, as
/// `information_schema` reports it. The `binary` character set is different: it makes a
/// column hold bytes, so `VARCHAR(n) CHARACTER SET binary` is a `VarBinary(n)`, as MySQL
/// stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlType {
    /// `TINYINT`, `SMALLINT`, `MEDIUMINT`, `INT`, `BIGINT`: `bytes` is 1, 2, 3, 4 or 8.
    Integer {
        /// Storage size, which fixes the range.
        bytes: u8,
        /// `UNSIGNED`.
        unsigned: bool,
    },
    /// `TINYINT(1)`, `BOOL`, `BOOLEAN`.
    Bool,
    /// `BIT(n)`.
    Bit(u64),
    /// `DECIMAL(p, s)` / `NUMERIC(p, s)`.
    Decimal {
        /// Total digits.
        precision: u64,
        /// Digits after the point.
        scale: u64,
        /// `UNSIGNED`.
        unsigned: bool,
    },
    /// `FLOAT`.
    Float,
    /// `DOUBLE` / `REAL`.
    Double,
    /// `CHAR(n)`: up to `n` characters.
    Char(u64),
    /// `VARCHAR(n)`: up to `n` characters.
    VarChar(u64),
    /// `TINYTEXT` ... `LONGTEXT`.
    Text(TextSize),
    /// `BINARY(n)`: up to `n` bytes.
    Binary(u64),
    /// `VARBINARY(n)`: up to `n` bytes.
    VarBinary(u64),
    /// `TINYBLOB` ... `LONGBLOB`.
    Blob(TextSize),
    /// `ENUM('a', 'b')`.
    Enum(Vec<String>),
    /// `SET('a', 'b')`.
    Set(Vec<String>),
    /// `DATE`.
    Date,
    /// `TIME(fsp)`.
    Time(u64),
    /// `DATETIME(fsp)`.
    DateTime(u64),
    /// `TIMESTAMP(fsp)`.
    Timestamp(u64),
    /// `YEAR`.
    Year,
    /// `JSON` (MariaDB stores it as `LONGTEXT` with a `JSON_VALID` check).
    Json,
    /// Anything else (spatial types, ...), as written.
    Other(String),
}

impl SqlType {
    /// Parses a type as MySQL spells it, e.g. `int(10) unsigned` or `varchar(32)` from
    /// `information_schema.COLUMNS.COLUMN_TYPE`.
    pub fn parse(text: &str) -> Result<SqlType, String> {
        let mut parser = Parser::new(&MySqlDialect {})
            .try_with_sql(text)
            .map_err(|e| e.to_string())?;
        let data_type = parser.parse_data_type().map_err(|e| e.to_string())?;
        Ok(SqlType::from_data_type(&data_type))
    }

    /// The type of a parsed column definition.
    pub fn from_data_type(data_type: &DataType) -> SqlType {
        use DataType as D;
        let int = |bytes, unsigned| SqlType::Integer { bytes, unsigned };
        match data_type {
            D::TinyInt(Some(1)) | D::Bool | D::Boolean => SqlType::Bool,
            // MySQL's INT2 / INT4 / INT8 / FLOAT4 / FLOAT8 are aliases by byte count.
            D::Int2(_) => int(2, false),
            D::Int2Unsigned(_) => int(2, true),
            D::Int4(_) => int(4, false),
            D::Int4Unsigned(_) => int(4, true),
            D::Int8(_) => int(8, false),
            D::Int8Unsigned(_) => int(8, true),
            D::Float4 => SqlType::Float,
            D::Float8 => SqlType::Double,
            D::TinyInt(_) => int(1, false),
            D::TinyIntUnsigned(_) | D::UTinyInt => int(1, true),
            D::SmallInt(_) => int(2, false),
            D::SmallIntUnsigned(_) | D::USmallInt => int(2, true),
            D::MediumInt(_) => int(3, false),
            D::MediumIntUnsigned(_) => int(3, true),
            D::Int(_) | D::Integer(_) | D::Signed | D::SignedInteger => int(4, false),
            D::IntUnsigned(_) | D::IntegerUnsigned(_) | D::Unsigned | D::UnsignedInteger => {
                int(4, true)
            }
            D::BigInt(_) => int(8, false),
            D::BigIntUnsigned(_) | D::UBigInt => int(8, true),
            D::Decimal(info) | D::Numeric(info) | D::Dec(info) => decimal(info, false),
            D::DecimalUnsigned(info) | D::DecUnsigned(info) => decimal(info, true),
            D::Float(info) | D::FloatUnsigned(info) => match info {
                // FLOAT(p) with p > 24 is a DOUBLE.
                ExactNumberInfo::Precision(p) if *p > 24 => SqlType::Double,
                _ => SqlType::Float,
            },
            D::Double(_)
            | D::DoubleUnsigned(_)
            | D::DoublePrecision
            | D::DoublePrecisionUnsigned
            | D::Real
            | D::RealUnsigned => SqlType::Double,
            D::Char(len) | D::Character(len) => SqlType::Char(char_length(len.as_ref(), 1)),
            D::Varchar(len) | D::Nvarchar(len) | D::CharVarying(len) | D::CharacterVarying(len) => {
                SqlType::VarChar(char_length(len.as_ref(), 0))
            }
            D::TinyText => SqlType::Text(TextSize::Tiny),
            D::Text => SqlType::Text(TextSize::Regular),
            D::MediumText => SqlType::Text(TextSize::Medium),
            D::LongText => SqlType::Text(TextSize::Long),
            D::Binary(len) => SqlType::Binary(len.unwrap_or(1)),
            D::Varbinary(len) => SqlType::VarBinary(match len {
                Some(BinaryLength::IntegerLength { length }) => *length,
                _ => 0,
            }),
            D::TinyBlob => SqlType::Blob(TextSize::Tiny),
            D::Blob(None) => SqlType::Blob(TextSize::Regular),
            D::Blob(Some(n)) => SqlType::Blob(TextSize::for_length(*n)),
            D::MediumBlob => SqlType::Blob(TextSize::Medium),
            D::LongBlob => SqlType::Blob(TextSize::Long),
            D::Enum(members, _) => SqlType::Enum(members.iter().map(enum_member).collect()),
            D::Set(members) => SqlType::Set(members.clone()),
            D::Bit(len) => SqlType::Bit(len.unwrap_or(1)),
            D::Date => SqlType::Date,
            D::Time(fsp, _) => SqlType::Time(fsp.unwrap_or(0)),
            D::Datetime(fsp) => SqlType::DateTime(fsp.unwrap_or(0)),
            D::Timestamp(fsp, _) => SqlType::Timestamp(fsp.unwrap_or(0)),
            D::JSON => SqlType::Json,
            D::Zerofill(inner) | D::Collate(inner, _) => SqlType::from_data_type(inner),
            D::Custom(name, modifiers) => custom(name, modifiers),
            other => SqlType::Other(other.to_string()),
        }
    }

    /// The type a character type becomes in the `binary` character set (`CHAR(n) CHARACTER
    /// SET binary` is `BINARY(n)`); other types are unchanged.
    pub(crate) fn in_binary_character_set(self) -> SqlType {
        match self {
            SqlType::Char(n) => SqlType::Binary(n),
            SqlType::VarChar(n) => SqlType::VarBinary(n),
            SqlType::Text(size) => SqlType::Blob(size),
            other => other,
        }
    }

    /// Whether a live column of type `live` stores the same values as this type from DDL.
    /// MariaDB reports a `JSON` column as `LONGTEXT`.
    pub fn same_as_live(&self, live: &SqlType) -> bool {
        self == live || matches!((self, live), (SqlType::Json, SqlType::Text(TextSize::Long)))
    }
}

fn decimal(info: &ExactNumberInfo, unsigned: bool) -> SqlType {
    let (precision, scale) = match *info {
        ExactNumberInfo::None => (10, 0),
        ExactNumberInfo::Precision(p) => (p, 0),
        ExactNumberInfo::PrecisionAndScale(p, s) => (p, u64::try_from(s).unwrap_or(0)),
    };
    SqlType::Decimal {
        precision,
        scale,
        unsigned,
    }
}

fn char_length(length: Option<&CharacterLength>, default: u64) -> u64 {
    match length {
        Some(CharacterLength::IntegerLength { length, .. }) => *length,
        Some(CharacterLength::Max) => u64::from(u32::MAX),
        None => default,
    }
}

fn enum_member(member: &EnumMember) -> String {
    match member {
        EnumMember::Name(name) | EnumMember::NamedValue(name, _) => name.clone(),
    }
}

/// Types sqlparser leaves to the dialect: `YEAR`, `TEXT(n)`-like spellings, spatial types.
fn custom(name: &sqlparser::ast::ObjectName, modifiers: &[TypeModifier]) -> SqlType {
    let name = match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => ident.value.to_ascii_uppercase(),
        _ => name.to_string(),
    };
    let int = |bytes| SqlType::Integer {
        bytes,
        unsigned: false,
    };
    match name.as_str() {
        "YEAR" => SqlType::Year,
        // Aliases MySQL accepts: INT1, INT3 / MIDDLEINT, LONG (= MEDIUMTEXT), FIXED (= DECIMAL).
        "INT1" => int(1),
        "INT3" | "MIDDLEINT" => int(3),
        "LONG" => SqlType::Text(TextSize::Medium),
        "NCHAR" => SqlType::Char(first_number(modifiers).unwrap_or(1)),
        "FIXED" => fixed(modifiers),
        _ if modifiers.is_empty() => SqlType::Other(name),
        _ => {
            let modifiers: Vec<String> = modifiers.iter().map(ToString::to_string).collect();
            SqlType::Other(format!("{name}({})", modifiers.join(",")))
        }
    }
}

fn first_number(modifiers: &[TypeModifier]) -> Option<u64> {
    modifiers.first().and_then(|m| m.to_string().parse().ok())
}

/// `FIXED(p, s)`, MySQL's alias of `DECIMAL(p, s)`.
fn fixed(modifiers: &[TypeModifier]) -> SqlType {
    let numbers: Vec<u64> = modifiers
        .iter()
        .filter_map(|m| m.to_string().parse().ok())
        .collect();
    let (precision, scale) = match numbers[..] {
        [] => (10, 0),
        [p] => (p, 0),
        [p, s, ..] => (p, s),
    };
    SqlType::Decimal {
        precision,
        scale,
        unsigned: false,
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fsp = |f: &mut fmt::Formatter<'_>, name: &str, fsp: u64| {
            if fsp == 0 {
                f.write_str(name)
            } else {
                write!(f, "{name}({fsp})")
            }
        };
        let list = |values: &[String]| {
            values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            SqlType::Integer { bytes, unsigned } => {
                let name = match bytes {
                    1 => "TINYINT",
                    2 => "SMALLINT",
                    3 => "MEDIUMINT",
                    4 => "INT",
                    _ => "BIGINT",
                };
                f.write_str(name)?;
                if *unsigned {
                    f.write_str(" UNSIGNED")?;
                }
                Ok(())
            }
            SqlType::Bool => f.write_str("TINYINT(1)"),
            SqlType::Bit(n) => write!(f, "BIT({n})"),
            SqlType::Decimal {
                precision,
                scale,
                unsigned,
            } => {
                write!(f, "DECIMAL({precision},{scale})")?;
                if *unsigned {
                    f.write_str(" UNSIGNED")?;
                }
                Ok(())
            }
            SqlType::Float => f.write_str("FLOAT"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Char(n) => write!(f, "CHAR({n})"),
            SqlType::VarChar(n) => write!(f, "VARCHAR({n})"),
            SqlType::Text(size) => write!(f, "{}TEXT", size.prefix()),
            SqlType::Binary(n) => write!(f, "BINARY({n})"),
            SqlType::VarBinary(n) => write!(f, "VARBINARY({n})"),
            SqlType::Blob(size) => write!(f, "{}BLOB", size.prefix()),
            SqlType::Enum(values) => write!(f, "ENUM({})", list(values)),
            SqlType::Set(values) => write!(f, "SET({})", list(values)),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Time(p) => fsp(f, "TIME", *p),
            SqlType::DateTime(p) => fsp(f, "DATETIME", *p),
            SqlType::Timestamp(p) => fsp(f, "TIMESTAMP", *p),
            SqlType::Year => f.write_str("YEAR"),
            SqlType::Json => f.write_str("JSON"),
            SqlType::Other(text) => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn information_schema_spellings() {
        let cases = [
            ("int(10) unsigned", "INT UNSIGNED"),
            ("int unsigned", "INT UNSIGNED"),
            ("bigint(20)", "BIGINT"),
            ("tinyint(1)", "TINYINT(1)"),
            ("tinyint(4)", "TINYINT"),
            ("mediumint(8) unsigned", "MEDIUMINT UNSIGNED"),
            ("decimal(10,2)", "DECIMAL(10,2)"),
            ("decimal(10,2) unsigned", "DECIMAL(10,2) UNSIGNED"),
            ("char(3)", "CHAR(3)"),
            ("varchar(255)", "VARCHAR(255)"),
            ("longtext", "LONGTEXT"),
            ("varbinary(16)", "VARBINARY(16)"),
            ("blob", "BLOB"),
            ("datetime(3)", "DATETIME(3)"),
            ("datetime", "DATETIME"),
            ("timestamp(6)", "TIMESTAMP(6)"),
            ("year(4)", "YEAR"),
            ("enum('a','b''c')", "ENUM('a','b''c')"),
            ("double", "DOUBLE"),
            ("float", "FLOAT"),
            ("json", "JSON"),
        ];
        for (text, expected) in cases {
            let parsed = SqlType::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.to_string(), expected, "{text}");
        }
    }

    #[test]
    fn mysql_type_aliases() {
        let cases = [
            ("int1", "TINYINT"),
            ("int2", "SMALLINT"),
            ("int3", "MEDIUMINT"),
            ("middleint", "MEDIUMINT"),
            ("int4", "INT"),
            ("int8", "BIGINT"),
            ("float4", "FLOAT"),
            ("float8", "DOUBLE"),
            ("fixed(5,2)", "DECIMAL(5,2)"),
            ("long", "MEDIUMTEXT"),
            ("nchar(3)", "CHAR(3)"),
            ("nvarchar(4)", "VARCHAR(4)"),
        ];
        for (text, expected) in cases {
            let parsed = SqlType::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.to_string(), expected, "{text}");
        }
        assert_eq!(
            SqlType::Text(TextSize::Tiny).in_binary_character_set(),
            SqlType::Blob(TextSize::Tiny)
        );
        assert_eq!(SqlType::Date.in_binary_character_set(), SqlType::Date);
    }
}

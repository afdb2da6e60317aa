//! The Rust/MySQL type compatibility matrix: which field types may be written to which column
//! types, and what each value must additionally satisfy.
//!
//! The rule is that a field's type holds exactly the column's values: same signedness and
//! width for integers, same precision for floats, and no silent conversion (a `DECIMAL` is
//! not an `f64` unless the field opts in with `#[row(decimal_as_float)]`).

use crate::limit::Limit;
use crate::rust_type::RustType;
use crate::sql_type::SqlType;

/// Why a field type cannot be written to a column type, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incompatible {
    /// What goes wrong.
    pub reason: String,
    /// How to fix it.
    pub fix: String,
}

/// The limits a value of `rust` must meet to be written to a column of type `column`, or why
/// it cannot be written there at all.
pub fn compatibility(
    rust: RustType,
    column: &SqlType,
    decimal_as_float: bool,
) -> Result<Vec<Limit>, Incompatible> {
    use RustType as R;
    use SqlType as S;
    let ok = |limits: Vec<Limit>| Ok(limits);
    match (rust, column) {
        (_, S::Integer { bytes, unsigned }) if rust.integer().is_some() => {
            integer(rust, *bytes, *unsigned)
        }
        (R::Bool | R::I8, S::Bool) => ok(vec![]),
        (R::Bool, S::Bit(1)) => ok(vec![]),
        (R::Decimal, S::Decimal { .. }) => ok(vec![decimal(column)]),
        (R::F32 | R::F64, S::Decimal { .. }) if decimal_as_float => {
            ok(vec![Limit::Finite, decimal(column)])
        }
        (R::F32 | R::F64, S::Decimal { .. }) => Err(Incompatible {
            reason: format!(
                "{column} is exact and `{}` is binary floating point, so values would be rounded",
                rust.name()
            ),
            fix: "use `rust_decimal::Decimal`, or add `#[row(decimal_as_float)]` to the field \
                  to accept the rounding"
                .into(),
        }),
        (R::F32, S::Float) | (R::F64, S::Double) => ok(vec![Limit::Finite]),
        (R::F64, S::Float) => Err(Incompatible {
            reason: "FLOAT is 32-bit and `f64` is 64-bit".into(),
            fix: "use `f32` for this column, or change the column to DOUBLE".into(),
        }),
        (R::F32, S::Double) => Err(Incompatible {
            reason: "DOUBLE is 64-bit and `f32` is 32-bit".into(),
            fix: "use `f64` for this column, or change the column to FLOAT".into(),
        }),
        (R::String, S::Char(n) | S::VarChar(n)) => ok(vec![Limit::Chars(*n)]),
        (R::String, S::Text(size)) => ok(vec![Limit::Bytes(size.max_bytes())]),
        (R::String, S::Enum(values)) => ok(vec![Limit::OneOf(values.clone())]),
        (R::Bytes, S::Binary(n) | S::VarBinary(n)) => ok(vec![Limit::Bytes(*n)]),
        (R::Bytes, S::Blob(size)) => ok(vec![Limit::Bytes(size.max_bytes())]),
        (R::NaiveDate, S::Date) => ok(vec![Limit::Years]),
        (R::NaiveTime, S::Time(_)) => ok(vec![]),
        (R::NaiveDateTime | R::DateTimeUtc, S::DateTime(_)) => ok(vec![Limit::Years]),
        (R::DateTimeUtc, S::Timestamp(_)) => ok(vec![Limit::Timestamp]),
        (R::NaiveDateTime, S::Timestamp(_)) => Err(Incompatible {
            reason: format!(
                "MySQL converts a {column} from the session time zone to UTC, and a \
                 `NaiveDateTime` says nothing about its time zone"
            ),
            fix: "use `DateTime<Utc>` for the field, or make the column DATETIME".into(),
        }),
        (R::U16, S::Year) => ok(vec![Limit::Integer {
            min: 1901,
            max: 2155,
        }]),
        (R::Json, S::Json) => ok(vec![]),
        (_, S::Other(name)) => Err(Incompatible {
            reason: format!("sluice does not write {name} columns yet"),
            fix: "leave the column out of the struct (a nullable column or one with a DEFAULT \
                  can be skipped), or write it with a separate statement"
                .into(),
        }),
        (_, S::Set(_)) => Err(Incompatible {
            reason: "sluice does not write SET columns yet".into(),
            fix: "make the column VARCHAR, or leave it out of the struct".into(),
        }),
        (_, S::DateTime(_)) => Err(Incompatible {
            reason: format!("{column} holds date-time values, not `{}`", rust.name()),
            fix: "use `DateTime<Utc>` or `NaiveDateTime` for this column".into(),
        }),
        _ => Err(Incompatible {
            reason: format!(
                "{column} holds {} values, not `{}`",
                family(column),
                rust.name()
            ),
            fix: match suggested(column) {
                Some(suggested) => format!("use `{}` for this column", suggested.name()),
                None => format!("no Rust type maps to {column} yet"),
            },
        }),
    }
}

fn integer(rust: RustType, bytes: u8, unsigned: bool) -> Result<Vec<Limit>, Incompatible> {
    let Some((rust_bytes, rust_unsigned)) = rust.integer() else {
        return Ok(vec![]);
    };
    let column = SqlType::Integer { bytes, unsigned };
    if rust_bytes == bytes && rust_unsigned == unsigned {
        return Ok(vec![]);
    }
    // MEDIUMINT has no Rust type of its own: the 32-bit one, checked against its range.
    if bytes == 3 && rust_bytes == 4 && rust_unsigned == unsigned {
        let (min, max) = if unsigned {
            (0, 16_777_215)
        } else {
            (-8_388_608, 8_388_607)
        };
        return Ok(vec![Limit::Integer { min, max }]);
    }
    let describe = |unsigned: bool, bytes: u8| {
        let sign = if unsigned { "unsigned" } else { "signed" };
        format!("{sign} {}-bit", u32::from(bytes) * 8)
    };
    let reason = format!(
        "{column} is {} and `{}` is {}",
        describe(unsigned, bytes),
        rust.name(),
        describe(rust_unsigned, rust_bytes)
    );
    let same_width = |u: bool| SqlType::Integer {
        bytes: rust_bytes,
        unsigned: u,
    };
    Err(Incompatible {
        reason,
        fix: format!(
            "use `{}` for this column, or change the column to {}",
            RustType::integer_of(bytes, unsigned).name(),
            same_width(rust_unsigned)
        ),
    })
}

fn decimal(column: &SqlType) -> Limit {
    match column {
        SqlType::Decimal {
            precision,
            scale,
            unsigned,
        } => Limit::Decimal {
            precision: *precision,
            scale: *scale,
            unsigned: *unsigned,
        },
        _ => Limit::Finite,
    }
}

/// The Rust type that holds exactly the values of `column`.
pub(crate) fn suggested(column: &SqlType) -> Option<RustType> {
    Some(match column {
        SqlType::Integer { bytes, unsigned } => RustType::integer_of(*bytes, *unsigned),
        SqlType::Bool | SqlType::Bit(1) => RustType::Bool,
        SqlType::Decimal { .. } => RustType::Decimal,
        SqlType::Float => RustType::F32,
        SqlType::Double => RustType::F64,
        SqlType::Char(_) | SqlType::VarChar(_) | SqlType::Text(_) | SqlType::Enum(_) => {
            RustType::String
        }
        SqlType::Binary(_) | SqlType::VarBinary(_) | SqlType::Blob(_) => RustType::Bytes,
        SqlType::Date => RustType::NaiveDate,
        SqlType::Time(_) => RustType::NaiveTime,
        SqlType::DateTime(_) => RustType::NaiveDateTime,
        SqlType::Timestamp(_) => RustType::DateTimeUtc,
        SqlType::Year => RustType::U16,
        SqlType::Json => RustType::Json,
        _ => return None,
    })
}

fn family(column: &SqlType) -> &'static str {
    match column {
        SqlType::Integer { .. } => "integer",
        SqlType::Bool => "boolean",
        SqlType::Bit(_) => "bit",
        SqlType::Decimal { .. } => "decimal",
        SqlType::Float | SqlType::Double => "floating-point",
        SqlType::Char(_) | SqlType::VarChar(_) | SqlType::Text(_) | SqlType::Enum(_) => "text",
        SqlType::Binary(_) | SqlType::VarBinary(_) | SqlType::Blob(_) => "binary",
        SqlType::Date => "date",
        SqlType::Time(_) => "time",
        SqlType::DateTime(_) | SqlType::Timestamp(_) => "date-time",
        SqlType::Year => "year",
        SqlType::Json => "JSON",
        SqlType::Set(_) | SqlType::Other(_) => "supported",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(text: &str) -> SqlType {
        SqlType::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn every_integer_column_has_exactly_one_exact_type() {
        for text in [
            "tinyint",
            "tinyint unsigned",
            "smallint",
            "smallint unsigned",
            "int",
            "int unsigned",
            "bigint",
            "bigint unsigned",
        ] {
            let fits: Vec<RustType> = RustType::ALL
                .into_iter()
                .filter(|r| compatibility(*r, &sql(text), false) == Ok(vec![]))
                .collect();
            assert_eq!(fits.len(), 1, "{text}: {fits:?}");
            assert_eq!(Some(fits[0]), suggested(&sql(text)), "{text}");
        }
    }

    #[test]
    fn width_and_sign_mismatches_say_what_to_use() {
        let error = compatibility(RustType::U32, &sql("bigint"), false).expect_err("incompatible");
        assert_eq!(
            error.reason,
            "BIGINT is signed 64-bit and `u32` is unsigned 32-bit"
        );
        assert_eq!(
            error.fix,
            "use `i64` for this column, or change the column to INT UNSIGNED"
        );
        let error =
            compatibility(RustType::I32, &sql("int unsigned"), false).expect_err("incompatible");
        assert_eq!(
            error.reason,
            "INT UNSIGNED is unsigned 32-bit and `i32` is signed 32-bit"
        );
    }

    #[test]
    fn limits() {
        assert_eq!(
            compatibility(RustType::String, &sql("char(3)"), false),
            Ok(vec![Limit::Chars(3)])
        );
        assert_eq!(
            compatibility(RustType::I32, &sql("mediumint"), false),
            Ok(vec![Limit::Integer {
                min: -8_388_608,
                max: 8_388_607
            }])
        );
        assert!(compatibility(RustType::F64, &sql("decimal(10,2)"), false).is_err());
        assert!(compatibility(RustType::F64, &sql("decimal(10,2)"), true).is_ok());
        assert!(compatibility(RustType::NaiveDateTime, &sql("timestamp(3)"), false).is_err());
        assert!(compatibility(RustType::DateTimeUtc, &sql("datetime(3)"), false).is_ok());
        assert!(compatibility(RustType::String, &sql("datetime"), false).is_err());
    }
}

//! Limits a column puts on values its Rust type allows, checked on each row before it is
//! written so that a value MySQL would reject (or silently truncate) goes to the dead-letter
//! table with a reason instead.

use std::fmt;

/// One check the generated `Row::validate` performs on a field. `Values` holds the `ENUM`
/// values: owned while the macro works them out, `&'static [&'static str]` in generated code.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Limit<Values = Vec<String>> {
    /// At most this many characters (`CHAR(n)`, `VARCHAR(n)`).
    Chars(u64),
    /// At most this many bytes (`TEXT`, `BLOB`, `BINARY(n)`, `VARBINARY(n)`).
    Bytes(u64),
    /// An integer within `min..=max` (`MEDIUMINT`, `YEAR`).
    Integer {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// Not NaN or infinite (`FLOAT`, `DOUBLE`).
    Finite,
    /// One of the `ENUM` values.
    OneOf(Values),
    /// A date in years `1000..=9999` (`DATE`, `DATETIME`).
    Years,
    /// Between 1970-01-01 00:00:01 and 2038-01-19 03:14:07 UTC (`TIMESTAMP`).
    Timestamp,
    /// At most `precision - scale` digits before the point (`DECIMAL(p, s)`).
    Decimal {
        /// Total digits.
        precision: u64,
        /// Digits after the point.
        scale: u64,
        /// No negative values.
        unsigned: bool,
    },
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Chars(n) => write!(f, "at most {n} characters"),
            Limit::Bytes(n) => write!(f, "at most {n} bytes"),
            Limit::Integer { min, max } => write!(f, "between {min} and {max}"),
            Limit::Finite => f.write_str("finite"),
            Limit::OneOf(values) => write!(f, "one of {}", values.join(", ")),
            Limit::Years => f.write_str("in years 1000 to 9999"),
            Limit::Timestamp => {
                f.write_str("between 1970-01-01 00:00:01 and 2038-01-19 03:14:07 UTC")
            }
            Limit::Decimal {
                precision, scale, ..
            } => write!(f, "at most {} digits before the point", precision - scale),
        }
    }
}

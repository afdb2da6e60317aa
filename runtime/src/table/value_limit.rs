//! The checks `Row::validate` runs on each value before it is written: what MySQL would reject
//! (or, outside strict mode, silently truncate) goes to the dead-letter table instead, with a
//! reason that names the column.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

/// A limit a column puts on values of its field's type, as generated code spells it.
pub type ValueLimit = sluice_schema::Limit<&'static [&'static str]>;

/// A value that does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// The column.
    pub column: &'static str,
    /// Why the value does not fit.
    pub reason: String,
}

impl ValueError {
    /// The error for `column`.
    pub fn new(column: &'static str, reason: String) -> Self {
        ValueError { column, reason }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.reason)
    }
}

/// A field type whose values `Row::validate` can check against a [`ValueLimit`]. A limit that
/// does not apply to the type passes; the macro only asks for the ones that do.
pub trait CheckValue {
    /// `Err` with the reason when the value breaks the limit.
    fn check(&self, limit: &ValueLimit) -> Result<(), String>;
}

/// The first characters of a text value, for messages.
fn preview(text: &str) -> String {
    const SHOWN: usize = 40;
    match text.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{:?}...", &text[..end]),
        None => format!("{text:?}"),
    }
}

fn check_text(text: &str, limit: &ValueLimit) -> Result<(), String> {
    match *limit {
        ValueLimit::Chars(max) => {
            let chars = text.chars().count() as u64;
            if chars > max {
                return Err(format!(
                    "{} has {chars} characters and the column holds at most {max}",
                    preview(text)
                ));
            }
        }
        ValueLimit::Bytes(max) if text.len() as u64 > max => {
            return Err(format!(
                "{} is {} bytes and the column holds at most {max}",
                preview(text),
                text.len()
            ));
        }
        ValueLimit::OneOf(values) if !values.iter().any(|v| v.eq_ignore_ascii_case(text)) => {
            return Err(format!(
                "{} is not one of the ENUM values {}",
                preview(text),
                values.join(", ")
            ));
        }
        _ => {}
    }
    Ok(())
}

impl CheckValue for String {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        check_text(self, limit)
    }
}

impl CheckValue for &str {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        check_text(self, limit)
    }
}

impl CheckValue for Vec<u8> {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        match *limit {
            ValueLimit::Bytes(max) if self.len() as u64 > max => Err(format!(
                "{} bytes and the column holds at most {max}",
                self.len()
            )),
            _ => Ok(()),
        }
    }
}

macro_rules! check_integers {
    ($($ty:ty),*) => {$(
        impl CheckValue for $ty {
            fn check(&self, limit: &ValueLimit) -> Result<(), String> {
                match *limit {
                    ValueLimit::Integer { min, max }
                        if !(i128::from(min)..=i128::from(max)).contains(&i128::from(*self)) =>
                    {
                        Err(format!("{self} is outside the column's range {min} to {max}"))
                    }
                    _ => Ok(()),
                }
            }
        }
    )*};
}

check_integers!(i8, i16, i32, i64, u8, u16, u32, u64);

fn check_float(value: f64, limit: &ValueLimit) -> Result<(), String> {
    match *limit {
        ValueLimit::Finite if !value.is_finite() => Err(format!(
            "{value} cannot be stored: MySQL has no NaN or infinity"
        )),
        ValueLimit::Decimal {
            precision,
            scale,
            unsigned,
        } => {
            let digits = precision.saturating_sub(scale);
            let bound = 10f64.powi(i32::try_from(digits).unwrap_or(i32::MAX));
            if unsigned && value < 0.0 {
                Err(format!("{value} is negative and the column is UNSIGNED"))
            } else if value.abs() >= bound {
                Err(format!(
                    "{value} has more than {digits} digits before the point, the most \
                     DECIMAL({precision},{scale}) holds"
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

impl CheckValue for f64 {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        check_float(*self, limit)
    }
}

impl CheckValue for f32 {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        check_float(f64::from(*self), limit)
    }
}

impl CheckValue for rust_decimal::Decimal {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        let ValueLimit::Decimal {
            precision,
            scale,
            unsigned,
        } = *limit
        else {
            return Ok(());
        };
        let digits = precision.saturating_sub(scale);
        let integer_digits = self
            .trunc()
            .abs()
            .normalize()
            .to_string()
            .trim_start_matches('0')
            .len();
        if unsigned && self.is_sign_negative() && !self.is_zero() {
            Err(format!("{self} is negative and the column is UNSIGNED"))
        } else if integer_digits as u64 > digits {
            Err(format!(
                "{self} has {integer_digits} digits before the point and \
                 DECIMAL({precision},{scale}) holds {digits}"
            ))
        } else {
            Ok(())
        }
    }
}

fn check_year(year: i32, shown: &dyn fmt::Display, limit: &ValueLimit) -> Result<(), String> {
    match limit {
        ValueLimit::Years if !(1000..=9999).contains(&year) => Err(format!(
            "{shown} is outside the column's range, years 1000 to 9999"
        )),
        _ => Ok(()),
    }
}

impl CheckValue for NaiveDate {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        check_year(self.year(), self, limit)
    }
}

impl CheckValue for NaiveDateTime {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        check_year(self.year(), self, limit)
    }
}

impl CheckValue for DateTime<Utc> {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        const LAST_TIMESTAMP: i64 = 2_147_483_647;
        match limit {
            ValueLimit::Timestamp if !(1..=LAST_TIMESTAMP).contains(&self.timestamp()) => {
                Err(format!(
                    "{self} is outside TIMESTAMP's range, 1970-01-01 00:00:01 to 2038-01-19 \
                     03:14:07 UTC; a DATETIME column holds it"
                ))
            }
            _ => check_year(self.year(), self, limit),
        }
    }
}

impl<T: CheckValue> CheckValue for Option<T> {
    fn check(&self, limit: &ValueLimit) -> Result<(), String> {
        match self {
            Some(value) => value.check(limit),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_characters() {
        assert!("EUR".to_string().check(&ValueLimit::Chars(3)).is_ok());
        assert!("€€€".to_string().check(&ValueLimit::Chars(3)).is_ok());
        let error = "EUROS".to_string().check(&ValueLimit::Chars(3));
        assert_eq!(
            error,
            Err("\"EUROS\" has 5 characters and the column holds at most 3".into())
        );
        assert!("€".check(&ValueLimit::Bytes(2)).is_err());
        assert!("b".check(&ValueLimit::OneOf(&["a", "B"])).is_ok());
        assert!("c".check(&ValueLimit::OneOf(&["a", "b"])).is_err());
    }

    #[test]
    fn numeric_limits() {
        let mediumint = ValueLimit::Integer {
            min: -8_388_608,
            max: 8_388_607,
        };
        assert!(8_388_607i32.check(&mediumint).is_ok());
        assert!(8_388_608i32.check(&mediumint).is_err());
        assert!(f64::NAN.check(&ValueLimit::Finite).is_err());
        let decimal = ValueLimit::Decimal {
            precision: 5,
            scale: 2,
            unsigned: true,
        };
        assert!(999.99f64.check(&decimal).is_ok());
        assert!(1000.0f64.check(&decimal).is_err());
        assert!((-1.0f64).check(&decimal).is_err());
        let exact = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap_or_default();
        assert!(exact("999.999").check(&decimal).is_ok());
        assert!(exact("1000").check(&decimal).is_err());
        assert!(exact("0.5").check(&decimal).is_ok());
    }

    #[test]
    fn date_limits() {
        let late = DateTime::<Utc>::from_timestamp(2_147_483_648, 0).unwrap_or_default();
        assert!(late.check(&ValueLimit::Timestamp).is_err());
        assert!(late.check(&ValueLimit::Years).is_ok());
        let ancient = NaiveDate::from_ymd_opt(999, 12, 31).unwrap_or_default();
        assert!(ancient.check(&ValueLimit::Years).is_err());
        assert!(None::<NaiveDate>.check(&ValueLimit::Years).is_ok());
    }
}

//! Reading and writing one CSV field of a given Rust type, for the decoders and encoders
//! `#[derive(Message)]` generates for `format = "csv"`. What is written reads back to the same
//! value.

use std::io::Write;
use std::num::IntErrorKind;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::csv::{CsvField, CsvStyle, write_field};
use super::decode_error::shorten;
use super::encode_error::{EncodeMessageError, Written};
use super::time::{
    FromEpoch, date_text, datetime_utc_text, naive_datetime_text, parse_date, parse_datetime_utc,
    parse_naive_datetime,
};
use super::{DecodeError, DecodeErrorKind};

/// A type a `#[derive(Message)]` field can have in a CSV message.
///
/// Implemented for the integers, `f32`/`f64`, `bool` (`true`/`false`, `1`/`0`), `String`,
/// `Option<T>` (an empty unquoted field is `None`; `""` is an empty string) and the chrono
/// date-time types (RFC 3339 / ISO 8601 text; for epoch numbers use
/// `#[message(with = "epoch_millis")]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of a CSV message",
    label = "sluice has no CSV decoder for `{Self}`",
    note = "supported: integers, f32, f64, bool, String, Option<T>, chrono::DateTime<Utc>, NaiveDateTime, NaiveDate",
    note = "for a number of epoch milliseconds use `#[message(with = \"epoch_millis\")]`"
)]
pub trait FromCsv: Sized {
    /// Reads the value of one field.
    fn read_csv(field: &CsvField<'_>) -> Result<Self, DecodeError>;

    /// Appends the field so that [`read_csv`](FromCsv::read_csv) reads it back.
    fn write_csv(&self, style: CsvStyle, out: &mut Vec<u8>) -> Written;

    /// The value of a column that a header row does not name: `None` means it is required.
    #[inline]
    fn absent() -> Option<Self> {
        None
    }
}

/// The text of a field that must hold a value of a type `expected` describes.
fn value_text<'f>(field: &'f CsvField<'_>, expected: &'static str) -> Result<&'f str, DecodeError> {
    if field.text.is_empty() && !field.quoted {
        return Err(DecodeError::at(
            field.offset,
            DecodeErrorKind::WrongType {
                expected,
                found: "an empty field",
            },
        ));
    }
    Ok(&field.text)
}

fn invalid(field: &CsvField<'_>, expected: &'static str) -> DecodeError {
    DecodeError::at(
        field.offset,
        DecodeErrorKind::InvalidValue {
            expected,
            found: shorten(&field.text),
        },
    )
}

/// Reads a field's text with `parse`; failures name `expected`.
fn read_parsed<T>(
    field: &CsvField<'_>,
    expected: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, DecodeError> {
    parse(value_text(field, expected)?).ok_or_else(|| invalid(field, expected))
}

macro_rules! integers {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl FromCsv for $ty {
            #[inline]
            fn read_csv(field: &CsvField<'_>) -> Result<Self, DecodeError> {
                value_text(field, $expected)?.parse::<$ty>().map_err(|e| match e.kind() {
                    IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => DecodeError::at(
                        field.offset,
                        DecodeErrorKind::OutOfRange { expected: $expected },
                    ),
                    _ => invalid(field, $expected),
                })
            }

            fn write_csv(&self, _: CsvStyle, out: &mut Vec<u8>) -> Written {
                let _ = write!(out, "{self}");
                Ok(())
            }
        }
    )*};
}

integers! {
    u8 => "an unsigned integer (u8)",
    u16 => "an unsigned integer (u16)",
    u32 => "an unsigned integer (u32)",
    u64 => "an unsigned integer (u64)",
    usize => "an unsigned integer (usize)",
    i8 => "an integer (i8)",
    i16 => "an integer (i16)",
    i32 => "an integer (i32)",
    i64 => "an integer (i64)",
    isize => "an integer (isize)",
}

macro_rules! floats {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl FromCsv for $ty {
            /// A finite number: MySQL has no NaN or infinity, and neither has JSON.
            fn read_csv(field: &CsvField<'_>) -> Result<Self, DecodeError> {
                let text = value_text(field, $expected)?;
                let value = text.parse::<$ty>().map_err(|_| invalid(field, $expected))?;
                if value.is_finite() {
                    Ok(value)
                } else if text.bytes().any(|b| b.is_ascii_digit()) {
                    Err(DecodeError::at(field.offset, DecodeErrorKind::OutOfRange { expected: $expected }))
                } else {
                    Err(invalid(field, $expected))
                }
            }

            fn write_csv(&self, _: CsvStyle, out: &mut Vec<u8>) -> Written {
                if !self.is_finite() {
                    return Err(EncodeMessageError::new("NaN and infinity are not written"));
                }
                let _ = write!(out, "{self:?}");
                Ok(())
            }
        }
    )*};
}

floats! {
    f32 => "a number (f32)",
    f64 => "a number (f64)",
}

impl FromCsv for bool {
    fn read_csv(field: &CsvField<'_>) -> Result<Self, DecodeError> {
        read_parsed(field, "true, false, 1 or 0", |text| {
            if text == "1" || text.eq_ignore_ascii_case("true") {
                Some(true)
            } else if text == "0" || text.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        })
    }

    fn write_csv(&self, _: CsvStyle, out: &mut Vec<u8>) -> Written {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
        Ok(())
    }
}

impl FromCsv for String {
    #[inline]
    fn read_csv(field: &CsvField<'_>) -> Result<Self, DecodeError> {
        Ok(field.text.clone().into_owned())
    }

    fn write_csv(&self, style: CsvStyle, out: &mut Vec<u8>) -> Written {
        write_field(self, style, out);
        Ok(())
    }
}

impl<T: FromCsv> FromCsv for Option<T> {
    #[inline]
    fn read_csv(field: &CsvField<'_>) -> Result<Self, DecodeError> {
        if field.text.is_empty() && !field.quoted {
            Ok(None)
        } else {
            T::read_csv(field).map(Some)
        }
    }

    fn write_csv(&self, style: CsvStyle, out: &mut Vec<u8>) -> Written {
        match self {
            Some(value) => value.write_csv(style, out),
            None => Ok(()),
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

macro_rules! dates {
    ($($ty:ty => $expected:literal, $parse:path, $text:path;)*) => {$(
        impl FromCsv for $ty {
            fn read_csv(field: &CsvField<'_>) -> Result<Self, DecodeError> {
                read_parsed(field, $expected, $parse)
            }

            fn write_csv(&self, style: CsvStyle, out: &mut Vec<u8>) -> Written {
                write_field(&$text(self)?, style, out);
                Ok(())
            }
        }
    )*};
}

dates! {
    DateTime<Utc> => "an RFC 3339 date-time", parse_datetime_utc, datetime_utc_text;
    NaiveDateTime => "a date-time (YYYY-MM-DDTHH:MM:SS[.fff])", parse_naive_datetime, naive_datetime_text;
    NaiveDate => "a date (YYYY-MM-DD)", parse_date, date_text;
}

/// The `with = "epoch_*"` adapters in a CSV message: an integer count of units, or an empty
/// field for `None`.
pub trait CsvEpochField: Sized {
    /// Reads the value in units of `unit_micros` microseconds.
    fn read_epoch_csv(
        field: &CsvField<'_>,
        unit_micros: i64,
        expected: &'static str,
    ) -> Result<Self, DecodeError>;

    /// Writes the count that [`read_epoch_csv`](CsvEpochField::read_epoch_csv) reads.
    fn write_epoch_csv(&self, unit_micros: i64, out: &mut Vec<u8>);

    /// The value of a column that a header row does not name: `None` means it is required.
    fn absent() -> Option<Self> {
        None
    }
}

impl<T: FromEpoch> CsvEpochField for T {
    fn read_epoch_csv(
        field: &CsvField<'_>,
        unit_micros: i64,
        expected: &'static str,
    ) -> Result<Self, DecodeError> {
        let count = i64::read_csv(field).map_err(|e| {
            let detail = e.into_detail();
            let kind = match detail.kind {
                DecodeErrorKind::InvalidValue { found, .. } => {
                    DecodeErrorKind::InvalidValue { expected, found }
                }
                DecodeErrorKind::WrongType { found, .. } => {
                    DecodeErrorKind::WrongType { expected, found }
                }
                _ => DecodeErrorKind::OutOfRange { expected },
            };
            DecodeError::at(detail.offset, kind)
        })?;
        count
            .checked_mul(unit_micros)
            .and_then(T::from_epoch_micros)
            .ok_or_else(|| DecodeError::at(field.offset, DecodeErrorKind::OutOfRange { expected }))
    }

    fn write_epoch_csv(&self, unit_micros: i64, out: &mut Vec<u8>) {
        self.write_epoch(unit_micros, out);
    }
}

impl<T: FromEpoch> CsvEpochField for Option<T> {
    fn read_epoch_csv(
        field: &CsvField<'_>,
        unit_micros: i64,
        expected: &'static str,
    ) -> Result<Self, DecodeError> {
        if field.text.is_empty() && !field.quoted {
            Ok(None)
        } else {
            T::read_epoch_csv(field, unit_micros, expected).map(Some)
        }
    }

    fn write_epoch_csv(&self, unit_micros: i64, out: &mut Vec<u8>) {
        if let Some(value) = self {
            value.write_epoch(unit_micros, out);
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

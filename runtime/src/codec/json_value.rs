use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::decode_error::shorten;
use super::json::JsonReader;
use super::json_write::ToJson;
use super::time::{parse_date, parse_datetime_utc, parse_naive_datetime};
use super::{DecodeError, DecodeErrorKind};

/// A type a `#[derive(Message)]` field can have in a JSON message.
///
/// Implemented for the integers, `f32`/`f64`, `bool`, `String`, `Option<T>` and the chrono
/// date-time types (RFC 3339 / ISO 8601 strings; for epoch numbers use
/// `#[message(with = "epoch_millis")]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of a JSON message",
    label = "sluice has no JSON decoder for `{Self}`",
    note = "supported: integers, f32, f64, bool, String, Option<T>, chrono::DateTime<Utc>, NaiveDateTime, NaiveDate",
    note = "for a number of epoch milliseconds use `#[message(with = \"epoch_millis\")]`"
)]
pub trait FromJson<'de>: Sized + ToJson {
    /// Reads one value of this type.
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError>;

    /// Writes the value so that [`read_json`](FromJson::read_json) reads it back. Generated
    /// encoders call it through this trait, so an unsupported field type is one error.
    #[inline]
    fn write_json_value(&self, out: &mut Vec<u8>) -> super::encode_error::Written {
        self.write_json(out)
    }

    /// The value of a field that is absent from the object: `None` means the field is required.
    #[inline]
    fn absent() -> Option<Self> {
        None
    }
}

macro_rules! unsigned {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl<'de> FromJson<'de> for $ty {
            #[inline]
            fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
                let at = reader.offset();
                let value = reader.read_u64($expected)?;
                <$ty>::try_from(value).map_err(|_| {
                    DecodeError::at(at, DecodeErrorKind::OutOfRange { expected: $expected })
                })
            }
        }
    )*};
}

macro_rules! signed {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl<'de> FromJson<'de> for $ty {
            #[inline]
            fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
                let at = reader.offset();
                let value = reader.read_i64($expected)?;
                <$ty>::try_from(value).map_err(|_| {
                    DecodeError::at(at, DecodeErrorKind::OutOfRange { expected: $expected })
                })
            }
        }
    )*};
}

unsigned! {
    u8 => "an unsigned integer (u8)",
    u16 => "an unsigned integer (u16)",
    u32 => "an unsigned integer (u32)",
    u64 => "an unsigned integer (u64)",
    usize => "an unsigned integer (usize)",
}

signed! {
    i8 => "an integer (i8)",
    i16 => "an integer (i16)",
    i32 => "an integer (i32)",
    i64 => "an integer (i64)",
    isize => "an integer (isize)",
}

impl<'de> FromJson<'de> for f64 {
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        reader.read_f64("a number (f64)")
    }
}

impl<'de> FromJson<'de> for f32 {
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        let at = reader.offset();
        let value = reader.read_f64("a number (f32)")?;
        let narrowed = value as f32;
        if value.is_finite() && !narrowed.is_finite() {
            return Err(DecodeError::at(
                at,
                DecodeErrorKind::OutOfRange {
                    expected: "a number (f32)",
                },
            ));
        }
        Ok(narrowed)
    }
}

impl<'de> FromJson<'de> for bool {
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        reader.read_bool()
    }
}

impl<'de> FromJson<'de> for String {
    #[inline]
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        reader.read_str("a string").map(|s| s.into_owned())
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for Option<T> {
    #[inline]
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        if reader.take_null()? {
            Ok(None)
        } else {
            T::read_json(reader).map(Some)
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

/// Reads a string and converts it with `parse`; failures name `expected`.
fn read_parsed<'de, T>(
    reader: &mut JsonReader<'de>,
    expected: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, DecodeError> {
    let at = reader.offset();
    let text = reader.read_str(expected)?;
    parse(&text).ok_or_else(|| {
        DecodeError::at(
            at,
            DecodeErrorKind::InvalidValue {
                expected,
                found: shorten(&text),
            },
        )
    })
}

impl<'de> FromJson<'de> for DateTime<Utc> {
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        read_parsed(reader, "an RFC 3339 date-time string", parse_datetime_utc)
    }
}

impl<'de> FromJson<'de> for NaiveDateTime {
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        read_parsed(
            reader,
            "a date-time string (YYYY-MM-DDTHH:MM:SS[.fff])",
            parse_naive_datetime,
        )
    }
}

impl<'de> FromJson<'de> for NaiveDate {
    fn read_json(reader: &mut JsonReader<'de>) -> Result<Self, DecodeError> {
        read_parsed(reader, "a date string (YYYY-MM-DD)", parse_date)
    }
}

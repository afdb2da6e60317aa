//! Writing one JSON value of a given Rust type, for the encoders `#[derive(Message)]`
//! generates (a message written to Kafka). The inverse of `json_value.rs`: what is written
//! reads back to the same value.

use std::io::Write;

use super::encode_error::{EncodeMessageError, Written};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::time::{date_text, datetime_utc_text, naive_datetime_text};

/// A field type a generated JSON encoder can write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written as JSON by sluice",
    label = "sluice has no JSON encoder for `{Self}`",
    note = "supported: integers, f32, f64, bool, String, Option<T>, chrono::DateTime<Utc>, NaiveDateTime, NaiveDate"
)]
pub trait ToJson {
    /// Appends the value's JSON text to `out`.
    fn write_json(&self, out: &mut Vec<u8>) -> Written;
}

macro_rules! integers {
    ($($ty:ty),*) => {$(
        impl ToJson for $ty {
            fn write_json(&self, out: &mut Vec<u8>) -> Written {
                let _ = write!(out, "{self}");
                Ok(())
            }
        }
    )*};
}

integers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

macro_rules! floats {
    ($($ty:ty),*) => {$(
        impl ToJson for $ty {
            /// The shortest text that reads back to the same value. JSON has no NaN or
            /// infinity: such a value is an error, not a `null` that would not read back.
            fn write_json(&self, out: &mut Vec<u8>) -> Written {
                if !self.is_finite() {
                    return Err(EncodeMessageError::new("NaN and infinity have no JSON form"));
                }
                let _ = write!(out, "{self:?}");
                Ok(())
            }
        }
    )*};
}

floats!(f32, f64);

impl ToJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) -> Written {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
        Ok(())
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut Vec<u8>) -> Written {
        write_string(self, out);
        Ok(())
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut Vec<u8>) -> Written {
        write_string(self, out);
        Ok(())
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> Written {
        match self {
            Some(value) => value.write_json(out),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }
}

impl ToJson for DateTime<Utc> {
    /// RFC 3339 in UTC, with as many fraction digits as the value needs.
    fn write_json(&self, out: &mut Vec<u8>) -> Written {
        write_string(&datetime_utc_text(self)?, out);
        Ok(())
    }
}

impl ToJson for NaiveDateTime {
    fn write_json(&self, out: &mut Vec<u8>) -> Written {
        write_string(&naive_datetime_text(self)?, out);
        Ok(())
    }
}

impl ToJson for NaiveDate {
    fn write_json(&self, out: &mut Vec<u8>) -> Written {
        write_string(&date_text(self)?, out);
        Ok(())
    }
}

/// A date-time a `with = "epoch_*"` field writes as an integer count of units.
pub trait ToEpoch {
    /// Appends the count of `unit_micros`-long units since the epoch (rounded down), or
    /// `null`.
    fn write_epoch(&self, unit_micros: i64, out: &mut Vec<u8>);
}

impl ToEpoch for DateTime<Utc> {
    fn write_epoch(&self, unit_micros: i64, out: &mut Vec<u8>) {
        let micros = self.timestamp_micros();
        let _ = write!(out, "{}", micros.div_euclid(unit_micros.max(1)));
    }
}

impl ToEpoch for NaiveDateTime {
    fn write_epoch(&self, unit_micros: i64, out: &mut Vec<u8>) {
        self.and_utc().write_epoch(unit_micros, out);
    }
}

impl ToEpoch for NaiveDate {
    fn write_epoch(&self, unit_micros: i64, out: &mut Vec<u8>) {
        self.and_time(chrono::NaiveTime::MIN)
            .write_epoch(unit_micros, out);
    }
}

impl<T: ToEpoch> ToEpoch for Option<T> {
    fn write_epoch(&self, unit_micros: i64, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_epoch(unit_micros, out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

/// A field type that can be a Kafka record key (`#[message(key)]`): text as its bytes, an
/// integer as its decimal digits (what a Java `StringSerializer` would send).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a Kafka record key",
    label = "`#[message(key)]` needs a string or an integer field",
    note = "use String, an integer, or an Option of one of them (None sends no key)"
)]
pub trait KeyBytes {
    /// Appends the key's bytes; `false` when there is no key (`None`).
    fn write_key(&self, out: &mut Vec<u8>) -> bool;
}

impl KeyBytes for String {
    fn write_key(&self, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(self.as_bytes());
        true
    }
}

macro_rules! integer_keys {
    ($($ty:ty),*) => {$(
        impl KeyBytes for $ty {
            fn write_key(&self, out: &mut Vec<u8>) -> bool {
                let _ = write!(out, "{self}");
                true
            }
        }
    )*};
}

integer_keys!(i8, i16, i32, i64, u8, u16, u32, u64);

impl<T: KeyBytes> KeyBytes for Option<T> {
    fn write_key(&self, out: &mut Vec<u8>) -> bool {
        self.as_ref().is_some_and(|key| key.write_key(out))
    }
}

/// A JSON string: quotes, and the escapes JSON requires (`"`, `\`, control characters).
pub fn write_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::FromJson;
    use crate::codec::json::JsonReader;

    fn json<T: ToJson + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        value.write_json(&mut out).expect("writable");
        String::from_utf8(out).expect("UTF-8")
    }

    fn round_trip<T: ToJson + for<'de> FromJson<'de> + PartialEq + std::fmt::Debug>(value: T) {
        let text = json(&value);
        let mut reader = JsonReader::new(text.as_bytes());
        let back = T::read_json(&mut reader).expect(&text);
        assert_eq!(back, value, "{text}");
    }

    #[test]
    fn strings_are_escaped_as_json_requires() {
        assert_eq!(json("a\"b\\c\nd\u{1}é"), r#""a\"b\\c\nd\u0001é""#);
        round_trip("quote \" backslash \\ tab \t bell \u{7} emoji 🦀".to_owned());
    }

    #[test]
    fn values_read_back_to_themselves() {
        round_trip(-42i64);
        round_trip(u64::MAX);
        round_trip(0.1f64);
        round_trip(1e300f64);
        round_trip(true);
        round_trip(Some(7u32));
        round_trip(None::<u32>);
        round_trip(DateTime::from_timestamp_millis(1_767_225_600_123).expect("a date"));
        round_trip(NaiveDate::from_ymd_opt(2026, 12, 4).expect("a date"));
        let mut out = Vec::new();
        assert!(f64::NAN.write_json(&mut out).is_err());
        assert!(f32::INFINITY.write_json(&mut out).is_err());
        let far = NaiveDate::from_ymd_opt(12_000, 1, 1).expect("a date");
        assert!(far.write_json(&mut out).is_err());
    }

    #[test]
    fn epoch_fields_round_down_to_their_unit() {
        let at = DateTime::from_timestamp_micros(-1_500).expect("a date");
        let mut out = Vec::new();
        at.write_epoch(1_000, &mut out);
        assert_eq!(out, b"-2");
    }
}

//! Avro's binary encoding of one record in Confluent's wire format (a zero byte, the schema's
//! registry id as 4 big-endian bytes, then the record), for the decoders and encoders
//! `#[derive(Message)]` generates for `format = "avro"`. The generated code knows the schema
//! (checked at compile time) and asks for each field's value in the schema's order.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::encode_error::{EncodeMessageError, Written};
use super::time::FromEpoch;
use super::{DecodeError, DecodeErrorKind};

type Result<T> = std::result::Result<T, DecodeError>;

/// Reads the values of one Avro record, front to back.
#[derive(Debug)]
pub struct AvroReader<'de> {
    input: &'de [u8],
    pos: usize,
}

impl<'de> AvroReader<'de> {
    /// A reader after the Confluent header of `input`, which must name schema `schema_id`.
    pub fn confluent(input: &'de [u8], schema_id: u32) -> Result<Self> {
        let Some((&magic, rest)) = input.split_first() else {
            return Err(malformed(0, "an empty payload"));
        };
        if magic != 0 {
            return Err(malformed(
                0,
                "not Confluent's wire format (its first byte is not 0)",
            ));
        }
        let Some(id) = rest.get(..4) else {
            return Err(malformed(
                input.len(),
                "the payload ends inside the schema id",
            ));
        };
        let found = u32::from_be_bytes([id[0], id[1], id[2], id[3]]);
        if found != schema_id {
            return Err(DecodeError::at(
                1,
                DecodeErrorKind::SchemaId {
                    expected: schema_id,
                    found,
                },
            ));
        }
        Ok(AvroReader { input, pos: 5 })
    }

    /// The current byte offset, for error messages.
    #[inline]
    pub fn offset(&self) -> usize {
        self.pos
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'de [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.input.len())
            .ok_or_else(|| malformed(self.input.len(), "the payload ends inside a value"))?;
        let bytes = &self.input[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// A `long`: a zigzag varint of at most 10 bytes.
    #[inline]
    pub fn read_long(&mut self) -> Result<i64> {
        let at = self.pos;
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .input
                .get(self.pos)
                .ok_or_else(|| malformed(self.input.len(), "the payload ends inside a number"))?;
            self.pos += 1;
            if shift == 63 && byte > 1 {
                break;
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        Err(malformed(at, "a number longer than 64 bits"))
    }

    /// An `int`: a `long` within 32 bits.
    #[inline]
    pub fn read_int(&mut self) -> Result<i32> {
        let at = self.pos;
        let value = self.read_long()?;
        i32::try_from(value).map_err(|_| malformed(at, "an int beyond 32 bits"))
    }

    #[inline]
    pub fn read_boolean(&mut self) -> Result<bool> {
        let at = self.pos;
        match self.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed(at, "a boolean that is neither 0 nor 1")),
        }
    }

    #[inline]
    pub fn read_float(&mut self) -> Result<f32> {
        let bytes = self.take(4)?;
        Ok(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    #[inline]
    pub fn read_double(&mut self) -> Result<f64> {
        let bytes = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(f64::from_le_bytes(array))
    }

    /// `bytes`: a `long` length, then that many bytes.
    #[inline]
    pub fn read_bytes(&mut self) -> Result<&'de [u8]> {
        let at = self.pos;
        let length = self.read_long()?;
        let length = usize::try_from(length).map_err(|_| malformed(at, "a negative length"))?;
        self.take(length)
    }

    /// `string`: `bytes` that are UTF-8.
    #[inline]
    pub fn read_string(&mut self) -> Result<&'de str> {
        let bytes = self.read_bytes()?;
        let start = self.pos - bytes.len();
        std::str::from_utf8(bytes)
            .map_err(|e| DecodeError::at(start + e.valid_up_to(), DecodeErrorKind::InvalidUtf8))
    }

    /// The branch index of a union of `branches`.
    #[inline]
    pub fn read_branch(&mut self, branches: usize) -> Result<usize> {
        let at = self.pos;
        let index = self.read_long()?;
        usize::try_from(index)
            .ok()
            .filter(|i| *i < branches)
            .ok_or_else(|| malformed(at, "a union branch the schema does not have"))
    }

    /// Ends the record: no byte may follow it.
    #[inline]
    pub fn end(&self) -> Result<()> {
        if self.pos == self.input.len() {
            Ok(())
        } else {
            Err(malformed(self.pos, "bytes after the end of the record"))
        }
    }
}

fn malformed(offset: usize, what: &'static str) -> DecodeError {
    DecodeError::at(offset, DecodeErrorKind::Avro(what))
}

/// Appends Confluent's header for schema `schema_id`.
pub fn write_confluent_header(schema_id: u32, out: &mut Vec<u8>) {
    out.push(0);
    out.extend_from_slice(&schema_id.to_be_bytes());
}

pub fn write_long(value: i64, out: &mut Vec<u8>) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    while zigzag >= 0x80 {
        out.push((zigzag as u8 & 0x7f) | 0x80);
        zigzag >>= 7;
    }
    out.push(zigzag as u8);
}

pub fn write_boolean(value: bool, out: &mut Vec<u8>) {
    out.push(u8::from(value));
}

pub fn write_float(value: f32, out: &mut Vec<u8>) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub fn write_double(value: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub fn write_bytes(value: &[u8], out: &mut Vec<u8>) {
    write_long(value.len() as i64, out);
    out.extend_from_slice(value);
}

/// An Avro `int` or `long` into an integer field; out of its range is an error at `offset`.
#[inline]
pub fn integer<T: TryFrom<i64>>(value: i64, offset: usize, expected: &'static str) -> Result<T> {
    T::try_from(value)
        .map_err(|_| DecodeError::at(offset, DecodeErrorKind::OutOfRange { expected }))
}

/// An integer field as an Avro `long` (or `int`, `bits` = 32).
pub fn write_integer<T: TryInto<i64>>(value: T, bits: u32, out: &mut Vec<u8>) -> Written {
    let value: i64 = value
        .try_into()
        .ok()
        .filter(|v| bits == 64 || i32::try_from(*v).is_ok())
        .ok_or_else(|| EncodeMessageError::new("the value is beyond the range of its Avro type"))?;
    write_long(value, out);
    Ok(())
}

/// A date-time a `timestamp-millis` or `timestamp-micros` field holds.
pub trait AvroTimestamp: FromEpoch {
    /// Microseconds since the epoch.
    fn micros(&self) -> i64;
}

impl AvroTimestamp for DateTime<Utc> {
    fn micros(&self) -> i64 {
        self.timestamp_micros()
    }
}

impl AvroTimestamp for NaiveDateTime {
    fn micros(&self) -> i64 {
        self.and_utc().timestamp_micros()
    }
}

/// A timestamp of `count` units of `unit_micros` microseconds.
#[inline]
pub fn timestamp<T: AvroTimestamp>(count: i64, unit_micros: i64, offset: usize) -> Result<T> {
    count
        .checked_mul(unit_micros)
        .and_then(T::from_epoch_micros)
        .ok_or_else(|| {
            DecodeError::at(
                offset,
                DecodeErrorKind::OutOfRange {
                    expected: "a date-time (years 0 to 9999)",
                },
            )
        })
}

/// The count of `unit_micros`-long units, rounded down, a timestamp field writes.
pub fn write_timestamp<T: AvroTimestamp>(value: &T, unit_micros: i64, out: &mut Vec<u8>) {
    write_long(value.micros().div_euclid(unit_micros), out);
}

/// A `date`: days since 1970-01-01.
pub fn date(days: i32, offset: usize) -> Result<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.saturating_add(719_163)).ok_or_else(|| {
        DecodeError::at(
            offset,
            DecodeErrorKind::OutOfRange {
                expected: "a date (chrono's range)",
            },
        )
    })
}

pub fn write_date(value: &NaiveDate, out: &mut Vec<u8>) {
    use chrono::Datelike;
    write_long(i64::from(value.num_days_from_ce()) - 719_163, out);
}

/// A `decimal`: `unscaled` (big-endian two's complement) times 10^-`scale`. Values beyond
/// `rust_decimal`'s 96 bits or 28 places are out of range.
pub fn decimal(unscaled: &[u8], scale: u32, offset: usize) -> Result<rust_decimal::Decimal> {
    let out_of_range = || {
        DecodeError::at(
            offset,
            DecodeErrorKind::OutOfRange {
                expected: "a decimal of at most 96 bits and 28 places (rust_decimal)",
            },
        )
    };
    let negative = unscaled.first().is_some_and(|b| b & 0x80 != 0);
    let fill = if negative { 0xff } else { 0x00 };
    let split = unscaled.len().saturating_sub(16);
    let (extension, low) = unscaled.split_at(split);
    if extension.iter().any(|b| *b != fill) {
        return Err(out_of_range());
    }
    let mut bytes = [fill; 16];
    bytes[16 - low.len()..].copy_from_slice(low);
    rust_decimal::Decimal::try_from_i128_with_scale(i128::from_be_bytes(bytes), scale)
        .map_err(|_| out_of_range())
}

/// Writes `value` as a `decimal` of `precision` digits, `scale` of them after the point: an
/// error when it has more places than `scale` or more digits than `precision`.
pub fn write_decimal(
    value: &rust_decimal::Decimal,
    precision: u32,
    scale: u32,
    out: &mut Vec<u8>,
) -> Written {
    let mut unscaled = value.mantissa();
    let places = value.scale();
    if places > scale {
        let divisor = 10i128.pow(places - scale);
        if unscaled % divisor != 0 {
            return Err(EncodeMessageError::new(
                "the value has more places than the schema's decimal scale",
            ));
        }
        unscaled /= divisor;
    } else {
        unscaled = 10i128
            .checked_pow(scale - places)
            .and_then(|factor| unscaled.checked_mul(factor))
            .ok_or_else(|| {
                EncodeMessageError::new("the value is beyond the decimal's precision")
            })?;
    }
    let limit = 10u128.checked_pow(precision);
    if limit.is_some_and(|limit| unscaled.unsigned_abs() >= limit) {
        return Err(EncodeMessageError::new(
            "the value has more digits than the schema's decimal precision",
        ));
    }
    let bytes = unscaled.to_be_bytes();
    // The shortest two's complement: drop leading bytes that only repeat the sign.
    let mut start = 0;
    while start < 15 {
        let (byte, next) = (bytes[start], bytes[start + 1]);
        if (byte == 0x00 && next & 0x80 == 0) || (byte == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    write_bytes(&bytes[start..], out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_confluent_header(7, &mut out);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn longs_read_back_at_every_width() {
        for value in [
            0,
            -1,
            1,
            63,
            -64,
            64,
            i64::from(i32::MAX),
            i64::MIN,
            i64::MAX,
        ] {
            let mut body = Vec::new();
            write_long(value, &mut body);
            let payload = framed(&body);
            let mut reader = AvroReader::confluent(&payload, 7).expect("framed");
            assert_eq!(reader.read_long(), Ok(value));
            reader.end().expect("nothing after");
        }
        let mut body = Vec::new();
        write_long(-3, &mut body);
        assert_eq!(body, [5]);
    }

    #[test]
    fn malformed_input_says_what_and_where() {
        let kind = |payload: &[u8]| {
            AvroReader::confluent(payload, 7)
                .and_then(|mut r| r.read_long())
                .expect_err("malformed")
                .into_detail()
        };
        assert_eq!(kind(b"").kind, DecodeErrorKind::Avro("an empty payload"));
        assert_eq!(
            kind(b"{\"id\": 1}").kind,
            DecodeErrorKind::Avro("not Confluent's wire format (its first byte is not 0)")
        );
        let wrong_id = kind(&[0, 0, 0, 0, 9, 2]);
        assert_eq!(
            wrong_id.kind,
            DecodeErrorKind::SchemaId {
                expected: 7,
                found: 9
            }
        );
        let truncated = kind(&framed(&[0x80, 0x80]));
        assert_eq!(
            truncated.kind,
            DecodeErrorKind::Avro("the payload ends inside a number")
        );
        let endless = kind(&framed(&[0xff; 11]));
        assert_eq!(
            (endless.kind, endless.offset),
            (DecodeErrorKind::Avro("a number longer than 64 bits"), 5)
        );
        let payload = framed(&[20, b'a']);
        let mut reader = AvroReader::confluent(&payload, 7).expect("framed");
        assert_eq!(
            reader.read_string().expect_err("short").kind,
            DecodeErrorKind::Avro("the payload ends inside a value")
        );
        let payload = framed(&[1]);
        let mut reader = AvroReader::confluent(&payload, 7).expect("framed");
        assert_eq!(
            reader.read_bytes().expect_err("negative").kind,
            DecodeErrorKind::Avro("a negative length")
        );
    }

    #[test]
    fn logical_types_convert_both_ways() {
        let at: DateTime<Utc> = timestamp(1_767_225_600_123, 1_000, 0).expect("in range");
        let mut out = Vec::new();
        write_timestamp(&at, 1_000, &mut out);
        let payload = framed(&out);
        let mut reader = AvroReader::confluent(&payload, 7).expect("framed");
        assert_eq!(reader.read_long(), Ok(1_767_225_600_123));
        assert!(timestamp::<DateTime<Utc>>(i64::MAX, 1_000, 0).is_err());
        let day = date(20_427, 0).expect("a date");
        assert_eq!(day.to_string(), "2025-12-05");
        let mut out = Vec::new();
        write_date(&day, &mut out);
        let payload = framed(&out);
        let mut reader = AvroReader::confluent(&payload, 7).expect("framed");
        assert_eq!(reader.read_int(), Ok(20_427));
        assert!(write_integer(u64::MAX, 64, &mut out).is_err());
        assert!(write_integer(i64::from(i32::MAX) + 1, 32, &mut out).is_err());
    }
}

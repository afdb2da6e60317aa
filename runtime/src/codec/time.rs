//! Date-time conversions for message fields: text formats and the `with = "epoch_*"` adapters.

use std::cell::Cell;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, Utc};

use super::encode_error::EncodeMessageError;

use super::json::JsonReader;
use super::{DecodeError, DecodeErrorKind};

pub(crate) fn parse_datetime_utc(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) fn parse_naive_datetime(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// RFC 3339 in UTC, with as many fraction digits as the value needs: what
/// [`parse_datetime_utc`] reads back.
pub(crate) fn datetime_utc_text(at: &DateTime<Utc>) -> Result<String, EncodeMessageError> {
    four_digit_year(at.year())?;
    Ok(at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub(crate) fn naive_datetime_text(at: &NaiveDateTime) -> Result<String, EncodeMessageError> {
    four_digit_year(at.year())?;
    Ok(at.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

pub(crate) fn date_text(day: &NaiveDate) -> Result<String, EncodeMessageError> {
    four_digit_year(day.year())?;
    Ok(day.format("%Y-%m-%d").to_string())
}

/// Dates are written with four-digit years, which is what they read back from.
fn four_digit_year(year: i32) -> Result<(), EncodeMessageError> {
    if (0..=9999).contains(&year) {
        Ok(())
    } else {
        Err(EncodeMessageError::new(
            "a date outside the years 0000 to 9999 has no RFC 3339 form",
        ))
    }
}

/// A type that an integer count of time units since the Unix epoch converts into.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot hold an epoch timestamp",
    label = "`with = \"epoch_...\"` needs a date-time or integer field",
    note = "use chrono::DateTime<Utc>, chrono::NaiveDateTime or (with `epoch_days`) chrono::NaiveDate, or an Option of one of them"
)]
pub trait FromEpoch: Sized + super::json_write::ToEpoch {
    /// Converts `micros` microseconds since the epoch; `None` when out of range.
    fn from_epoch_micros(micros: i64) -> Option<Self>;
}

impl FromEpoch for DateTime<Utc> {
    fn from_epoch_micros(micros: i64) -> Option<Self> {
        NaiveDateTime::from_epoch_micros(micros).map(|t| t.and_utc())
    }
}

impl FromEpoch for NaiveDateTime {
    fn from_epoch_micros(micros: i64) -> Option<Self> {
        const MICROS_PER_DAY: i64 = 86_400_000_000;
        let day = micros.div_euclid(MICROS_PER_DAY);
        let in_day = micros.rem_euclid(MICROS_PER_DAY);
        let time = NaiveTime::from_num_seconds_from_midnight_opt(
            u32::try_from(in_day / 1_000_000).ok()?,
            u32::try_from(in_day % 1_000_000 * 1_000).ok()?,
        )?;
        Some(date_of_day(day)?.and_time(time))
    }
}

impl FromEpoch for NaiveDate {
    fn from_epoch_micros(micros: i64) -> Option<Self> {
        const MICROS_PER_DAY: i64 = 86_400_000_000;
        date_of_day(micros.div_euclid(MICROS_PER_DAY))
    }
}

thread_local! {
    /// The last day converted and its date: consecutive messages mostly share their day, and
    /// the calendar computation is most of a conversion's cost.
    static LAST_DAY: Cell<Option<(i64, NaiveDate)>> = const { Cell::new(None) };
}

/// The date `day` days after 1970-01-01.
fn date_of_day(day: i64) -> Option<NaiveDate> {
    if let Some((last, date)) = LAST_DAY.get()
        && last == day
    {
        return Some(date);
    }
    let date =
        NaiveDate::from_num_days_from_ce_opt(i32::try_from(day.checked_add(719_163)?).ok()?)?;
    LAST_DAY.set(Some((day, date)));
    Some(date)
}

/// Reads an integer count of `unit_micros`-long units since the epoch into `T`.
fn read_epoch<T: FromEpoch>(
    reader: &mut JsonReader<'_>,
    unit_micros: i64,
    expected: &'static str,
) -> Result<T, DecodeError> {
    let at = reader.offset();
    let count = reader.read_i64(expected)?;
    count
        .checked_mul(unit_micros)
        .and_then(T::from_epoch_micros)
        .ok_or_else(|| DecodeError::at(at, DecodeErrorKind::OutOfRange { expected }))
}

/// The adapters named by `#[message(with = "...")]`. Each reads an integer (or `null` for an
/// `Option` field) and converts it.
pub trait EpochField: Sized {
    /// Reads the value in units of `unit_micros` microseconds.
    fn read_epoch(
        reader: &mut JsonReader<'_>,
        unit_micros: i64,
        expected: &'static str,
    ) -> Result<Self, DecodeError>;

    /// The value of an absent field; `None` means the field is required.
    fn absent() -> Option<Self> {
        None
    }

    /// Writes the value as the integer count [`read_epoch`](EpochField::read_epoch) reads.
    fn write_epoch_value(&self, unit_micros: i64, out: &mut Vec<u8>);
}

impl<T: FromEpoch> EpochField for T {
    fn write_epoch_value(&self, unit_micros: i64, out: &mut Vec<u8>) {
        super::json_write::ToEpoch::write_epoch(self, unit_micros, out);
    }

    fn read_epoch(
        reader: &mut JsonReader<'_>,
        unit_micros: i64,
        expected: &'static str,
    ) -> Result<Self, DecodeError> {
        read_epoch(reader, unit_micros, expected)
    }
}

impl<T: FromEpoch> EpochField for Option<T> {
    fn write_epoch_value(&self, unit_micros: i64, out: &mut Vec<u8>) {
        super::json_write::ToEpoch::write_epoch(self, unit_micros, out);
    }

    fn read_epoch(
        reader: &mut JsonReader<'_>,
        unit_micros: i64,
        expected: &'static str,
    ) -> Result<Self, DecodeError> {
        if reader.take_null()? {
            Ok(None)
        } else {
            read_epoch(reader, unit_micros, expected).map(Some)
        }
    }

    fn absent() -> Option<Self> {
        Some(None)
    }
}

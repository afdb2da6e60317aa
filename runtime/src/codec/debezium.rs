//! The envelope of a Debezium change event in JSON: `{"before": ..., "after": ..., "op": "c",
//! ...}`, or the same under `"payload"` beside a `"schema"` when the converter writes schemas.
//! The row images are read by the struct's generated JSON object reader, given to
//! [`read_change`].

use std::ops::Range;

use super::json::JsonReader;
use super::{Change, DecodeError, DecodeErrorKind};

const EXPECTED_OP: &str = "an operation: \"c\", \"r\", \"u\" or \"d\"";

/// Reads the change event in `payload`: what happened, and the row image `read` reads from the
/// reader it is given (a JSON object: the row after a create, read or update, in place; before
/// a delete).
pub fn read_change<'de, T>(
    payload: &'de [u8],
    mut read: impl FnMut(&mut JsonReader<'de>) -> Result<T, DecodeError>,
) -> Result<(Change, T), DecodeError> {
    let mut reader = JsonReader::new(payload);
    let event = read_object(&mut reader, payload, &mut read, true)?;
    reader.end()?;
    Ok(event)
}

/// Reads one envelope object; `outer`: a `"payload"` key may hold the envelope instead.
fn read_object<'de, T>(
    reader: &mut JsonReader<'de>,
    payload: &'de [u8],
    read: &mut impl FnMut(&mut JsonReader<'de>) -> Result<T, DecodeError>,
    outer: bool,
) -> Result<(Change, T), DecodeError> {
    reader.begin_object("a Debezium change event (a JSON object)")?;
    let (mut before, mut after, mut change) = (None, None, None);
    let mut inner = None;
    let mut first = true;
    while let Some(key) = reader.next_key(&mut first)? {
        match &*key {
            b"before" => before = image_span(reader)?,
            b"after" => {
                if !reader.take_null().map_err(|e| e.in_field("after"))? {
                    after = Some(read(reader).map_err(|e| e.in_field("after"))?);
                }
            }
            b"op" => change = Some(operation(reader)?),
            b"payload" if outer => {
                if !reader.take_null()? {
                    inner = Some(read_object(reader, payload, read, false)?);
                }
            }
            _ => reader.skip_value()?,
        }
    }
    if let Some(event) = inner {
        return Ok(event);
    }
    let missing = |side| DecodeError::missing(side, reader.offset());
    match change.ok_or_else(|| missing("op"))? {
        Change::Upsert => after
            .map(|row| (Change::Upsert, row))
            .ok_or_else(|| missing("after")),
        Change::Delete => {
            let span = before.ok_or_else(|| missing("before"))?;
            let image = payload.get(span.clone()).unwrap_or_default();
            let mut own = JsonReader::new(image);
            read(&mut own)
                .and_then(|row| own.end().map(|()| row))
                .map(|row| (Change::Delete, row))
                .map_err(|e| e.shifted(span.start).in_field("before"))
        }
    }
}

/// What `op` says: an upsert (`c`, `r`, `u`) or a delete (`d`); an error for a truncate or
/// anything else.
fn operation(reader: &mut JsonReader<'_>) -> Result<Change, DecodeError> {
    let at = reader.offset();
    let op = reader.read_str(EXPECTED_OP).map_err(|e| e.in_field("op"))?;
    match &*op {
        "c" | "r" | "u" => Ok(Change::Upsert),
        "d" => Ok(Change::Delete),
        "t" => Err(invalid(
            at,
            "a truncate event (\"t\"): sluice does not empty tables".to_owned(),
        )),
        other => Err(invalid(at, format!("{other:?}"))),
    }
}

/// The byte range of the row image under `before` (read only for a delete), or `None` for
/// `null`.
fn image_span(reader: &mut JsonReader<'_>) -> Result<Option<Range<usize>>, DecodeError> {
    if reader.take_null().map_err(|e| e.in_field("before"))? {
        return Ok(None);
    }
    if reader.peek() != Some(b'{') {
        return Err(reader
            .wrong_type("a row image (a JSON object)")
            .in_field("before"));
    }
    let start = reader.offset();
    reader.skip_value().map_err(|e| e.in_field("before"))?;
    Ok(Some(start..reader.offset()))
}

fn invalid(offset: usize, found: String) -> DecodeError {
    DecodeError::at(
        offset,
        DecodeErrorKind::InvalidValue {
            expected: EXPECTED_OP,
            found,
        },
    )
    .in_field("op")
}

/// Writes a change event: `{"before":null,"after":<row>,"op":"c"}` for an upsert, or
/// `{"before":<row>,"after":null,"op":"d"}` for a delete; `row` writes the row image.
pub fn write_envelope<E>(
    change: Change,
    out: &mut Vec<u8>,
    row: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    match change {
        Change::Upsert => {
            out.extend_from_slice(b"{\"before\":null,\"after\":");
            row(out)?;
            out.extend_from_slice(b",\"op\":\"c\"}");
        }
        Change::Delete => {
            out.extend_from_slice(b"{\"before\":");
            row(out)?;
            out.extend_from_slice(b",\"after\":null,\"op\":\"d\"}");
        }
    }
    Ok(())
}

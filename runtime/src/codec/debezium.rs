//! The envelope of a Debezium change event in JSON: `{"before": ..., "after": ..., "op": "c",
//! ...}`, or the same under `"payload"` beside a `"schema"` when the converter writes schemas.
//! The generated decoder reads the row image this finds with the struct's JSON decoder.

use std::ops::Range;

use super::json::JsonReader;
use super::{Change, DecodeError, DecodeErrorKind};

/// What a change event holds: what happened, and where its row image lies in the payload (the
/// row after a create, read or update; before a delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    pub change: Change,
    pub image: Range<usize>,
    /// The envelope key the image was found under, for errors: `after` or `before`.
    pub side: &'static str,
}

const EXPECTED_OP: &str = "an operation: \"c\", \"r\", \"u\" or \"d\"";

/// Finds the operation and the row image of the change event in `payload`.
pub fn read_envelope(payload: &[u8]) -> Result<ChangeEvent, DecodeError> {
    let mut reader = JsonReader::new(payload);
    let found = read_object(&mut reader, true)?;
    reader.end()?;
    Ok(found)
}

/// Reads one envelope object; `outer`: a `"payload"` key may hold the envelope instead.
fn read_object(reader: &mut JsonReader<'_>, outer: bool) -> Result<ChangeEvent, DecodeError> {
    reader.begin_object("a Debezium change event (a JSON object)")?;
    let (mut before, mut after, mut op) = (None, None, None);
    let mut inner = None;
    let mut first = true;
    while let Some(key) = reader.next_key(&mut first)? {
        match &*key {
            b"before" => before = Some(image(reader, "before")?),
            b"after" => after = Some(image(reader, "after")?),
            b"op" => {
                let at = reader.offset();
                let text = reader.read_str(EXPECTED_OP).map_err(|e| e.in_field("op"))?;
                op = Some((text.into_owned(), at));
            }
            b"payload" if outer => {
                if reader.take_null()? {
                    continue;
                }
                inner = Some(read_object(reader, false)?);
            }
            _ => reader.skip_value()?,
        }
    }
    if let Some(event) = inner {
        return Ok(event);
    }
    let Some((op, at)) = op else {
        return Err(DecodeError::missing("op", reader.offset()));
    };
    let (change, side, image) = match op.as_str() {
        "c" | "r" | "u" => (Change::Upsert, "after", after),
        "d" => (Change::Delete, "before", before),
        "t" => {
            return Err(invalid(
                at,
                "a truncate event (\"t\"): sluice does not empty tables".to_owned(),
            ));
        }
        other => return Err(invalid(at, format!("{other:?}"))),
    };
    match image.flatten() {
        Some(image) => Ok(ChangeEvent {
            change,
            image,
            side,
        }),
        None => Err(DecodeError::missing(side, reader.offset())),
    }
}

/// The byte range of the row image under `side`, or `None` for `null`.
fn image(
    reader: &mut JsonReader<'_>,
    side: &'static str,
) -> Result<Option<Range<usize>>, DecodeError> {
    if reader.take_null().map_err(|e| e.in_field(side))? {
        return Ok(None);
    }
    if reader.peek() != Some(b'{') {
        return Err(reader
            .wrong_type("a row image (a JSON object)")
            .in_field(side));
    }
    let start = reader.offset();
    reader.skip_value().map_err(|e| e.in_field(side))?;
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

/// Moves an error of the row image's decoder to its place in the whole payload.
pub fn in_image(error: DecodeError, event: &ChangeEvent) -> DecodeError {
    error.shifted(event.image.start).in_field(event.side)
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

//! A pull reader over one CSV record (RFC 4180 quoting), driven by generated decoders.
//!
//! A message holds one record: its fields in the struct's order, or, with `header = true`, a
//! header row naming the columns followed by the record. A field is borrowed from the payload
//! unless it is quoted and contains a doubled quote.

use std::borrow::Cow;

use super::{DecodeError, DecodeErrorKind};

type Result<T> = std::result::Result<T, DecodeError>;

/// The delimiter and quote character of a CSV message, from `#[message(delimiter = ..., quote = ...)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvStyle {
    /// The byte between fields (`,` unless the derive says otherwise).
    pub delimiter: u8,
    /// The byte that encloses a field holding a delimiter, a quote or a line break (`"`).
    pub quote: u8,
}

/// One field of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvField<'de> {
    /// The field's text, without its quotes and with doubled quotes made single.
    pub text: Cow<'de, str>,
    /// Whether the field was enclosed in quotes: `""` is an empty string, an empty unquoted
    /// field is a missing value (`None`).
    pub quoted: bool,
    /// The byte offset of the field in the payload.
    pub offset: usize,
}

/// Reads the fields of the records of one payload, front to back.
#[derive(Debug)]
pub struct CsvReader<'de> {
    input: &'de [u8],
    pos: usize,
    style: CsvStyle,
    /// Whether the current row has no more fields.
    row_done: bool,
}

impl<'de> CsvReader<'de> {
    /// A reader at the first record of `input` (an empty payload is one empty field).
    pub fn new(input: &'de [u8], style: CsvStyle) -> Result<Self> {
        Ok(CsvReader {
            input,
            pos: 0,
            style,
            row_done: false,
        })
    }

    /// The current byte offset, for error messages.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next field of the current row, `None` after its last.
    pub fn next_field(&mut self) -> Result<Option<CsvField<'de>>> {
        if self.row_done {
            return Ok(None);
        }
        let start = self.pos;
        let field = if self.input.get(start) == Some(&self.style.quote) {
            self.quoted_field(start)?
        } else {
            let end = self.input[start..]
                .iter()
                .position(|&b| b == self.style.delimiter || is_line_end(b))
                .map_or(self.input.len(), |n| start + n);
            self.pos = end;
            CsvField {
                text: Cow::Borrowed(utf8(&self.input[start..end], start)?),
                quoted: false,
                offset: start,
            }
        };
        match self.input.get(self.pos) {
            Some(&b) if b == self.style.delimiter => self.pos += 1,
            _ => self.row_done = true,
        }
        Ok(Some(field))
    }

    /// A field that starts with a quote at `start`; the reader ends after its closing quote.
    fn quoted_field(&mut self, start: usize) -> Result<CsvField<'de>> {
        let quote = self.style.quote;
        let mut owned: Option<Vec<u8>> = None;
        let mut from = start + 1;
        let mut at = from;
        loop {
            let Some(n) = self.input[at..].iter().position(|&b| b == quote) else {
                return Err(DecodeError::at(
                    start,
                    DecodeErrorKind::Csv("a quoted field is never closed"),
                ));
            };
            let close = at + n;
            if self.input.get(close + 1) == Some(&quote) {
                owned
                    .get_or_insert_with(Vec::new)
                    .extend_from_slice(&self.input[from..=close]);
                from = close + 2;
                at = from;
                continue;
            }
            self.pos = close + 1;
            match self.input.get(self.pos) {
                None => {}
                Some(&b) if b == self.style.delimiter || is_line_end(b) => {}
                Some(_) => {
                    return Err(DecodeError::at(
                        self.pos,
                        DecodeErrorKind::Csv("text after the closing quote of a field"),
                    ));
                }
            }
            let text = match owned {
                None => Cow::Borrowed(utf8(&self.input[from..close], from)?),
                Some(mut bytes) => {
                    bytes.extend_from_slice(&self.input[from..close]);
                    let text = String::from_utf8(bytes)
                        .map_err(|_| DecodeError::at(start, DecodeErrorKind::InvalidUtf8))?;
                    Cow::Owned(text)
                }
            };
            return Ok(CsvField {
                text,
                quoted: true,
                offset: start,
            });
        }
    }

    /// Moves past the rest of the current row to the next one: `false` when there is none
    /// (only line breaks remain).
    pub fn next_row(&mut self) -> Result<bool> {
        while self.next_field()?.is_some() {}
        self.skip_line_end();
        self.row_done = self.rest_is_blank(self.pos);
        Ok(!self.row_done)
    }

    /// Reads the header row: for each column, the index of its name in `names` (`None` for a
    /// column the struct does not read), then moves to the record. A name given twice, or a
    /// header without a record, is an error.
    pub fn header(&mut self, names: &[&'static str]) -> Result<Vec<Option<usize>>> {
        let mut columns = Vec::with_capacity(names.len());
        while let Some(name) = self.next_field()? {
            let index = names.iter().position(|n| *n == name.text);
            if let Some(i) = index
                && columns.contains(&index)
            {
                return Err(DecodeError::duplicate(names[i], name.offset));
            }
            columns.push(index);
        }
        // The header row ends with a line break; what follows is the record, even an empty one
        // (a single field without a value).
        if !self.input.get(self.pos).is_some_and(|b| is_line_end(*b)) {
            return Err(DecodeError::at(
                self.pos,
                DecodeErrorKind::Csv("a header row without a record"),
            ));
        }
        self.skip_line_end();
        self.row_done = false;
        Ok(columns)
    }

    /// Ends a record read after a header row of `expected` columns, `found` of its fields read:
    /// the counts must match, and no second record may follow.
    pub fn end_after_header(&mut self, expected: usize, found: usize) -> Result<()> {
        if found != expected {
            return Err(DecodeError::at(
                self.pos,
                DecodeErrorKind::ColumnCount { expected, found },
            ));
        }
        self.end(0)
    }

    /// Reads field `index` of a record of `expected` fields in struct order: a missing one is a
    /// column-count error.
    pub fn field(&mut self, index: usize, expected: usize) -> Result<CsvField<'de>> {
        let at = self.pos;
        self.next_field()?.ok_or_else(|| {
            DecodeError::at(
                at,
                DecodeErrorKind::ColumnCount {
                    expected,
                    found: index,
                },
            )
        })
    }

    /// Ends a record of `expected` fields, all read: more fields are a column-count error, a
    /// second record is an error too. A final line break is allowed.
    pub fn end(&mut self, expected: usize) -> Result<()> {
        let at = self.pos;
        let mut found = expected;
        while self.next_field()?.is_some() {
            found += 1;
        }
        if found != expected {
            return Err(DecodeError::at(
                at,
                DecodeErrorKind::ColumnCount { expected, found },
            ));
        }
        self.skip_line_end();
        if !self.rest_is_blank(self.pos) {
            return Err(DecodeError::at(
                self.pos,
                DecodeErrorKind::Csv("more than one record in the message"),
            ));
        }
        Ok(())
    }

    fn skip_line_end(&mut self) {
        if self.input.get(self.pos) == Some(&b'\r') {
            self.pos += 1;
        }
        if self.input.get(self.pos) == Some(&b'\n') {
            self.pos += 1;
        }
    }

    fn rest_is_blank(&self, from: usize) -> bool {
        self.input[from.min(self.input.len())..]
            .iter()
            .all(|&b| is_line_end(b))
    }
}

fn is_line_end(byte: u8) -> bool {
    byte == b'\n' || byte == b'\r'
}

fn utf8(bytes: &[u8], offset: usize) -> Result<&str> {
    std::str::from_utf8(bytes)
        .map_err(|e| DecodeError::at(offset + e.valid_up_to(), DecodeErrorKind::InvalidUtf8))
}

/// Appends `text` as one field: enclosed in quotes, with quotes doubled, when it holds the
/// delimiter, the quote, a line break, or is empty (an empty string is written `""`, which
/// reads back as a value; a missing one is an empty unquoted field).
pub fn write_field(text: &str, style: CsvStyle, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let needs_quotes = bytes.is_empty()
        || bytes
            .iter()
            .any(|&b| b == style.delimiter || b == style.quote || is_line_end(b));
    if !needs_quotes {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(style.quote);
    for &byte in bytes {
        if byte == style.quote {
            out.push(byte);
        }
        out.push(byte);
    }
    out.push(style.quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMA: CsvStyle = CsvStyle {
        delimiter: b',',
        quote: b'"',
    };

    fn row(input: &str) -> Result<Vec<(String, bool)>> {
        let mut reader = CsvReader::new(input.as_bytes(), COMMA)?;
        let mut fields = Vec::new();
        while let Some(field) = reader.next_field()? {
            fields.push((field.text.into_owned(), field.quoted));
        }
        Ok(fields)
    }

    #[test]
    fn fields_quotes_and_empties() {
        let fields = row("a,\"b,c\",,\"\",\"say \"\"hi\"\"\"\r\n").expect("valid");
        let texts: Vec<_> = fields.iter().map(|(t, q)| (t.as_str(), *q)).collect();
        assert_eq!(
            texts,
            [
                ("a", false),
                ("b,c", true),
                ("", false),
                ("", true),
                ("say \"hi\"", true)
            ]
        );
        assert_eq!(row("\"line\nbreak\"").expect("valid")[0].0, "line\nbreak");
        assert_eq!(row("x,").expect("valid").len(), 2);
    }

    #[test]
    fn malformed_records_say_where() {
        let open = row("a,\"b").expect_err("unclosed");
        assert_eq!(
            open.kind,
            DecodeErrorKind::Csv("a quoted field is never closed")
        );
        assert_eq!(open.offset, 2);
        let after = row("\"b\"x").expect_err("text after quote");
        assert_eq!(after.offset, 3);
        assert_eq!(row("").expect("one empty field"), [(String::new(), false)]);
        assert_eq!(
            row("\r\n").expect("one empty field"),
            [(String::new(), false)]
        );
        let invalid = CsvReader::new(b"a,\xff", COMMA)
            .and_then(|mut r| {
                r.next_field()?;
                r.next_field()
            })
            .expect_err("invalid UTF-8");
        assert_eq!(invalid.kind, DecodeErrorKind::InvalidUtf8);
        assert_eq!(invalid.offset, 2);
    }

    #[test]
    fn column_counts_and_second_records() {
        let mut reader = CsvReader::new(b"1,2,3", COMMA).expect("a record");
        reader.field(0, 2).expect("first");
        reader.field(1, 2).expect("second");
        let extra = reader.end(2).expect_err("three fields");
        assert_eq!(
            extra.kind,
            DecodeErrorKind::ColumnCount {
                expected: 2,
                found: 3
            }
        );
        let mut reader = CsvReader::new(b"1", COMMA).expect("a record");
        reader.field(0, 2).expect("first");
        let short = reader.field(1, 2).expect_err("one field");
        assert_eq!(
            short.kind,
            DecodeErrorKind::ColumnCount {
                expected: 2,
                found: 1
            }
        );
        let mut reader = CsvReader::new(b"1\n2\n", COMMA).expect("a record");
        reader.field(0, 1).expect("first");
        assert_eq!(
            reader.end(1).expect_err("two records").kind,
            DecodeErrorKind::Csv("more than one record in the message")
        );
        let mut reader = CsvReader::new(b"1\r\n", COMMA).expect("a record");
        reader.field(0, 1).expect("first");
        reader.end(1).expect("a final line break");
    }

    #[test]
    fn written_fields_read_back() {
        for text in ["plain", "", "a,b", "q\"q", "two\nlines", "\""] {
            let mut out = b"x,".to_vec();
            write_field(text, COMMA, &mut out);
            let back = row(std::str::from_utf8(&out).expect("UTF-8")).expect("valid");
            assert_eq!(back[1], (text.to_owned(), text != "plain"));
        }
    }
}

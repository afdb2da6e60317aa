//! A pull reader over one JSON document, driven by generated decoders.
//!
//! The generated code asks for exactly the type each field needs (`read_u64`, `read_str`, ...)
//! instead of building a tree or going through a visitor, so a well-formed message is read in
//! one pass without allocation except for strings that contain escapes.

use std::borrow::Cow;

use super::{DecodeError, DecodeErrorKind};

type Result<T> = std::result::Result<T, DecodeError>;

/// Reads JSON values from a byte slice, front to back.
#[derive(Debug)]
pub struct JsonReader<'de> {
    input: &'de [u8],
    pos: usize,
}

/// The JSON type of the next value, for error messages.
fn describe(byte: Option<u8>) -> &'static str {
    match byte {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        Some(_) => "an invalid token",
        None => "the end of the input",
    }
}

impl<'de> JsonReader<'de> {
    /// A reader positioned at the start of `input`.
    pub fn new(input: &'de [u8]) -> Self {
        JsonReader { input, pos: 0 }
    }

    /// The current byte offset, for error messages.
    pub fn offset(&self) -> usize {
        self.pos
    }

    fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::at(self.pos, kind)
    }

    fn syntax(&self, what: &'static str) -> DecodeError {
        self.error(DecodeErrorKind::Syntax(what))
    }

    /// The error for a value of the wrong JSON type where `expected` was wanted.
    pub fn wrong_type(&mut self, expected: &'static str) -> DecodeError {
        let found = describe(self.peek());
        self.error(DecodeErrorKind::WrongType { expected, found })
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.input.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The first byte of the next value, after whitespace.
    #[inline]
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.input.get(self.pos).copied()
    }

    #[inline]
    fn expect_byte(&mut self, byte: u8, what: &'static str) -> Result<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax(what))
        }
    }

    fn expect_literal(&mut self, literal: &'static [u8], what: &'static str) -> Result<()> {
        if self.input[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.syntax(what))
        }
    }

    /// Consumes the `{` that opens an object; `expected` names what the caller wanted.
    pub fn begin_object(&mut self, expected: &'static str) -> Result<()> {
        if self.peek() == Some(b'{') {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.wrong_type(expected))
        }
    }

    /// The key of the next member of the current object, or `None` at its closing `}`.
    /// `first` must start `true` for each object; the reader clears it.
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Cow<'de, str>>> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') if !*first => self.pos += 1,
            Some(b'"') if *first => {}
            _ => return Err(self.syntax("expected `\"key\"`, `,` or `}` in object")),
        }
        *first = false;
        if self.peek() != Some(b'"') {
            return Err(self.syntax("expected a string key"));
        }
        let key = self.read_string_body()?;
        self.expect_byte(b':', "expected `:` after key")?;
        Ok(Some(key))
    }

    /// Consumes `null` if it is the next value.
    #[inline]
    pub fn take_null(&mut self) -> Result<bool> {
        if self.peek() == Some(b'n') {
            self.expect_literal(b"null", "expected `null`")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Reads `true` or `false`.
    pub fn read_bool(&mut self) -> Result<bool> {
        match self.peek() {
            Some(b't') => self
                .expect_literal(b"true", "expected `true`")
                .map(|()| true),
            Some(b'f') => self
                .expect_literal(b"false", "expected `false`")
                .map(|()| false),
            _ => Err(self.wrong_type("a boolean")),
        }
    }

    /// Reads a non-negative integer; `expected` names the target type for errors.
    #[inline]
    pub fn read_u64(&mut self, expected: &'static str) -> Result<u64> {
        match self.peek() {
            Some(b'0'..=b'9') => {}
            Some(b'-') => {
                return Err(self.error(DecodeErrorKind::OutOfRange { expected }));
            }
            _ => return Err(self.wrong_type(expected)),
        }
        let start = self.pos;
        let (value, overflow) = self.read_digits();
        self.finish_integer(start, expected)?;
        if overflow {
            return Err(DecodeError::at(
                start,
                DecodeErrorKind::OutOfRange { expected },
            ));
        }
        Ok(value)
    }

    /// Reads an integer that may be negative; `expected` names the target type for errors.
    #[inline]
    pub fn read_i64(&mut self, expected: &'static str) -> Result<i64> {
        let negative = match self.peek() {
            Some(b'-') => {
                self.pos += 1;
                true
            }
            Some(b'0'..=b'9') => false,
            _ => return Err(self.wrong_type(expected)),
        };
        let start = self.pos;
        if !matches!(self.input.get(self.pos), Some(b'0'..=b'9')) {
            return Err(self.syntax("expected a digit after `-`"));
        }
        let (magnitude, overflow) = self.read_digits();
        self.finish_integer(start, expected)?;
        let value = if negative {
            0i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        };
        match value {
            Some(v) if !overflow => Ok(v),
            _ => Err(DecodeError::at(
                start,
                DecodeErrorKind::OutOfRange { expected },
            )),
        }
    }

    /// Reads a run of decimal digits; `true` with it when the value does not fit a `u64`.
    #[inline]
    fn read_digits(&mut self) -> (u64, bool) {
        let mut value: u64 = 0;
        let mut overflow = false;
        while let Some(&digit @ b'0'..=b'9') = self.input.get(self.pos) {
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
            self.pos += 1;
        }
        (value, overflow)
    }

    /// After the digits of an integer: a fraction or exponent means the number is not an
    /// integer, and a leading zero followed by digits is not JSON.
    fn finish_integer(&mut self, start: usize, expected: &'static str) -> Result<()> {
        if self.input[start] == b'0' && self.pos - start > 1 {
            return Err(DecodeError::at(
                start,
                DecodeErrorKind::Syntax("leading zero in number"),
            ));
        }
        if let Some(b'.' | b'e' | b'E') = self.input.get(self.pos) {
            self.pos = start;
            self.skip_number()?;
            return Err(DecodeError::at(
                start,
                DecodeErrorKind::WrongType {
                    expected,
                    found: "a fractional number",
                },
            ));
        }
        Ok(())
    }

    /// Reads any JSON number as `f64`.
    pub fn read_f64(&mut self, expected: &'static str) -> Result<f64> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return Err(self.wrong_type(expected)),
        }
        let start = self.pos;
        self.skip_number()?;
        let text = std::str::from_utf8(&self.input[start..self.pos])
            .map_err(|_| DecodeError::at(start, DecodeErrorKind::Syntax("invalid number")))?;
        text.parse::<f64>()
            .map_err(|_| DecodeError::at(start, DecodeErrorKind::Syntax("invalid number")))
    }

    fn skip_number(&mut self) -> Result<()> {
        if self.input.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits = |r: &mut Self| {
            let start = r.pos;
            while let Some(b'0'..=b'9') = r.input.get(r.pos) {
                r.pos += 1;
            }
            r.pos > start
        };
        if !digits(self) {
            return Err(self.syntax("expected digits"));
        }
        if self.input.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.syntax("expected digits after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.input.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.input.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.syntax("expected digits in exponent"));
            }
        }
        Ok(())
    }

    /// Reads a string, borrowed from the input unless it contains escapes.
    #[inline]
    pub fn read_str(&mut self, expected: &'static str) -> Result<Cow<'de, str>> {
        if self.peek() != Some(b'"') {
            return Err(self.wrong_type(expected));
        }
        self.read_string_body()
    }

    /// Reads the string starting at the current `"`.
    fn read_string_body(&mut self) -> Result<Cow<'de, str>> {
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        let input = self.input;
        loop {
            match input.get(self.pos) {
                Some(b'"') => {
                    let raw = &input[start..self.pos];
                    self.pos += 1;
                    return std::str::from_utf8(raw)
                        .map(Cow::Borrowed)
                        .map_err(|_| DecodeError::at(open, DecodeErrorKind::InvalidUtf8));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => return Err(self.syntax("control character in string")),
                Some(_) => self.pos += 1,
                None => return Err(self.syntax("unterminated string")),
            }
        }
        let mut owned = input[start..self.pos].to_vec();
        loop {
            match input.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return String::from_utf8(owned)
                        .map(Cow::Owned)
                        .map_err(|_| DecodeError::at(open, DecodeErrorKind::InvalidUtf8));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.read_escape(&mut owned)?;
                }
                Some(0..=0x1f) => return Err(self.syntax("control character in string")),
                Some(&byte) => {
                    owned.push(byte);
                    self.pos += 1;
                }
                None => return Err(self.syntax("unterminated string")),
            }
        }
    }

    fn read_escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let Some(&escape) = self.input.get(self.pos) else {
            return Err(self.syntax("unterminated escape"));
        };
        self.pos += 1;
        let byte = match escape {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = self.read_unicode_escape()?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => return Err(self.syntax("invalid escape")),
        };
        out.push(byte);
        Ok(())
    }

    fn read_hex4(&mut self) -> Result<u32> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("short \\u escape"))?;
        let mut value = 0u32;
        for &d in digits {
            let nibble = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("invalid hex digit in \\u escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }

    fn read_unicode_escape(&mut self) -> Result<char> {
        let first = self.read_hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.input[self.pos..].starts_with(b"\\u") {
                return Err(self.syntax("unpaired surrogate in \\u escape"));
            }
            self.pos += 2;
            let second = self.read_hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.syntax("unpaired surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.syntax("invalid \\u escape"))
    }

    /// Skips one value of any type, checking that it is well-formed.
    pub fn skip_value(&mut self) -> Result<()> {
        self.skip_value_at_depth(0)
    }

    fn skip_value_at_depth(&mut self, depth: usize) -> Result<()> {
        const MAX_DEPTH: usize = 128;
        if depth > MAX_DEPTH {
            return Err(self.syntax("nesting too deep"));
        }
        match self.peek() {
            Some(b'"') => self.read_string_body().map(drop),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            Some(b't') => self.expect_literal(b"true", "expected `true`"),
            Some(b'f') => self.expect_literal(b"false", "expected `false`"),
            Some(b'n') => self.expect_literal(b"null", "expected `null`"),
            Some(b'{') => {
                self.pos += 1;
                let mut first = true;
                while self.next_key(&mut first)?.is_some() {
                    self.skip_value_at_depth(depth + 1)?;
                }
                Ok(())
            }
            Some(b'[') => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value_at_depth(depth + 1)?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.syntax("expected `,` or `]` in array")),
                    }
                }
            }
            _ => Err(self.syntax("expected a value")),
        }
    }

    /// Checks that nothing but whitespace follows the document.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.syntax("trailing characters after the JSON value")),
        }
    }
}

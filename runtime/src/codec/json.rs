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
    pub(super) input: &'de [u8],
    pub(super) pos: usize,
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

    pub(super) fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError::at(self.pos, kind)
    }

    pub(super) fn syntax(&self, what: &'static str) -> DecodeError {
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

    /// The key of the next member of the current object, unescaped but not checked to be
    /// UTF-8 (it is only compared with field names), or `None` at its closing `}`. `first`
    /// must start `true` for each object; the reader clears it.
    pub fn next_key(&mut self, first: &mut bool) -> Result<Option<Cow<'de, [u8]>>> {
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
        let key = self.read_string_bytes()?;
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
            Some(b'"') => self.skip_string(),
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
